import { type Rng, SonaError } from '@sona/core';
import { learnerDescription } from '../learners/registry';
import { SIMULATED_WORLD_PARAMETERS } from '../simulated/parameters';
import type { ModelWorld } from '../simulated/world';
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
import { ABLATIONS } from './ablations';
import { ablationsOf, type BenchmarkContext, type JobSpec, jobKey, planJobs } from './context';
import type { JobResult } from './job';
import { PROTOCOL } from './modes';
import {
  type AblationResult,
  type BenchmarkContent,
  type Calibration,
  type ComparedLearner,
  type HistoryEntry,
  type LearnerComparison,
  type LearnerSummary,
  type ModelResult,
  verdictOf,
} from './result';

/** Human title of a run; always says SIMULATED for the simulated environment. */
export function runTitle(version: string, mode: string, learner: string): string {
  const who = learner === 'sona' ? `SONA ${version}` : `${learner} learner (${version} schedule)`;
  return `SIMULATED benchmark: ${who}, ${mode} mode`;
}

/**
 * Turns the job results into the result content. Every figure is computed here, in one fixed
 * order and from seeded forks named by model and statistic, so the content does not depend on
 * which worker ran which job or in which order they finished.
 */
export function assembleResult(
  context: BenchmarkContext,
  results: ReadonlyMap<string, JobResult>,
  learner: string,
): BenchmarkContent {
  const { spec, world } = context;
  const get = (job: JobSpec): JobResult => {
    const result = results.get(jobKey(job));
    if (result === undefined) {
      throw new SonaError('INVALID_STATE', `job ${jobKey(job)} has no result`);
    }
    return result;
  };
  for (const job of planJobs(spec)) get(job);
  const bootstrapRoot = context.root.fork('bootstrap');
  const ablationKeys = ablationsOf(spec);
  const ablations = ABLATIONS.filter((a) => ablationKeys.includes(a.key));
  const models = context.models.map((model, m) =>
    modelResult(context, model, m, get, bootstrapRoot.fork(model.profile.name)),
  );
  const compare = spec.compare ?? [];
  const own = context.models.map((_, m) => heldOutColumns(context, m, get));
  const summaryRng = context.root.fork('bootstrap-summary');
  const summary = summaryOf(learner, own, models, summaryRng.fork(learner));
  const compareRng = context.root.fork('bootstrap-compare');
  const comparedColumns = compare.map((name) =>
    context.models.map((_, m) => heldOutColumns(context, m, get, name)),
  );
  const compared: ComparedLearner[] = compare.map((name, k) => {
    const columns = comparedColumns[k]!;
    const rng = compareRng.fork(name);
    const results = context.models.map((model, m) => {
      const opts = (label: string) => ({
        resamples: PROTOCOL.bootstrapResamples,
        rng: rng.fork(model.profile.name).fork(label),
        level: PROTOCOL.level,
      });
      const base = Float64Array.from(context.holdout, (i) => model.randomArmRate(i));
      const oracle = Float64Array.from(context.holdout, (i) => model.oracle(i).rate);
      const c = columns[m]!;
      return {
        name: model.profile.name,
        learned: bootstrapMean(c.learned, opts('learned')),
        captured: capturedShare(c.learned, base, oracle, opts('captured')),
        confidence: calibrationOf(c.confidence, c.probability),
        holdoutLearned: Array.from(c.learned),
      };
    });
    return {
      learner: name,
      description: learnerDescription(name),
      models: results,
      summary: summaryOf(name, columns, results, summaryRng.fork(name)),
    };
  });
  const versusRng = context.root.fork('bootstrap-versus');
  const versus: LearnerComparison[] = compared.map((other, k) => {
    const rng = versusRng.fork(other.learner);
    const opts = (label: string) => ({
      resamples: PROTOCOL.bootstrapResamples,
      rng: rng.fork(label),
      level: PROTOCOL.level,
    });
    const theirs = comparedColumns[k]!.map((c) => c.learned);
    const difference = pairedBootstrap(
      meanOverModels(own.map((c) => c.learned)),
      meanOverModels(theirs),
      opts('mean over models'),
    );
    return {
      against: other.learner,
      models: context.models.map((model, m) => {
        const d = pairedBootstrap(own[m]!.learned, theirs[m]!, opts(`model:${model.profile.name}`));
        return { name: model.profile.name, difference: d, verdict: verdictOf(d) };
      }),
      mean: { difference, verdict: verdictOf(difference) },
    };
  });
  return {
    format: 'sona-benchmark/1',
    title: runTitle(spec.version, spec.mode, learner),
    simulated: true,
    version: spec.version,
    mode: spec.mode,
    seed: spec.seed,
    learner,
    config: {
      epochs: context.schedule.epochs,
      tasksPerEpoch: context.schedule.tasksPerEpoch,
      poolSize: world.poolSize,
      holdoutFraction: PROTOCOL.holdoutFraction,
      holdoutTasks: context.holdout.length,
      folds: PROTOCOL.folds,
      splitShares: { train: 0.6, valid: 0.2, test: 0.2 },
      bootstrapResamples: PROTOCOL.bootstrapResamples,
      curveResamples: PROTOCOL.curveResamples,
      level: PROTOCOL.level,
      calibrationBins: PROTOCOL.calibrationBins,
      profiles: context.profileSet.name,
      arms: [...world.arms],
      compare: [...compare],
      ablations: ablations.map((a) => ({ key: a.key, component: a.component })),
    },
    environment: {
      kind: 'simulated',
      simulated: true,
      description:
        'SIMULATED: a seeded world of latent task clusters with hidden arm effects; success is ' +
        'Bernoulli with p = σ(κ_model + effect(cluster, arm) − δ·difficulty), κ calibrated so a ' +
        'random arm reaches the profile base rate. Rates are exact expected success on held-out tasks.',
      clusters: world.clusterCount,
      parameters: plainParameters(),
      profiles: context.models.map((model) => ({
        name: model.profile.name,
        paramsB: model.profile.paramsB,
        targetBaseRate: model.profile.baseRate,
        kappa: model.kappa,
      })),
    },
    holdout: { taskIds: Array.from(context.holdout, (i) => world.taskIds[i]!) },
    models,
    summary,
    compared,
    versus,
  };
}

