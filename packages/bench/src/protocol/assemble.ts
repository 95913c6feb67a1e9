import { isSonaError, type Rng, SonaError } from '@sona/core';
import { type Environment, offeredIndices } from '../environment/environment';
import type { ReplayEnvironment } from '../environment/replay';
import { learnerDescription } from '../learners/registry';
import {
  bootstrapMean,
  capturedShare,
  type Estimate,
  mean,
  pairedBootstrap,
  percentileInterval,
  resampleMeans,
} from '../stats/bootstrap';
import { eceOfBins, expectedBrierScore, reliabilityBins } from '../stats/calibration';
import { averageImprovementInQuality, type CostPoint, upperHull } from '../stats/frontier';
import { paretoFrontier } from '../stats/pareto';
import { ABLATIONS } from './ablations';
import { ablationsOf, type BenchmarkContext, type JobSpec, jobKey, planJobs } from './context';
import type { JobResult } from './job';
import { PROTOCOL } from './modes';
import {
  type AblationResult,
  type AiqResult,
  type BenchmarkContent,
  type Calibration,
  type ComparedLearner,
  type FixedArmHull,
  type Frontier,
  type HistoryEntry,
  type LearnerComparison,
  type LearnerSummary,
  type ModelResult,
  type PolicyComparison,
  type PolicyKind,
  type PolicyResult,
  type TaskReport,
  verdictOf,
} from './result';

/** The learned policy's name in reports: `sona:v3`, or `<learner>-learner:v3` for a baseline learner. */
export function learnedPolicyName(learner: string, version: string): string {
  return learner === 'sona' ? `sona:${version}` : `${learner}-learner:${version}`;
}

/** Human title of a run: SIMULATED for the simulated world, "real logged data" for a replay. */
export function runTitle(
  version: string,
  mode: string,
  learner: string,
  source: string | null = null,
): string {
  const who = learner === 'sona' ? `SONA ${version}` : `${learner} learner (${version} schedule)`;
  return source === null
    ? `SIMULATED benchmark: ${who}, ${mode} mode`
    : `Replay benchmark on real logged data (${source}): ${who}, ${mode} mode`;
}

/** Per-task expected success and cost of a policy on the evaluation tasks it covers. */
interface Columns {
  readonly name: string;
  readonly kind: PolicyKind;
  /** Positions within the evaluation tasks. */
  readonly positions: Int32Array;
  readonly success: Float64Array;
  readonly cost: Float64Array;
}

/** A learner's evaluation columns on one subject. */
interface LearnerColumns {
  /** Per cost weight (`context.weights` order), per evaluation task. */
  readonly success: readonly Float64Array[];
  readonly cost: readonly Float64Array[];
  /** Cross-fitting only: the chosen arm per evaluation task at the reported weight. */
  readonly arm: Int32Array | null;
  /** Every (fold learner, evaluation task) pair at the reported weight. */
  readonly confidence: Float64Array;
  readonly probability: Float64Array;
  /** Per evaluation task, the confidence (cross-fitting) or the fold mean (holdout). */
  readonly taskConfidence: Float64Array;
}

/** Mean over columns, item by item (summed in column order). */
function averageColumns(columns: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(columns[0]!.length);
  for (const column of columns) for (let j = 0; j < out.length; j++) out[j]! += column[j]!;
  for (let j = 0; j < out.length; j++) out[j]! /= columns.length;
  return out;
}

function concat(columns: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(columns.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const column of columns) {
    out.set(column, offset);
    offset += column.length;
  }
  return out;
}

/** The tasks the final figures are on: the holdout, or every task (cross-fitting). */
export function evaluationTasks(env: Environment): Int32Array {
  return env.plan.holdout ?? Int32Array.from(env.taskIds, (_, i) => i);
}

function calibrationOf(confidence: Float64Array, probability: Float64Array): Calibration {
  const bins = reliabilityBins(confidence, probability, PROTOCOL.calibrationBins);
  return {
    mean: mean(confidence),
    ece: eceOfBins(bins),
    brier: expectedBrierScore(confidence, probability),
    bins,
  };
}

function interval(distribution: Float64Array): readonly [number, number] {
  return percentileInterval(distribution, PROTOCOL.level);
}

/**
 * Turns the job results into the result content. Every figure is computed here, in one fixed
 * order and from seeded forks named by subject and statistic, so the content does not depend on
 * which worker ran which job or in which order they finished.
 */
