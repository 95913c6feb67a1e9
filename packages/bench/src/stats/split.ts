import { assertInteger, type Rng, SonaError } from '@sona/core';

/**
 * Apportions `total` units among weights: floor of each exact quota, then one more to the
 * largest fractional parts (ties to the lower index). Sums to `total`; each share is within 1
 * of its exact quota.
 */
export function largestRemainder(total: number, weights: ArrayLike<number>): Int32Array {
  assertInteger(total, 'total', 0);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw new SonaError('INVALID_ARGUMENT', `weight ${i} is ${w}: weights must be finite, ≥ 0`);
    }
    sum += w;
  }
  if (!(sum > 0)) throw new SonaError('INVALID_ARGUMENT', 'weights must have a positive sum');
  const exact = Array.from({ length: weights.length }, (_, i) => (total * weights[i]!) / sum);
  return apportion(exact, total);
}

function apportion(exact: readonly number[], total: number): Int32Array {
  const shares = new Int32Array(exact.length);
  let assigned = 0;
  for (let i = 0; i < exact.length; i++) {
    shares[i] = Math.floor(exact[i]!);
    assigned += shares[i]!;
  }
  const order = exact
    .map((q, i) => ({ i, frac: q - Math.floor(q) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let j = 0; assigned < total && j < order.length; j++, assigned++) shares[order[j]!.i]! += 1;
  return shares;
}

function groupByStratum(strata: ArrayLike<number>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < strata.length; i++) {
    const s = strata[i]!;
    if (!Number.isInteger(s)) {
      throw new SonaError('INVALID_ARGUMENT', `stratum of item ${i} is ${s}, not an integer`);
    }
    let group = groups.get(s);
    if (group === undefined) {
      group = [];
      groups.set(s, group);
    }
    group.push(i);
  }
  // Strata in ascending order, so the result does not depend on the order items appear in.
  return new Map([...groups.entries()].sort((a, b) => a[0] - b[0]));
}

export interface StratifiedSample {
  /** Indices of the sampled items, ascending. */
  readonly selected: Int32Array;
  /** Indices of the others, ascending. */
  readonly rest: Int32Array;
}

/**
 * A stratified random sample of round(fraction · n) items: each stratum contributes
 * floor or ceil of fraction × its size (largest remainder across strata), chosen at random
 * within the stratum. `strata[i]` is item i's stratum (any integers).
 */
export function stratifiedSample(
  strata: ArrayLike<number>,
  fraction: number,
  rng: Rng,
): StratifiedSample {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new SonaError('OUT_OF_RANGE', `fraction must lie in [0, 1], got ${fraction}`);
  }
  const groups = [...groupByStratum(strata).values()];
  const exact = groups.map((g) => fraction * g.length);
  const shares = apportion(exact, Math.round(fraction * strata.length));
  const isSelected = new Uint8Array(strata.length);
  groups.forEach((group, s) => {
    const shuffled = rng.shuffle([...group]);
    for (let j = 0; j < shares[s]!; j++) isSelected[shuffled[j]!] = 1;
  });
  const selected: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < strata.length; i++) (isSelected[i] ? selected : rest).push(i);
  return { selected: Int32Array.from(selected), rest: Int32Array.from(rest) };
}

/**
 * Stratified k-fold assignment: each stratum's items are shuffled and dealt round-robin, the
 * deal continuing from one stratum to the next, so every stratum's fold counts differ by at most
 * one and so do the fold sizes. Returns the fold (0..k−1) of each item.
 */
export function stratifiedFolds(strata: ArrayLike<number>, folds: number, rng: Rng): Int32Array {
  assertInteger(folds, 'folds', 1);
  const foldOf = new Int32Array(strata.length);
  let next = 0;
  for (const group of groupByStratum(strata).values()) {
    for (const item of rng.shuffle([...group])) {
      foldOf[item] = next;
      next = (next + 1) % folds;
    }
  }
  return foldOf;
}
