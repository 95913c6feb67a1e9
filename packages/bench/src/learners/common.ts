/**
 * What every built-in learner shares: which arms a task offers, greedy argmax with a fixed
 * tie-break, the trajectory a `record` returns, and the per-epoch tally behind `endEpoch`.
 * The seam types come from one place (`../learner`), so moving them is one import line.
 */
import { type Arm, SonaError, type Task, type Trajectory } from '@sona/core';
import type {
  Choice,
  ChooseOptions,
  EpochSummary,
  Learner,
  LearnerFactoryArgs,
  Outcome,
} from '../learner';

/** Indices (ascending) of the offered arms, or of every arm when none are given. */
export function offeredIndices(
  arms: readonly Arm[],
  offered: readonly Arm[] | undefined,
): number[] {
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

/** The index of the learner's arm list an outcome was recorded for; an unknown arm is refused. */
export function armIndexOf(arms: readonly Arm[], arm: Arm): number {
  const index = arms.indexOf(arm);
  if (index < 0) {
    throw new SonaError('INVALID_ARGUMENT', `record: unknown arm ${String(arm)}`, { path: 'arm' });
  }
  return index;
}

/** The offered index with the highest value; ties go to the lowest index. */
export function argmaxAmong(values: ArrayLike<number>, offered: readonly number[]): number {
  let best = offered[0]!;
  for (const a of offered) if (values[a]! > values[best]!) best = a;
  return best;
}

/** A predicted success probability, clipped to [0, 1] (NaN never reaches here: inputs are finite). */
export function clip01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** The reward the baselines learn from: 1 for a success, 0 for a failure. */
export function reward(outcome: Outcome): number {
  return outcome.success ? 1 : 0;
}

/** The trajectory a learner returns from `record`: the attempt as it was, with its prediction. */
export function trajectoryOf(
  task: Task,
  arm: Arm,
  outcome: Outcome,
  confidence: number,
  epoch: number,
): Trajectory {
  return {
    taskId: task.id,
    type: task.type,
    ...(task.difficulty === undefined ? {} : { difficulty: task.difficulty }),
    embedding: task.embedding,
    arm,
    success: outcome.success,
    quality: outcome.quality ?? reward(outcome),
    confidence,
    tdError: reward(outcome) - confidence,
    epoch,
  };
}

/** Counts one epoch's attempts for `endEpoch`. */
export class EpochTally {
  #epoch = 0;
  #attempts = 0;
  #successes = 0;
  #confidence = 0;

  /** Epochs ended so far. */
  get epoch(): number {
    return this.#epoch;
  }

  add(outcome: Outcome, confidence: number): void {
    this.#attempts++;
    if (outcome.success) this.#successes++;
    this.#confidence += confidence;
  }

  /** Ends the epoch: the seam's required fields (0 rates for an epoch without outcomes). */
  end(): EpochSummary {
    this.#epoch++;
    const n = Math.max(1, this.#attempts);
    const summary: EpochSummary = {
      epoch: this.#epoch,
      attempts: this.#attempts,
      successRate: this.#successes / n,
      meanConfidence: this.#confidence / n,
    };
    this.#attempts = 0;
    this.#successes = 0;
    this.#confidence = 0;
    return summary;
  }

  state(): { epoch: number; attempts: number; successes: number } {
    return { epoch: this.#epoch, attempts: this.#attempts, successes: this.#successes };
  }
}

/**
 * The part of `Learner` every built-in baseline shares: `record` tallies the attempt and returns
 * its trajectory around the learner's own `learn`, training tasks are picked uniformly from the
 * learner's stream, `endEpoch` closes the tally.
 */
export abstract class BaselineLearner implements Learner {
  protected readonly args: LearnerFactoryArgs;
  protected readonly tally = new EpochTally();

  constructor(args: LearnerFactoryArgs) {
    this.args = args;
  }

  abstract choose(task: Task, options?: ChooseOptions): Choice;
  abstract stats(): Record<string, unknown>;
  abstract state(): unknown;

  /** Learns from the outcome of arm `a` on `task`; returns the confidence it had before. */
  protected abstract learn(task: Task, a: number, outcome: Outcome): number;

  record(task: Task, arm: Arm, outcome: Outcome): Trajectory {
    const a = armIndexOf(this.args.arms, arm);
    const confidence = this.learn(task, a, outcome);
    this.tally.add(outcome, confidence);
    return trajectoryOf(task, arm, outcome, confidence, this.tally.epoch + 1);
  }

  pickTask(candidates: readonly Task[]): Task {
    return this.args.rng.pick(candidates);
  }

  endEpoch(): EpochSummary {
    return this.tally.end();
  }
}
