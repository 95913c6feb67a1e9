import {
  assertArray,
  assertFinite,
  assertInRange,
  assertInteger,
  assertRecord,
  type Rng,
  SonaError,
  type Trajectory,
} from '@sona/core';
import { PriorityTrees } from './priority-trees';
import {
  checkBatchRequest,
  checkPriorityUpdate,
  type ReplaySample,
  type ReplayStrategy,
} from './replay-strategy';
import { assertKind, type ItemValidator, MAX_CAPACITY } from './state-checks';
import { assertTrajectory } from './trajectory';

export interface PrioritizedReplayOptions {
  /** Slots in the ring buffer (default 10,000). */
  readonly capacity?: number;
  /** Priority exponent α in [0, 1] (default 0.6; 0 is uniform sampling). */
  readonly alpha?: number;
  /** Importance-sampling exponent β at the first sample call, in [0, 1] (default 0.4). */
  readonly beta0?: number;
  /** Added to β after every sample call, β capped at 1 (default 0.001). */
  readonly betaStep?: number;
  /** ε > 0 added to |δ| so no item has priority 0 (default 0.01). */
  readonly epsilon?: number;
}

/** Plain-data snapshot of a `PrioritizedReplay`; `fromState` continues it exactly. */
export interface PrioritizedReplayState<T> {
  readonly kind: 'prioritized';
  readonly capacity: number;
  readonly alpha: number;
  readonly beta0: number;
  readonly betaStep: number;
  readonly epsilon: number;
  /** Items by slot, slots 0 .. size-1. */
  readonly items: T[];
  /** Priority of each slot, aligned with `items`. */
  readonly priorities: number[];
  /** The slot the next `add` writes. */
  readonly nextSlot: number;
  readonly maxPriority: number;
  /** Sample calls made so far: β = min(1, beta0 + betaStep · sampleCalls). */
  readonly sampleCalls: number;
}

/**
 * Proportional prioritized experience replay (Schaul et al. 2016) over a sum-tree and a
 * min-tree: O(log n) per add, per priority update and per sampled item.
 *
 * - Priority of an item with TD error δ: `p = (|δ| + ε)^α`; P(i) = p_i / Σ p.
 * - `add(item)` without a TD error gives the item the running maximum priority: the largest
 *   priority ever assigned in this memory, 1 before any (so a new item is likely to be replayed
 *   at least once). `add(item, δ)` uses δ's priority instead.
 * - When full, `add` overwrites the oldest slot (a ring buffer: slot `nextSlot`, which advances
 *   0, 1, ..., capacity − 1, 0, ...). Indices from an earlier batch then name the new item.
 * - Sampling is stratified: the total priority is cut into `batchSize` equal segments and one
 *   uniform draw is taken inside each, so item k of a batch comes from segment k.
 * - Importance weight `w_i = (N·P(i))^−β / max_j (N·P(j))^−β = (p_min / p_i)^β` where p_min is
 *   the smallest priority in the memory (the min-tree), so weights are in (0, 1] and exactly 1
 *   for an item holding the smallest priority.
 * - β = min(1, beta0 + betaStep · calls) where calls counts earlier `sample` calls: the first
 *   call uses beta0.
 */
export class PrioritizedReplay<T = Trajectory> implements ReplayStrategy<T> {
  readonly capacity: number;
  readonly alpha: number;
  readonly beta0: number;
  readonly betaStep: number;
  readonly epsilon: number;
  readonly #items: T[] = [];
  readonly #trees: PriorityTrees;
  /** Priorities above this would let the total overflow to infinity. */
  readonly #priorityLimit: number;
  #nextSlot = 0;
  #maxPriority = 1;
  #sampleCalls = 0;

