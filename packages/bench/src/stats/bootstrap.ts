import { assertInteger, type Rng, SonaError } from '@sona/core';

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_MINUS_32 = 1 / TWO_POW_32;

/** A point estimate with its two-sided confidence interval. */
export interface Estimate {
  readonly rate: number;
  readonly ci: readonly [number, number];
}

export interface BootstrapOptions {
  /** Number of resamples (≥ 1). */
  readonly resamples: number;
  /** The stream the resamples are drawn from. */
  readonly rng: Rng;
  /** Two-sided coverage, 0.95 unless told. */
  readonly level?: number;
}

/** Mean of the values, summed in index order. */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new SonaError('EMPTY_INPUT', 'mean of no values');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * Quantile by linear interpolation between order statistics (Hyndman & Fan type 7) of a sorted
 * array.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new SonaError('EMPTY_INPUT', 'quantile of no values');
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  if (h === lo) return sorted[lo]!; // an order statistic itself, bit for bit
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Percentile interval of a bootstrap distribution (sorts a copy). */
export function percentileInterval(
  distribution: ArrayLike<number>,
  level = 0.95,
): readonly [number, number] {
  const sorted = Float64Array.from(distribution).sort();
  const tail = (1 - level) / 2;
  return [quantileSorted(sorted, tail), quantileSorted(sorted, 1 - tail)];
}

/**
 * The nonparametric bootstrap over items, for several aligned columns at once: each resample
 * draws n items with replacement (as multiplicities), and every column's weighted mean over
 * the same draw is recorded. Returns, per column, the `resamples` resampled means.
 *
 * Means are Σ count_i·x_i / n in index order, so identical columns give identical means; a
 * constant column's resampled means are all exactly its `mean()` (its bootstrap distribution is
 * degenerate; summing in another order could otherwise differ from it in the last bit).
 */
export function resampleMeans(
  columns: readonly ArrayLike<number>[],
  options: BootstrapOptions,
): Float64Array[] {
  const resamples = assertInteger(options.resamples, 'resamples', 1, 10_000_000);
  if (columns.length === 0) throw new SonaError('EMPTY_INPUT', 'no columns to resample');
  const n = columns[0]!.length;
  if (n === 0) throw new SonaError('EMPTY_INPUT', 'cannot bootstrap zero items');
  if (n >= 0x20_0000) throw new SonaError('OUT_OF_RANGE', `cannot bootstrap ${n} items (< 2^21)`);
  for (let c = 0; c < columns.length; c++) {
    if (columns[c]!.length !== n) {
      throw new SonaError('DIM_MISMATCH', `column ${c} has ${columns[c]!.length} items, not ${n}`);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(columns[c]![i]!)) {
        throw new SonaError('NON_FINITE', `column ${c} item ${i} is ${columns[c]![i]}`);
      }
    }
  }
  // Monomorphic Float64Array copies keep the inner loop fast whatever array type came in.
  const data = columns.map((column) => Float64Array.from(column));
  const constant = data.map((column) => column.every((x) => x === column[0]));
  const out = columns.map(() => new Float64Array(resamples));
  const counts = new Float64Array(n);
  const rng = options.rng;
  const threshold = TWO_POW_32 % n;
  for (let b = 0; b < resamples; b++) {
    counts.fill(0);
    for (let j = 0; j < n; j++) {
      // Lemire's multiply-and-reject: an unbiased index in [0, n) from 32 random bits. The
      // product stays below 2^53 (n < 2^21), so high and low words are exact.
      let product = rng.uint32() * n;
      let high = Math.floor(product * TWO_POW_MINUS_32);
      while (product - high * TWO_POW_32 < threshold) {
        product = rng.uint32() * n;
        high = Math.floor(product * TWO_POW_MINUS_32);
      }
      counts[high]! += 1;
    }
    for (let c = 0; c < data.length; c++) {
      const column = data[c]!;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += counts[i]! * column[i]!;
      out[c]![b] = sum / n;
    }
  }
  for (let c = 0; c < data.length; c++) if (constant[c]) out[c]!.fill(mean(data[c]!));
  return out;
}

/** Mean of the values with its percentile bootstrap CI. */
export function bootstrapMean(values: ArrayLike<number>, options: BootstrapOptions): Estimate {
  const [means] = resampleMeans([values], options);
  return { rate: mean(values), ci: percentileInterval(means!, options.level) };
}

/**
 * Paired bootstrap of mean(a) − mean(b) on the same items: both columns are resampled with the
 * same draws. Identical columns give exactly 0 with the interval [0, 0].
 */
export function pairedBootstrap(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: BootstrapOptions,
): Estimate {
  const [ma, mb] = resampleMeans([a, b], options);
  const diffs = new Float64Array(ma!.length);
  for (let i = 0; i < diffs.length; i++) diffs[i] = ma![i]! - mb![i]!;
  return { rate: mean(a) - mean(b), ci: percentileInterval(diffs, options.level) };
}

/**
 * The share of the achievable gain that learning captured,
 * (mean(learned) − mean(base)) / (mean(oracle) − mean(base)), with a bootstrap CI of the ratio
 * (numerator and denominator resampled together over the same items).
 */
export function capturedShare(
  learned: ArrayLike<number>,
  base: ArrayLike<number>,
  oracle: ArrayLike<number>,
  options: BootstrapOptions,
): Estimate {
  const [ml, mb, mo] = resampleMeans([learned, base, oracle], options);
  const gap = mean(oracle) - mean(base);
  if (!(gap > 0)) {
    throw new SonaError('INVALID_STATE', 'the oracle does not beat the base: no gain to capture');
  }
  const ratios = new Float64Array(ml!.length);
  for (let i = 0; i < ratios.length; i++) {
    const resampledGap = mo![i]! - mb![i]!;
    if (!(resampledGap > 0)) {
      throw new SonaError('INVALID_STATE', 'a resample has no gain to capture (oracle = base)');
    }
    ratios[i] = (ml![i]! - mb![i]!) / resampledGap;
  }
  return {
    rate: (mean(learned) - mean(base)) / gap,
    ci: percentileInterval(ratios, options.level),
  };
}