export function assembleResult(
  context: BenchmarkContext,
  results: ReadonlyMap<string, JobResult>,
  learner: string,
): BenchmarkContent {
  const { spec, env } = context;
  const get = (job: JobSpec): JobResult => {
    const result = results.get(jobKey(job));
    if (result === undefined) {
      throw new SonaError('INVALID_STATE', `job ${jobKey(job)} has no result`);
    }
    return result;
  };
  for (const job of planJobs(spec)) get(job);
  const evalTasks = evaluationTasks(env);
  const ablationKeys = ablationsOf(spec);
  const ablations = ABLATIONS.filter((a) => ablationKeys.includes(a.key));
  const fixedPerModel = env.subjects.map((_, m) => fixedPolicies(env, m, evalTasks));
  const bootstrapRoot = context.root.fork('bootstrap');
  const own = env.subjects.map((_, m) => learnerColumns(context, m, get));
  const models = env.subjects.map((subject, m) =>
    modelResult(
      context,
      m,
      get,
      own[m]!,
      fixedPerModel[m]!,
      learner,
      bootstrapRoot.fork(subject.stream),
    ),
  );

  const compareRng = context.root.fork('bootstrap-compare');
  const summaryRng = context.root.fork('bootstrap-summary');
  const comparedColumns = spec.compare.map((name) =>
    env.subjects.map((_, m) => learnerColumns(context, m, get, name)),
  );
  const compared: ComparedLearner[] = spec.compare.map((name, k) => {
    const columns = comparedColumns[k]!;
    const rng = compareRng.fork(name);
    const results = env.subjects.map((subject, m) => {
      const r = rng.fork(subject.stream);
      const opts = (label: string) => ({
        resamples: PROTOCOL.bootstrapResamples,
        rng: r.fork(label),
        level: PROTOCOL.level,
      });
      const c = columns[m]!;
      const fixed = fixedPerModel[m]!;
      const policy = learnedColumns(learnedPolicyName(name, spec.version), c, evalTasks.length);
      return {
        name: subject.name,
        learned: policyResult(policy, resampled(policy, opts('learned')), context),
        captured: capturedOrNull(
          c.success[0]!,
          fixed.random.success,
          fixed.oracle.success,
          opts('captured'),
        ),
        confidence: calibrationOf(c.confidence, c.probability),
        frontier: frontierOf(context, c, fixed, opts),
        heldOutLearned: Array.from(c.success[0]!),
      };
    });
    return {
      learner: name,
      description: learnerDescription(name),
      models: results,
      summary: summaryOf(name, columns, results, summaryRng.fork(name)),
    };
  });
  const summary = summaryOf(learner, own, models, summaryRng.fork(learner));

  const versusRng = context.root.fork('bootstrap-versus');
  const versus: LearnerComparison[] = compared.map((other, k) => {
    const rng = versusRng.fork(other.learner);
    const opts = (label: string) => ({
      resamples: PROTOCOL.bootstrapResamples,
      rng: rng.fork(label),
      level: PROTOCOL.level,
    });
    const theirs = comparedColumns[k]!.map((c) => c.success[0]!);
    const difference = pairedBootstrap(
      averageColumns(own.map((c) => c.success[0]!)),
      averageColumns(theirs),
      opts('mean over models'),
    );
    return {
      against: other.learner,
      models: env.subjects.map((subject, m) => {
        const d = pairedBootstrap(own[m]!.success[0]!, theirs[m]!, opts(`model:${subject.stream}`));
        return { name: subject.name, difference: d, verdict: verdictOf(d) };
      }),
      mean: { difference, verdict: verdictOf(difference) },
    };
  });

  // The Pareto frontier over every achievable policy scored on every task (compared learners too).
  const withPareto = models.map((model, m) => {
    if (!env.hasCost) return model;
    const candidates = [
      model.learned,
      ...compared.map((c) => c.models[m]!.learned),
      model.base,
      ...model.fixedArms.filter((p) => p.tasks === evalTasks.length),
    ];
    const pareto = paretoFrontier(
      candidates.map((p) => ({ name: p.name, cost: p.meanCost!, rate: p.rate })),
    ).map((p) => p.name);
    return { ...model, pareto };
  });

  const sim = env.kind === 'simulated';
  const info = env.info();
  const content: Omit<BenchmarkContent, 'caveats'> = {
    format: 'sona-benchmark/2',
    title: runTitle(
      spec.version,
      spec.mode,
      learner,
      sim ? null : (env as ReplayEnvironment).dataset.source.name,
    ),
    simulated: env.simulated,
    version: spec.version,
    mode: spec.mode,
    seed: spec.seed,
    learner,
    config: {
      epochs: context.schedule.epochs,
      tasksPerEpoch: context.schedule.tasksPerEpoch,
      folds: env.plan.folds.length,
      design: env.plan.holdout === null ? 'cross-fit' : 'holdout',
      holdoutTasks: env.plan.holdout === null ? null : env.plan.holdout.length,
      bootstrapResamples: PROTOCOL.bootstrapResamples,
      curveResamples: PROTOCOL.curveResamples,
      level: PROTOCOL.level,
      calibrationBins: PROTOCOL.calibrationBins,
      curveOn: env.plan.folds[0]!.valid === null ? 'held-out' : 'validation',
      arms: [...env.arms],
      feedback: spec.feedback,
      costWeight: spec.costWeight,
      costWeights: [...spec.costWeights],
      compare: [...spec.compare],
      ablations: ablations.map((a) => ({ key: a.key, component: a.component })),
    },
    environment: { ...info, feedback: spec.feedback },
    evaluation: { taskIds: Array.from(evalTasks, (i) => env.taskIds[i]!) },
    models: withPareto,
    summary,
    compared,
    versus,
  };
  return { ...content, caveats: caveatsOf(content, context) };
}

