import type { Arm, Rng, Task, Trajectory, Version } from '@sona/core';

/** What `Learner.choose` returns: the arm to try, its predicted success probability and every arm's score. */
export interface ChooseResult {
  readonly arm: Arm;
  /** Predicted probability (0..1) that `arm` succeeds on the task. */
  readonly confidence: number;
  /** One score per arm, aligned with the `arms` list the learner was built with. */
  readonly scores: Float32Array;
}

export interface ChooseOptions {
  /**
   * `true` (the default) while training: the learner may explore. `false` for evaluation: the
   * greedy choice, and the call must not change the learner's state (no RNG draws, no counters),
   * so that measuring a learner never changes what it learns.
   */
  readonly explore?: boolean;
  /**
   * The arms this task offers (a non-empty subset of the learner's arms); the learner must pick
   * one of them. Absent: every arm. The replay environment passes the arms logged for a task.
   */
  readonly arms?: readonly Arm[];
}

/** What an attempt came to. */
export interface Outcome {
  readonly success: boolean;
  /** 0..1: how clearly the attempt cleared (or missed) its bar. */
  readonly quality: number;
}

/**
 * What a learner reports at the end of each training epoch. The named fields are required;
 * any further numeric fields are kept and averaged over folds in the benchmark history.
 */
export interface EpochSummary {
  /** 1 for the first epoch. */
  readonly epoch: number;
  /** Share of this epoch's training attempts that succeeded, as the learner saw them. */
  readonly successRate: number;
  /** Mean confidence of this epoch's training choices. */
  readonly meanConfidence: number;
  /** Patterns held after the epoch. */
  readonly patterns: number;
  readonly learningRate: number;
  readonly temperature: number;
  /** The difficulty the curriculum / DDA is aiming at after the epoch (0..1). */
  readonly difficulty: number;
  readonly [extra: string]: number;
}

/**
 * The seam between the benchmark and whatever learns: the SONA engine (v1/v2/v3), a baseline,
 * or a test double. The benchmark drives a learner only through these calls and never shows it
 * anything about the environment's hidden truth.
 */
export interface Learner {
  /** Picks an arm for a task. `explore: false` is the greedy, side-effect-free evaluation call. */
  choose(task: Task, options?: ChooseOptions): ChooseResult;
  /** Learns from one training attempt; returns the trajectory it stored. */
  record(task: Task, arm: Arm, outcome: Outcome): Trajectory;
  /**
   * Chooses the next training task among the candidates (curriculum / DDA live here; a learner
   * without one picks uniformly). The array is only valid during the call.
   */
  pickTask(candidates: readonly Task[]): Task;
  /** Ends a training epoch (pattern extraction, consolidation, schedules). */
  endEpoch(): EpochSummary;
  /**
   * Plain figures about the learner (reported, never trusted for results). Its scalar fields go
   * into the hashed result, so they must not depend on the clock or the machine.
   */
  stats(): Record<string, unknown>;
  /** Checkpoint content (plain data; written through @sona/checkpoint). */
  state(): unknown;
}

export interface LearnerFactoryArgs {
  readonly version: Version;
  /** Embedding dimension of the tasks. */
  readonly dim: number;
  readonly arms: readonly Arm[];
  /** Model size in billions of (activated) parameters; the LoRA rank follows from it. */
  readonly modelParamsB: number;
  /** The learner's own stream (a fork per model and fold). */
  readonly rng: Rng;
  /** Training epochs the run is planned for (schedules such as temperature depend on it). */
  readonly epochs: number;
  /** Components switched off or changed, by key (see `ABLATIONS`). */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

export type LearnerFactory = (args: LearnerFactoryArgs) => Learner;
