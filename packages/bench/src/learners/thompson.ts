import type { Arm, Task, Trajectory } from '@sona/core';
import type {
  Choice,
  ChooseOptions,
  EpochSummary,
  Learner,
  LearnerFactory,
  LearnerFactoryArgs,
  Outcome,
} from '../learner';
import { argmaxAmong, armIndexOf, EpochTally, offeredIndices, trajectoryOf } from './common';
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
export class ThompsonLearner implements Learner {
  readonly #args: LearnerFactoryArgs;
  readonly #counts: TypeArmCounts;
  readonly #tally = new EpochTally();

  constructor(args: LearnerFactoryArgs) {
    this.#args = args;
    this.#counts = new TypeArmCounts(args.arms.length);
  }

  choose(task: Task, options: ChooseOptions = {}): Choice {
    const { arms, rng } = this.#args;
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

  record(task: Task, arm: Arm, outcome: Outcome): Trajectory {
    const a = armIndexOf(this.#args.arms, arm);
    const confidence = this.#counts.posteriorMeans(task.type)[a]!;
    this.#counts.add(task.type, a, outcome.success);
    this.#tally.add(outcome, confidence);
    return trajectoryOf(task, arm, outcome, confidence, this.#tally.epoch + 1);
  }

  pickTask(candidates: readonly Task[]): Task {
    return this.#args.rng.pick(candidates);
  }

  endEpoch(): EpochSummary {
    return this.#tally.end();
  }

  stats(): Record<string, unknown> {
    return { learner: 'thompson', prior: 'Beta(1, 1) per task type × arm', ...this.#tally.state() };
  }

  state(): unknown {
    return {
      kind: 'thompson',
      tally: this.#tally.state(),
      counts: this.#counts.state(),
      rng: this.#args.rng.state(),
    };
  }
}

export const thompsonLearner: LearnerFactory = (args) => new ThompsonLearner(args);
