import type { Pattern, PatternMatch } from '@sona/patterns';
import { smoothedRate } from '@sona/patterns';

/**
 * Per-pattern, per-arm success statistics in the engine's arm order: the counts extraction
 * attributed to each pattern, plus the trials the engine has seen since (each attributed, as
 * extraction does, to its most similar matching pattern), so the bank learns within an epoch
 * instead of only at its end. `extract` re-attributes everything, so `reset` after each one
 * clears the online part. Also keeps each centroid's norm for the TD gradient.
 */
export class PatternStats {
  readonly #arms: number;
  #patterns = 0;
  #successes = new Float64Array(0);
  #trials = new Float64Array(0);
  #onlineSuccesses = new Float64Array(0);
  #onlineTrials = new Float64Array(0);
  #centroidNorms = new Float64Array(0);

  constructor(arms: number) {
    this.#arms = arms;
  }

  /** Takes the extraction counts of `patterns`; `armOf` maps an arm id to the engine's index. */
  reset(patterns: readonly Pattern[], armOf: (arm: string) => number | undefined): void {
    const count = patterns.length;
    const arms = this.#arms;
    this.#patterns = count;
    this.#successes = new Float64Array(count * arms);
    this.#trials = new Float64Array(count * arms);
    this.#onlineSuccesses = new Float64Array(count * arms);
    this.#onlineTrials = new Float64Array(count * arms);
    this.#centroidNorms = new Float64Array(count);
    patterns.forEach((pattern, p) => {
      for (const record of pattern.arms) {
        const a = armOf(record.arm);
        if (a === undefined) continue;
        this.#successes[p * arms + a] = record.successes;
        this.#trials[p * arms + a] = record.trials;
      }
      let normSq = 0;
      for (const v of pattern.centroid) normSq += v * v;
      this.#centroidNorms[p] = Math.sqrt(normSq);
    });
  }

  record(pattern: number, arm: number, success: boolean): void {
    const i = pattern * this.#arms + arm;
    this.#trials[i]! += 1;
    this.#onlineTrials[i]! += 1;
    if (success) {
      this.#successes[i]! += 1;
      this.#onlineSuccesses[i]! += 1;
    }
  }

  /** Laplace's rule (s + 1)/(n + 2) over extraction and online counts. */
  rate(pattern: number, arm: number): number {
    const i = pattern * this.#arms + arm;
    return smoothedRate(this.#successes[i]!, this.#trials[i]!);
  }

  centroidNorm(pattern: number): number {
    return this.#centroidNorms[pattern]!;
  }

  /** The online part only (extraction counts come back with the pattern bank). */
  state(): { pattern: number; successes: number[]; trials: number[] }[] {
    const arms = this.#arms;
    const entries: { pattern: number; successes: number[]; trials: number[] }[] = [];
    for (let p = 0; p < this.#patterns; p++) {
      const trials = Array.from(this.#onlineTrials.subarray(p * arms, (p + 1) * arms));
      if (trials.every((n) => n === 0)) continue;
      const successes = Array.from(this.#onlineSuccesses.subarray(p * arms, (p + 1) * arms));
      entries.push({ pattern: p, successes, trials });
    }
    return entries;
  }

  /** Adds a saved online part back (after `reset` with the same patterns). */
  restoreOnline(
    entries: readonly { pattern: number; successes: number[]; trials: number[] }[],
  ): void {
    for (const e of entries) {
      for (let a = 0; a < this.#arms; a++) {
        const i = e.pattern * this.#arms + a;
        this.#onlineSuccesses[i] = e.successes[a]!;
        this.#onlineTrials[i] = e.trials[a]!;
        this.#successes[i]! += e.successes[a]!;
        this.#trials[i]! += e.trials[a]!;
      }
    }
  }
}

/**
 * Scores of every arm from the matched patterns: the match-weighted mean of each pattern's
 * smoothed success rate for the arm. With no match the caller falls back to its prior.
 */
export function scoresFromMatches(
  matches: readonly PatternMatch[],
  stats: PatternStats,
  out: Float32Array,
): void {
  let total = 0;
  for (const m of matches) total += m.weight;
  for (let a = 0; a < out.length; a++) {
    let score = 0;
    for (const m of matches) score += m.weight * stats.rate(m.pattern.id, a);
    out[a] = score / total;
  }
}

/**
 * Gradient, with respect to the adapted embedding y, of the squared TD error ½(p̂ − o)² where
 * p̂ = Σ_k w_k r_k / Σ_k w_k is the chosen arm's score, w_k = b_k·cos(y, c_k) (b_k the task-type
 * bonus) and r_k the pattern's smoothed rate for the arm. The match set is held fixed.
 *   ∂p̂/∂y = Σ_k b_k·∂cos(y, c_k)/∂y · (r_k − p̂) / Σ_k w_k,
 *   ∂cos(y, c)/∂y = c/(‖y‖‖c‖) − cos(y, c)·y/‖y‖².
 * `centroidNorms[k]` is ‖c_k‖. Computed in float64, accumulated into `out` scaled by `weight`.
 * Returns p̂.
 */
export function addTdGradient(
  y: Float32Array,
  matches: readonly PatternMatch[],
  rates: Float64Array,
  centroidNorms: Float64Array,
  outcome: number,
  weight: number,
  out: Float64Array,
): number {
  let total = 0;
  let predicted = 0;
  for (let k = 0; k < matches.length; k++) {
    total += matches[k]!.weight;
    predicted += matches[k]!.weight * rates[k]!;
  }
  predicted /= total;
  let normSqY = 0;
  for (let i = 0; i < y.length; i++) normSqY += y[i]! * y[i]!;
  const normY = Math.sqrt(normSqY);
  if (!(normY > 0)) return predicted;
  const residual = predicted - outcome; // ∂(½(p̂ − o)²)/∂p̂
  for (let k = 0; k < matches.length; k++) {
    const m = matches[k]!;
    const bonus = m.weight / m.similarity;
    const c = m.pattern.centroid;
    const normC = centroidNorms[k]!;
    if (!(normC > 0)) continue;
    const coefficient = (weight * residual * bonus * (rates[k]! - predicted)) / total;
    const cOverNorms = coefficient / (normY * normC);
    const yOverNormSq = (coefficient * m.similarity) / normSqY;
    for (let i = 0; i < y.length; i++) out[i]! += cOverNorms * c[i]! - yOverNormSq * y[i]!;
  }
  return predicted;
}