/** A learner's columns on one subject, from its fold jobs. */
function learnerColumns(
  context: BenchmarkContext,
  m: number,
  get: (job: JobSpec) => JobResult,
  learner?: string,
): LearnerColumns {
  const { env } = context;
  const folds = env.plan.folds.map((_, f) =>
    get({ modelIndex: m, fold: f, variant: 'full', ...(learner === undefined ? {} : { learner }) }),
  );
  const weights = context.weights.length;
  if (env.plan.holdout !== null) {
    return {
      success: Array.from({ length: weights }, (_, w) =>
        averageColumns(folds.map((r) => r.final[w]!.success)),
      ),
      cost: Array.from({ length: weights }, (_, w) =>
        averageColumns(folds.map((r) => r.final[w]!.cost)),
      ),
      arm: null,
      confidence: concat(folds.map((r) => r.final[0]!.confidence)),
      probability: concat(folds.map((r) => r.final[0]!.success)),
      taskConfidence: averageColumns(folds.map((r) => r.final[0]!.confidence)),
    };
  }
  // Cross-fitting: each task from the fold that held it out.
  const n = env.taskIds.length;
  const success = Array.from({ length: weights }, () => new Float64Array(n));
  const cost = Array.from({ length: weights }, () => new Float64Array(n));
  const arm = new Int32Array(n);
  const confidence = new Float64Array(n);
  env.plan.folds.forEach((split, f) => {
    const r = folds[f]!;
    split.test.forEach((i, j) => {
      for (let w = 0; w < weights; w++) {
        success[w]![i] = r.final[w]!.success[j]!;
        cost[w]![i] = r.final[w]!.cost[j]!;
      }
      arm[i] = r.final[0]!.arm[j]!;
      confidence[i] = r.final[0]!.confidence[j]!;
    });
  });
  return {
    success,
    cost,
    arm,
    confidence,
    probability: success[0]!,
    taskConfidence: confidence,
  };
}

interface FixedPolicies {
  readonly always: readonly Columns[];
  readonly random: Columns;
  readonly oracle: Columns;
}

/**
 * The fixed policies, exactly from the environment on the evaluation tasks: `always:<arm>` on
 * each task offering the arm, `random` (the mean over the offered arms) and `oracle` (the offered
 * arm with the highest expected success, then the lowest cost, then the first in arm order).
 */
export function fixedPolicies(env: Environment, m: number, evalTasks: Int32Array): FixedPolicies {
  const n = evalTasks.length;
  const all = Int32Array.from({ length: n }, (_, j) => j);
  const always = env.arms.map((arm, a): Columns => {
    const positions: number[] = [];
    const success: number[] = [];
    const cost: number[] = [];
    evalTasks.forEach((i, j) => {
      if (!offeredIndices(env, i).includes(a)) return;
      positions.push(j);
      success.push(env.success(m, i, a));
      cost.push(env.cost(m, i, a));
    });
    return {
      name: `always:${arm}`,
      kind: 'always',
      positions: Int32Array.from(positions),
      success: Float64Array.from(success),
      cost: Float64Array.from(cost),
    };
  });
  const randomSuccess = new Float64Array(n);
  const randomCost = new Float64Array(n);
  const oracleSuccess = new Float64Array(n);
  const oracleCost = new Float64Array(n);
  evalTasks.forEach((i, j) => {
    const offered = offeredIndices(env, i);
    let s = 0;
    let c = 0;
    let best = offered[0]!;
    for (const a of offered) {
      const p = env.success(m, i, a);
      s += p;
      c += env.cost(m, i, a);
      const q = env.success(m, i, best);
      if (p > q || (p === q && env.cost(m, i, a) < env.cost(m, i, best))) best = a;
    }
    randomSuccess[j] = s / offered.length;
    randomCost[j] = c / offered.length;
    oracleSuccess[j] = env.success(m, i, best);
    oracleCost[j] = env.cost(m, i, best);
  });
  return {
    always,
    random: {
      name: 'random',
      kind: 'random',
      positions: all,
      success: randomSuccess,
      cost: randomCost,
    },
    oracle: {
      name: 'oracle',
      kind: 'oracle',
      positions: all,
      success: oracleSuccess,
      cost: oracleCost,
    },
  };
}

