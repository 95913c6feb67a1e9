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
import { sampleBeta } from './math/beta';

/**
 * Beta–Bernoulli Thompson sampling per task type × arm (Thompson 1933; Chapelle & Li 2011,
 * "An empirical evaluation of Thompson sampling"): each (type, arm) has a Beta(1, 1) prior,
 * updated to Beta(1 + successes, 1 + failures). While training, one draw per offered arm (in arm
 * order) and the highest draw is played; greedy (`explore: false`) takes the highest posterior
 * mean. Confidence: the chosen arm's posterior mean (1 + s) / (2 + n), a probability in (0, 1).
 * The embedding is not used. Training tasks are picked uniformly.
 */
export class ThompsonLearner extends BaselineLearner {
  readonly #counts: TypeArmCounts;

  constructor(args: LearnerFactoryArgs) {
    super(args);
    this.#counts = new TypeArmCounts(args.arms.length);
  }

  choose(task: Task, options: ChooseOptions = {}): Choice {
    const { arms, rng } = this.args;
    const offered = offeredIndices(arms, options.arms);
    const means = this.#counts.posteriorMeans(task.type);
    let a: number;
    if (options.explore === false) {
      a = argmaxAmong(means, offered);
    } else {
      const n = this.#counts.attempts(task.type);
      const s = this.#counts.successes(task.type);
      const draws = new Float64Array(arms.length);
      for (const i of offered) draws[i] = sampleBeta(1 + s[i]!, 1 + n[i]! - s[i]!, rng);
      a = argmaxAmong(draws, offered);
    }
    return { arm: arms[a]!, confidence: means[a]!, scores: means };
  }

  protected learn(task: Task, a: number, outcome: Outcome): number {
    const confidence = this.#counts.posteriorMeans(task.type)[a]!;
    this.#counts.add(task.type, a, outcome.success);
    return confidence;
  }

  stats(): Record<string, unknown> {
    return { learner: 'thompson', prior: 'Beta(1, 1) per task type × arm', ...this.tally.state() };
  }

  state(): unknown {
    return {
      kind: 'thompson',
      tally: this.tally.state(),
      counts: this.#counts.state(),
      rng: this.args.rng.state(),
    };
  }
}

export const thompsonLearner: LearnerFactory = (args) => new ThompsonLearner(args);
