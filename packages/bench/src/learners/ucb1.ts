import type { Task } from '@sona/core';
import type {
  Choice,
  ChooseOptions,
  LearnerFactory,
  LearnerFactoryArgs,
  Outcome,
} from '../learner';
import { argmaxAmong, BaselineLearner, offeredIndices } from './common';
import { TypeArmCounts } from './counts';

/**
 * UCB1 per task type (Auer, Cesa-Bianchi & Fischer 2002, "Finite-time analysis of the
 * multiarmed bandit problem", Fig. 1): while training, an offered arm never tried on the type is
 * played first (lowest index); otherwise the offered arm maximising x̄_j + √(2 ln n / n_j), where
 * x̄_j is arm j's observed success rate on the type, n_j its attempts there and n all attempts on
 * the type. UCB1 draws nothing. Greedy (`explore: false`) and the confidence use the smoothed
 * estimate (1 + s_j) / (2 + n_j) (a Beta(1, 1) posterior mean: defined for untried arms, never 0
 * or 1 after one try). The embedding is not used. Training tasks are picked uniformly.
 */
export class Ucb1Learner extends BaselineLearner {
  readonly #counts: TypeArmCounts;

  constructor(args: LearnerFactoryArgs) {
    super(args);
    this.#counts = new TypeArmCounts(args.arms.length);
  }

  /** The UCB1 index of each arm on a type (+∞ for an arm never tried there). */
  indices(type: string): Float64Array {
    const n = this.#counts.attempts(type);
    const s = this.#counts.successes(type);
    const logTotal = Math.log(this.#counts.total(type));
    return Float64Array.from(n, (nj, j) =>
      nj === 0 ? Number.POSITIVE_INFINITY : s[j]! / nj + Math.sqrt((2 * logTotal) / nj),
    );
  }

  choose(task: Task, options: ChooseOptions = {}): Choice {
    const { arms } = this.args;
    const offered = offeredIndices(arms, options.arms);
    const means = this.#counts.posteriorMeans(task.type);
    const a =
      options.explore === false
        ? argmaxAmong(means, offered)
        : argmaxAmong(this.indices(task.type), offered);
    return { arm: arms[a]!, confidence: means[a]!, scores: means };
  }

  protected learn(task: Task, a: number, outcome: Outcome): number {
    const confidence = this.#counts.posteriorMeans(task.type)[a]!;
    this.#counts.add(task.type, a, outcome.success);
    return confidence;
  }

  stats(): Record<string, unknown> {
    return {
      learner: 'ucb1',
      exploration: 'sqrt(2 ln n / n_j) per task type',
      ...this.tally.state(),
    };
  }

  state(): unknown {
    return {
      kind: 'ucb1',
      tally: this.tally.state(),
      counts: this.#counts.state(),
      rng: this.args.rng.state(),
    };
  }
}

export const ucb1Learner: LearnerFactory = (args) => new Ucb1Learner(args);
