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
import {
  argmaxAmong,
  armIndexOf,
  clip01,
  EpochTally,
  offeredIndices,
  reward,
  trajectoryOf,
} from './common';
import { RidgeModel, withBias } from './math/ridge';

/** Textbook defaults, fixed before any run (see each learner's comment for the source). */
export const LINEAR_DEFAULTS = {
  /** LinUCB's width multiplier α (Li et al. 2010 use α as the only parameter; 1 is the usual default). */
  alpha: 1,
  /** Ridge λ: A starts as λ·I. */
  ridge: 1,
  /** Linear Thompson sampling's posterior scale v (posterior N(θ̂, v²A⁻¹)). */
  v: 1,
} as const;

/**
 * A disjoint linear model per arm (one ridge regression of success on [embedding, 1] each),
 * greedy on the ridge prediction xᵀθ̂_a; subclasses say how training explores. Confidence: the
 * chosen arm's prediction xᵀθ̂_a clipped to [0, 1] (ridge regression of a 0/1 reward estimates
 * its probability, but is not confined to [0, 1]). Training tasks are picked uniformly.
 */
abstract class DisjointLinearLearner implements Learner {
  protected readonly args: LearnerFactoryArgs;
  protected readonly models: RidgeModel[];
  readonly #x: Float64Array;
  readonly #tally = new EpochTally();

  constructor(args: LearnerFactoryArgs) {
    this.args = args;
    this.models = args.arms.map(() => new RidgeModel(args.dim + 1, LINEAR_DEFAULTS.ridge));
    this.#x = new Float64Array(args.dim + 1);
  }

  protected abstract readonly kind: string;

  /** The training score of arm `a` for the features x (may draw from the learner's stream). */
  protected abstract exploreScore(a: number, x: Float64Array): number;

  #features(task: Task): Float64Array {
    return withBias(task.embedding, this.#x);
  }

  /** Ridge predictions xᵀθ̂_a, one per arm, in double precision (the greedy choice compares these). */
  #means(x: Float64Array): Float64Array {
    return Float64Array.from(this.models, (m) => m.mean(x));
  }

  choose(task: Task, options: ChooseOptions = {}): Choice {
    const offered = offeredIndices(this.args.arms, options.arms);
    const x = this.#features(task);
    const means = this.#means(x);
    let a: number;
    if (options.explore === false) {
      a = argmaxAmong(means, offered);
    } else {
      const scores = new Float64Array(this.args.arms.length);
      for (const i of offered) scores[i] = this.exploreScore(i, x);
      a = argmaxAmong(scores, offered);
    }
    return {
      arm: this.args.arms[a]!,
      confidence: clip01(means[a]!),
      scores: Float32Array.from(means),
    };
  }

  record(task: Task, arm: Arm, outcome: Outcome): Trajectory {
    const a = armIndexOf(this.args.arms, arm);
    const x = this.#features(task);
    const confidence = clip01(Math.fround(this.models[a]!.mean(x)));
    this.models[a]!.update(x, reward(outcome));
    this.#tally.add(outcome, confidence);
    return trajectoryOf(task, arm, outcome, confidence, this.#tally.epoch + 1);
  }

  pickTask(candidates: readonly Task[]): Task {
    return this.args.rng.pick(candidates);
  }

  endEpoch(): EpochSummary {
    return this.#tally.end();
  }

  stats(): Record<string, unknown> {
    return {
      learner: this.kind,
      features: this.args.dim + 1,
      ridge: LINEAR_DEFAULTS.ridge,
      ...this.#tally.state(),
    };
  }

  state(): unknown {
    return {
      kind: this.kind,
      tally: this.#tally.state(),
      arms: this.models.map((m) => m.state()),
      rng: this.args.rng.state(),
    };
  }
}

/**
 * Disjoint LinUCB (Li, Chu, Langford & Schapire 2010, Algorithm 1) with α = 1, ridge λ = 1 and
 * features [embedding, 1]: while training, the offered arm maximising
 * xᵀθ̂_a + α·√(xᵀA_a⁻¹x) (ties to the lowest index; it draws nothing). A_a⁻¹ is kept by
 * Sherman–Morrison (`RidgeModel`).
 */
export class LinUcbLearner extends DisjointLinearLearner {
  protected readonly kind = 'linucb';

  protected exploreScore(a: number, x: Float64Array): number {
    const model = this.models[a]!;
    return model.mean(x) + LINEAR_DEFAULTS.alpha * Math.sqrt(model.variance(x));
  }

  override stats(): Record<string, unknown> {
    return { ...super.stats(), alpha: LINEAR_DEFAULTS.alpha };
  }
}

/**
 * Linear Thompson sampling (Agrawal & Goyal 2013, "Thompson sampling for contextual bandits with
 * linear payoffs"), disjoint: arm a's parameter has the posterior N(θ̂_a, v²A_a⁻¹) of ridge
 * regression on [embedding, 1] with λ = 1 and v = 1. While training, each offered arm (in arm
 * order) gets a sample of its score xᵀθ̃_a, θ̃_a drawn from that posterior; the highest is played.
 * Only xᵀθ̃_a is ever used, and it is exactly N(xᵀθ̂_a, v²·xᵀA_a⁻¹x), so that one normal is drawn
 * instead of a d-dimensional θ̃_a (the same distribution at O(d²) instead of O(d³)). The paper's
 * v = R·√(24 d ln(1/δ)/ε) is a worst-case bound; v = 1 is the customary default (TF-Agents'
 * linear bandit policy, shared by its LinUCB and LinTS, defaults to α = 1 and ridge 1) and the
 * same width LinUCB's α = 1 uses.
 */
export class LinTsLearner extends DisjointLinearLearner {
  protected readonly kind = 'lints';

  protected exploreScore(a: number, x: Float64Array): number {
    const model = this.models[a]!;
    return (
      model.mean(x) + LINEAR_DEFAULTS.v * Math.sqrt(model.variance(x)) * this.args.rng.normal()
    );
  }

  override stats(): Record<string, unknown> {
    return { ...super.stats(), v: LINEAR_DEFAULTS.v };
  }
}

export const linUcbLearner: LearnerFactory = (args) => new LinUcbLearner(args);
export const linTsLearner: LearnerFactory = (args) => new LinTsLearner(args);
