import { SonaError } from '@sona/core';

function checkPairs(confidence: ArrayLike<number>, outcome: ArrayLike<number>): number {
  const n = confidence.length;
  if (n === 0) throw new SonaError('EMPTY_INPUT', 'calibration of no predictions');
  if (outcome.length !== n) {
    throw new SonaError('DIM_MISMATCH', `${n} confidences but ${outcome.length} outcomes`);
  }
  for (let i = 0; i < n; i++) {
    const c = confidence[i]!;
    const y = outcome[i]!;
    if (!(c >= 0 && c <= 1)) {
      throw new SonaError('OUT_OF_RANGE', `confidence ${i} is ${c}, expected 0..1`);
    }
    if (!(y >= 0 && y <= 1)) {
      throw new SonaError('OUT_OF_RANGE', `outcome ${i} is ${y}, expected 0..1`);
    }
  }
  return n;
}

/** One equal-width confidence bin of a reliability diagram. */
export interface ReliabilityBin {
  /** The bin is [lower, upper) (the last one closed). */
  readonly lower: number;
  readonly upper: number;
  /** Predictions that fell in the bin. */
  readonly count: number;
  /** Mean predicted probability of those predictions; null for an empty bin. */
  readonly meanConfidence: number | null;
  /** Mean outcome (or exact success probability) of those predictions; null for an empty bin. */
  readonly meanOutcome: number | null;
}

/**
 * The reliability diagram of predictions: `bins` equal-width confidence bins (the last one
 * closed, so confidence 1 is in it), each with its count, mean confidence and mean outcome.
 * Outcomes are 0/1, or success probabilities when the environment knows them exactly.
 */
export function reliabilityBins(
  confidence: ArrayLike<number>,
  outcome: ArrayLike<number>,
  bins = 10,
): ReliabilityBin[] {
  const n = checkPairs(confidence, outcome);
  const count = new Float64Array(bins);
  const confSum = new Float64Array(bins);
  const outSum = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const c = confidence[i]!;
    const b = Math.min(bins - 1, Math.floor(c * bins));
    count[b]! += 1;
    confSum[b]! += c;
    outSum[b]! += outcome[i]!;
  }
  return Array.from({ length: bins }, (_, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: count[b]!,
    meanConfidence: count[b]! > 0 ? confSum[b]! / count[b]! : null,
    meanOutcome: count[b]! > 0 ? outSum[b]! / count[b]! : null,
  }));
}

/** Σ_b (n_b / N) · |mean confidence_b − mean outcome_b| over the bins of a reliability diagram. */
export function eceOfBins(bins: readonly ReliabilityBin[]): number {
  let total = 0;
  for (const bin of bins) total += bin.count;
  let ece = 0;
  for (const bin of bins) {
    if (bin.count > 0)
      ece += (bin.count / total) * Math.abs(bin.meanConfidence! - bin.meanOutcome!);
  }
  return ece;
}

/**
 * Expected calibration error with `bins` equal-width confidence bins (the last bin closed):
 * Σ_b (n_b / N) · |mean confidence_b − mean outcome_b|, over `reliabilityBins`.
 *
 * Outcomes are 0/1, or success probabilities when the environment knows them: then the bin
 * accuracy is the exact expected accuracy and the ECE carries no outcome noise.
 */
export function expectedCalibrationError(
  confidence: ArrayLike<number>,
  outcome: ArrayLike<number>,
  bins = 10,
): number {
  return eceOfBins(reliabilityBins(confidence, outcome, bins));
}

/** Brier score against 0/1 outcomes: mean (confidence − outcome)². */
export function brierScore(confidence: ArrayLike<number>, outcome: ArrayLike<number>): number {
  const n = checkPairs(confidence, outcome);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (confidence[i]! - outcome[i]!) ** 2;
  return sum / n;
}

/**
 * The exact expectation of the Brier score when outcome i is Bernoulli(p_i):
 * E[(c − Y)²] = (c − p)² + p(1 − p).
 */
export function expectedBrierScore(
  confidence: ArrayLike<number>,
  probability: ArrayLike<number>,
): number {
  const n = checkPairs(confidence, probability);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const c = confidence[i]!;
    const p = probability[i]!;
    sum += (c - p) ** 2 + p * (1 - p);
  }
  return sum / n;
}
