import { isSonaError, SonaError } from '@sona/core';
import { PROTOCOL } from '../protocol/modes';
import { verdictOf } from '../protocol/result';
import {
  capturedShare,
  mean,
  pairedBootstrap,
  percentileInterval,
  resampleMeans,
} from '../stats/bootstrap';
import { expectedBrierScore, expectedCalibrationError } from '../stats/calibration';
import type { ReplayArmLog, ReplayDataset } from './data';
import { paretoFrontier } from './pareto';
import { REPLAY_DEFAULTS, type ReplayContext, type ReplayJobResult } from './protocol';
import type {
  PolicyComparison,
  PolicyKind,
  PolicyResult,
  ReplayContent,
  ReplayHistoryEntry,
  ReplayTaskReport,
} from './result';
import { SUCCESS_THRESHOLD } from './values';

/** Per-task expected success and cost of a policy, on the tasks (dataset indices) it covers. */
export interface PolicyColumns {
  readonly name: string;
  readonly kind: PolicyKind;
  readonly tasks: Int32Array;
  readonly success: Float64Array;
  readonly cost: Float64Array;
}

/** The learned policy's name in reports: `sona:v3`, or `<learner>-learner:v3` for a baseline learner. */
export function learnedPolicyName(learner: string, version: string): string {
  return learner === 'sona' ? `sona:${version}` : `${learner}-learner:${version}`;
}

/** Human title; says real logged data, never SIMULATED. */
export function replayTitle(
  source: string,
  version: string,
  mode: string,
  learner: string,
): string {
  const who = learner === 'sona' ? `SONA ${version}` : `${learner} learner (${version} schedule)`;
  return `Replay benchmark on real logged data (${source}): ${who}, ${mode} mode`;
}

/** The best logged arm of a task: highest success rate, then lowest mean cost, then arm order. */
export function oracleArm(arms: readonly ReplayArmLog[]): ReplayArmLog {
  let best = arms[0]!;
  for (const log of arms) {
    if (
      log.successRate > best.successRate ||
      (log.successRate === best.successRate && (log.meanCost ?? 0) < (best.meanCost ?? 0))
    ) {
      best = log;
    }
  }
  return best;
}

/**
 * The baselines, exactly from the logs: `always:<arm>` on each task that logged the arm (its
 * mean logged outcome and cost there), `random` (a uniformly random offered arm: the mean over
 * the task's logged arms of their mean outcome and cost) and `oracle` (`oracleArm`) on every task.
 */
export function baselineColumns(dataset: ReplayDataset): PolicyColumns[] {
  const all = Int32Array.from(dataset.tasks, (_, i) => i);
  const always: PolicyColumns[] = dataset.arms.map((arm) => {
    const tasks: number[] = [];
    const success: number[] = [];
    const cost: number[] = [];
    dataset.tasks.forEach((task, i) => {
      const log = task.arms.find((l) => l.arm === arm);
      if (log === undefined) return;
      tasks.push(i);
      success.push(log.successRate);
      cost.push(log.meanCost ?? 0);
    });
    return {
      name: `always:${arm}`,
      kind: 'always',
      tasks: Int32Array.from(tasks),
      success: Float64Array.from(success),
      cost: Float64Array.from(cost),
    };
  });
  const random: PolicyColumns = {
    name: 'random',
    kind: 'random',
    tasks: all,
    success: Float64Array.from(dataset.tasks, (t) => mean(t.arms.map((l) => l.successRate))),
    cost: Float64Array.from(dataset.tasks, (t) => mean(t.arms.map((l) => l.meanCost ?? 0))),
  };
  const oracle: PolicyColumns = {
    name: 'oracle',
    kind: 'oracle',
    tasks: all,
    success: Float64Array.from(dataset.tasks, (t) => oracleArm(t.arms).successRate),
    cost: Float64Array.from(dataset.tasks, (t) => oracleArm(t.arms).meanCost ?? 0),
  };
  return [...always, random, oracle];
}

