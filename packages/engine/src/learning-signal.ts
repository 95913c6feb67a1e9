import type { PatternMatch } from '@sona/patterns';
import { smoothedRate } from '@sona/patterns';

/**
 * Per-arm trial counts the engine collects between pattern extractions, so the bank learns
 * within an epoch instead of only at its end. A trajectory is attributed, as extraction does,
 * to its most similar matching pattern. `extract` re-attributes everything, so the overlay is
 * cleared after each one.
 */
export class OnlineCounts {
  readonly #arms: number;
  #successes = new Map<number, Float64Array>();
  #trials = new Map<number, Float64Array>();

  constructor(arms: number) {
    this.#arms = arms;
  }

  record(patternId: number, arm: number, success: boolean): void {
    let s = this.#successes.get(patternId);
    let n = this.#trials.get(patternId);
    if (!s || !n) {
      s = new Float64Array(this.#arms);
      n = new Float64Array(this.#arms);
      this.#successes.set(patternId, s);
      this.#trials.set(patternId, n);
    }
    n[arm]! += 1;
    if (success) s[arm]! += 1;
  }

  successes(patternId: number, arm: number): number {
    return this.#successes.get(patternId)?.[arm] ?? 0;
  }

  trials(patternId: number, arm: number): number {
    return this.#trials.get(patternId)?.[arm] ?? 0;
  }

  clear(): void {
    this.#successes.clear();
    this.#trials.clear();
  }

  state(): { pattern: number; successes: number[]; trials: number[] }[] {
    return [...this.#trials.keys()]
      .sort((a, b) => a - b)
      .map((pattern) => ({
        pattern,
        successes: Array.from(this.#successes.get(pattern)!),
        trials: Array.from(this.#trials.get(pattern)!),
      }));
  }

  static fromState(
    arms: number,
    entries: readonly { pattern: number; successes: number[]; trials: number[] }[],
  ): OnlineCounts {
    const counts = new OnlineCounts(arms);
    for (const e of entries) {
      counts.#successes.set(e.pattern, Float64Array.from(e.successes));
      counts.#trials.set(e.pattern, Float64Array.from(e.trials));
    }
    return counts;
  }
}

/** Arm statistics of one pattern (from extraction) indexed by the engine's arm order. */
export type PatternArmStats = (patternId: number, arm: number) => { s: number; n: number };

/**
 * Scores of every arm from the matched patterns: the match-weighted mean of each pattern's
 * Laplace-smoothed success rate (s + 1)/(n + 2), counting extraction statistics plus the online
 * overlay. With no match the caller falls back to its prior.
 */
export function scoresFromMatches(
  matches: readonly PatternMatch[],
  arms: number,
  stats: PatternArmStats,
  out: Float32Array,
): void {
  let total = 0;
  for (const m of matches) total += m.weight;
  for (let a = 0; a < arms; a++) {
    let score = 0;
    for (const m of matches) {
      const { s, n } = stats(m.pattern.id, a);
      score += m.weight * smoothedRate(s, n);
    }
    out[a] = score / total;
  }
}

/**
 * Gradient, with respect to the adapted embedding y, of the squared TD error ½(p̂ − o)² where
 * p̂ = Σ_k w_k r_k / Σ_k w_k is the chosen arm's score, w_k = b_k·cos(y, c_k) (b_k the task-type
 * bonus) and r_k the pattern's smoothed rate for the arm. The match set is held fixed.
 *   ∂p̂/∂y = Σ_k b_k·∂cos(y, c_k)/∂y · (r_k − p̂) / Σ_k w_k,
 *   ∂cos(y, c)/∂y = c/(‖y‖‖c‖) − cos(y, c)·y/‖y‖².
 * Computed in float64, accumulated into `out` scaled by `weight`. Returns p̂.
 */
export function addTdGradient(
  y: Float32Array,
  matches: readonly PatternMatch[],
  rates: Float64Array,
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
    let normSqC = 0;
    for (let i = 0; i < c.length; i++) normSqC += c[i]! * c[i]!;
    const normC = Math.sqrt(normSqC);
    if (!(normC > 0)) continue;
    const coefficient = (weight * residual * bonus * (rates[k]! - predicted)) / total;
    const cOverNorms = coefficient / (normY * normC);
    const yOverNormSq = (coefficient * m.similarity) / normSqY;
    for (let i = 0; i < y.length; i++) out[i]! += cOverNorms * c[i]! - yOverNormSq * y[i]!;
  }
  return predicted;
}
