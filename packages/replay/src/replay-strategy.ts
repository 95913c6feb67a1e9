import { assertFinite, assertInteger, assertRng, type Rng, SonaError } from '@sona/core';
import { MAX_BATCH_SIZE } from './state-checks';

/** One batch drawn from a replay memory. */
export interface ReplaySample<T> {
  /** The sampled items, `batchSize` of them (an item may appear more than once). */
  readonly items: T[];
  /** Where each item sits in the memory: pass these back to `updatePriorities`. */
  readonly indices: Int32Array;
  /** Importance-sampling weight of each item, in (0, 1]; all 1 where sampling is uniform. */
  readonly weights: Float32Array;
}

/**
 * What the engine sees of a replay memory, whichever version it runs:
 * v1 `UniformReplay`, v2 `PatternReplay`, v3 `PrioritizedReplay`.
 * All randomness comes from the `Rng` passed to `sample`.
 */
export interface ReplayStrategy<T> {
  /** Items currently held. */
  readonly size: number;
  /**
   * Stores an item; `tdError` (finite) is its TD error where the strategy uses one. Returns the
   * slot the item went to (`UniformReplay`, `PrioritizedReplay`) or whether the memory kept it
   * (`PatternReplay`, which keeps only the best).
   */
  add(item: T, tdError?: number): number | boolean;
  sample(batchSize: number, rng: Rng): ReplaySample<T>;
  /** New TD errors for items of the last batch; strategies without priorities only validate. */
  updatePriorities(indices: ArrayLike<number>, tdErrors: ArrayLike<number>): void;
}

export function checkBatchRequest(batchSize: unknown, rng: unknown, size: number): void {
  assertInteger(batchSize, 'batchSize', 1, MAX_BATCH_SIZE);
  assertRng(rng);
  if (size === 0) throw new SonaError('EMPTY_INPUT', 'cannot sample from an empty replay memory');
}

/** Validates an `updatePriorities` call against a memory holding `size` items. */
export function checkPriorityUpdate(
  indices: ArrayLike<number>,
  tdErrors: ArrayLike<number>,
  size: number,
): void {
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') {
    throw new SonaError('INVALID_ARGUMENT', 'indices must be an array or typed array', {
      path: 'indices',
    });
  }
  if (tdErrors === null || typeof tdErrors !== 'object' || typeof tdErrors.length !== 'number') {
    throw new SonaError('INVALID_ARGUMENT', 'tdErrors must be an array or typed array', {
      path: 'tdErrors',
    });
  }
  if (indices.length !== tdErrors.length) {
    throw new SonaError(
      'DIM_MISMATCH',
      `${indices.length} indices but ${tdErrors.length} TD errors`,
      { details: { indices: indices.length, tdErrors: tdErrors.length } },
    );
  }
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    // Fast test first; the shared checks (which build the error message) only on failure.
    if (!(Number.isInteger(index) && index >= 0 && index < size)) {
      assertInteger(index, `indices[${i}]`, 0, size - 1);
    }
    const tdError = tdErrors[i]!;
    if (typeof tdError !== 'number' || tdError - tdError !== 0) {
      assertFinite(tdError, `tdErrors[${i}]`);
    }
  }
}

/** `batchSize` items drawn uniformly with replacement, all with weight 1. */
export function sampleUniformly<T>(
  items: readonly T[],
  size: number,
  batchSize: number,
  rng: Rng,
): ReplaySample<T> {
  checkBatchRequest(batchSize, rng, size);
  const drawn = new Array<T>(batchSize);
  const indices = new Int32Array(batchSize);
  for (let k = 0; k < batchSize; k++) {
    const index = rng.int(size);
    indices[k] = index;
    drawn[k] = items[index]!;
  }
  return { items: drawn, indices, weights: new Float32Array(batchSize).fill(1) };
}
