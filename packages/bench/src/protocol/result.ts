import type { Version } from '@sona/core';
import type { Mode } from '@sona/engine';
import type { Feedback } from '../environment/environment';
import type { ReplayEnvironmentInfo } from '../environment/replay';
import type { SimulatedEnvironmentInfo } from '../environment/simulated';
import type { Estimate } from '../stats/bootstrap';
import type { ReliabilityBin } from '../stats/calibration';

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
  /** Expected success on the evaluation tasks with the component off. */
  readonly learned: Estimate;
  /** Full v3 minus the ablated run, paired over the evaluation tasks (> 0: the component helps). */
  readonly difference: Estimate;
  readonly verdict: Verdict;
}

export interface HistoryEntry {
  /** 0 is the untrained learner. */
  readonly epoch: number;
  /**
   * Expected success of the greedy policy on the curve tasks (`config.curveOn`: the validation
   * tasks, every non-held-out task once; or the held-out tasks, each by its fold's learner).
   */
  readonly rate: Estimate;
  /** Epochs ≥ 1: mean over folds of what the harness measured during training. */
  readonly training: {
    readonly successRate: number;
    /** null when tasks carry no difficulty. */
    readonly meanDifficulty: number | null;
  } | null;
  /** Epochs ≥ 1: mean over folds of each numeric field of the learner's EpochSummary. */
  readonly learner: Readonly<Record<string, number>> | null;
}

/**
 * How well a learner's confidence (its predicted success probability) matches the exact expected
 * success of its choice, over every (fold learner, evaluation task) pair.
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

export type PolicyKind = 'learned' | 'always' | 'random' | 'oracle';

/** A policy scored on evaluation tasks by the exact expected success of its choices. */
export interface PolicyResult {
  /** `sona:v3`, `<learner>-learner:v3`, `always:<arm>`, `random` or `oracle`. */
  readonly name: string;
  readonly kind: PolicyKind;
  /** Tasks it is scored on: every evaluation task, except `always:<arm>` (the tasks offering the arm). */
  readonly tasks: number;
  readonly rate: number;
  /** 95% percentile bootstrap CI over those tasks. */
  readonly ci: readonly [number, number];
  /** Mean expected cost of its choices; null without costs. */
  readonly meanCost: number | null;
  readonly costCi: readonly [number, number] | null;
  /** rate − w·meanCost with its CI, when a cost weight w > 0 is set; else null. */
  readonly utility: Estimate | null;
}

/** The learned policy minus a fixed policy, paired over the tasks both are scored on. */
export interface PolicyComparison {
  readonly against: string;
  readonly tasks: number;
  readonly difference: Estimate;
  readonly verdict: Verdict;
  /** With a cost weight w > 0: the same for success − w·cost per task; else null. */
  readonly utility: Estimate | null;
}

/** One point of a policy's cost frontier: the policy run at one cost weight. */
export interface FrontierPoint {
  readonly costWeight: number;
  readonly rate: number;
  readonly ci: readonly [number, number];
  readonly meanCost: number;
}

/**
 * RouterBench's AIQ of a set of (mean cost, rate) points: the area under their non-decreasing
 * upper convex hull between the cheapest and the most expensive fixed arm's mean cost (0 below the
 * set's cheapest point, flat beyond its best one), divided by that cost range.
 */
export interface AiqResult {
  readonly policy: Estimate;
  /** The fixed arms' hull (mixing two fixed arms at random reaches the segment between them). */
  readonly hull: Estimate;
  /** policy − hull, paired over tasks (one bootstrap draw recomputes both). */
  readonly difference: Estimate;
  readonly verdict: Verdict;
}

export interface Frontier {
  /** The policy at each cost weight of the run, by increasing weight. */
  readonly points: readonly FrontierPoint[];
  readonly aiq: AiqResult | null;
}

/** The fixed arms' side of the cost frontier: their points, hull and cost range. */
export interface FixedArmHull {
  /** The arms scored on every evaluation task (an arm some tasks lack cannot be mixed in). */
  readonly arms: readonly {
    readonly arm: string;
    readonly rate: number;
    readonly meanCost: number;
  }[];
  /** Vertices of the non-decreasing upper convex hull, by increasing cost. */
  readonly vertices: readonly { readonly cost: number; readonly rate: number }[];
  /** [cheapest, most expensive] arm's mean cost: the AIQ's range. */
  readonly costRange: readonly [number, number];
  /** Arms left out of the hull because some evaluation tasks did not offer them. */
  readonly excluded: readonly string[];
}

/** Per evaluation task (replay, where each task is scored by the learner that held it out). */
export interface TaskReport {
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
  readonly learnedArm: string;
  readonly confidence: number;
  readonly learnedSuccess: number;
  readonly learnedCost: number | null;
}

