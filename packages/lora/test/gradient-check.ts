import { expect } from 'vitest';
import { type Block64, centralDifference, loss64 } from './reference64';

const FD_STEP = 1e-3;
/** float32 rounding allowance relative to the sum of absolute terms of a derivative. */
const RELATIVE = 1e-5;

function absolute(blocks: readonly Block64[]): Block64[] {
  return blocks.map((b) => ({
    a: b.a.map(Math.abs),
    bt: b.bt.map(Math.abs),
    scale: Math.abs(b.scale),
  }));
}

/** Indices to check: all of them for small tensors, an evenly spread 48 otherwise. */
function sample(length: number): number[] {
  if (length <= 48) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: 48 }, (_, i) => Math.floor((i * (length - 1)) / 47));
}

/**
 * Checks analytic float32 gradients of L = Σ w_i y_i against central finite differences of
 * the float64 reference, for every block's A and Bᵀ and for x. The tolerance for each
 * coordinate is RELATIVE × the derivative of the same loss with every quantity replaced
 * by its absolute value (the size of the terms whose rounding the float32 code suffers),
 * plus the finite difference's own float64 rounding.
 */
export function expectGradientsMatch(options: {
  blocks: Block64[];
  x: Float32Array;
  w: Float32Array;
  gradA: readonly Float32Array[];
  gradBt: readonly Float32Array[];
  gradX: Float32Array;
}): void {
  const { blocks, gradA, gradBt, gradX } = options;
  const x = Float64Array.from(options.x);
  const w = Float64Array.from(options.w);
  const absBlocks = absolute(blocks);
  const absX = x.map(Math.abs);
  const absW = w.map(Math.abs);
  const lossScale = 1 + loss64(absBlocks, absX, absW);
  const slack = 1e-12 * lossScale;

  const check = (analytic: number, fd: number, magnitude: number, what: string) => {
    const tolerance = RELATIVE * magnitude + slack;
    if (!(Math.abs(analytic - fd) <= tolerance)) {
      expect.fail(`${what}: analytic ${analytic}, finite difference ${fd}, tolerance ${tolerance}`);
    }
  };

  blocks.forEach((block, b) => {
    for (const [name, tensor, absTensor, grads] of [
      ['A', block.a, absBlocks[b]!.a, gradA[b]!],
      ['Bt', block.bt, absBlocks[b]!.bt, gradBt[b]!],
    ] as const) {
      for (const i of sample(tensor.length)) {
        const fd = centralDifference(
          (v) => {
            tensor[i] = v;
            return loss64(blocks, x, w);
          },
          tensor[i]!,
          FD_STEP,
        );
        const magnitude = centralDifference(
          (v) => {
            absTensor[i] = v;
            return loss64(absBlocks, absX, absW);
          },
          absTensor[i]!,
          FD_STEP,
        );
        check(grads[i]!, fd, magnitude, `block ${b} ${name}[${i}]`);
      }
    }
  });
  for (const j of sample(x.length)) {
    const fd = centralDifference(
      (v) => {
        x[j] = v;
        return loss64(blocks, x, w);
      },
      x[j]!,
      FD_STEP,
    );
    const magnitude = centralDifference(
      (v) => {
        absX[j] = v;
        return loss64(absBlocks, absX, absW);
      },
      absX[j]!,
      FD_STEP,
    );
    check(gradX[j]!, fd, magnitude, `x[${j}]`);
  }
}
