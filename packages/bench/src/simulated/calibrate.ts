import { SonaError } from '@sona/core';

/** The logistic function σ(x) = 1 / (1 + e^−x). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export interface BisectionResult {
  /** The argument found. */
  readonly x: number;
  /** f(x). */
  readonly value: number;
  readonly iterations: number;
}

/**
 * Solves f(x) = target for a continuous, non-decreasing f on [lo, hi] by bisection, until
 * |f(x) − target| ≤ tolerance or no double lies strictly between the bracket's ends. Used to
 * calibrate κ: f(κ) is the expected success rate of a uniformly random arm, increasing in κ.
 */
export function bisectIncreasing(
  f: (x: number) => number,
  target: number,
  lo: number,
  hi: number,
  tolerance = 0,
): BisectionResult {
  if (!Number.isFinite(target) || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new SonaError('INVALID_ARGUMENT', 'bisection needs a finite target and lo < hi');
  }
  let fLo = f(lo);
  let fHi = f(hi);
  if (!(fLo <= target && target <= fHi)) {
    throw new SonaError(
      'OUT_OF_RANGE',
      `target ${target} is outside [f(${lo}), f(${hi})] = [${fLo}, ${fHi}]`,
      { details: { target, lo: fLo, hi: fHi } },
    );
  }
  let iterations = 0;
  for (; iterations < 2000; iterations++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break; // no double strictly between lo and hi
    const fMid = f(mid);
    if (Math.abs(fMid - target) <= tolerance)
      return { x: mid, value: fMid, iterations: iterations + 1 };
    if (fMid < target) {
      lo = mid;
      fLo = fMid;
    } else {
      hi = mid;
      fHi = fMid;
    }
  }
  return target - fLo <= fHi - target
    ? { x: lo, value: fLo, iterations }
    : { x: hi, value: fHi, iterations };
}

/** Nodes and weights of the composite Simpson rule on [0, 1] with `intervals` (even) intervals. */
export function simpsonRule(intervals: number): { nodes: Float64Array; weights: Float64Array } {
  if (!Number.isInteger(intervals) || intervals < 2 || intervals % 2 !== 0) {
    throw new SonaError('INVALID_ARGUMENT', `Simpson needs an even number of intervals ≥ 2`);
  }
  const nodes = new Float64Array(intervals + 1);
  const weights = new Float64Array(intervals + 1);
  const h = 1 / intervals;
  for (let i = 0; i <= intervals; i++) {
    nodes[i] = i * h;
    weights[i] = (h / 3) * (i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2);
  }
  return { nodes, weights };
}