function learnedColumns(name: string, c: LearnerColumns, n: number): Columns {
  return {
    name,
    kind: 'learned',
    positions: Int32Array.from({ length: n }, (_, j) => j),
    success: c.success[0]!,
    cost: c.cost[0]!,
  };
}

type Options = (
  label: string,
  resamples?: number,
) => { resamples: number; rng: Rng; level: number };

interface Draws {
  readonly success: Float64Array;
  readonly cost: Float64Array;
}

/** One bootstrap of a policy's success and cost over its own tasks (the same draws for both). */
function resampled(p: Columns, options: ReturnType<Options>): Draws {
  const [success, cost] = resampleMeans([p.success, p.cost], options);
  return { success: success!, cost: cost! };
}

/** A policy's figures; `rateDraws` (when given) are used for the rate's interval. */
function policyResult(
  p: Columns,
  draws: Draws,
  context: BenchmarkContext,
  rateDraws: Float64Array = draws.success,
): PolicyResult {
  const { hasCost } = context.env;
  const w = context.spec.costWeight;
  const rate = mean(p.success);
  const meanCost = mean(p.cost);
  return {
    name: p.name,
    kind: p.kind,
    tasks: p.positions.length,
    rate,
    ci: interval(rateDraws),
    meanCost: hasCost ? meanCost : null,
    costCi: hasCost ? interval(draws.cost) : null,
    utility:
      hasCost && w > 0
        ? {
            rate: rate - w * meanCost,
            ci: interval(draws.success.map((s, b) => s - w * draws.cost[b]!)),
          }
        : null,
  };
}

/** (learned − base) / (oracle − base) with its CI; null when a resample (or the data) has no gap. */
function capturedOrNull(
  learned: Float64Array,
  base: Float64Array,
  oracle: Float64Array,
  options: ReturnType<Options>,
): Estimate | null {
  if (!(mean(oracle) > mean(base))) return null;
  try {
    return capturedShare(learned, base, oracle, options);
  } catch (error) {
    if (isSonaError(error, 'INVALID_STATE')) return null;
    throw error;
  }
}

