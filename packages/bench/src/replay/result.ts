import type { Version } from '@sona/core';
import type { Mode } from '../protocol/modes';
import type { RunInfo, Verdict } from '../protocol/result';
import type { Estimate } from '../stats/bootstrap';
import type { MalformedLine, ReplaySource, TypeAssignment } from './data';
import type { FieldMapping } from './fields';

export type PolicyKind = 'always' | 'random' | 'oracle' | 'learned';

/** A policy scored on held-out tasks by the exact mean of the logged outcomes of its choices. */
export interface PolicyResult {
  /** `always:<arm>`, `random`, `oracle`, or the learned policy (`sona:v3`, ...). */
  readonly name: string;
  readonly kind: PolicyKind;
  /** Tasks it is scored on: every task, except `always:<arm>` (the tasks that logged the arm). */
  readonly tasks: number;
  /** Expected pass rate on those tasks. */
  readonly rate: number;
  /** 95% percentile bootstrap CI over those tasks. */
  readonly ci: readonly [number, number];
  /** Mean over those tasks of the expected cost of the choice; null without a cost field. */
  readonly meanCost: number | null;
  readonly costCi: readonly [number, number] | null;
  /** rate − w·meanCost with its CI, when a cost weight w > 0 is set; else null. */
  readonly utility: Estimate | null;
}

/** Learned minus a baseline, paired over the tasks both are scored on. */
export interface PolicyComparison {
  readonly against: string;
  readonly tasks: number;
  readonly difference: Estimate;
  readonly verdict: Verdict;
  /** With a cost weight w > 0: the same for pass − w·cost per task; else null. */
  readonly utility: Estimate | null;
}

export interface ReplayHistoryEntry {
  /** 0 is the untrained learner. */
  readonly epoch: number;
  /** Expected pass rate of the greedy policy on the held-out tasks (each by its fold's learner). */
  readonly heldOut: Estimate;
  /** Epochs ≥ 1: mean over folds of the share of training attempts whose drawn trial succeeded. */
  readonly trainSuccessRate: number | null;
}

export interface ReplayTaskReport {
  readonly id: string;
  readonly label: string | null;
  readonly type: string;
  readonly embeddedFrom: 'embedding' | 'text' | 'id';
  readonly fold: number;
  readonly arms: readonly {
    readonly arm: string;
    readonly trials: number;
    readonly successRate: number;
    readonly meanCost: number | null;
  }[];
  /** What the learned policy chose when the task was held out, and its confidence. */
  readonly learnedArm: string;
  readonly confidence: number;
  /** Mean logged success and cost of that arm on this task. */
  readonly learnedSuccess: number;
  readonly learnedCost: number | null;
}

export interface ReplayContent {
  readonly format: 'sona-replay/1';
  readonly title: string;
  readonly simulated: false;
  readonly version: Version;
  readonly mode: Mode;
  readonly seed: number;
  readonly learner: string;
  readonly config: {
    readonly epochs: number;
    readonly tasksPerEpoch: number;
    readonly folds: number;
    readonly requestedFolds: number;
    readonly bootstrapResamples: number;
    readonly curveResamples: number;
    readonly level: number;
    readonly calibrationBins: number;
    readonly costWeight: number;
    /** Model size the adapter rank follows (v2, v3). */
    readonly modelParamsB: number;
    readonly taskDifficulty: number;
    readonly taskBucket: string;
    readonly successThreshold: number;
    readonly dim: number;
  };
  readonly environment: {
    readonly kind: 'replay';
    readonly simulated: false;
    readonly description: string;
    readonly source: ReplaySource;
    readonly fields: FieldMapping;
    readonly rowsUsed: number;
    readonly rowsSkipped: number;
    readonly skipped: {
      readonly noOutcome: number;
      readonly noCost: number;
      readonly malformed: number;
    };
    readonly malformedLines: readonly MalformedLine[];
    readonly tasks: number;
    readonly arms: readonly string[];
    readonly folds: number;
    readonly typeMap: readonly TypeAssignment[];
    readonly embeddings: { readonly embedding: number; readonly text: number; readonly id: number };
  };
  /** Plain statements about how far these figures can be trusted (few tasks, wide CIs, ...). */
  readonly caveats: readonly string[];
  readonly baselines: readonly PolicyResult[];
  readonly learned: PolicyResult;
  /** Learned minus each baseline, paired. */
  readonly comparisons: readonly PolicyComparison[];
  /** (learned − random) / (oracle − random); null when the oracle does not beat random. */
  readonly captured: Estimate | null;
  readonly confidence: { readonly mean: number; readonly ece: number; readonly brier: number };
  /**
   * Names on the pass-rate/cost Pareto frontier, by increasing cost, among the achievable
   * policies scored on every task (the oracle, which knows the outcomes, is left out); null
   * without a cost field.
   */
  readonly pareto: readonly string[] | null;
  readonly history: readonly ReplayHistoryEntry[];
  readonly tasks: readonly ReplayTaskReport[];
  /** The learner's `stats()` per fold (scalar fields). */
  readonly learnerStats: readonly Readonly<Record<string, number | string | boolean>>[];
}

export interface ReplayRunInfo extends RunInfo {
  /** The data path as given (left out of the hash: the source is identified by its SHA-256). */
  readonly data: string | null;
}

export interface ReplayResult extends ReplayContent {
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of everything but this and `run`. */
  readonly resultHash: string;
  readonly run: ReplayRunInfo;
}
