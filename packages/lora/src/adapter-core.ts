import {
  assertAllFinite,
  assertFinite,
  assertFloat32Array,
  firstNonFinite,
  type Rng,
  SonaError,
} from '@sona/core';
import { axpy, dot, gemv, gemvT, ger } from '@sona/simd';

/** Momentum coefficient β of the SGD optimiser (SPEC: 0.9). */
export const LORA_MOMENTUM = 0.9;

/** Largest `dim` an adapter accepts. */
export const LORA_MAX_DIM = 65_536;

/**
 * One low-rank block: A (rank × dim, row-major) and Bᵀ (rank × dim, row-major, i.e.
 * B ∈ R^{dim×rank} stored column by column), views into the adapter's flat buffers,
 * with per-block scratch.
 */
export interface Block {
  readonly a: Float32Array;
  readonly bt: Float32Array;
  readonly gradA: Float32Array;
  readonly gradBt: Float32Array;
  readonly weights: Float32Array;
  readonly grads: Float32Array;
  readonly momentum: Float32Array;
  readonly nextWeights: Float32Array;
  readonly nextMomentum: Float32Array;
  readonly backup: Float32Array;
  /** A·x */
  readonly hidden: Float32Array;
  /** Bᵀ·gradOut */
  readonly gradHidden: Float32Array;
}

/**
 * Weights, gradients and momentum of one or more low-rank blocks in three flat
 * Float32Arrays with the same layout, and the forward, backward and step every
 * adapter shares. Block b occupies [b·2·rank·dim, (b+1)·2·rank·dim): A, then Bᵀ.
 *
 * Arithmetic is float32 through @sona/simd, so results are bit-identical on every
 * backend:
 *   forward:  h = A·x;  y = x + s·(Bᵀ)ᵀh  (blocks added to y in order, each via axpy)
 *   backward: h = A·x;  u = Bᵀ·g;  dBᵀ += s·h·gᵀ;  dA += s·u·xᵀ;  dx = g + Σ s·Aᵀu
 *   step:     v ← β·v + g;  θ ← θ − lr·v   (β and lr rounded to float32)
 */
export class AdapterCore {
  readonly dim: number;
  readonly rank: number;
  readonly blockSize: number;
  readonly weights: Float32Array;
  readonly gradients: Float32Array;
  readonly momentum: Float32Array;
  readonly blocks: readonly Block[];
  readonly #delta: Float32Array;
  readonly #y: Float32Array;
  readonly #active: Block[] = [];

  constructor(dim: number, rank: number, blockCount: number) {
    this.dim = dim;
    this.rank = rank;
    this.blockSize = 2 * rank * dim;
    const total = blockCount * this.blockSize;
    this.weights = new Float32Array(total);
    this.gradients = new Float32Array(total);
    this.momentum = new Float32Array(total);
    const nextWeights = new Float32Array(total);
    const nextMomentum = new Float32Array(total);
    const backup = new Float32Array(total);
    const half = rank * dim;
    const blocks: Block[] = [];
    for (let b = 0; b < blockCount; b++) {
      const start = b * this.blockSize;
      const end = start + this.blockSize;
      blocks.push({
        a: this.weights.subarray(start, start + half),
        bt: this.weights.subarray(start + half, end),
        gradA: this.gradients.subarray(start, start + half),
        gradBt: this.gradients.subarray(start + half, end),
        weights: this.weights.subarray(start, end),
        grads: this.gradients.subarray(start, end),
        momentum: this.momentum.subarray(start, end),
        nextWeights: nextWeights.subarray(start, end),
        nextMomentum: nextMomentum.subarray(start, end),
        backup: backup.subarray(start, end),
        hidden: new Float32Array(rank),
        gradHidden: new Float32Array(rank),
      });
    }
    this.blocks = blocks;
    this.#delta = new Float32Array(dim);
    this.#y = new Float32Array(dim);
  }

  /** A of every block ~ N(0, 1/dim), drawn in block order, row by row; Bᵀ stays 0. */
  initialise(rng: Rng): void {
    const sd = 1 / Math.sqrt(this.dim);
    for (const block of this.blocks) {
      for (let i = 0; i < block.a.length; i++) block.a[i] = rng.normal(0, sd);
    }
  }

