import type { Arm, Task, Trajectory } from './types';

/** What a learner's `choose` returns. */
export interface Choice {
  readonly arm: Arm;
  /** Predicted probability (0..1) that `arm` succeeds on the task. */
  readonly confidence: number;
  /** One predicted success probability per arm, aligned with the learner's arm list. */
  readonly scores: Float32Array;
}

export interface ChooseOptions {
  /**
   * `true` (the default) while learning: the learner may explore. `false` for evaluation and
   * serving the best-known arm: the greedy choice, and the call changes no state (no random
   * draws, no counters), so that measuring a learner never changes what it learns.
   */
  readonly explore?: boolean;
  /** Only these arms may be picked (a non-empty subset of the learner's arms); absent: all. */
  readonly arms?: readonly Arm[];
}

/** What an attempt came to. */
export interface Outcome {
  readonly success: boolean;
  /** 0..1: how clearly the attempt cleared (or missed) its bar; default 1 for a success, 0 for a failure. */
  readonly quality?: number;
}

/**
 * What a learner reports at the end of each training epoch. The named fields are required; any
 * further numeric fields (patterns, learning rate, temperature, ...) are the learner's own.
 */
export interface EpochSummary {
  /** The epoch that ended, counted from 1. */
  readonly epoch: number;
  /** Outcomes recorded during the epoch. */
  readonly attempts: number;
  /** Share of this epoch's recorded outcomes that succeeded (0 for an epoch with none). */
  readonly successRate: number;
  /** Mean confidence of this epoch's recorded outcomes (0 for an epoch with none). */
  readonly meanConfidence: number;
  readonly [extra: string]: number;
}

/** An outcome of the learner's own greedy choice on a task it did not learn from. */
export interface CalibrationSample {
  readonly task: Task;
  readonly arm: Arm;
  readonly outcome: Outcome;
}

/**
 * The seam between whatever drives attempts (a benchmark, a service, an agent loop) and whatever
 * learns from them: the SONA engine, a baseline, a test double.
 */
export interface Learner {
  /** Picks an arm for a task. `explore: false` is the greedy, side-effect-free call. */
  choose(task: Task, options?: ChooseOptions): Choice;
  /** Learns from one attempt; returns the trajectory it stored. */
  record(task: Task, arm: Arm, outcome: Outcome): Trajectory;
  /**
   * The next training task among the candidates (curriculum lives here; a learner without one
   * picks uniformly). The array is only valid during the call.
   */
  pickTask(candidates: readonly Task[]): Task;
  /** Ends a training epoch. */
  endEpoch(): EpochSummary;
  /** Plain figures about the learner (reported, never trusted for results). */
  stats(): Record<string, unknown>;
  /** Everything the learner holds, as plain data. */
  state(): unknown;
  /**
   * Optional: fits how the learner's confidence maps to observed success on held-out outcomes
   * of its greedy choices (for example a validation split). It must change only the reported
   * confidences and scores, never which arm is chosen.
   */
  calibrate?(samples: readonly CalibrationSample[]): void;
}
