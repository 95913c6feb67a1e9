import type { Version } from '@sona/core';
import type { Estimate } from '../stats/bootstrap';
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
  readonly confidence: {
    readonly mean: number;
    /** Expected calibration error, 10 equal-width bins, against exact success probabilities. */
    readonly ece: number;
    /** Expected Brier score, E[(c − Y)²] = (c − p)² + p(1 − p). */
    readonly brier: number;
  };
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