  constructor(options: PrioritizedReplayOptions = {}) {
    const {
      capacity = 10_000,
      alpha = 0.6,
      beta0 = 0.4,
      betaStep = 0.001,
      epsilon = 0.01,
    } = options ?? {};
    this.capacity = assertInteger(capacity, 'capacity', 1, MAX_CAPACITY);
    this.alpha = assertInRange(alpha, 'alpha', 0, 1);
    this.beta0 = assertInRange(beta0, 'beta0', 0, 1);
    this.betaStep = assertInRange(betaStep, 'betaStep', 0, 1);
    this.epsilon = assertFinite(epsilon, 'epsilon');
    if (!(epsilon > 0) || !(epsilon ** alpha > 0)) {
      throw new SonaError('OUT_OF_RANGE', `epsilon must be > 0 with epsilon^alpha > 0`, {
        path: 'epsilon',
      });
    }
    this.#trees = new PriorityTrees(this.capacity);
    this.#priorityLimit = Number.MAX_VALUE / this.capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  /** β the next `sample` call will use. */
  get beta(): number {
    return Math.min(1, this.beta0 + this.betaStep * this.#sampleCalls);
  }

  /** Priority a new item gets from `add(item)` without a TD error. */
  get maxPriority(): number {
    return this.#maxPriority;
  }

  get totalPriority(): number {
    return this.#trees.total;
  }

  /** Smallest priority held (+Infinity when empty). */
  get minPriority(): number {
    return this.#trees.min;
  }

  /** `(|δ| + ε)^α`. */
  priorityOf(tdError: number): number {
    return (Math.abs(assertFinite(tdError, 'tdError')) + this.epsilon) ** this.alpha;
  }

  /** Priority of the item in slot `index`. */
  priority(index: number): number {
    assertInteger(index, 'index', 0, this.size - 1);
    return this.#trees.get(index);
  }

  /** The item in slot `index`. */
  get(index: number): T {
    assertInteger(index, 'index', 0, this.size - 1);
    return this.#items[index]!;
  }

  /** Stores `item` and returns its slot. */
  add(item: T, tdError?: number): number {
    const priority = tdError === undefined ? this.#maxPriority : this.#checkedPriority(tdError);
    const slot = this.#nextSlot;
    this.#items[slot] = item;
    this.#setPriority(slot, priority);
    this.#nextSlot = slot + 1 === this.capacity ? 0 : slot + 1;
    return slot;
  }

  sample(batchSize: number, rng: Rng): ReplaySample<T> {
    checkBatchRequest(batchSize, rng, this.size);
    const trees = this.#trees;
    const beta = this.beta;
    const segment = trees.total / batchSize;
    const minPriority = trees.min;
    const items = new Array<T>(batchSize);
    const indices = new Int32Array(batchSize);
    const weights = new Float32Array(batchSize);
    for (let k = 0; k < batchSize; k++) {
      const index = trees.find((k + rng.uniform()) * segment);
      indices[k] = index;
      items[k] = this.#items[index]!;
      // (N·P(i))^-β / max_j (N·P(j))^-β simplifies to (p_min / p_i)^β: N and the total cancel.
      weights[k] = (minPriority / trees.get(index)) ** beta;
    }
    this.#sampleCalls++;
    return { items, indices, weights };
  }

  /** Sets each listed slot's priority from its new TD error; a repeated index keeps the last. */
  updatePriorities(indices: ArrayLike<number>, tdErrors: ArrayLike<number>): void {
    checkPriorityUpdate(indices, tdErrors, this.size);
    const priorities = new Float64Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const priority = (Math.abs(tdErrors[i]!) + this.epsilon) ** this.alpha;
      priorities[i] =
        priority <= this.#priorityLimit
          ? priority
          : this.#checkedPriority(tdErrors[i]!, `tdErrors[${i}]`);
    }
    for (let i = 0; i < indices.length; i++) this.#setPriority(indices[i]!, priorities[i]!);
  }

  state(): PrioritizedReplayState<T> {
    const priorities = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) priorities[i] = this.#trees.get(i);
    return {
      kind: 'prioritized',
      capacity: this.capacity,
      alpha: this.alpha,
      beta0: this.beta0,
      betaStep: this.betaStep,
      epsilon: this.epsilon,
      items: this.#items.slice(),
      priorities,
      nextSlot: this.#nextSlot,
      maxPriority: this.#maxPriority,
      sampleCalls: this.#sampleCalls,
    };
  }