function modelResult(
  context: BenchmarkContext,
  m: number,
  get: (job: JobSpec) => JobResult,
  own: LearnerColumns,
  fixed: FixedPolicies,
  learner: string,
  rng: Rng,
): ModelResult {
  const { env, spec } = context;
  const subject = env.subjects[m]!;
  const evalTasks = evaluationTasks(env);
  const n = evalTasks.length;
  const opts: Options = (label, resamples: number = PROTOCOL.bootstrapResamples) => ({
    resamples,
    rng: rng.fork(label),
    level: PROTOCOL.level,
  });
  const folds = env.plan.folds.map((_, f) => get({ modelIndex: m, fold: f, variant: 'full' }));
  const learnedCols = learnedColumns(learnedPolicyName(learner, spec.version), own, n);
  const base = fixed.random;
  const oracle = fixed.oracle;
  const ablationKeys = ABLATIONS.filter((a) => ablationsOf(spec).includes(a.key));
  const ablated = ablationKeys.map((ablation) => columnOf(context, m, get, ablation.key));
  // One joint bootstrap over the evaluation tasks for learned, base, oracle and every ablated
  // run: each resample draws the same tasks for all of them, so every difference is paired.
  const [mLearned, mBase, mOracle, ...mAblated] = resampleMeans(
    [learnedCols.success, base.success, oracle.success, ...ablated],
    opts('holdout'),
  );
  const difference = (a: Float64Array, b: Float64Array) => a.map((x, i) => x - b[i]!);
  const rateOf = (values: ArrayLike<number>, draws: Float64Array): Estimate => ({
    rate: mean(values),
    ci: interval(draws),
  });
  // Costs (and pass − w·cost) from one more joint bootstrap, when there are costs.
  const costDraws = env.hasCost
    ? resampleMeans(
        [
          learnedCols.success,
          learnedCols.cost,
          base.success,
          base.cost,
          oracle.success,
          oracle.cost,
        ],
        opts('cost'),
      )
    : null;
  const drawsAt = (k: number, fallback: Float64Array): Draws =>
    costDraws === null
      ? { success: fallback, cost: new Float64Array(fallback.length) }
      : { success: costDraws[2 * k]!, cost: costDraws[2 * k + 1]! };
  const learnedResult = policyResult(learnedCols, drawsAt(0, mLearned!), context, mLearned!);
  const baseResult = policyResult(base, drawsAt(1, mBase!), context, mBase!);
  const oracleResult = policyResult(oracle, drawsAt(2, mOracle!), context, mOracle!);
  const fixedArms = fixed.always.map((p) =>
    p.positions.length === 0
      ? emptyPolicy(p, env.hasCost)
      : policyResult(p, resampled(p, opts(p.name)), context),
  );

  const w = spec.costWeight;
  const utilityOf = (success: ArrayLike<number>, cost: ArrayLike<number>) =>
    Float64Array.from(success, (s, j) => s - w * cost[j]!);
  const comparisons: PolicyComparison[] = [...fixed.always, base, oracle]
    .filter((b) => b.positions.length > 0)
    .map((b) => {
      const mine = Float64Array.from(b.positions, (j) => learnedCols.success[j]!);
      const mineCost = Float64Array.from(b.positions, (j) => learnedCols.cost[j]!);
      const diff = pairedBootstrap(mine, b.success, opts(`compare:${b.name}`));
      return {
        against: b.name,
        tasks: b.positions.length,
        difference: diff,
        verdict: verdictOf(diff),
        utility:
          env.hasCost && w > 0
            ? pairedBootstrap(
                utilityOf(mine, mineCost),
                utilityOf(b.success, b.cost),
                opts(`compare-utility:${b.name}`),
              )
            : null,
      };
    });

  const gap = mean(oracle.success) - mean(base.success);
  const capturedDraws = mLearned!.map((l, b) => (l - mBase![b]!) / (mOracle![b]! - mBase![b]!));
  const captured =
    gap > 0 && mOracle!.every((o, b) => o - mBase![b]! > 0)
      ? {
          rate: (mean(learnedCols.success) - mean(base.success)) / gap,
          ci: interval(capturedDraws),
        }
      : null;

  // With a holdout, every non-held-out task is in some fold's test split and in some fold's
  // validation split: cross-validation (each fold learner on its test fold) and the learning curve
  // (validation rate before training and after each epoch) are bootstrapped jointly over them.
  // Without a holdout the curve is on each fold's test tasks, one resample of its own.
  const epochs = context.schedule.epochs;
  let crossValidation: ModelResult['crossValidation'] = null;
  let curveEstimates: Estimate[];
  if (env.plan.holdout !== null) {
    const others = Int32Array.from(env.plan.folds.flatMap((s) => Array.from(s.test))).sort();
    const gather = (split: 'test' | 'valid', values: (r: JobResult) => Float64Array) => {
      const byTask = new Float64Array(env.taskIds.length);
      env.plan.folds.forEach((s, f) => {
        const v = values(folds[f]!);
        s[split]!.forEach((i, j) => {
          byTask[i] = v[j]!;
        });
      });
      return Float64Array.from(others, (i) => byTask[i]!);
    };
    const randomRate = (i: number) => {
      const offered = offeredIndices(env, i);
      let s = 0;
      for (const a of offered) s += env.success(m, i, a);
      return s / offered.length;
    };
    const oracleRate = (i: number) => {
      let best = 0;
      for (const a of offeredIndices(env, i)) best = Math.max(best, env.success(m, i, a));
      return best;
    };
    const cvLearned = gather('test', (r) => r.test!);
    const cvBase = Float64Array.from(others, randomRate);
    const cvOracle = Float64Array.from(others, oracleRate);
    const curveColumns: Float64Array[] = [];
    for (let e = 0; e <= epochs; e++) curveColumns.push(gather('valid', (r) => r.curve![e]!));
    const [cvL, cvB, cvO, ...curveMeans] = resampleMeans(
      [cvLearned, cvBase, cvOracle, ...curveColumns],
      opts('non-holdout', PROTOCOL.curveResamples),
    );
    crossValidation = {
      learned: rateOf(cvLearned, cvL!),
      base: rateOf(cvBase, cvB!),
      oracle: rateOf(cvOracle, cvO!),
    };
    curveEstimates = curveColumns.map((c, e) => rateOf(c, curveMeans[e]!));
  } else {
    const curveColumns: Float64Array[] = [];
    for (let e = 0; e <= epochs; e++) {
      const column = new Float64Array(n);
      env.plan.folds.forEach((s, f) => {
        s.test.forEach((i, j) => {
          column[i] = folds[f]!.curve![e]![j]!;
        });
      });
      curveColumns.push(column);
    }
    const draws = resampleMeans(curveColumns, opts('history', PROTOCOL.curveResamples));
    curveEstimates = curveColumns.map((c, e) => rateOf(c, draws[e]!));
  }
  const history: HistoryEntry[] = curveEstimates.map((rate, e) => ({
    epoch: e,
    rate,
    training: e === 0 ? null : trainingMeans(folds, e),
    learner: e === 0 ? null : summaryMeans(folds, e),
  }));

  const ablationResults: AblationResult[] = ablationKeys.map((ablation, k) => {
    const diff: Estimate = {
      rate: mean(learnedCols.success) - mean(ablated[k]!),
      ci: interval(difference(mLearned!, mAblated[k]!)),
    };
    return {
      key: ablation.key,
      component: ablation.component,
      learned: rateOf(ablated[k]!, mAblated[k]!),
      difference: diff,
      verdict: verdictOf(diff),
    };
  });

  const lastEpoch = folds.map((r) => r.epochs[r.epochs.length - 1]);
  const patterns = lastEpoch.every((e) => e !== undefined && typeof e.summary.patterns === 'number')
    ? mean(lastEpoch.map((e) => e!.summary.patterns!))
    : null;
  const learned = learnedResult;
  const frontierOpts: Options = (label) => opts(`frontier:${label}`);
  return {
    name: subject.name,
    paramsB: subject.paramsB,
    loraRank: typeof folds[0]!.stats?.rank === 'number' ? (folds[0]!.stats.rank as number) : null,
    learned,
    base: baseResult,
    oracle: oracleResult,
    fixedArms,
    gain: {
      rate: mean(learnedCols.success) - mean(base.success),
      ci: interval(difference(mLearned!, mBase!)),
    },
    captured,
    comparisons,
    confidence: calibrationOf(own.confidence, own.probability),
    efficiencyPerB: env.simulated
      ? {
          rate: learned.rate / subject.paramsB,
          ci: [learned.ci[0] / subject.paramsB, learned.ci[1] / subject.paramsB],
        }
      : null,
    patterns,
    crossValidation,
    history,
    ablations: ablationResults,
    frontier: frontierOf(context, own, fixed, frontierOpts),
    fixedArmHull: spec.costWeights.length > 0 ? hullOf(context, fixed) : null,
    pareto: null,
    heldOutLearned: Array.from(learnedCols.success),
    tasks: env.kind === 'replay' ? taskReports(env, own) : null,
    learnerStats: folds.map((r) => r.stats ?? {}),
  };
}

