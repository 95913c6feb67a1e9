import {
  assertArray,
  assertFinite,
  assertInteger,
  assertRecord,
  type Rng,
  SonaError,
  type Trajectory,
} from '@sona/core';
import {
  checkPriorityUpdate,
  type ReplaySample,
  type ReplayStrategy,
  sampleUniformly,
} from './replay-strategy';
import { assertKind, type ItemValidator, MAX_CAPACITY } from './state-checks';
import { assertTrajectory } from './trajectory';

export interface UniformReplayOptions {
  /** Slots in the ring buffer (default 10,000). */
  readonly capacity?: number;
}

export interface UniformReplayState<T> {
  readonly kind: 'uniform';
  readonly capacity: number;
  /** Items by slot, slots 0 .. size-1. */
  readonly items: T[];
  readonly nextSlot: number;
}

/**
 * v1 replay: a ring buffer (when full, `add` overwrites the oldest slot) sampled uniformly
 * with replacement, one `rng.int(size)` per item. Weights are all 1; TD errors are validated
 * and otherwise ignored.
 */
export class UniformReplay<T = Trajectory> implements ReplayStrategy<T> {
  readonly capacity: number;
  readonly #items: T[] = [];
  #nextSlot = 0;

  constructor(options: UniformReplayOptions = {}) {
    const { capacity = 10_000 } = options ?? {};
    this.capacity = assertInteger(capacity, 'capacity', 1, MAX_CAPACITY);
  }

  get size(): number {
    return this.#items.length;
  }

  get(index: number): T {
    assertInteger(index, 'index', 0, this.size - 1);
    return this.#items[index]!;
  }

  /** Stores `item` and returns its slot. */
  add(item: T, tdError?: number): number {
    if (tdError !== undefined) assertFinite(tdError, 'tdError');
    const slot = this.#nextSlot;
    this.#items[slot] = item;
    this.#nextSlot = slot + 1 === this.capacity ? 0 : slot + 1;
    return slot;
  }

  sample(batchSize: number, rng: Rng): ReplaySample<T> {
    return sampleUniformly(this.#items, this.size, batchSize, rng);
  }

  /** Uniform replay has no priorities: the arguments are validated and nothing changes. */
  updatePriorities(indices: ArrayLike<number>, tdErrors: ArrayLike<number>): void {
    checkPriorityUpdate(indices, tdErrors, this.size);
  }

  state(): UniformReplayState<T> {
    return {
      kind: 'uniform',
      capacity: this.capacity,
      items: this.#items.slice(),
      nextSlot: this.#nextSlot,
    };
  }

  static fromState(state: UniformReplayState<Trajectory>): UniformReplay<Trajectory>;
  static fromState<T>(
    state: UniformReplayState<T>,
    validateItem: ItemValidator<T>,
  ): UniformReplay<T>;
  static fromState(
    state: UniformReplayState<unknown>,
    validateItem: ItemValidator<unknown> = assertTrajectory,
  ): UniformReplay<unknown> {
    const s = assertRecord(state, 'state');
    assertKind(s, 'uniform', 'state');
    const replay = new UniformReplay<unknown>({ capacity: s.capacity as number });
    const items = assertArray(s.items, 'state.items');
    if (items.length > replay.capacity) {
      throw new SonaError('INVALID_STATE', 'state holds more items than its capacity', {
        path: 'state.items',
      });
    }
    const nextSlot = assertInteger(s.nextSlot, 'state.nextSlot', 0, replay.capacity - 1);
    if (items.length < replay.capacity && nextSlot !== items.length) {
      throw new SonaError('INVALID_STATE', 'state.nextSlot must equal the size until full', {
        path: 'state.nextSlot',
      });
    }
    items.forEach((item, i) => {
      replay.#items.push(validateItem(item, `state.items[${i}]`));
    });
    replay.#nextSlot = nextSlot;
    return replay;
  }
}
