import {
  assertArray,
  assertInRange,
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
import { assertKind, type ItemValidator } from './state-checks';
import { assertTrajectory } from './trajectory';

/** Anything with a quality in [0, 1]. */
export interface HasQuality {
  readonly quality: number;
}

export interface PatternReplayOptions {
  /** How many of the best items are kept (default 10). */
  readonly keep?: number;
}

export interface PatternReplayState<T> {
  readonly kind: 'pattern';
  readonly keep: number;
  /** The kept items, best first (quality descending, newer first on ties). */
  readonly items: T[];
}

/**
 * v2 replay: keeps the `keep` best items seen so far by quality (ties: the newer item ranks
 * higher, so an equal-quality newcomer displaces the oldest of its tier) and samples them
 * uniformly with replacement. Indices are positions in the best-first list at sampling time.
 */
export class PatternReplay<T extends HasQuality = Trajectory> implements ReplayStrategy<T> {
  readonly keep: number;
  /** Best first. */
  readonly #items: T[] = [];

  constructor(options: PatternReplayOptions = {}) {
    const { keep = 10 } = options ?? {};
    this.keep = assertInteger(keep, 'keep', 1, 1 << 16);
  }

  get size(): number {
    return this.#items.length;
  }

  /** The kept items, best first. */
  items(): T[] {
    return this.#items.slice();
  }

  /** Offers `item`; returns whether it was kept. `tdError` is ignored. */
  add(item: T, _tdError?: number): boolean {
    if (item === null || typeof item !== 'object') {
      throw new SonaError('INVALID_ARGUMENT', 'item must be an object with a quality', {
        path: 'item',
      });
    }
    const quality = assertInRange(item.quality, 'item.quality', 0, 1);
    const items = this.#items;
    // The newcomer ranks above every kept item of equal or lower quality.
    let position = 0;
    while (position < items.length && items[position]!.quality > quality) position++;
    if (position >= this.keep) return false;
    items.splice(position, 0, item);
    if (items.length > this.keep) items.pop();
    return true;
  }

  sample(batchSize: number, rng: Rng): ReplaySample<T> {
    return sampleUniformly(this.#items, this.size, batchSize, rng);
  }

  /** Pattern replay has no priorities: the arguments are validated and nothing changes. */
  updatePriorities(indices: ArrayLike<number>, tdErrors: ArrayLike<number>): void {
    checkPriorityUpdate(indices, tdErrors, this.size);
  }

  state(): PatternReplayState<T> {
    return { kind: 'pattern', keep: this.keep, items: this.#items.slice() };
  }

  static fromState(state: PatternReplayState<Trajectory>): PatternReplay<Trajectory>;
  static fromState<T extends HasQuality>(
    state: PatternReplayState<T>,
    validateItem: ItemValidator<T>,
  ): PatternReplay<T>;
  static fromState(
    state: PatternReplayState<HasQuality>,
    validateItem: ItemValidator<HasQuality> = assertTrajectory,
  ): PatternReplay<HasQuality> {
    const s = assertRecord(state, 'state');
    assertKind(s, 'pattern', 'state');
    const replay = new PatternReplay<HasQuality>({ keep: s.keep as number });
    const items = assertArray(s.items, 'state.items');
    if (items.length > replay.keep) {
      throw new SonaError('INVALID_STATE', 'state holds more items than it keeps', {
        path: 'state.items',
      });
    }
    const checked = items.map((item, i) => {
      const valid = validateItem(item, `state.items[${i}]`);
      assertInRange(valid?.quality, `state.items[${i}].quality`, 0, 1);
      return valid;
    });
    for (let i = 1; i < checked.length; i++) {
      if (checked[i]!.quality > checked[i - 1]!.quality) {
        throw new SonaError('INVALID_STATE', 'state.items must be ordered best first', {
          path: `state.items[${i}]`,
        });
      }
    }
    replay.#items.push(...checked);
    return replay;
  }
}