  /**
   * Rebuilds a memory from `state()`. Items are checked with `validateItem`
   * (default: `assertTrajectory`, for the default item type).
   */
  static fromState(state: PrioritizedReplayState<Trajectory>): PrioritizedReplay<Trajectory>;
  static fromState<T>(
    state: PrioritizedReplayState<T>,
    validateItem: ItemValidator<T>,
  ): PrioritizedReplay<T>;
  static fromState(
    state: PrioritizedReplayState<unknown>,
    validateItem: ItemValidator<unknown> = assertTrajectory,
  ): PrioritizedReplay<unknown> {
    const s = assertRecord(state, 'state');
    assertKind(s, 'prioritized', 'state');
    const replay = new PrioritizedReplay<unknown>({
      capacity: s.capacity as number,
      alpha: s.alpha as number,
      beta0: s.beta0 as number,
      betaStep: s.betaStep as number,
      epsilon: s.epsilon as number,
    });
    const items = assertArray(s.items, 'state.items');
    const priorities = assertArray(s.priorities, 'state.priorities');
    if (items.length > replay.capacity || priorities.length !== items.length) {
      throw new SonaError(
        'INVALID_STATE',
        `state holds ${items.length} items and ${priorities.length} priorities for capacity ${replay.capacity}`,
        { path: 'state.items' },
      );
    }
    const size = items.length;
    const nextSlot = assertInteger(s.nextSlot, 'state.nextSlot', 0, replay.capacity - 1);
    if (size < replay.capacity && nextSlot !== size) {
      throw new SonaError('INVALID_STATE', 'state.nextSlot must equal the size until full', {
        path: 'state.nextSlot',
      });
    }
    const maxPriority = replay.#checkPriorityValue(s.maxPriority, 'state.maxPriority');
    if (maxPriority < 1) {
      throw new SonaError('INVALID_STATE', 'state.maxPriority starts at 1 and never falls', {
        path: 'state.maxPriority',
      });
    }
    const sampleCalls = assertInteger(s.sampleCalls, 'state.sampleCalls', 0);
    for (let i = 0; i < size; i++) {
      const priority = replay.#checkPriorityValue(priorities[i], `state.priorities[${i}]`);
      if (priority > maxPriority) {
        throw new SonaError('INVALID_STATE', `state.priorities[${i}] exceeds maxPriority`, {
          path: `state.priorities[${i}]`,
        });
      }
      replay.#items.push(validateItem(items[i], `state.items[${i}]`));
      replay.#trees.set(i, priority);
    }
    replay.#nextSlot = nextSlot;
    replay.#maxPriority = maxPriority;
    replay.#sampleCalls = sampleCalls;
    return replay;
  }

  #checkedPriority(tdError: number, name = 'tdError'): number {
    const priority = (Math.abs(assertFinite(tdError, name)) + this.epsilon) ** this.alpha;
    if (!(priority <= this.#priorityLimit)) {
      throw new SonaError('OUT_OF_RANGE', `${name} is too large: its priority would overflow`, {
        path: name,
      });
    }
    return priority;
  }

  #checkPriorityValue(value: unknown, path: string): number {
    const priority = assertFinite(value, path);
    if (!(priority > 0) || priority > this.#priorityLimit) {
      throw new SonaError('OUT_OF_RANGE', `${path} must be a positive priority`, { path });
    }
    return priority;
  }

  #setPriority(slot: number, priority: number): void {
    this.#trees.set(slot, priority);
    if (priority > this.#maxPriority) this.#maxPriority = priority;
  }
}