function interval(distribution: Float64Array): readonly [number, number] {
  return percentileInterval(distribution, PROTOCOL.level);
}

/** Resamples a policy's columns over its tasks and turns the draws into its result. */
function policyResult(
  columns: PolicyColumns,
  distributions: { success: Float64Array; cost: Float64Array },
  hasCost: boolean,
  costWeight: number,
): PolicyResult {
  const rate = mean(columns.success);
  const meanCost = mean(columns.cost);
  const utility =
    hasCost && costWeight > 0
      ? {
          rate: rate - costWeight * meanCost,
          ci: interval(
            distributions.success.map((s, b) => s - costWeight * distributions.cost[b]!),
          ),
        }
      : null;
  return {
    name: columns.name,
    kind: columns.kind,
    tasks: columns.tasks.length,
    rate,
    ci: interval(distributions.success),
    meanCost: hasCost ? meanCost : null,
    costCi: hasCost ? interval(distributions.cost) : null,
    utility,
  };
}

/**
 * Turns the fold results into the result content, every figure computed in a fixed order from
 * seeded forks named by what they measure, so the content does not depend on which worker ran
 * which fold.
 */
export function assembleReplay(
  context: ReplayContext,
  jobs: readonly ReplayJobResult[],
  learner: string,
): ReplayContent {
  const { dataset, spec } = context;
  const n = dataset.tasks.length;
  const byFold = new Map(jobs.map((j) => [j.fold, j]));
  for (let f = 0; f < context.folds; f++) {
    if (!byFold.has(f)) throw new SonaError('INVALID_STATE', `fold ${f} has no result`);
  }
  const folds = Array.from({ length: context.folds }, (_, f) => byFold.get(f)!);
  const rng = context.root.fork('bootstrap');
  const resamples = PROTOCOL.bootstrapResamples;
  const opts = (label: string, count: number = resamples) => ({
    resamples: count,
    rng: rng.fork(label),
    level: PROTOCOL.level,
  });
  const { hasCost } = dataset;
  const weight = spec.costWeight;

  // The learned policy per task, from the fold that held the task out.
  const learnedSuccess = new Float64Array(n);
  const learnedCost = new Float64Array(n);
  const confidence = new Float64Array(n);
  const learnedArm = new Int32Array(n);
  for (const job of folds) {
    job.heldOut.tasks.forEach((i, j) => {
      learnedSuccess[i] = job.heldOut.success[j]!;
      learnedCost[i] = job.heldOut.cost[j]!;
      confidence[i] = job.heldOut.confidence[j]!;
      learnedArm[i] = job.heldOut.arm[j]!;
    });
  }
  const all = Int32Array.from(dataset.tasks, (_, i) => i);
  const learned: PolicyColumns = {
    name: learnedPolicyName(learner, spec.version),
    kind: 'learned',
    tasks: all,
    success: learnedSuccess,
    cost: learnedCost,
  };
  const baselines = baselineColumns(dataset);
  const full = [learned, ...baselines.filter((b) => b.tasks.length === n)];
  const partial = baselines.filter((b) => b.tasks.length < n);

  // One joint bootstrap over all tasks for the policies scored on every task (paired draws),
  // one over its own tasks for each policy scored on fewer.
  const distributions = new Map<string, { success: Float64Array; cost: Float64Array }>();
  const jointColumns = full.flatMap((p) => [p.success, p.cost]);
  const joint = resampleMeans(jointColumns, opts('all-tasks'));
  full.forEach((p, k) => {
    distributions.set(p.name, { success: joint[2 * k]!, cost: joint[2 * k + 1]! });
  });
  for (const p of partial) {
    const [success, cost] = resampleMeans([p.success, p.cost], opts(p.name));
    distributions.set(p.name, { success: success!, cost: cost! });
  }
  const result = (p: PolicyColumns) => policyResult(p, distributions.get(p.name)!, hasCost, weight);
  const learnedResult = result(learned);
  const baselineResults = baselines.map(result);

  const utilityOf = (success: ArrayLike<number>, cost: ArrayLike<number>) =>
    Float64Array.from(success, (s, j) => s - weight * cost[j]!);
  const comparisons: PolicyComparison[] = baselines.map((b) => {
    const difference = pairedBootstrap(
      Float64Array.from(b.tasks, (i) => learnedSuccess[i]!),
      b.success,
      opts(`compare:${b.name}`),
    );
    const utility =
      hasCost && weight > 0
        ? pairedBootstrap(
            utilityOf(
              Float64Array.from(b.tasks, (i) => learnedSuccess[i]!),
              Float64Array.from(b.tasks, (i) => learnedCost[i]!),
            ),
            utilityOf(b.success, b.cost),
            opts(`compare-utility:${b.name}`),
          )
        : null;
    return {
      against: b.name,
      tasks: b.tasks.length,
      difference,
      verdict: verdictOf(difference),
      utility,
    };
  });
  const random = baselines.find((b) => b.kind === 'random')!;
  const oracle = baselines.find((b) => b.kind === 'oracle')!;
  let captured: ReplayContent['captured'] = null;
  if (mean(oracle.success) > mean(random.success)) {
    try {
      captured = capturedShare(learnedSuccess, random.success, oracle.success, opts('captured'));
    } catch (error) {
      // A resample with no gap to capture (every drawn task has all arms equal): no interval.
      if (!isSonaError(error, 'INVALID_STATE')) throw error;
    }
  }

  const pareto = hasCost
    ? paretoFrontier(
        [learnedResult, ...baselineResults]
          .filter((p) => p.tasks === n && p.kind !== 'oracle')
          .map((p) => ({ name: p.name, cost: p.meanCost!, rate: p.rate })),
      ).map((p) => p.name)
    : null;

  // Held-out rate by epoch: each fold's learner on its own held-out tasks, gathered per task.
  const epochs = context.schedule.epochs;
  const curveColumns: Float64Array[] = [];
  for (let e = 0; e <= epochs; e++) {
    const column = new Float64Array(n);
    for (const job of folds) {
      job.heldOut.tasks.forEach((i, j) => {
        column[i] = job.curve[e]![j]!;
      });
    }
    curveColumns.push(column);
  }
  const curveDraws = resampleMeans(curveColumns, opts('history', PROTOCOL.curveResamples));
  const history: ReplayHistoryEntry[] = curveColumns.map((column, e) => ({
    epoch: e,
    heldOut: { rate: mean(column), ci: interval(curveDraws[e]!) },
    trainSuccessRate:
      e === 0 ? null : mean(folds.map((job) => job.epochs[e - 1]!.trainSuccessRate)),
  }));

  const tasks: ReplayTaskReport[] = dataset.tasks.map((task, i) => ({
    id: task.id,
    label: task.label,
    type: task.type,
    embeddedFrom: task.embeddedFrom,
    fold: context.foldOf[i]!,
    arms: task.arms.map((l) => ({
      arm: l.arm,
      trials: l.trials.length,
      successRate: l.successRate,
      meanCost: l.meanCost,
    })),
    learnedArm: dataset.arms[learnedArm[i]!]!,
    confidence: confidence[i]!,
    learnedSuccess: learnedSuccess[i]!,
    learnedCost: hasCost ? learnedCost[i]! : null,
  }));
  const embeddings = { embedding: 0, text: 0, id: 0 };
  for (const t of dataset.tasks) embeddings[t.embeddedFrom]++;

  const content: Omit<ReplayContent, 'caveats'> = {
    format: 'sona-replay/1',
    title: replayTitle(dataset.source.name, spec.version, spec.mode, learner),
    simulated: false,
    version: spec.version,
    mode: spec.mode,
    seed: spec.seed,
    learner,
    config: {
      epochs,
      tasksPerEpoch: context.schedule.tasksPerEpoch,
      folds: context.folds,
      requestedFolds: spec.folds,
      bootstrapResamples: resamples,
      curveResamples: PROTOCOL.curveResamples,
      level: PROTOCOL.level,
      calibrationBins: PROTOCOL.calibrationBins,
      costWeight: weight,
      modelParamsB: spec.modelParamsB,
      taskDifficulty: REPLAY_DEFAULTS.difficulty,
      taskBucket: REPLAY_DEFAULTS.bucket,
      successThreshold: SUCCESS_THRESHOLD,
      dim: dataset.dim,
    },
    environment: {
      kind: 'replay',
      simulated: false,
      description:
        'Real logged outcomes replayed: an attempt draws one of the logged trials of the chosen ' +
        'arm on the task; a task offers only the arms logged for it. Each task is held out once ' +
        'in k-fold cross-validation over tasks and scored by the exact mean of the logged ' +
        'outcomes of the arm chosen for it.',
      source: dataset.source,
      fields: dataset.fields,
      rowsUsed: dataset.rowsUsed,
      rowsSkipped: dataset.rowsSkipped,
      skipped: dataset.skipped,
      malformedLines: dataset.malformedLines,
      tasks: n,
      arms: [...dataset.arms],
      folds: context.folds,
      typeMap: dataset.typeMap,
      embeddings,
    },
    baselines: baselineResults,
    learned: learnedResult,
    comparisons,
    captured,
    confidence: {
      mean: mean(confidence),
      ece: expectedCalibrationError(confidence, learnedSuccess, PROTOCOL.calibrationBins),
      brier: expectedBrierScore(confidence, learnedSuccess),
    },
    pareto,
    history,
    tasks,
    learnerStats: folds.map((job) => job.stats),
  };
  return { ...content, caveats: caveatsOf(content, context) };
}

