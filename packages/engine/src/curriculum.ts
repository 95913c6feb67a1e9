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
  // Counted passes instead of filtered copies: the j-th eligible candidate in order is the
  // same task `filter(...)[j]` would give, without allocating on every training step.
  const allowed = options.curriculum ? bucketsFor(options.epoch, options.epochs) : null;
  const inBuckets = (t: Task) => allowed === null || allowed.includes(t.bucket);
  let poolSize = 0;
  for (const t of candidates) if (inBuckets(t)) poolSize++;
  const inPool = poolSize > 0 ? inBuckets : () => true;
  if (poolSize === 0) poolSize = candidates.length;

  if (options.dda) {
    const target = options.targetDifficulty;
    const near = (t: Task) => inPool(t) && Math.abs(t.difficulty - target) <= DDA_BAND;
    let nearCount = 0;
    for (const t of candidates) if (near(t)) nearCount++;
    if (nearCount > 0) return nth(candidates, near, rng.int(nearCount));
    let best: Task | undefined;
    for (const t of candidates) {
      if (!inPool(t)) continue;
      if (
        best === undefined ||
        Math.abs(t.difficulty - target) < Math.abs(best.difficulty - target)
      ) {
        best = t;
      }
    }
    return best!;
  }
  return nth(candidates, inPool, rng.int(poolSize));
}

/** The `index`-th candidate (from 0) that satisfies `eligible`. */
function nth(candidates: readonly Task[], eligible: (t: Task) => boolean, index: number): Task {
  let seen = 0;
  for (const t of candidates) {
    if (!eligible(t)) continue;
    if (seen === index) return t;
    seen++;
  }
  throw new SonaError('INVALID_STATE', 'eligible candidate out of range');
}