/** One subject of a run: a model profile (simulated) or the replayed log. */
export interface ModelResult {
  readonly name: string;
  readonly paramsB: number;
  /** The adapter rank the learner reports (`stats().rank`); null for a learner without one. */
  readonly loraRank: number | null;
  /** The learned policy: the fold learners' greedy choices. */
  readonly learned: PolicyResult;
  /** A uniformly random offered arm. */
  readonly base: PolicyResult;
  /** The best offered arm of each task (knows the outcomes: a ceiling, not a policy). */
  readonly oracle: PolicyResult;
  /** `always:<arm>` for each arm, on the tasks offering it. */
  readonly fixedArms: readonly PolicyResult[];
  /** learned − base, paired. */
  readonly gain: Estimate;
  /** (learned − base) / (oracle − base); null when the oracle does not beat the base. */
  readonly captured: Estimate | null;
  /** Learned minus each fixed arm, the base and the oracle, paired. */
  readonly comparisons: readonly PolicyComparison[];
  readonly confidence: Calibration;
  /** learned rate per billion parameters (simulated model profiles; null for a replayed log). */
  readonly efficiencyPerB: Estimate | null;
  /** Patterns held after the last epoch (mean over folds); null for a learner without patterns. */
  readonly patterns: number | null;
  /** With a holdout: each fold's learner on its test fold (every non-held-out task once). */
  readonly crossValidation: {
    readonly learned: Estimate;
    readonly base: Estimate;
    readonly oracle: Estimate;
  } | null;
  readonly history: readonly HistoryEntry[];
  readonly ablations: readonly AblationResult[];
  /** With a cost and cost weights: the learned policy's frontier and AIQ. */
  readonly frontier: Frontier | null;
  /** The fixed arms' hull (with a cost and cost weights). */
  readonly fixedArmHull: FixedArmHull | null;
  /** Policy names on the pass-rate/cost Pareto frontier (scored on every task, not the oracle); null without costs. */
  readonly pareto: readonly string[] | null;
  /** Per evaluation task: the learned policy's expected success (in `evaluation.taskIds` order). */
  readonly heldOutLearned: readonly number[];
  /** Per-task detail (replay only; null otherwise). */
  readonly tasks: readonly TaskReport[] | null;
  /** The learner's `stats()` per fold (scalar fields). */
  readonly learnerStats: readonly Readonly<Record<string, number | string | boolean>>[];
}

/** A learner's figures over all subjects of a run. */
export interface LearnerSummary {
  readonly learner: string;
  /**
   * Mean over models of the learned rate; its CI is a bootstrap over the evaluation tasks of each
   * task's rate averaged over models (the models share the tasks).
   */
  readonly learned: Estimate;
  /** Mean over models of the captured share (null when a model has none). */
  readonly captured: number | null;
  /** The largest ECE of any model. */
  readonly worstEce: number;
  /** Mean over models of the Brier score. */
  readonly meanBrier: number;
  /** Confidence pooled over every model's (fold learner, evaluation task) pairs. */
  readonly calibration: Calibration;
}

/** A compared learner on one subject: the same protocol, tasks and attempt streams. */
export interface ComparedModelResult {
  readonly name: string;
  readonly learned: PolicyResult;
  readonly captured: Estimate | null;
  readonly confidence: Calibration;
  readonly frontier: Frontier | null;
  /** Per evaluation task: the learned policy's expected success. */
  readonly heldOutLearned: readonly number[];
}

/** A learner run beside the main one (`compare`). */
export interface ComparedLearner {
  readonly learner: string;
  readonly description: string;
  readonly models: readonly ComparedModelResult[];
  readonly summary: LearnerSummary;
}

/** The run's learner minus a compared one, paired over the evaluation tasks. */
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

/** Everything in a result file except `resultHash` and `run` (which the hash leaves out). */
export interface BenchmarkContent {
  readonly format: 'sona-benchmark/2';
  readonly title: string;
  /** true for the simulated world; false for real logged data. */
  readonly simulated: boolean;
  readonly version: Version;
  readonly mode: Mode;
  readonly seed: number;
  /** Which learner produced the results: `sona` (the engine) or a named baseline. */
  readonly learner: string;
  readonly config: {
    readonly epochs: number;
    readonly tasksPerEpoch: number;
    readonly folds: number;
    /**
     * `holdout`: final figures on a held-out set, the fold learners averaged; `cross-fit`: every
     * task scored by the learner of the fold that held it out.
     */
    readonly design: 'holdout' | 'cross-fit';
    readonly holdoutTasks: number | null;
    readonly bootstrapResamples: number;
    readonly curveResamples: number;
    readonly level: number;
    readonly calibrationBins: number;
    readonly curveOn: 'validation' | 'held-out';
    readonly arms: readonly string[];
    readonly feedback: Feedback;
    readonly costWeight: number;
    readonly costWeights: readonly number[];
    /** The learners compared with (registry names, in the order given). */
    readonly compare: readonly string[];
    readonly ablations: readonly { readonly key: string; readonly component: string }[];
  };
  readonly environment: (SimulatedEnvironmentInfo | ReplayEnvironmentInfo) & {
    readonly feedback: Feedback;
  };
  /** The tasks the final figures are on (the holdout, or every task under cross-fitting). */
  readonly evaluation: { readonly taskIds: readonly string[] };
  readonly models: readonly ModelResult[];
  /** The run's learner over all models. */
  readonly summary: LearnerSummary;
  /** Learners run beside it in the same protocol (empty unless `compare` was given). */
  readonly compared: readonly ComparedLearner[];
  /** The run's learner minus each compared learner, per model and for the mean over models. */
  readonly versus: readonly LearnerComparison[];
  /** Plain statements about how far these figures can be trusted (few tasks, wide CIs, ...). */
  readonly caveats: readonly string[];
}

/** Wall-clock and machine facts: excluded from `resultHash`. */
export interface RunInfo {
  readonly startedAt: string;
  readonly wallMs: number;
  readonly workers: number;
  readonly node: string;
  readonly platform: string;
  /** The replay data path as given (the data is identified by its SHA-256 in the content). */
  readonly data: string | null;
  /**
   * The SIMD backend the kernels ran on (`@sona/simd` `backend()`, this thread's; workers resolve
   * it the same way). Every backend gives the same bits, so it is not part of the hash.
   */
  readonly simdBackend: string;
}

export interface BenchmarkResult extends BenchmarkContent {
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of the content (everything but this and `run`). */
  readonly resultHash: string;
  readonly run: RunInfo;
}
