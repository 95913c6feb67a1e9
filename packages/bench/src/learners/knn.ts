import type { Task } from '@sona/core';
import type {
  Choice,
  ChooseOptions,
  LearnerFactory,
  LearnerFactoryArgs,
  Outcome,
} from '../learner';
import { argmaxAmong, BaselineLearner, offeredIndices } from './common';

/** Textbook defaults, fixed before any run. */
export const KNN_DEFAULTS = {
  /** Neighbours per arm. */
  k: 10,
  /** Exploration rate of ε-greedy (Sutton & Barto 2018, §2.2–2.3, use ε = 0.1). */
  epsilon: 0.1,
} as const;

/** One remembered training attempt of an arm: the unit-length embedding and the outcome. */
interface Memory {
  readonly unit: Float32Array;
  readonly success: boolean;
}

/** x / ‖x‖ (computed in float64); the zero vector stays zero (cosine 0 to everything). */
export function unitVector(x: Float32Array): Float32Array {
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += x[i]! * x[i]!;
  const out = new Float32Array(x.length);
  if (sq === 0) return out;
  const inv = 1 / Math.sqrt(sq);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * inv;
  return out;
}

/**
 * The indices of the k largest values (k ≤ values.length), largest first; among equal values
 * the lower index first. O(n·k), which beats a sort for k = 10.
 */
export function topK(values: Float64Array, k: number): Int32Array {
  const out = new Int32Array(Math.min(k, values.length));
  let filled = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (filled === out.length && !(v > values[out[filled - 1]!]!)) continue;
    let j = filled < out.length ? filled++ : filled - 1;
    while (j > 0 && v > values[out[j - 1]!]!) {
      out[j] = out[j - 1]!;
      j--;
    }
    out[j] = i;
  }
  return out;
}

/**
 * k-nearest-neighbour bandit with ε-greedy exploration: it remembers every training attempt;
 * arm a's score on a task is the success rate of the k = 10 remembered attempts of arm a whose
 * embeddings have the highest cosine similarity to the task's (ties to the earlier attempt),
 * smoothed as (successes + 1) / (neighbours + 2) so an arm with few or no attempts scores near
 * 1/2. While training, with probability ε = 0.1 a uniformly random offered arm, otherwise the best
 * score (a uniform is drawn on every training choice, an arm index only when exploring). Greedy
 * (`explore: false`) takes the best score. Confidence: the chosen arm's score, in (0, 1).
 * Training tasks are picked uniformly.
 */
export class KnnLearner extends BaselineLearner {
  readonly #memory: Memory[][];

  constructor(args: LearnerFactoryArgs) {
    super(args);
    this.#memory = args.arms.map(() => []);
  }

  /** Arm a's smoothed neighbour success rate for a unit query vector. */
  #score(a: number, query: Float32Array): number {
    const memories = this.#memory[a]!;
    if (memories.length === 0) return 0.5;
    const sims = new Float64Array(memories.length);
    const d = query.length;
    for (let m = 0; m < memories.length; m++) {
      const u = memories[m]!.unit;
      let dot = 0;
      for (let i = 0; i < d; i++) dot += u[i]! * query[i]!;
      sims[m] = dot;
    }
    const nearest = topK(sims, KNN_DEFAULTS.k);
    let hits = 0;
    for (const m of nearest) if (memories[m]!.success) hits++;
    return (hits + 1) / (nearest.length + 2);
  }

  /** Every arm's score for a task (not-offered arms included, so scores align with the arms). */
  scores(task: Task): Float32Array {
    const query = unitVector(task.embedding);
    return Float32Array.from(this.#memory, (_, a) => this.#score(a, query));
  }

  choose(task: Task, options: ChooseOptions = {}): Choice {
    const { arms, rng } = this.args;
    const offered = offeredIndices(arms, options.arms);
    const scores = this.scores(task);
    let a = argmaxAmong(scores, offered);
    if (options.explore !== false && rng.uniform() < KNN_DEFAULTS.epsilon) {
      a = offered[rng.int(offered.length)]!;
    }
    return { arm: arms[a]!, confidence: scores[a]!, scores };
  }

  protected learn(task: Task, a: number, outcome: Outcome): number {
    const unit = unitVector(task.embedding);
    const confidence = Math.fround(this.#score(a, unit));
    this.#memory[a]!.push({ unit, success: outcome.success });
    return confidence;
  }

  stats(): Record<string, unknown> {
    return {
      learner: 'knn',
      k: KNN_DEFAULTS.k,
      epsilon: KNN_DEFAULTS.epsilon,
      memories: this.#memory.reduce((n, m) => n + m.length, 0),
      ...this.tally.state(),
    };
  }

  state(): unknown {
    return {
      kind: 'knn',
      tally: this.tally.state(),
      memory: this.#memory.map((memories) =>
        memories.map((m) => ({ unit: m.unit.slice(), success: m.success })),
      ),
      rng: this.args.rng.state(),
    };
  }
}

export const knnLearner: LearnerFactory = (args) => new KnnLearner(args);
