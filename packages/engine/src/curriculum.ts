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
const BUCKET_BIT: Readonly<Record<Bucket, number>> = { easy: 1, medium: 2, hard: 4 };

/** A task without a bucket belongs to every phase (only reached when curriculum is off). */
function bucketBit(task: Task): number {
  return task.bucket === undefined ? 7 : BUCKET_BIT[task.bucket];
}

/**
 * What `pickTask` can use of the candidates: curriculum needs every candidate's bucket and DDA
 * every candidate's difficulty; without them it falls back to uniform (real logs rarely have
 * either).
 */
export function usableSignals(candidates: readonly Task[]): {
  buckets: boolean;
  difficulty: boolean;
} {
  let buckets = true;
  let difficulty = true;
  for (let i = 0; i < candidates.length && (buckets || difficulty); i++) {
    const t = candidates[i]!;
    if (t.bucket === undefined) buckets = false;
    if (t.difficulty === undefined) difficulty = false;
  }
  return { buckets, difficulty };
}

export function pickTask(candidates: readonly Task[], options: PickOptions, rng: Rng): Task {
  const n = candidates.length;
  if (n === 0) throw new SonaError('EMPTY_INPUT', 'pickTask needs candidates');
  if (options.curriculum || options.dda) {
    const usable = usableSignals(candidates);
    if ((options.curriculum && !usable.buckets) || (options.dda && !usable.difficulty)) {
      return pickTask(
        candidates,
        {
          ...options,
          curriculum: options.curriculum && usable.buckets,
          dda: options.dda && usable.difficulty,
        },
        rng,
      );
    }
  }
  // Counted passes instead of filtered copies (this runs on every training step): the j-th
  // eligible candidate in order is the task `filter(...)[j]` would give.
  let allowed = 7;
  if (options.curriculum) {
    allowed = 0;
    for (const bucket of bucketsFor(options.epoch, options.epochs)) allowed |= BUCKET_BIT[bucket];
  }
  const target = options.targetDifficulty;
  let inBuckets = 0;
  let nearInBuckets = 0;
  let nearAll = 0;
  for (let i = 0; i < n; i++) {
    const t = candidates[i]!;
    const near = options.dda && Math.abs(t.difficulty! - target) <= DDA_BAND;
    if ((bucketBit(t) & allowed) !== 0) {
      inBuckets++;
      if (near) nearInBuckets++;
    }
    if (near) nearAll++;
  }
  // With no candidate in the allowed buckets, every candidate is allowed.
  const mask = inBuckets > 0 ? allowed : 7;
  if (!options.dda) return nth(candidates, mask, -1, 0, rng.int(inBuckets > 0 ? inBuckets : n));
  const nearCount = inBuckets > 0 ? nearInBuckets : nearAll;
  if (nearCount > 0) return nth(candidates, mask, target, DDA_BAND, rng.int(nearCount));
  let best: Task | undefined;
  for (let i = 0; i < n; i++) {
    const t = candidates[i]!;
    if ((bucketBit(t) & mask) === 0) continue;
    if (
      best === undefined ||
      Math.abs(t.difficulty! - target) < Math.abs(best.difficulty! - target)
    ) {
      best = t;
    }
  }
  return best!;
}

/**
 * The `index`-th candidate (from 0) whose bucket is in `mask` and, when `band` > 0, whose
 * difficulty is within `band` of `target`.
 */
function nth(
  candidates: readonly Task[],
  mask: number,
  target: number,
  band: number,
  index: number,
): Task {
  let seen = 0;
  for (let i = 0; i < candidates.length; i++) {
    const t = candidates[i]!;
    if ((bucketBit(t) & mask) === 0) continue;
    if (band > 0 && !(Math.abs(t.difficulty! - target) <= band)) continue;
    if (seen === index) return t;
    seen++;
  }
  throw new SonaError('INVALID_STATE', 'eligible candidate out of range');
}
