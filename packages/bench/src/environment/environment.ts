import type { Arm, Outcome, Rng, Task } from '@sona/core';

/**
 * What the learner is told after a training attempt. `bandit`: only the outcome of the arm it
 * picked. `full`: also the outcome of every other arm the task offers (drawn in arm order, so the
 * draws do not depend on the choice), the way a router is trained from logs in which every arm
 * ran on every task. Held-out tasks are judged by the chosen arm alone either way.
 */
export type Feedback = 'bandit' | 'full';
export const FEEDBACK_MODES: readonly Feedback[] = ['bandit', 'full'];

/** Indices into the environment's tasks. */
export interface FoldSplit {
  readonly train: Int32Array;
  /** Tasks the learning curve is measured on; null: on `test`. */
  readonly valid: Int32Array | null;
  readonly test: Int32Array;
}

/**
 * How a run splits the tasks. With a `holdout`, the final figures are the fold learners' greedy
 * choices on it (averaged over folds), the validation split gives the learning curve and the test
 * split the cross-validation estimate. Without one, every task is in exactly one fold's test
 * split and is scored by that fold's learner (cross-fitting); the curve is on those tasks.
 */
export interface SplitPlan {
  readonly folds: readonly FoldSplit[];
  readonly holdout: Int32Array | null;
}

/** One outcome model measured on its own: a simulated model profile, or a replayed log. */
export interface Subject {
  readonly name: string;
  /** Model size in billions of (activated) parameters: the learner's adapter rank follows it. */
  readonly paramsB: number;
  /**
   * The label its seeded streams are forked by (training, bootstrap). A model profile's name; for
   * a replayed log a fixed label, so that renaming the data file changes nothing.
   */
  readonly stream: string;
}

/**
 * Where outcomes come from. The protocol (`runJob`, `assembleResult`) is written once against this
 * interface; the simulated world and the replay of real logs are its two implementations, so the
 * next environment is one file. Everything here is deterministic in the environment's spec.
 */
export interface Environment {
  readonly kind: 'simulated' | 'replay';
  readonly simulated: boolean;
  readonly arms: readonly Arm[];
  readonly dim: number;
  readonly subjects: readonly Subject[];
  readonly taskIds: readonly string[];
  /** Each task's type label (reports, the training cost model). */
  readonly taskTypes: readonly string[];
  readonly hasCost: boolean;
  /** The root of every stream of a run (splits, training, bootstrap). */
  readonly root: Rng;
  readonly plan: SplitPlan;
  /** Fresh `Task` objects for one learner: frozen, with their own copy of the embeddings. */
  materializeTasks(): Task[];
  /** The arms task i offers (ascending indices), or null when it offers every arm. */
  offered(task: number): readonly number[] | null;
  /** The exact expected success of arm a on task i for subject s. */
  success(subject: number, task: number, arm: number): number;
  /** The expected cost of arm a on task i (0 without costs). */
  cost(subject: number, task: number, arm: number): number;
  /** One attempt of arm a on task i: its outcome, drawn from `rng`. */
  attempt(subject: number, task: number, arm: number, rng: Rng): Outcome;
}

/** The arms task i offers, as indices (every arm when the environment says null). */
export function offeredIndices(env: Environment, task: number): readonly number[] {
  return env.offered(task) ?? env.arms.map((_, a) => a);
}