function pts(x: number): string {
  return (100 * x).toFixed(1);
}

export const INTERVAL_CAVEAT_START = 'The 95% confidence intervals are wide';

/** How wide the policies' intervals are, in percentage points (narrowest and widest named). */
export function intervalCaveat(policies: readonly PolicyResult[]): string {
  const width = (p: PolicyResult) => p.ci[1] - p.ci[0];
  const sorted = [...policies].sort((a, b) => width(a) - width(b));
  const narrow = sorted[0]!;
  const wide = sorted[sorted.length - 1]!;
  return (
    `${INTERVAL_CAVEAT_START}: they span from ${pts(width(narrow))} percentage points (${narrow.name}) ` +
    `to ${pts(width(wide))} (${wide.name}). A difference whose paired interval includes 0 is no evidence either way.`
  );
}

/** Plain statements of how little a small log can show, from the figures themselves. */
function caveatsOf(content: Omit<ReplayContent, 'caveats'>, context: ReplayContext): string[] {
  const n = content.environment.tasks;
  const out: string[] = [];
  out.push(
    `Only ${n} tasks (${content.environment.rowsUsed} logged rows used, ${content.environment.rowsSkipped} skipped): ` +
      `every rate is a mean over at most ${n} tasks, each held out once in ${context.folds}-fold cross-validation.`,
  );
  out.push(intervalCaveat([content.learned, ...content.baselines]));
  for (const b of content.baselines) {
    if (b.tasks < n) {
      out.push(
        `${b.name} is scored on the ${b.tasks} of ${n} tasks that logged ${b.name.slice('always:'.length)}; ` +
          'its paired comparison uses those tasks only.',
      );
    }
  }
  if (content.environment.embeddings.id > 0) {
    out.push(
      `${content.environment.embeddings.id} of ${n} tasks have no text or embedding in the log and were ` +
        'embedded from their type label and id alone, so the learner can tell tasks apart only by what their ids and labels share.',
    );
  }
  if (content.version !== 'v1') {
    out.push(
      'Logged tasks carry no difficulty: every task is set to 0.5 (medium), so curriculum and DDA have nothing to order by.',
    );
  }
  return out;
}
