import { assertFinite, type Rng, SonaError, TASK_TYPES } from '@sona/core';
import { AdapterCore, type Block } from './adapter-core';
import { checkKind, checkObject, checkShape, checkTensor } from './shape';

/** Weight of a head's output relative to the shared adapter's (SPEC: shared + 0.5·head). */
export const HEAD_WEIGHT = 0.5;

/** Most heads a MultiHeadLoRA accepts. */
export const MAX_HEADS = 64;

export interface MultiHeadLoRAOptions {
  readonly dim: number;
  /** 1 ≤ rank ≤ dim, the same for the shared adapter and every head. */
  readonly rank: number;
  /** α > 0; s = α/rank. Default: rank, so s = 1. */
  readonly alpha?: number;
  /** Head names, distinct non-empty strings. Default: the four task types of @sona/core. */
  readonly types?: readonly string[];
  /** Source of the A matrices' initial values: shared first, then heads in `types` order. */
  readonly rng: Rng;
}

export interface MultiHeadLoRAState {
  readonly kind: 'multi-head-lora';
  readonly dim: number;
  readonly rank: number;
  readonly alpha: number;
  readonly types: readonly string[];
  /** Shared (A, Bᵀ), then each head's (A, Bᵀ) in `types` order. */
  readonly weights: Float32Array;
  readonly momentum: Float32Array;
  readonly gradients: Float32Array;
}

const RESTORING = Symbol('restoring');

function checkTypes(value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_HEADS) {
    throw new SonaError('INVALID_ARGUMENT', `types must be an array of 1..${MAX_HEADS} names`, {
      path: 'types',
    });
  }
  const seen = new Set<string>();
  value.forEach((type, i) => {
    if (typeof type !== 'string' || type.length === 0 || seen.has(type)) {
      throw new SonaError('INVALID_ARGUMENT', `types[${i}] must be a distinct non-empty string`, {
        path: `types[${i}]`,
      });
    }
    seen.add(type);
  });
  return Object.freeze([...value] as string[]);
}

/**
 * A shared low-rank adapter plus one head per task type:
 *
 *   forward(x, type) = x + s·B_s(A_s x) + 0.5·s·B_h(A_h x),   h = head(type), s = α/rank.
 *
 * Each block is shaped like a MicroLoRA (A ~ N(0, 1/dim), B = 0, so a new adapter is
 * the identity). Backward reaches the shared block and the chosen head only; `step`
 * leaves any head whose gradient is all zero bit-identical, momentum included.
 * `parameters()` is one flat view: shared (A, Bᵀ), then each head in `types` order.
 */
export class MultiHeadLoRA {
  readonly dim: number;
  readonly rank: number;
  readonly alpha: number;
  readonly scale: number;
  readonly types: readonly string[];
  readonly #core: AdapterCore;
  readonly #active: ReadonlyMap<string, readonly Block[]>;
  readonly #scales: readonly number[];

  constructor(options: MultiHeadLoRAOptions, restoring?: typeof RESTORING) {
    const { dim, rank, alpha, types, rng } = checkObject(
      options,
      'MultiHeadLoRA options',
    ) as Partial<MultiHeadLoRAOptions>;
    const [d, r, a] = checkShape(dim, rank, alpha);
    const heads = checkTypes(types ?? TASK_TYPES);
    if (restoring !== RESTORING && typeof rng?.normal !== 'function') {
      throw new SonaError('INVALID_ARGUMENT', 'rng must be an Rng from @sona/core', {
        path: 'rng',
      });
    }
    this.dim = d;
    this.rank = r;
    this.alpha = a;
    this.scale = a / r;
    this.types = heads;
    this.#core = new AdapterCore(d, r, 1 + heads.length);
    const [shared, ...headBlocks] = this.#core.blocks;
    this.#active = new Map(heads.map((type, i) => [type, [shared!, headBlocks[i]!]]));
    this.#scales = [this.scale, HEAD_WEIGHT * this.scale];
    if (restoring !== RESTORING) this.#core.initialise(rng!);
  }

  /** Number of weights: (1 + heads)·2·rank·dim. */
  get size(): number {
    return this.#core.weights.length;
  }

