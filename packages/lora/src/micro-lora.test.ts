import { createRng, type SonaErrorCode } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { bits, learningRate, moderate, type Shape, shape, vectorOf } from '../test/arbitraries';
import { expectGradientsMatch } from '../test/gradient-check';
import { blocks64, forward64, forwardMagnitude64 } from '../test/reference64';
import { LORA_MOMENTUM } from './adapter-core';
import { MicroLoRA, type MicroLoRAState } from './micro-lora';

function create({ dim, rank, alpha, seed }: Shape): MicroLoRA {
  return new MicroLoRA({ dim, rank, alpha, rng: createRng(seed) });
}

/** A shape with random weights (B non-zero), an input and a loss weight vector. */
const trained = shape.chain((s) =>
  fc.record({
    shape: fc.constant(s),
    weights: vectorOf(2 * s.rank * s.dim, 1),
    x: vectorOf(s.dim),
    w: vectorOf(s.dim),
  }),
);

function withWeights(s: Shape, weights: Float32Array): MicroLoRA {
  const lora = create(s);
  lora.parameters().set(weights);
  return lora;
}

function stateBits(state: MicroLoRAState) {
  return {
    ...state,
    weights: bits(state.weights),
    momentum: bits(state.momentum),
    gradients: bits(state.gradients),
  };
}

describe('MicroLoRA initialisation', () => {
  it('is the identity: forward(x) equals x (B = 0)', () => {
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), vectorOf(s.dim, 1e6))),
        ([s, x]) => {
          const y = create(s).forward(x);
          // IEEE addition of +0 maps -0 to +0; every other value is returned exactly.
          for (let i = 0; i < x.length; i++) expect(y[i] === x[i]).toBe(true);
        },
      ),
    );
  });

  it('draws A from N(0, 1/dim) in row order from the given Rng and leaves B zero', () => {
    fc.assert(
      fc.property(shape, (s) => {
        const lora = create(s);
        const rng = createRng(s.seed);
        const half = s.rank * s.dim;
        const expected = Float32Array.from({ length: half }, () =>
          rng.normal(0, 1 / Math.sqrt(s.dim)),
        );
        expect(bits(lora.parameters().subarray(0, half))).toEqual(bits(expected));
        expect(
          lora
            .parameters()
            .subarray(half)
            .every((v) => v === 0),
        ).toBe(true);
        expect(lora.size).toBe(2 * half);
        expect(lora.scale).toBe((s.alpha ?? s.rank) / s.rank);
      }),
    );
  });

  it('default alpha is the rank, so the scale is 1', () => {
    const lora = new MicroLoRA({ dim: 8, rank: 4, rng: createRng(1) });
    expect(lora.alpha).toBe(4);
    expect(lora.scale).toBe(1);
  });
});

describe('MicroLoRA forward', () => {
  it('equals x + s·B(Ax) computed in float64, to float32 rounding', () => {
    fc.assert(
      fc.property(trained, ({ shape: s, weights, x }) => {
        const lora = withWeights(s, weights);
        const blocks = blocks64(weights, s.dim, s.rank, [0], [lora.scale]);
        const expected = forward64(blocks, x);
        const magnitude = forwardMagnitude64(blocks, x);
        const y = lora.forward(x);
        for (let i = 0; i < s.dim; i++) {
          expect(Math.abs(y[i]! - expected[i]!)).toBeLessThanOrEqual(1e-5 * magnitude[i]! + 1e-30);
        }
      }),
    );
  });

  it('writes into out, which may be x itself, and gives the same bits', () => {
    fc.assert(
      fc.property(trained, ({ shape: s, weights, x }) => {
        const lora = withWeights(s, weights);
        const fresh = lora.forward(x);
        const out = new Float32Array(s.dim);
        expect(lora.forward(x, out)).toBe(out);
        const inPlace = x.slice();
        lora.forward(inPlace, inPlace);
        expect(bits(out)).toEqual(bits(fresh));
        expect(bits(inPlace)).toEqual(bits(fresh));
      }),
    );
  });
});