function emptyPolicy(p: Columns, hasCost: boolean): PolicyResult {
  return {
    name: p.name,
    kind: p.kind,
    tasks: 0,
    rate: 0,
    ci: [0, 0],
    meanCost: hasCost ? 0 : null,
    costCi: hasCost ? [0, 0] : null,
    utility: null,
  };
}

/** An ablated run's evaluation column (reported weight), fold learners averaged or cross-fitted. */
function columnOf(
  context: BenchmarkContext,
  m: number,
  get: (job: JobSpec) => JobResult,
  variant: JobSpec['variant'],
): Float64Array {
  const { env } = context;
  const folds = env.plan.folds.map((_, f) => get({ modelIndex: m, fold: f, variant }));
  if (env.plan.holdout !== null) return averageColumns(folds.map((r) => r.final[0]!.success));
  const out = new Float64Array(env.taskIds.length);
  env.plan.folds.forEach((s, f) => {
    s.test.forEach((i, j) => {
      out[i] = folds[f]!.final[0]!.success[j]!;
    });
  });
  return out;
}

/** The fixed arms scored on every evaluation task: their points, hull and cost range. */
function hullOf(context: BenchmarkContext, fixed: FixedPolicies): FixedArmHull | null {
  const n = evaluationTasks(context.env).length;
  const full = fixed.always.filter((p) => p.positions.length === n);
  if (full.length === 0) return null;
  const arms = full.map((p) => ({
    arm: p.name.slice('always:'.length),
    rate: mean(p.success),
    meanCost: mean(p.cost),
  }));
  const costs = arms.map((a) => a.meanCost);
  return {
    arms,
    vertices: upperHull(arms.map((a) => ({ cost: a.meanCost, rate: a.rate }))),
    costRange: [Math.min(...costs), Math.max(...costs)],
    excluded: fixed.always
      .filter((p) => p.positions.length < n)
      .map((p) => p.name.slice('always:'.length)),
  };
}

