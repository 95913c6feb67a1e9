import type { LearningRateKind } from './versions';

/**
 * Exploration temperature for epoch `epoch` of `epochs`: geometric from `start` (first epoch)
 * to `end` (last epoch). v1 keeps 1.0; v2 decays 1.0 → 0.44; v3 1.0 → 0.28 (SPEC).
 */
export function temperatureAt(
  schedule: { readonly start: number; readonly end: number },
  epoch: number,
  epochs: number,
): number {
  if (epochs <= 1 || schedule.start === schedule.end) return schedule.start;
  const progress = Math.min(1, Math.max(0, epoch / (epochs - 1)));
  return schedule.start * (schedule.end / schedule.start) ** progress;
}

/** Softmax of `scores / temperature` (shifted by the maximum for stability). */
export function softmax(
  scores: Float32Array,
  temperature: number,
  out?: Float64Array,
): Float64Array {
  const probabilities = out ?? new Float64Array(scores.length);
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]!);
  let total = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.exp((scores[i]! - max) / temperature);
    probabilities[i] = p;
    total += p;
  }
  for (let i = 0; i < scores.length; i++) probabilities[i] = probabilities[i]! / total;
  return probabilities;
}

/** Index of the highest score, the lowest index on ties. */
export function argmax(scores: Float32Array): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}

/**
 * Learning-rate schedule (SPEC "Meta learning rate"): base 0.001; the trend is this epoch's
 * training success rate minus the previous epoch's; a trend above 0.05 multiplies the rate by
 * 1.2, below −0.02 by 0.7; the rate stays within [0.1×, 3×] base.
 * - `fixed` (v1): always the base rate.
 * - `meta` (v3): rate ← clamp(rate · factor(trend)).
 * - `momentum` (v2): the step towards clamp(rate · factor(trend)) goes through a velocity:
 *   v ← 0.9·v + 0.1·(target − rate); rate ← clamp(rate + v).
 */
export const LEARNING_RATE = {
  base: 0.001,
  raiseAbove: 0.05,
  lowerBelow: -0.02,
  raise: 1.2,
  lower: 0.7,
  minFactor: 0.1,
  maxFactor: 3,
  momentum: 0.9,
} as const;

export interface LearningRateState {
  readonly rate: number;
  readonly velocity: number;
}

export function initialLearningRate(base: number = LEARNING_RATE.base): LearningRateState {
  return { rate: base, velocity: 0 };
}

export function trendFactor(trend: number): number {
  if (trend > LEARNING_RATE.raiseAbove) return LEARNING_RATE.raise;
  if (trend < LEARNING_RATE.lowerBelow) return LEARNING_RATE.lower;
  return 1;
}

function clampRate(rate: number, base: number): number {
  const { minFactor, maxFactor } = LEARNING_RATE;
  return Math.min(base * maxFactor, Math.max(base * minFactor, rate));
}

export function nextLearningRate(
  kind: LearningRateKind,
  state: LearningRateState,
  trend: number,
  base: number = LEARNING_RATE.base,
): LearningRateState {
  if (kind === 'fixed') return { rate: base, velocity: 0 };
  const target = clampRate(state.rate * trendFactor(trend), base);
  if (kind === 'meta') return { rate: target, velocity: 0 };
  const velocity =
    LEARNING_RATE.momentum * state.velocity + (1 - LEARNING_RATE.momentum) * (target - state.rate);
  return { rate: clampRate(state.rate + velocity, base), velocity };
}