describe('MicroLoRA gradients', () => {
  it('dA, dB and dx equal central finite differences of the float64 loss Σ w·y', () => {
    fc.assert(
      fc.property(trained, ({ shape: s, weights, x, w }) => {
        const lora = withWeights(s, weights);
        const dx = lora.backward(x, w);
        const half = s.rank * s.dim;
        expectGradientsMatch({
          blocks: blocks64(weights, s.dim, s.rank, [0], [lora.scale]),
          x,
          w,
          gradA: [lora.gradients().subarray(0, half)],
          gradBt: [lora.gradients().subarray(half)],
          gradX: dx,
        });
      }),
      { numRuns: 60 },
    );
  });

  it('accumulate over calls: two backwards ≈ the sum of each alone', () => {
    const arb = trained.chain((t) =>
      fc.tuple(fc.constant(t), vectorOf(t.shape.dim), vectorOf(t.shape.dim)),
    );
    fc.assert(
      fc.property(arb, ([{ shape: s, weights, x, w }, x2, w2]) => {
        const both = withWeights(s, weights);
        both.backward(x, w);
        both.backward(x2, w2);
        const first = withWeights(s, weights);
        first.backward(x, w);
        const second = withWeights(s, weights);
        second.backward(x2, w2);
        const g1 = first.gradients();
        const g2 = second.gradients();
        both.gradients().forEach((g, i) => {
          expect(Math.abs(g - (g1[i]! + g2[i]!))).toBeLessThanOrEqual(
            2 ** -22 * (Math.abs(g1[i]!) + Math.abs(g2[i]!)),
          );
        });
      }),
    );
  });

  it('zeroGrad clears them and leaves the weights alone', () => {
    fc.assert(
      fc.property(trained, ({ shape: s, weights, x, w }) => {
        const lora = withWeights(s, weights);
        lora.backward(x, w);
        lora.zeroGrad();
        expect(lora.gradients().every((g) => g === 0)).toBe(true);
        expect(bits(lora.parameters())).toEqual(bits(weights));
      }),
    );
  });
});

describe('MicroLoRA code', () => {
  it('is A·x, and backwardCode adds exactly g·xᵀ to dA (nothing to Bᵀ), changing nothing on bad input', () => {
    fc.assert(
      fc.property(trained, (t) => {
        const { dim, rank } = t.shape;
        const lora = withWeights(t.shape, t.weights);
        const code = lora.code(t.x);
        for (let r = 0; r < rank; r++) {
          let s = 0;
          for (let i = 0; i < dim; i++) s += t.weights[r * dim + i]! * t.x[i]!;
          expect(code[r]).toBeCloseTo(s, 3);
        }
        const g = t.w.subarray(0, rank);
        lora.backwardCode(t.x, g);
        const grads = lora.gradients();
        for (let r = 0; r < rank; r++) {
          for (let i = 0; i < dim; i++)
            expect(grads[r * dim + i]).toBe(0 + Math.fround(g[r]! * t.x[i]!));
        }
        expect(grads.subarray(rank * dim).every((v) => v === 0)).toBe(true);
        const before = bits(lora.gradients());
        expectSonaError(() => lora.backwardCode(t.x, new Float32Array(rank + 1)), 'DIM_MISMATCH');
        expectSonaError(
          () =>
            lora.backwardCode(
              t.x,
              Float32Array.from(g, () => Number.NaN),
            ),
          'NON_FINITE',
        );
        expect(bits(lora.gradients())).toEqual(before);
      }),
    );
  });
});