/**
 * A learner's frontier over the run's cost weights and its AIQ against the fixed arms' hull, with
 * one joint bootstrap over tasks: each draw recomputes every point of the policy and of the fixed
 * arms, their hulls and AIQs, so the difference is paired. Null without cost weights; the AIQ is
 * null when fewer than two arms are scored on every task (no hull to mix along).
 */
function frontierOf(
  context: BenchmarkContext,
  columns: LearnerColumns,
  fixed: FixedPolicies,
  opts: Options,
): Frontier | null {
  const { spec } = context;
  if (!context.env.hasCost || spec.costWeights.length === 0) return null;
  const order = context.weights.map((w, k) => ({ w, k })).sort((a, b) => a.w - b.w);
  const n = columns.success[0]!.length;
  const full = fixed.always.filter((p) => p.positions.length === n);
  const policyColumns = order.flatMap(({ k }) => [columns.success[k]!, columns.cost[k]!]);
  const armColumns = full.flatMap((p) => [p.success, p.cost]);
  const draws = resampleMeans([...policyColumns, ...armColumns], opts('aiq'));
  const points = order.map(({ w, k }, j) => ({
    costWeight: w,
    rate: mean(columns.success[k]!),
    ci: interval(draws[2 * j]!),
    meanCost: mean(columns.cost[k]!),
  }));
  let aiq: AiqResult | null = null;
  if (full.length >= 2) {
    const at = (
      rates: (i: number) => number,
      costs: (i: number) => number,
      count: number,
    ): CostPoint[] => Array.from({ length: count }, (_, i) => ({ cost: costs(i), rate: rates(i) }));
    const score = (policy: CostPoint[], arms: CostPoint[]) => {
      const lo = Math.min(...arms.map((a) => a.cost));
      const hi = Math.max(...arms.map((a) => a.cost));
      return {
        policy: averageImprovementInQuality(policy, lo, hi),
        hull: averageImprovementInQuality(arms, lo, hi),
      };
    };
    const point = score(
      at(
        (i) => points[i]!.rate,
        (i) => points[i]!.meanCost,
        points.length,
      ),
      at(
        (i) => mean(full[i]!.success),
        (i) => mean(full[i]!.cost),
        full.length,
      ),
    );
    const resamples = draws[0]!.length;
    const policyDraws = new Float64Array(resamples);
    const hullDraws = new Float64Array(resamples);
    const p = points.length;
    for (let b = 0; b < resamples; b++) {
      const s = score(
        at(
          (i) => draws[2 * i]![b]!,
          (i) => draws[2 * i + 1]![b]!,
          p,
        ),
        at(
          (i) => draws[2 * (p + i)]![b]!,
          (i) => draws[2 * (p + i) + 1]![b]!,
          full.length,
        ),
      );
      policyDraws[b] = s.policy;
      hullDraws[b] = s.hull;
    }
    const difference = {
      rate: point.policy - point.hull,
      ci: interval(policyDraws.map((x, b) => x - hullDraws[b]!)),
    };
    aiq = {
      policy: { rate: point.policy, ci: interval(policyDraws) },
      hull: { rate: point.hull, ci: interval(hullDraws) },
      difference,
      verdict: verdictOf(difference),
    };
  }
  return { points, aiq };
}

function taskReports(env: ReplayEnvironment, own: LearnerColumns): TaskReport[] {
  return env.dataset.tasks.map((task, i) => ({
    id: task.id,
    label: task.label,
    type: task.type,
    embeddedFrom: task.embeddedFrom,
    fold: env.foldOf[i]!,
    arms: task.arms.map((l) => ({
      arm: l.arm,
      trials: l.trials.length,
      successRate: l.successRate,
      meanCost: l.meanCost,
    })),
    learnedArm: env.arms[own.arm![i]!]!,
    confidence: own.taskConfidence[i]!,
    learnedSuccess: own.success[0]![i]!,
    learnedCost: env.hasCost ? own.cost[0]![i]! : null,
  }));
}

function summaryOf(
  learner: string,
  columns: readonly LearnerColumns[],
  models: readonly { readonly captured: Estimate | null; readonly confidence: Calibration }[],
  rng: Rng,
): LearnerSummary {
  const captured = models.map((m) => m.captured);
  return {
    learner,
    learned: bootstrapMean(averageColumns(columns.map((c) => c.success[0]!)), {
      resamples: PROTOCOL.bootstrapResamples,
      rng: rng.fork('learned'),
      level: PROTOCOL.level,
    }),
    captured: captured.every((c) => c !== null) ? mean(captured.map((c) => c!.rate)) : null,
    worstEce: Math.max(...models.map((m) => m.confidence.ece)),
    meanBrier: mean(models.map((m) => m.confidence.brier)),
    calibration: calibrationOf(
      concat(columns.map((c) => c.confidence)),
      concat(columns.map((c) => c.probability)),
    ),
  };
}

