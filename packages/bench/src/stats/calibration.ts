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

/**
 * Expected calibration error with `bins` equal-width confidence bins (the last bin closed):
 * Σ_b (n_b / N) · |mean confidence_b − mean outcome_b|.
 *
 * Outcomes are 0/1, or success probabilities when the environment knows them: then the bin
 * accuracy is the exact expected accuracy and the ECE carries no outcome noise.
 */
export function expectedCalibrationError(
  confidence: ArrayLike<number>,
  outcome: ArrayLike<number>,
  bins = 10,
): number {
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
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b]! > 0)
      ece += (count[b]! / n) * Math.abs(confSum[b]! / count[b]! - outSum[b]! / count[b]!);
  }
  return ece;
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