describe('MicroLoRA step (SGD with momentum β = 0.9)', () => {
  it('is v ← fl(fl(β·v) + g), θ ← fl(θ + fl(−lr·v)) in float32, bit for bit, then zeroes g', () => {
    const arb = trained.chain((t) =>
      fc.tuple(
        fc.constant(t),
        fc.array(fc.tuple(vectorOf(t.shape.dim), vectorOf(t.shape.dim), learningRate), {
          minLength: 1,
          maxLength: 4,
        }),
      ),
    );
    const f = Math.fround;
    fc.assert(
      fc.property(arb, ([{ shape: s, weights }, steps]) => {
        const lora = withWeights(s, weights);
        const theta = weights.slice();
        const v = new Float32Array(weights.length);
        for (const [x, w, lr] of steps) {
          lora.backward(x, w);
          const g = lora.gradients().slice();
          lora.step(lr);
          if (g.every((value) => value === 0)) continue; // an all-zero gradient is a no-op
          for (let i = 0; i < theta.length; i++) {
            v[i] = f(f(f(LORA_MOMENTUM) * v[i]!) + g[i]!);
            theta[i] = f(theta[i]! + f(f(-lr) * v[i]!));
          }
          expect(bits(lora.momentum())).toEqual(bits(v));
          expect(bits(lora.parameters())).toEqual(bits(theta));
          expect(lora.gradients().every((value) => value === 0)).toBe(true);
        }
      }),
    );
  });

  it('with an all-zero gradient changes nothing (momentum does not coast)', () => {
    fc.assert(
      fc.property(trained, learningRate, ({ shape: s, weights, x, w }, lr) => {
        const lora = withWeights(s, weights);
        lora.backward(x, w);
        lora.step(0.1);
        const before = stateBits(lora.state());
        lora.step(lr);
        expect(stateBits(lora.state())).toEqual(before);
      }),
    );
  });

  it('lowers the loss Σ w·y for a small learning rate (a descent direction)', () => {
    fc.assert(
      fc.property(trained, ({ shape: s, weights, x, w }) => {
        const lora = withWeights(s, weights);
        const loss = () => lora.forward(x).reduce((sum, y, i) => sum + w[i]! * y, 0);
        const before = loss();
        const gradSq = (() => {
          lora.backward(x, w);
          return lora.gradients().reduce((sum, g) => sum + g * g, 0);
        })();
        fc.pre(gradSq > 1e-3);
        lora.step(1e-3 / Math.max(1, Math.sqrt(gradSq)));
        expect(loss()).toBeLessThan(before);
      }),
    );
  });
});

describeStateLaws('MicroLoRA', {
  // Trained a step, with gradients pending: all of it is state.
  recipe: trained.chain((t) => fc.tuple(fc.constant(t), vectorOf(t.shape.dim), learningRate)),
  build: ([{ shape: s, weights, x, w }, x2, lr]) => {
    const lora = withWeights(s, weights);
    lora.backward(x, w);
    lora.step(lr);
    lora.backward(x2, w);
    return lora;
  },
  state: (lora) => lora.state(),
  fromState: (state) => MicroLoRA.fromState(state),
  kind: 'micro-lora',
  continuation: {
    input: ([{ shape: s, x }, , lr]) => fc.tuple(fc.constant(x), vectorOf(s.dim), fc.constant(lr)),
    run: (lora, [x, x2, lr]) => {
      lora.backward(x, x2);
      lora.step(lr);
      return lora.forward(x);
    },
  },
});

describe('MicroLoRA state', () => {
  it('keeps -0 and every other bit of the weights', () => {
    const lora = new MicroLoRA({ dim: 3, rank: 1, rng: createRng(3) });
    lora.parameters().set([-0, 1e-45, -3.4e38, 0, -0, 7]);
    expect(bits(MicroLoRA.fromState(lora.state()).parameters())).toEqual(bits(lora.parameters()));
  });

  it('rejects corrupt state with a named code', () => {
    const good = new MicroLoRA({ dim: 4, rank: 2, rng: createRng(3) }).state();
    const cases: [unknown, SonaErrorCode][] = [
      [{ ...good, weights: new Float32Array(3) }, 'DIM_MISMATCH'],
      [{ ...good, momentum: new Float32Array(16).fill(Number.NaN) }, 'NON_FINITE'],
      [{ ...good, gradients: Array.from({ length: 16 }, () => 0) }, 'INVALID_ARGUMENT'],
      [{ ...good, rank: 5 }, 'OUT_OF_RANGE'],
      [{ ...good, alpha: undefined }, 'INVALID_ARGUMENT'],
      [{ ...good, alpha: 0 }, 'OUT_OF_RANGE'],
      [{ ...good, kind: 'multi-head-lora' }, 'INVALID_ARGUMENT'],
      [null, 'INVALID_ARGUMENT'],
    ];
    for (const [state, code] of cases) {
      expectSonaError(() => MicroLoRA.fromState(state as MicroLoRAState), code);
    }
  });
});