/** A learner's held-out columns on one model: success averaged over folds, and the pairs. */
interface HeldOutColumns {
  /** Per held-out task, the fold learners' expected success averaged. */
  readonly learned: Float64Array;
  /** Every (fold learner, held-out task) pair: confidence and exact success probability. */
  readonly confidence: Float64Array;
  readonly probability: Float64Array;
}

function heldOutColumns(
  context: BenchmarkContext,
  m: number,
  get: (job: JobSpec) => JobResult,
  learner?: string,
): HeldOutColumns {
  const folds = context.folds.map((_, f) =>
    get({
      modelIndex: m,
      fold: f,
      variant: 'full',
      ...(learner === undefined ? {} : { learner }),
    }),
  );
  return {
    learned: averageOverFolds(folds.map((r) => r.holdout.success)),
    confidence: concat(folds.map((r) => r.holdout.confidence)),
    probability: concat(folds.map((r) => r.holdout.success)),
  };
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

/** Per item, the mean over the columns (summed in column order). */
function meanOverModels(columns: readonly Float64Array[]): Float64Array {
  return averageOverFolds(columns);
}

function summaryOf(
  learner: string,
  columns: readonly HeldOutColumns[],
  models: readonly { readonly captured: Estimate; readonly confidence: Calibration }[],
  rng: Rng,
): LearnerSummary {
  return {
    learner,
    learned: bootstrapMean(meanOverModels(columns.map((c) => c.learned)), {
      resamples: PROTOCOL.bootstrapResamples,
      rng: rng.fork('learned'),
      level: PROTOCOL.level,
    }),
    captured: mean(models.map((m) => m.captured.rate)),
    worstEce: Math.max(...models.map((m) => m.confidence.ece)),
    meanBrier: mean(models.map((m) => m.confidence.brier)),
    calibration: calibrationOf(
      concat(columns.map((c) => c.confidence)),
      concat(columns.map((c) => c.probability)),
    ),
  };
}

function plainParameters(): unknown {
  return JSON.parse(JSON.stringify(SIMULATED_WORLD_PARAMETERS));
}

function estimateFrom(values: ArrayLike<number>, distribution: Float64Array): Estimate {
  return { rate: mean(values), ci: percentileInterval(distribution, PROTOCOL.level) };
}

/** Mean over folds, item by item (folds summed in order). */
function averageOverFolds(columns: readonly Float64Array[]): Float64Array {
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

function modelResult(
  context: BenchmarkContext,
  model: ModelWorld,
  m: number,
  get: (job: JobSpec) => JobResult,
  rng: Rng,
): ModelResult {
  const folds = context.folds.map((_, f) => get({ modelIndex: m, fold: f, variant: 'full' }));
  const opts = (label: string, resamples: number = PROTOCOL.bootstrapResamples) => ({
    resamples,
    rng: rng.fork(label),
    level: PROTOCOL.level,
  });

  // Held-out tasks: base (random arm), learned (fold learners' greedy choices averaged), oracle.
  const base = Float64Array.from(context.holdout, (i) => model.randomArmRate(i));
  const oracle = Float64Array.from(context.holdout, (i) => model.oracle(i).rate);
  const learned = averageOverFolds(folds.map((r) => r.holdout.success));
  const gap = mean(oracle) - mean(base);
  if (!(gap > 0)) {
    throw new SonaError('INVALID_STATE', `${model.profile.name}: oracle does not beat base`);
  }
  const ablationKeys = ABLATIONS.filter((a) => ablationsOf(context.spec).includes(a.key));
  const ablated = ablationKeys.map((ablation) =>
    averageOverFolds(
      context.folds.map(
        (_, f) => get({ modelIndex: m, fold: f, variant: ablation.key }).holdout.success,
      ),
    ),
  );
  // One joint bootstrap over the held-out tasks for every held-out figure and comparison: each
  // resample draws the same tasks for learned, base, oracle and every ablated run, so all
  // differences are paired.
  const [mLearned, mBase, mOracle, ...mAblated] = resampleMeans(
    [learned, base, oracle, ...ablated],
    opts('holdout'),
  );
  const difference = (a: Float64Array, b: Float64Array) => a.map((x, i) => x - b[i]!);
  const gainDistribution = difference(mLearned!, mBase!);
  const capturedDistribution = mLearned!.map(
    (l, b) => (l - mBase![b]!) / (mOracle![b]! - mBase![b]!),
  );
  const learnedEstimate = estimateFrom(learned, mLearned!);

  // Calibration over every (fold learner, held-out task) pair, against exact probabilities.
  const confidence = concat(folds.map((r) => r.holdout.confidence));
  const probability = concat(folds.map((r) => r.holdout.success));

  // Every non-held-out task appears once in some fold's test split and once in some fold's
  // validation split. Cross-validation (each fold learner on its test fold) and the learning
  // curve (validation rate before training and after each epoch) are bootstrapped jointly over
  // these tasks, aligned by pool index.
  const poolSize = context.world.poolSize;
  const others = Int32Array.from(context.folds.flatMap((s) => Array.from(s.test))).sort();
  const gather = (split: 'test' | 'valid', values: (r: JobResult) => Float64Array) => {
    const byPool = new Float64Array(poolSize);
    context.folds.forEach((s, f) => {
      const v = values(folds[f]!);
      s[split].forEach((poolIndex, j) => {
        byPool[poolIndex] = v[j]!;
      });
    });
    return Float64Array.from(others, (i) => byPool[i]!);
  };
  const cvLearned = gather('test', (r) => r.test!);
  const cvBase = Float64Array.from(others, (i) => model.randomArmRate(i));
  const cvOracle = Float64Array.from(others, (i) => model.oracle(i).rate);
  const epochs = context.schedule.epochs;
  const curveColumns: Float64Array[] = [];
  for (let e = 0; e <= epochs; e++) curveColumns.push(gather('valid', (r) => r.curve![e]!));
  const [cvL, cvB, cvO, ...curveMeans] = resampleMeans(
    [cvLearned, cvBase, cvOracle, ...curveColumns],
    opts('non-holdout', PROTOCOL.curveResamples),
  );
  const history: HistoryEntry[] = curveColumns.map((column, e) => ({
    epoch: e,
    valid: estimateFrom(column, curveMeans[e]!),
    training: e === 0 ? null : trainingMeans(folds, e),
    learner: e === 0 ? null : summaryMeans(folds, e),
  }));

  const ablations: AblationResult[] = ablationKeys.map((ablation, k) => {
    const diff: Estimate = {
      rate: mean(learned) - mean(ablated[k]!),
      ci: percentileInterval(difference(mLearned!, mAblated[k]!), PROTOCOL.level),
    };
    return {
      key: ablation.key,
      component: ablation.component,
      learned: estimateFrom(ablated[k]!, mAblated[k]!),
      difference: diff,
      verdict: verdictOf(diff),
    };
  });

  const paramsB = model.profile.paramsB;
  const lastEpoch = folds.map((r) => r.epochs[r.epochs.length - 1]);
  return {
    name: model.profile.name,
    paramsB,
    loraRank: typeof folds[0]!.stats?.rank === 'number' ? (folds[0]!.stats.rank as number) : null,
    base: estimateFrom(base, mBase!),
    learned: learnedEstimate,
    oracle: estimateFrom(oracle, mOracle!),
    gain: {
      rate: mean(learned) - mean(base),
      ci: percentileInterval(gainDistribution, PROTOCOL.level),
    },
    captured: {
      rate: (mean(learned) - mean(base)) / gap,
      ci: percentileInterval(capturedDistribution, PROTOCOL.level),
    },
    confidence: calibrationOf(confidence, probability),
    efficiencyPerB: {
      rate: learnedEstimate.rate / paramsB,
      ci: [learnedEstimate.ci[0] / paramsB, learnedEstimate.ci[1] / paramsB],
    },
    patterns: lastEpoch.every((e) => e !== undefined)
      ? mean(lastEpoch.map((e) => e!.summary.patterns ?? 0))
      : 0, // a run of zero epochs
    crossValidation: {
      learned: estimateFrom(cvLearned, cvL!),
      base: estimateFrom(cvBase, cvB!),
      oracle: estimateFrom(cvOracle, cvO!),
    },
    history,
    ablations,
    holdoutLearned: Array.from(learned),
    learnerStats: folds.map((r) => r.stats ?? {}),
  };
}

function trainingMeans(
  folds: readonly JobResult[],
  epoch: number,
): { successRate: number; meanDifficulty: number } {
  const records = folds.map((r) => r.epochs[epoch - 1]!);
  return {
    successRate: mean(records.map((r) => r.trainSuccessRate)),
    meanDifficulty: mean(records.map((r) => r.trainMeanDifficulty)),
  };
}

/** Mean over folds of each numeric summary field that every fold reported. */
function summaryMeans(folds: readonly JobResult[], epoch: number): Record<string, number> {
  const summaries = folds.map((r) => r.epochs[epoch - 1]!.summary);
  const out: Record<string, number> = {};
  for (const key of Object.keys(summaries[0]!).sort()) {
    if (summaries.every((s) => typeof s[key] === 'number'))
      out[key] = mean(summaries.map((s) => s[key]!));
  }
  return out;
}