function trainingMeans(
  folds: readonly JobResult[],
  epoch: number,
): { successRate: number; meanDifficulty: number | null } {
  const records = folds.map((r) => r.epochs[epoch - 1]!);
  const difficulties = records.map((r) => r.trainMeanDifficulty);
  return {
    successRate: mean(records.map((r) => r.trainSuccessRate)),
    meanDifficulty: difficulties.every((d) => d !== null) ? mean(difficulties as number[]) : null,
  };
}

/** Mean over folds of each numeric summary field that every fold reported. */
function summaryMeans(folds: readonly JobResult[], epoch: number): Record<string, number> {
  const summaries = folds.map((r) => r.epochs[epoch - 1]!.summary);
  const out: Record<string, number> = {};
  for (const key of Object.keys(summaries[0]!).sort()) {
    if (key === '__proto__') continue;
    if (summaries.every((s) => typeof s[key] === 'number'))
      out[key] = mean(summaries.map((s) => s[key]!));
  }
  return out;
}

function pts(x: number): string {
  return (100 * x).toFixed(1);
}

export const INTERVAL_CAVEAT_START = 'The 95% confidence intervals are wide';

/** How wide the policies' intervals are, in percentage points (narrowest and widest named). */
export function intervalCaveat(policies: readonly PolicyResult[]): string {
  const width = (p: PolicyResult) => p.ci[1] - p.ci[0];
  const sorted = [...policies].filter((p) => p.tasks > 0).sort((a, b) => width(a) - width(b));
  const narrow = sorted[0]!;
  const wide = sorted[sorted.length - 1]!;
  return (
    `${INTERVAL_CAVEAT_START}: they span from ${pts(width(narrow))} percentage points (${narrow.name}) ` +
    `to ${pts(width(wide))} (${wide.name}). A difference whose paired interval includes 0 is no evidence either way.`
  );
}

/** Plain statements of how far the figures can be trusted, from the figures themselves. */
function caveatsOf(
  content: Omit<BenchmarkContent, 'caveats'>,
  context: BenchmarkContext,
): string[] {
  const out: string[] = [];
  const env = content.environment;
  const n = content.evaluation.taskIds.length;
  for (const model of content.models) {
    if (model.captured === null) {
      out.push(
        `${model.name}: the oracle does not beat a random arm on these tasks, so no share of a gain can be captured.`,
      );
    }
  }
  if (env.kind === 'replay') {
    out.push(
      `Only ${n} tasks (${env.rowsUsed} logged rows used, ${env.rowsSkipped} skipped): ` +
        `every rate is a mean over at most ${n} tasks, each held out once in ${context.env.plan.folds.length}-fold cross-validation.`,
    );
    const model = content.models[0]!;
    out.push(intervalCaveat([model.learned, ...model.fixedArms, model.base, model.oracle]));
    for (const b of model.fixedArms) {
      if (b.tasks < n) {
        out.push(
          `${b.name} is scored on the ${b.tasks} of ${n} tasks that logged ${b.name.slice('always:'.length)}; ` +
            'its paired comparison uses those tasks only.',
        );
      }
    }
    if (env.embeddings.id > 0) {
      out.push(
        `${env.embeddings.id} of ${n} tasks have no text or embedding in the log and were ` +
          'embedded from their type label and id alone, so the learner can tell tasks apart only by what their ids and labels share.',
      );
    }
    if (env.restriction !== null) {
      out.push(
        `Restricted to the arms ${env.restriction.arms.join(', ')} (--arms): ${env.restriction.rowsDropped} rows of other arms ` +
          `and ${env.restriction.tasksDropped} tasks that logged none of them are left out.`,
      );
    }
    if (content.version !== 'v1') {
      out.push(
        'Logged tasks carry no difficulty: curriculum and DDA fall back to uniform task picks.',
      );
    }
    const hull = model.fixedArmHull;
    if (hull !== null && hull.excluded.length > 0) {
      out.push(
        `The fixed-arm hull (AIQ) uses only arms logged on every task; left out: ${hull.excluded.join(', ')}.`,
      );
    }
    if (content.config.costWeights.length > 0 && model.frontier?.aiq === null) {
      out.push('No AIQ: it needs at least two arms logged on every task to mix between.');
    }
  }
  if (content.config.feedback === 'full') {
    out.push(
      'Full feedback: after each training attempt the learner also recorded the outcome of every other arm the task offers ' +
        '(the same for every learner of this run); held-out tasks are judged by the chosen arm alone.',
    );
  }
  return out;
}
