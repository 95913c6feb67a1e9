import type { Version } from '@sona/core';
import type { Estimate } from '../stats/bootstrap';
import type { ReliabilityBin } from '../stats/calibration';
import type { Mode } from './modes';

export type Verdict = 'helps' | 'no-evidence' | 'hurts';

/** 'helps' when the interval lies above 0, 'hurts' when below, otherwise 'no-evidence'. */
export function verdictOf(difference: Estimate): Verdict {
  if (difference.ci[0] > 0) return 'helps';
  if (difference.ci[1] < 0) return 'hurts';
  return 'no-evidence';
}

export interface AblationResult {
  /** Override key that switched the component off. */
  readonly key: string;
  readonly component: string;
  /** Expected success on the held-out tasks with the component off. */
  readonly learned: Estimate;
  /** Full v3 minus the ablated run, paired over the held-out tasks (> 0: the component helps). */
  readonly difference: Estimate;
  readonly verdict: Verdict;
}

export interface HistoryEntry {
  /** 0 is the untrained learner. */
  readonly epoch: number;
  /** Expected success of the greedy policy on validation tasks (every non-held-out task once). */
  readonly valid: Estimate;
  /** Epochs ≥ 1: mean over folds of what the harness measured during training. */
  readonly training: {
    readonly successRate: number;
    readonly meanDifficulty: number;
  } | null;
  /** Epochs ≥ 1: mean over folds of each numeric field of the learner's EpochSummary. */
  readonly learner: Readonly<Record<string, number>> | null;
}

/**
 * How well a learner's confidence (its predicted success probability) matches the exact success
 * probability of its choice, over every (fold learner, held-out task) pair.
 */
export interface Calibration {
  /** Mean confidence. */
  readonly mean: number;
  /** Expected calibration error over `bins`. */
  readonly ece: number;
  /** Expected Brier score, E[(c − Y)²] = (c − p)² + p(1 − p). */
  readonly brier: number;
  /** The reliability diagram: 10 equal-width confidence bins with counts and means. */
  readonly bins: readonly ReliabilityBin[];
}

/** A learner's figures over all models of a run. */
export interface LearnerSummary {
  readonly learner: string;
  /**
   * Mean over models of the held-out learned rate; its CI is a bootstrap over the held-out tasks
   * of each task's rate averaged over models (the models share the held-out tasks).
   */
  readonly learned: Estimate;
  /** Mean over models of the captured share (learned − base) / (oracle − base). */
  readonly captured: number;
  /** The largest ECE of any model. */
  readonly worstEce: number;
  /** Mean over models of the Brier score. */
  readonly meanBrier: number;
  /** Confidence pooled over every model's (fold learner, held-out task) pairs. */
  readonly calibration: Calibration;
}

/** A compared learner on one model: the same protocol, tasks and attempt streams. */
export interface ComparedModelResult {
  readonly name: string;
  readonly learned: Estimate;
  readonly captured: Estimate;
  readonly confidence: Calibration;
  /** Per held-out task: the learned policy's expected success (as `ModelResult.holdoutLearned`). */
  readonly holdoutLearned: readonly number[];
}

/** A learner run beside the main one (`compare`). */
export interface ComparedLearner {
  readonly learner: string;
  readonly description: string;
  readonly models: readonly ComparedModelResult[];
  readonly summary: LearnerSummary;
}

/** The run's learner minus a compared one, paired over the held-out tasks. */
export interface LearnerComparison {
  readonly against: string;
  readonly models: readonly {
    readonly name: string;
    readonly difference: Estimate;
    readonly verdict: Verdict;
  }[];
  /** The difference of the mean over models (each task's rate averaged over models first). */
  readonly mean: { readonly difference: Estimate; readonly verdict: Verdict };
}

export interface ModelResult {
  readonly name: string;
  readonly paramsB: number;
  /** The adapter rank the learner reports (`stats().rank`); null for a learner without one. */
  readonly loraRank: number | null;
  /** Uniformly random arm, on held-out tasks. */
  readonly base: Estimate;
  /** Greedy policy of the five fold learners (their choices averaged), on held-out tasks. */
  readonly learned: Estimate;
  /** Best arm per task, on held-out tasks. */
  readonly oracle: Estimate;
  /** learned − base, paired over held-out tasks. */
  readonly gain: Estimate;
  /** (learned − base) / (oracle − base). */
  readonly captured: Estimate;
  readonly confidence: Calibration;
  /** learned rate per billion parameters. */
  readonly efficiencyPerB: Estimate;
  /** Patterns held after the last epoch (mean over folds). */
  readonly patterns: number;
  /** Cross-validation estimate: each fold's learner on its test fold (every non-held-out task once). */
  readonly crossValidation: {
    readonly learned: Estimate;
    readonly base: Estimate;
    readonly oracle: Estimate;
  };
  readonly history: readonly HistoryEntry[];
  readonly ablations: readonly AblationResult[];
  /** Per held-out task (in `holdout.taskIds` order): the learned policy's expected success. */
  readonly holdoutLearned: readonly number[];
  /** The learner's `stats()` per fold (scalar fields). */
  readonly learnerStats: readonly Readonly<Record<string, number | string | boolean>>[];
}

export interface ProfileDescription {
  readonly name: string;
  readonly paramsB: number;
  /** Input of the profile, not a measurement. */
  readonly targetBaseRate: number;
  /** κ found by bisection so a uniformly random arm reaches `targetBaseRate`. */
  readonly kappa: number;
}

/** Everything in a result file except `resultHash` and `run` (which the hash leaves out). */
export interface BenchmarkContent {
  readonly format: 'sona-benchmark/1';
  readonly title: string;
  readonly simulated: true;
  readonly version: Version;
  readonly mode: Mode;
  readonly seed: number;
  /** Which learner produced the results: `sona` (the engine) or a named baseline. */
  readonly learner: string;
  readonly config: {
    readonly epochs: number;
    readonly tasksPerEpoch: number;
    readonly poolSize: number;
    readonly holdoutFraction: number;
    readonly holdoutTasks: number;
    readonly folds: number;
    readonly splitShares: { readonly train: number; readonly valid: number; readonly test: number };
    readonly bootstrapResamples: number;
    readonly curveResamples: number;
    readonly level: number;
    readonly calibrationBins: number;
    readonly profiles: string;
    readonly arms: readonly string[];
    /** The learners compared with (registry names, in the order given). */
    readonly compare: readonly string[];
    readonly ablations: readonly { readonly key: string; readonly component: string }[];
  };
  readonly environment: {
    readonly kind: 'simulated';
    readonly simulated: true;
    readonly description: string;
    readonly clusters: number;
    readonly parameters: unknown;
    readonly profiles: readonly ProfileDescription[];
  };
  readonly holdout: { readonly taskIds: readonly string[] };
  readonly models: readonly ModelResult[];
  /** The run's learner over all models. */
  readonly summary: LearnerSummary;
  /** Learners run beside it in the same protocol (empty unless `compare` was given). */
  readonly compared: readonly ComparedLearner[];
  /** The run's learner minus each compared learner, per model and for the mean over models. */
  readonly versus: readonly LearnerComparison[];
}

/** Wall-clock facts: excluded from `resultHash`. */
export interface RunInfo {
  readonly startedAt: string;
  readonly wallMs: number;
  readonly workers: number;
  readonly node: string;
  readonly platform: string;
}

export interface BenchmarkResult extends BenchmarkContent {
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of the content (everything but this and `run`). */
  readonly resultHash: string;
  readonly run: RunInfo;
}