  /** Weights per block (shared or one head): 2·rank·dim. */
  get blockSize(): number {
    return this.#core.blockSize;
  }

  /** Offset of a head's block in `parameters()` (the shared block is at 0). */
  headOffset(type: string): number {
    return (1 + this.#headIndex(type)) * this.#core.blockSize;
  }

  forward(x: Float32Array, type: string, out?: Float32Array): Float32Array {
    return this.#core.forward(x, this.#blocksFor(type), this.#scales, out);
  }

  /** Accumulates gradients of the shared block and `type`'s head; returns dL/dx. */
  backward(x: Float32Array, type: string, gradOut: Float32Array, out?: Float32Array): Float32Array {
    return this.#core.backward(x, gradOut, this.#blocksFor(type), this.#scales, out);
  }

  /** The low-rank code of x for `type`: the shared block's A·x, then the head's (2·rank values). */
  code(x: Float32Array, type: string, out?: Float32Array): Float32Array {
    return this.#core.code(x, this.#blocksFor(type), out);
  }

  /** Accumulates dL/dA of the shared block and `type`'s head for dL/d(code) = g (2·rank values). */
  backwardCode(x: Float32Array, type: string, gradCode: Float32Array): void {
    this.#core.backwardCode(x, gradCode, this.#blocksFor(type));
  }

  zeroGrad(): void {
    this.#core.zeroGrad();
  }

  /**
   * v ← 0.9·v + g; θ ← θ − lr·v on the shared block and every head with a non-zero
   * gradient; then all gradients are zeroed.
   */
  step(lr: number): void {
    this.#core.step(lr);
  }

  parameters(): Float32Array {
    return this.#core.weights;
  }

  gradients(): Float32Array {
    return this.#core.gradients;
  }

  momentum(): Float32Array {
    return this.#core.momentum.slice();
  }

  state(): MultiHeadLoRAState {
    return {
      kind: 'multi-head-lora',
      dim: this.dim,
      rank: this.rank,
      alpha: this.alpha,
      types: [...this.types],
      weights: this.#core.weights.slice(),
      momentum: this.#core.momentum.slice(),
      gradients: this.#core.gradients.slice(),
    };
  }

  static fromState(state: MultiHeadLoRAState): MultiHeadLoRA {
    const record = checkObject(state, 'MultiHeadLoRAState');
    checkKind(record, 'multi-head-lora');
    assertFinite(record.alpha, 'alpha');
    checkTypes(record.types);
    const adapter = new MultiHeadLoRA(
      {
        dim: record.dim,
        rank: record.rank,
        alpha: record.alpha,
        types: record.types,
      } as MultiHeadLoRAOptions,
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

  /**
   * A new adapter with one more head, `name`, after the existing ones: every existing weight,
   * momentum and gradient is copied bit for bit, the new head's A is drawn ~ N(0, 1/dim) from
   * `rng` and its Bᵀ is zero, so it is the identity for the new head until it learns. This
   * adapter is left as it was.
   */
  withHead(name: string, rng: Rng): MultiHeadLoRA {
    const types = checkTypes([...this.types, name]);
    if (typeof rng?.normal !== 'function') {
      throw new SonaError('INVALID_ARGUMENT', 'rng must be an Rng from @sona/core', {
        path: 'rng',
      });
    }
    const grown = new MultiHeadLoRA(
      { dim: this.dim, rank: this.rank, alpha: this.alpha, types, rng },
      RESTORING,
    );
    const core = grown.#core;
    core.weights.set(this.#core.weights);
    core.momentum.set(this.#core.momentum);
    core.gradients.set(this.#core.gradients);
    const head = core.blocks[core.blocks.length - 1]!;
    const sd = 1 / Math.sqrt(this.dim);
    for (let i = 0; i < head.a.length; i++) head.a[i] = rng.normal(0, sd);
    return grown;
  }

  #headIndex(type: string): number {
    const index = this.types.indexOf(type);
    if (index < 0) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `unknown head ${String(type)}; heads: ${this.types.join(', ')}`,
        { path: 'type' },
      );
    }
    return index;
  }

  #blocksFor(type: string): readonly Block[] {
    const blocks = this.#active.get(type);
    if (blocks === undefined) this.#headIndex(type);
    return blocks!;
  }
}
