import { assertFinite, type Rng, SonaError } from '@sona/core';
import { AdapterCore, type Block } from './adapter-core';
import { checkKind, checkObject, checkShape, checkTensor } from './shape';

export interface MicroLoRAOptions {
  readonly dim: number;
  /** 1 ≤ rank ≤ dim. */
  readonly rank: number;
  /** α > 0; the update is scaled by s = α/rank. Default: rank, so s = 1. */
  readonly alpha?: number;
  /** Source of A's initial values (rank·dim normal draws are taken from it). */
  readonly rng: Rng;
}

/** Everything a MicroLoRA holds, as plain data; `fromState` continues bit-identically. */
export interface MicroLoRAState {
  readonly kind: 'micro-lora';
  readonly dim: number;
  readonly rank: number;
  readonly alpha: number;
  /** A (rank × dim, row-major), then Bᵀ (rank × dim, row-major). */
  readonly weights: Float32Array;
  readonly momentum: Float32Array;
  readonly gradients: Float32Array;
}

const RESTORING = Symbol('restoring');

/**
 * A low-rank adapter on a `dim`-vector: y = x + s·B(A x), s = α/rank, with
 * A ∈ R^{rank×dim} drawn from N(0, 1/dim) and B ∈ R^{dim×rank} zero, so a new adapter
 * is the identity. Weights, gradients and momentum are each one flat Float32Array:
 * A row-major, then B column by column (Bᵀ row-major), so every kernel call runs along
 * rows of length dim.
 */
export class MicroLoRA {
  readonly dim: number;
  readonly rank: number;
  readonly alpha: number;
  /** s = α / rank. */
  readonly scale: number;
  readonly #core: AdapterCore;
  readonly #blocks: readonly Block[];
  readonly #scales: readonly number[];

  constructor(options: MicroLoRAOptions, restoring?: typeof RESTORING) {
    const { dim, rank, alpha, rng } = checkObject(
      options,
      'MicroLoRA options',
    ) as Partial<MicroLoRAOptions>;
    const [d, r, a] = checkShape(dim, rank, alpha);
    if (restoring !== RESTORING && typeof rng?.normal !== 'function') {
      throw new SonaError('INVALID_ARGUMENT', 'rng must be an Rng from @sona/core', {
        path: 'rng',
      });
    }
    this.dim = d;
    this.rank = r;
    this.alpha = a;
    this.scale = a / r;
    this.#core = new AdapterCore(d, r, 1);
    this.#blocks = this.#core.blocks;
    this.#scales = [this.scale];
    if (restoring !== RESTORING) this.#core.initialise(rng!);
  }

  /** Number of weights: 2·rank·dim. */
  get size(): number {
    return this.#core.weights.length;
  }

  /** y = x + s·B(A x), into `out` if given (it may be `x` itself). */
  forward(x: Float32Array, out?: Float32Array): Float32Array {
    return this.#core.forward(x, this.#blocks, this.#scales, out);
  }

  /**
   * Adds dL/dA and dL/dB for dL/dy = `gradOut` into `gradients()` and returns dL/dx
   * (into `out` if given). Nothing changes if it throws.
   */
  /** The adapter's low-rank code A·x (rank values). */
  code(x: Float32Array, out?: Float32Array): Float32Array {
    return this.#core.code(x, this.#blocks, out);
  }

  /** Accumulates dL/dA += g·xᵀ for dL/d(code) = g (rank values); B gets none. */
  backwardCode(x: Float32Array, gradCode: Float32Array): void {
    this.#core.backwardCode(x, gradCode, this.#blocks);
  }

  backward(x: Float32Array, gradOut: Float32Array, out?: Float32Array): Float32Array {
    return this.#core.backward(x, gradOut, this.#blocks, this.#scales, out);
  }

  zeroGrad(): void {
    this.#core.zeroGrad();
  }

  /** v ← 0.9·v + g; θ ← θ − lr·v; then the gradients are zeroed. No-op on an all-zero gradient. */
  step(lr: number): void {
    this.#core.step(lr);
  }

  /** The live weights (A, then Bᵀ): a view, not a copy. */
  parameters(): Float32Array {
    return this.#core.weights;
  }

  /** The live accumulated gradients, aligned with `parameters()`: a view. */
  gradients(): Float32Array {
    return this.#core.gradients;
  }

  /** A copy of the momentum buffer, aligned with `parameters()`. */
  momentum(): Float32Array {
    return this.#core.momentum.slice();
  }

  state(): MicroLoRAState {
    return {
      kind: 'micro-lora',
      dim: this.dim,
      rank: this.rank,
      alpha: this.alpha,
      weights: this.#core.weights.slice(),
      momentum: this.#core.momentum.slice(),
      gradients: this.#core.gradients.slice(),
    };
  }

  static fromState(state: MicroLoRAState): MicroLoRA {
    const record = checkObject(state, 'MicroLoRAState');
    checkKind(record, 'micro-lora');
    assertFinite(record.alpha, 'alpha');
    const adapter = new MicroLoRA(
      { dim: record.dim, rank: record.rank, alpha: record.alpha } as MicroLoRAOptions,
      RESTORING,
    );
    const size = adapter.size;
    const weights = checkTensor(record.weights, 'weights', size);
    const momentum = checkTensor(record.momentum, 'momentum', size);
    const gradients = checkTensor(record.gradients, 'gradients', size);
    adapter.#core.weights.set(weights);
    adapter.#core.momentum.set(momentum);
    adapter.#core.gradients.set(gradients);
    return adapter;
  }
}
