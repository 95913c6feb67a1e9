import type { Bucket, Rng, Task } from '@sona/core';
import { SonaError } from '@sona/core';

/**
 * Curriculum (v2, v3): easy → medium → hard. Epoch e of E is in phase floor(3e / E): phase 0
 * offers easy tasks, phase 1 easy and medium, phase 2 all; the last epoch always offers all.
 */
export function bucketsFor(epoch: number, epochs: number): readonly Bucket[] {
  const phase = epoch >= epochs - 1 ? 2 : Math.floor((3 * epoch) / epochs);
  if (phase <= 0) return ['easy'];
  if (phase === 1) return ['easy', 'medium'];
  return ['easy', 'medium', 'hard'];
}

/** How close to the DDA target a task's difficulty must be to count as "at the target". */
export const DDA_BAND = 0.1;

export interface PickOptions {
  readonly curriculum: boolean;
  readonly dda: boolean;
  readonly epoch: number;
  readonly epochs: number;
  readonly targetDifficulty: number;
}

/**
 * The next training task. Without curriculum: uniform over all candidates. With curriculum:
 * uniform over the candidates of the allowed buckets (all candidates if none is allowed).
 * With DDA as well: uniform over the allowed candidates within ±0.1 of the target difficulty,
 * else the allowed candidate nearest to it (the first on ties).
 */
export function pickTask(candidates: readonly Task[], options: PickOptions, rng: Rng): Task {
  if (candidates.length === 0) throw new SonaError('EMPTY_INPUT', 'pickTask needs candidates');
  let pool = candidates;
  if (options.curriculum) {
    const allowed = bucketsFor(options.epoch, options.epochs);
    const inBuckets = candidates.filter((t) => allowed.includes(t.bucket));
    if (inBuckets.length > 0) pool = inBuckets;
  }
  if (options.dda) {
    const near = pool.filter((t) => Math.abs(t.difficulty - options.targetDifficulty) <= DDA_BAND);
    if (near.length > 0) return near[rng.int(near.length)]!;
    let best = pool[0]!;
    for (const task of pool) {
      if (
        Math.abs(task.difficulty - options.targetDifficulty) <
        Math.abs(best.difficulty - options.targetDifficulty)
      ) {
        best = task;
      }
    }
    return best;
  }
  return pool[rng.int(pool.length)]!;
}
