import type { Task } from '@sona/core';
import type {
  Choice,
  ChooseOptions,
  LearnerFactory,
  LearnerFactoryArgs,
  Outcome,
} from '../learner';
import { BaselineLearner, offeredIndices } from './common';

/** FNV-1a of a string, mixed with a salt: a fixed pseudo-random arm per task, without RNG draws. */
function hashString(s: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * The baseline that learns nothing: every arm uniformly at random (while training from its
 * stream; for evaluation a fixed pseudo-random arm per task, so that evaluating draws nothing),
 * among the arms the task offers when `options.arms` is given.
 * Its confidence is the chosen arm's observed success rate with Laplace smoothing, and it picks
 * training tasks uniformly. Its learned rate estimates the base rate.
 */
export class UniformRandomLearner extends BaselineLearner {
  readonly #salt: number;
  readonly #successes: Float64Array;
  readonly #attempts: Float64Array;

  constructor(args: LearnerFactoryArgs) {
    super(args);
    this.#salt = args.rng.uint32();
    this.#successes = new Float64Array(args.arms.length);
    this.#attempts = new Float64Array(args.arms.length);
  }

  #scores(): Float32Array {
    return Float32Array.from(this.#attempts, (n, a) => (this.#successes[a]! + 1) / (n + 2));
  }

  choose(task: Task, options: ChooseOptions = {}): Choice {
    const { arms, rng } = this.args;
    const offered = offeredIndices(arms, options.arms);
    const pick =
      options.explore === false
        ? hashString(task.id, this.#salt) % offered.length
        : rng.int(offered.length);
    const a = offered[pick]!;
    const scores = this.#scores();
    return { arm: arms[a]!, confidence: scores[a]!, scores };
  }

  protected learn(_task: Task, a: number, outcome: Outcome): number {
    const confidence = (this.#successes[a]! + 1) / (this.#attempts[a]! + 2);
    this.#attempts[a]! += 1;
    if (outcome.success) this.#successes[a]! += 1;
    return confidence;
  }

  stats(): Record<string, unknown> {
    let attempts = 0;
    let successes = 0;
    for (let a = 0; a < this.#attempts.length; a++) {
      attempts += this.#attempts[a]!;
      successes += this.#successes[a]!;
    }
    return { learner: 'uniform-random', epochs: this.tally.epoch, attempts, successes };
  }

  state(): unknown {
    return {
      kind: 'uniform-random',
      epoch: this.tally.epoch,
      salt: this.#salt,
      attempts: Array.from(this.#attempts),
      successes: Array.from(this.#successes),
      rng: this.args.rng.state(),
    };
  }
}

export const uniformRandomLearner: LearnerFactory = (args) => new UniformRandomLearner(args);