describe('MicroLoRA bad input', () => {
  it('rejects bad options with a named code', () => {
    const rng = createRng(1);
    expectSonaError(() => new MicroLoRA({ dim: 4, rank: 0, rng }), 'OUT_OF_RANGE');
    expectSonaError(() => new MicroLoRA({ dim: 4, rank: 5, rng }), 'OUT_OF_RANGE');
    expectSonaError(() => new MicroLoRA({ dim: 0, rank: 1, rng }), 'OUT_OF_RANGE');
    expectSonaError(() => new MicroLoRA({ dim: 4, rank: 1.5, rng }), 'INVALID_ARGUMENT');
    expectSonaError(() => new MicroLoRA({ dim: 4, rank: 2, alpha: -1, rng }), 'OUT_OF_RANGE');
    expectSonaError(() => new MicroLoRA({ dim: 4, rank: 2, alpha: Number.NaN, rng }), 'NON_FINITE');
    expectSonaError(
      () => new MicroLoRA({ dim: 4, rank: 2 } as unknown as { dim: 4; rank: 2; rng: never }),
      'INVALID_ARGUMENT',
    );
  });

  it('a failed call leaves every bit unchanged (weights, momentum, gradients, out)', () => {
    type BadCall = { code: SonaErrorCode; call: (lora: MicroLoRA, out: Float32Array) => unknown };
    const badCalls = (dim: number): fc.Arbitrary<BadCall> => {
      const nonFinite = fc.constantFrom(Number.NaN, Infinity, -Infinity);
      const poisoned = fc.tuple(vectorOf(dim), fc.nat(dim - 1), nonFinite).map(([v, at, bad]) => {
        v[at] = bad;
        return v;
      });
      const ok = vectorOf(dim);
      return fc.oneof(
        fc.tuple(poisoned).map(([x]) => ({
          code: 'NON_FINITE' as const,
          call: (lora: MicroLoRA, out: Float32Array) => lora.forward(x, out),
        })),
        fc.tuple(poisoned, ok).map(([x, g]) => ({
          code: 'NON_FINITE' as const,
          call: (lora: MicroLoRA, out: Float32Array) => lora.backward(x, g, out),
        })),
        fc.tuple(ok, poisoned).map(([x, g]) => ({
          code: 'NON_FINITE' as const,
          call: (lora: MicroLoRA, out: Float32Array) => lora.backward(x, g, out),
        })),
        fc.tuple(ok, ok).map(([x, g]) => ({
          code: 'DIM_MISMATCH' as const,
          call: (lora: MicroLoRA) => lora.backward(x, g, new Float32Array(dim + 1)),
        })),
        fc.constant({
          code: 'DIM_MISMATCH' as const,
          call: (lora: MicroLoRA, out: Float32Array) =>
            lora.forward(new Float32Array(dim + 1), out),
        }),
        fc.constant({
          code: 'INVALID_ARGUMENT' as const,
          call: (lora: MicroLoRA) => lora.forward(Array.from({ length: dim }) as never),
        }),
        fc.tuple(ok).map(([g]) => ({
          code: 'DIM_MISMATCH' as const,
          call: (lora: MicroLoRA) => lora.backward(new Float32Array(dim + 2), g),
        })),
        fc.tuple(nonFinite, fc.nat()).map(([bad, at]) => ({
          code: 'NON_FINITE' as const,
          call: (lora: MicroLoRA) => {
            lora.gradients()[at % lora.size] = bad;
            return lora.step(0.1);
          },
        })),
        fc.constantFrom(Number.NaN, Infinity, -1).map((lr) => ({
          code: (lr === -1 ? 'OUT_OF_RANGE' : 'NON_FINITE') as SonaErrorCode,
          call: (lora: MicroLoRA) => lora.step(lr),
        })),
      );
    };
    const arb = trained.chain((t) =>
      fc.tuple(fc.constant(t), badCalls(t.shape.dim), vectorOf(t.shape.dim)),
    );
    fc.assert(
      fc.property(arb, ([{ shape: s, weights, x, w }, bad, outFill]) => {
        const lora = withWeights(s, weights);
        lora.backward(x, w);
        lora.step(0.05);
        lora.backward(w, x);
        const gradients = lora.gradients();
        const gradientsBefore = gradients.slice();
        const before = stateBits(lora.state());
        const out = outFill.slice();
        expectSonaError(() => bad.call(lora, out), bad.code);
        // The poisoned-gradient case wrote into gradients() itself; undo only that write.
        const after = lora.state();
        const poisonedAt = after.gradients.findIndex((g) => !Number.isFinite(g));
        if (poisonedAt >= 0) gradients[poisonedAt] = gradientsBefore[poisonedAt]!;
        expect(stateBits(lora.state())).toEqual(before);
        expect(bits(out)).toEqual(bits(outFill));
      }),
    );
  });

  it('refuses inputs whose products overflow float32, changing nothing', () => {
    const lora = new MicroLoRA({ dim: 4, rank: 2, rng: createRng(2) });
    lora.parameters().fill(1e20);
    const huge = Float32Array.of(1e20, 1e20, 1e20, 1e20);
    const before = stateBits(lora.state());
    expectSonaError(() => lora.forward(huge), 'NON_FINITE');
    expectSonaError(() => lora.backward(huge, Float32Array.of(1, 1, 1, 1)), 'NON_FINITE');
    expect(stateBits(lora.state())).toEqual(before);
    lora.parameters().fill(0.25, 0, 8); // A: h = A·1 = 1
    lora.parameters().fill(1e-10, 8); // Bᵀ: keeps Bᵀg and dx finite
    lora.backward(Float32Array.of(1, 1, 1, 1), Float32Array.of(3e38, 0, 0, 0));
    const beforeStep = stateBits(lora.state());
    expectSonaError(
      () => lora.backward(Float32Array.of(1, 1, 1, 1), Float32Array.of(3e38, 0, 0, 0)),
      'NON_FINITE',
    );
    expect(stateBits(lora.state())).toEqual(beforeStep);
  });
});

describe('MicroLoRA weights as a view', () => {
  it('parameters() and gradients() are live views that stay the same arrays', () => {
    const lora = new MicroLoRA({ dim: 6, rank: 2, rng: createRng(4) });
    const params = lora.parameters();
    const grads = lora.gradients();
    lora.backward(new Float32Array(6).fill(1), new Float32Array(6).fill(1));
    lora.step(0.1);
    expect(lora.parameters()).toBe(params);
    expect(lora.gradients()).toBe(grads);
    params.fill(0);
    const x = Float32Array.of(1, 2, 3, 4, 5, 6);
    expect(Array.from(lora.forward(x))).toEqual(Array.from(x));
  });

  it('an added gradient (such as EWC’s) is applied by step', () => {
    fc.assert(
      fc.property(trained, moderate(1), ({ shape: s, weights }, extra) => {
        fc.pre(extra !== 0);
        const lora = withWeights(s, weights);
        lora.gradients()[0] = extra;
        lora.step(1);
        expect(lora.parameters()[0]).toBe(Math.fround(weights[0]! - extra));
      }),
    );
  });
});