  /** y = x + Σ_b scales[b]·Bᵀ_bᵀ(A_b x) over the given blocks, into `out` (or a new array). */
  forward(
    x: Float32Array,
    blocks: readonly Block[],
    scales: readonly number[],
    out: Float32Array | undefined,
  ): Float32Array {
    const { dim, rank } = this;
    assertFloat32Array(x, 'x', dim);
    if (out !== undefined) assertFloat32Array(out, 'out', dim);
    const y = this.#y;
    const delta = this.#delta;
    y.set(x);
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      gemv(block.a, rank, dim, x, block.hidden);
      if (firstNonFinite(block.hidden) >= 0) this.#inputProblem(x, 'x');
      gemvT(block.bt, rank, dim, block.hidden, delta);
      axpy(scales[b]!, delta, y);
    }
    if (!allFinite(y)) throw overflow('forward output');
    const target = out ?? new Float32Array(dim);
    target.set(y);
    return target;
  }

  /**
   * Accumulates dL/dA and dL/dBᵀ of the given blocks for dL/dy = gradOut and returns
   * dL/dx. Validates and computes everything before the gradients change.
   */
  backward(
    x: Float32Array,
    gradOut: Float32Array,
    blocks: readonly Block[],
    scales: readonly number[],
    out: Float32Array | undefined,
  ): Float32Array {
    const { dim, rank } = this;
    assertFloat32Array(x, 'x', dim);
    assertFloat32Array(gradOut, 'gradOut', dim);
    if (out !== undefined) assertFloat32Array(out, 'out', dim);
    const dx = this.#y;
    const delta = this.#delta;
    dx.set(gradOut);
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      // A non-finite input reaches every entry of A·x and Bᵀ·g (NaN·0 and ∞·0 are NaN),
      // so checking these `rank` values checks the inputs; the scan runs only on failure.
      gemv(block.a, rank, dim, x, block.hidden);
      if (firstNonFinite(block.hidden) >= 0) this.#inputProblem(x, 'x');
      gemv(block.bt, rank, dim, gradOut, block.gradHidden);
      if (firstNonFinite(block.gradHidden) >= 0) this.#inputProblem(gradOut, 'gradOut');
      gemvT(block.a, rank, dim, block.gradHidden, delta);
      axpy(scales[b]!, delta, dx);
    }
    if (!allFinite(dx)) throw overflow('gradient with respect to x');
    for (const block of blocks) block.backup.set(block.grads);
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      ger(block.gradBt, rank, dim, scales[b]!, block.hidden, gradOut);
      ger(block.gradA, rank, dim, scales[b]!, block.gradHidden, x);
    }
    for (const block of blocks) {
      if (!allFinite(block.grads)) {
        for (const restored of blocks) restored.grads.set(restored.backup);
        throw overflow('accumulated gradients');
      }
    }
    const target = out ?? new Float32Array(dim);
    target.set(dx);
    return target;
  }

  /**
   * The low-rank code of `x`: A_b·x for each given block, concatenated (blocks × rank values),
   * into `out` (or a new array). Unscaled: it is the adapter's own r-dimensional view of x.
   */
  code(x: Float32Array, blocks: readonly Block[], out: Float32Array | undefined): Float32Array {
    const { dim, rank } = this;
    assertFloat32Array(x, 'x', dim);
    const size = blocks.length * rank;
    if (out !== undefined) assertFloat32Array(out, 'out', size);
    const target = out ?? new Float32Array(size);
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      gemv(block.a, rank, dim, x, block.hidden);
      if (firstNonFinite(block.hidden) >= 0) this.#inputProblem(x, 'x');
      target.set(block.hidden, b * rank);
    }
    return target;
  }

  /**
   * Accumulates dL/dA_b += g_b·xᵀ for dL/d(code) = `gradCode` (blocks × rank, as `code` lays it
   * out). Bᵀ gets no gradient from the code. Validates everything before the gradients change.
   */
  backwardCode(x: Float32Array, gradCode: Float32Array, blocks: readonly Block[]): void {
    const { dim, rank } = this;
    assertFloat32Array(x, 'x', dim);
    assertFloat32Array(gradCode, 'gradCode', blocks.length * rank);
    assertAllFinite(gradCode, 'gradCode');
    assertAllFinite(x, 'x');
    for (const block of blocks) block.backup.set(block.grads);
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      ger(block.gradA, rank, dim, 1, gradCode.subarray(b * rank, (b + 1) * rank), x);
    }
    for (const block of blocks) {
      if (!allFinite(block.grads)) {
        for (const restored of blocks) restored.grads.set(restored.backup);
        throw overflow('accumulated gradients');
      }
    }
  }

  zeroGrad(): void {
    this.gradients.fill(0);
  }

  /**
   * SGD with momentum on every block whose gradient is not all zero:
   * v ← β·v + g, θ ← θ − lr·v; a block with an all-zero gradient keeps its weights and
   * momentum bit-identical. Then all gradients are zeroed.
   */
  step(lr: number): void {
    assertFinite(lr, 'lr');
    if (lr < 0) {
      throw new SonaError('OUT_OF_RANGE', `lr is ${lr}, must be >= 0`, { path: 'lr' });
    }
    const active = this.#active;
    active.length = 0;
    for (const block of this.blocks) if (!allZero(block.grads)) active.push(block);
    for (const block of active) {
      // g + β·v is fl(β·v + g): one float32 rounding of the same sum in either order.
      block.nextMomentum.set(block.grads);
      axpy(LORA_MOMENTUM, block.momentum, block.nextMomentum);
      block.nextWeights.set(block.weights);
      axpy(-lr, block.nextMomentum, block.nextWeights);
      // A non-finite gradient or momentum reaches θ − lr·v (−0·∞ is NaN too), so finite
      // new weights mean everything is finite.
      if (!allFinite(block.nextWeights)) {
        const bad = firstNonFinite(this.gradients);
        if (bad >= 0) {
          throw new SonaError('NON_FINITE', `gradients[${bad}] is ${this.gradients[bad]}`, {
            path: `gradients[${bad}]`,
          });
        }
        throw overflow('step');
      }
    }
    for (const block of active) {
      block.momentum.set(block.nextMomentum);
      block.weights.set(block.nextWeights);
    }
    this.gradients.fill(0);
  }

  /** Throws NON_FINITE naming the first bad entry of `values`, or an overflow error. */
  #inputProblem(values: Float32Array, name: string): never {
    const bad = firstNonFinite(values);
    if (bad >= 0) {
      throw new SonaError('NON_FINITE', `${name}[${bad}] is ${values[bad]}`, {
        path: `${name}[${bad}]`,
      });
    }
    throw overflow(`A·${name}`);
  }
}

/** True when every entry is finite: a sum of squares is finite only then (NaN and ∞ propagate). */
export function allFinite(values: Float32Array): boolean {
  const sum = dot(values, values);
  // A finite vector whose squares overflow float32 takes the exact scan.
  return sum - sum === 0 || firstNonFinite(values) < 0;
}

function allZero(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return false;
  return true;
}

function overflow(where: string): SonaError {
  return new SonaError(
    'NON_FINITE',
    `${where} is not finite: float32 overflow, or non-finite weights written through parameters()`,
  );
}
