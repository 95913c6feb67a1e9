import { type Arm, SonaError, type Task, type Trajectory } from '@sona/core';
import type {
  Choice,
  ChooseOptions,
  EpochSummary,
  Learner,
  LearnerFactory,
  LearnerFactoryArgs,
  Outcome,
} from '../learner';

/** FNV-1a of a string, mixed with a salt: a fixed pseudo-random arm per task, without RNG draws. */
function hashString(s: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/** Indices (ascending) of the offered arms, or of every arm when none are given. */
function offeredIndices(arms: readonly Arm[], offered: readonly Arm[] | undefined): number[] {
  if (offered === undefined) return arms.map((_, i) => i);
  if (!Array.isArray(offered) || offered.length === 0) {
    throw new SonaError('INVALID_ARGUMENT', 'options.arms must be a non-empty array of arms', {
      path: 'options.arms',
    });
  }
  const indices = new Set<number>();
  for (const arm of offered) {
    const index = arms.indexOf(arm);
    if (index < 0) {
      throw new SonaError('INVALID_ARGUMENT', `unknown arm ${String(arm)}`, {
        path: 'options.arms',
      });
    }
    indices.add(index);
  }
  return [...indices].sort((a, b) => a - b);
}

/**
 * The baseline that learns nothing: every arm uniformly at random (while training from its
 * stream; for evaluation a fixed pseudo-random arm per task, so that evaluating draws nothing),
 * among the arms the task offers when `options.arms` is given.
 * Its confidence is the chosen arm's observed success rate with Laplace smoothing, and it picks
 * training tasks uniformly. Its learned rate estimates the base rate.
 */
export class UniformRandomLearner implements Learner {
  readonly #args: LearnerFactoryArgs;
  readonly #salt: number;
  readonly #successes: Float64Array;
  readonly #attempts: Float64Array;
  #epoch = 0;
  #epochAttempts = 0;
  #epochSuccesses = 0;
  #epochConfidence = 0;
  #epochDifficulty = 0;

  constructor(args: LearnerFactoryArgs) {
    this.#args = args;
    this.#salt = args.rng.uint32();
    this.#successes = new Float64Array(args.arms.length);
    this.#attempts = new Float64Array(args.arms.length);
  }

  #scores(): Float32Array {
    return Float32Array.from(this.#attempts, (n, a) => (this.#successes[a]! + 1) / (n + 2));
  }

  choose(task: Task, options: ChooseOptions = {}): Choice {
    const { arms, rng } = this.#args;
    const offered = offeredIndices(arms, options.arms);
    const pick =
      options.explore === false
        ? hashString(task.id, this.#salt) % offered.length
        : rng.int(offered.length);
    const a = offered[pick]!;
    const scores = this.#scores();
    return { arm: arms[a]!, confidence: scores[a]!, scores };
  }

  record(task: Task, arm: string, outcome: Outcome): Trajectory {
    const a = this.#args.arms.indexOf(arm);
    const confidence = (this.#successes[a]! + 1) / (this.#attempts[a]! + 2);
    this.#attempts[a]! += 1;
    if (outcome.success) this.#successes[a]! += 1;
    this.#epochAttempts++;
    if (outcome.success) this.#epochSuccesses++;
    this.#epochConfidence += confidence;
    this.#epochDifficulty += task.difficulty ?? 0;
    return {
      taskId: task.id,
      type: task.type,
      ...(task.difficulty === undefined ? {} : { difficulty: task.difficulty }),
      embedding: task.embedding,
      arm,
      success: outcome.success,
      quality: outcome.quality ?? (outcome.success ? 1 : 0),
      confidence,
      tdError: (outcome.success ? 1 : 0) - confidence,
      epoch: this.#epoch + 1,
    };
  }

  pickTask(candidates: readonly Task[]): Task {
    return this.#args.rng.pick(candidates);
  }

  endEpoch(): EpochSummary {
    this.#epoch++;
    const n = Math.max(1, this.#epochAttempts);
    const summary: EpochSummary = {
      epoch: this.#epoch,
      attempts: this.#epochAttempts,
      successRate: this.#epochSuccesses / n,
      meanConfidence: this.#epochConfidence / n,
      patterns: 0,
      learningRate: 0,
      temperature: 0,
      difficulty: this.#epochDifficulty / n,
    };
    this.#epochAttempts = 0;
    this.#epochSuccesses = 0;
    this.#epochConfidence = 0;
    this.#epochDifficulty = 0;
    return summary;
  }

  stats(): Record<string, unknown> {
    let attempts = 0;
    let successes = 0;
    for (let a = 0; a < this.#attempts.length; a++) {
      attempts += this.#attempts[a]!;
      successes += this.#successes[a]!;
    }
    return { learner: 'uniform-random', epochs: this.#epoch, attempts, successes };
  }

  state(): unknown {
    return {
      kind: 'uniform-random',
      epoch: this.#epoch,
      salt: this.#salt,
      attempts: Array.from(this.#attempts),
      successes: Array.from(this.#successes),
      rng: this.#args.rng.state(),
    };
  }
}

export const uniformRandomLearner: LearnerFactory = (args) => new UniformRandomLearner(args);
