import { type CalibrationSample, SonaError, type Task } from '@sona/core';
import { type Environment, offeredIndices } from '../environment/environment';
import type { Choice, EpochSummary, LearnerFactory } from '../learner';
import { clip01 } from '../learners/common';
import { ablationOverrides } from './ablations';
import type { BenchmarkContext, JobSpec } from './context';

/** What the harness measured during one training epoch, beside the learner's own summary. */
export interface EpochRecord {
  /** The learner's `endEpoch()` summary (numeric fields only). */
  readonly summary: Readonly<Record<string, number>>;
  /** Share of this epoch's chosen-arm attempts that succeeded (drawn outcomes). */
  readonly trainSuccessRate: number;
  /** Mean difficulty of the training tasks picked this epoch; null when tasks have none. */
  readonly trainMeanDifficulty: number | null;
}

/** Greedy choices on a set of tasks and their exact expected success and cost. */
export interface Evaluation {
  readonly arm: Int32Array;
  /** Exact expected success of the chosen arm. */
  readonly success: Float64Array;
  /** Exact expected cost of the chosen arm (zeros without costs). */
  readonly cost: Float64Array;
  readonly confidence: Float64Array;
}

export interface JobResult {
  readonly job: JobSpec;
  /**
   * On the tasks the final figures are on (the holdout, or this fold's test tasks when there is
   * none), one evaluation per cost weight in `context.weights` order.
   */
  readonly final: readonly Evaluation[];
  /**
   * Full runs only: expected success of the greedy policy on the curve tasks (the fold's
   * validation tasks, or its test tasks without a holdout), before training (index 0) and after
   * each epoch.
   */
  readonly curve: Float64Array[] | null;
  /** Full runs with a holdout only: expected success on the fold's test tasks after training. */
  readonly test: Float64Array | null;
  readonly epochs: EpochRecord[];
  /** Full runs only: the learner's `stats()`, scalar fields only. */
  readonly stats: Readonly<Record<string, number | string | boolean>> | null;
  /** Full run of fold 0 of the run's own learner only: its `state()` (checkpoint content). */
  readonly state?: unknown;
}

/**
 * Per-arm cost estimates from training tasks only (never a held-out task's cost): for a task type
 * and arm, the mean over training tasks of that type offering the arm of its expected cost;
 * without such a task, the same over all training tasks; without any, the mean over all training
 * tasks and arms.
 */
export function trainingCostModel(
  env: Environment,
  subject: number,
  train: ArrayLike<number>,
): (task: number, arm: number) => number {
  const sums = new Map<string, { sum: number; n: number }>();
  const add = (key: string, value: number) => {
    const entry = sums.get(key) ?? { sum: 0, n: 0 };
    entry.sum += value;
    entry.n += 1;
    sums.set(key, entry);
  };
  for (let j = 0; j < train.length; j++) {
    const i = train[j]!;
    for (const a of offeredIndices(env, i)) {
      const cost = env.cost(subject, i, a);
      add(`${a}/${env.taskTypes[i]}`, cost);
      add(`${a}`, cost);
      add('*', cost);
    }
  }
  const meanOf = (key: string) => {
    const entry = sums.get(key);
    return entry === undefined ? undefined : entry.sum / entry.n;
  };
  return (task, arm) =>
    meanOf(`${arm}/${env.taskTypes[task]}`) ?? meanOf(`${arm}`) ?? meanOf('*') ?? 0;
}

/**
 * Runs one job of the protocol, for any environment: a fresh learner (a seeded fork for the
 * subject and fold, shared by the full run, its ablations and every compared learner, so their
 * comparisons are paired) trains for the schedule's epochs. Each epoch makes `tasksPerEpoch`
 * attempts; each attempt's task is picked by `learner.pickTask` among the fold's training tasks
 * not yet attempted in the current pass over them (each epoch starts a new pass, and so does a
 * pass that runs out), with an arm the learner picks among the arms the task offers. The outcome
 * comes from the environment, drawn from the fold's attempt stream; with `full` feedback the
 * learner then also records the outcome of every other offered arm (drawn in arm order). Greedy
 * evaluation (`explore: false`) is exact: the chosen arm's expected success. With a cost weight
 * w > 0 the policy takes the offered arm with the highest score − w·ĉ (ĉ estimated on training
 * tasks only), ties to the first in arm order.
 */
export function runJob(
  context: BenchmarkContext,
  job: JobSpec,
  factory: LearnerFactory,
): JobResult {
  const { env } = context;
  const subject = env.subjects[job.modelIndex];
  const split = env.plan.folds[job.fold];
  if (subject === undefined || split === undefined) {
    throw new SonaError('OUT_OF_RANGE', `no job ${job.modelIndex}/${job.fold} in this run`);
  }
  const { variant } = job;
  const isFull = variant === 'full';
  const tasks = env.materializeTasks();
  const armIndex = new Map(env.arms.map((arm, i) => [arm, i]));
  const taskIndex = new Map(tasks.map((task, i) => [task, i]));
  const offeredArms = tasks.map((_, i) => {
    const offered = env.offered(i);
    return offered === null ? undefined : offered.map((a) => env.arms[a]!);
  });
  const jobRng = context.root.fork('training').fork(subject.stream).fork(`fold-${job.fold}`);
  const attemptRng = jobRng.fork('attempts');
  const learner = factory({
    version: context.spec.version,
    dim: env.dim,
    arms: env.arms,
    modelParamsB: subject.paramsB,
    rng: jobRng.fork('learner'),
    epochs: context.schedule.epochs,
    ...(variant === 'full' ? {} : { overrides: ablationOverrides(variant) }),
  });
  const m = job.modelIndex;
  const costOf = env.hasCost ? trainingCostModel(env, m, split.train) : null;

  /** The learner's greedy choice on task i among the arms it offers, checked. */
  const greedyChoice = (i: number) => {
    const arms = offeredArms[i];
    return checkedChoice(
      learner.choose(tasks[i]!, arms === undefined ? { explore: false } : { explore: false, arms }),
      armIndex,
      tasks[i]!,
      arms,
    );
  };

  const evaluate = (indices: Int32Array, weight: number): Evaluation => {
    const n = indices.length;
    const out = {
      arm: new Int32Array(n),
      success: new Float64Array(n),
      cost: new Float64Array(n),
      confidence: new Float64Array(n),
    };
    for (let j = 0; j < n; j++) {
      const i = indices[j]!;
      const choice = greedyChoice(i);
      let a = choice.armIndex;
      let confidence = choice.confidence;
      if (weight > 0 && costOf !== null) {
        let best = Number.NEGATIVE_INFINITY;
        for (const k of offeredIndices(env, i)) {
          const value = choice.scores[k]! - weight * costOf(i, k);
          if (value > best) {
            best = value;
            a = k;
          }
        }
        if (a !== choice.armIndex) confidence = clip01(choice.scores[a]!);
      }
      out.arm[j] = a;
      out.success[j] = env.success(m, i, a);
      out.cost[j] = env.cost(m, i, a);
      out.confidence[j] = confidence;
    }
    return out;
  };

  const curveTasks = split.valid ?? split.test;
  const curve: Float64Array[] | null = isFull ? [] : null;
  if (curve) curve.push(evaluate(curveTasks, 0).success);
  const epochs: EpochRecord[] = [];
  const { epochs: epochCount, tasksPerEpoch } = context.schedule;
  const full = context.spec.feedback === 'full';
  const available = new Uint8Array(tasks.length);
  let candidates: Task[] = [];
  const refill = () => {
    for (const i of candidates) available[taskIndex.get(i)!] = 0;
    candidates = Array.from(split.train, (i) => tasks[i]!);
    for (const i of split.train) available[i] = 1;
  };
  for (let epoch = 1; epoch <= epochCount; epoch++) {
    refill();
    let successes = 0;
    let difficulty = 0;
    let withDifficulty = 0;
    for (let t = 0; t < tasksPerEpoch; t++) {
      if (candidates.length === 0) refill();
      const task = learner.pickTask(candidates);
      const index = taskIndex.get(task as (typeof tasks)[number]);
      if (index === undefined || available[index] !== 1) {
        throw new SonaError(
          'INVALID_ARGUMENT',
          'learner.pickTask returned a task that is not one of the candidates',
          { path: 'learner.pickTask' },
        );
      }
      available[index] = 0;
      candidates.splice(candidates.indexOf(task), 1);
      const arms = offeredArms[index];
      const choice = checkedChoice(
        learner.choose(task, arms === undefined ? undefined : { arms }),
        armIndex,
        task,
        arms,
      );
      if (full) {
        // Every offered arm's outcome, drawn in arm order (the draws do not depend on the
        // choice); the chosen arm's is recorded first.
        const offered = offeredIndices(env, index);
        const outcomes = offered.map((a) => env.attempt(m, index, a, attemptRng));
        const chosen = offered.indexOf(choice.armIndex);
        learner.record(task, choice.arm, outcomes[chosen]!);
        if (outcomes[chosen]!.success) successes++;
        offered.forEach((a, k) => {
          if (k !== chosen) learner.record(task, env.arms[a]!, outcomes[k]!);
        });
      } else {
        const outcome = env.attempt(m, index, choice.armIndex, attemptRng);
        learner.record(task, choice.arm, outcome);
        if (outcome.success) successes++;
      }
      if (task.difficulty !== undefined) {
        difficulty += task.difficulty;
        withDifficulty++;
      }
    }
    epochs.push({
      summary: checkedSummary(learner.endEpoch(), epoch),
      trainSuccessRate: successes / tasksPerEpoch,
      trainMeanDifficulty: withDifficulty === 0 ? null : difficulty / withDifficulty,
    });
    if (curve) curve.push(evaluate(curveTasks, 0).success);
  }

  // A learner with a calibration step gets one attempt of its greedy choice on every validation
  // task (never trained on; the held-out and test tasks never reach it), drawn from its own
  // stream. Without a validation split (replay with 2 folds) there is nothing to calibrate on.
  if (typeof learner.calibrate === 'function' && split.valid !== null) {
    const draws = jobRng.fork('calibration');
    const samples: CalibrationSample[] = Array.from(split.valid, (i) => {
      const choice = greedyChoice(i);
      return {
        task: tasks[i]!,
        arm: choice.arm,
        outcome: env.attempt(m, i, choice.armIndex, draws),
      };
    });
    learner.calibrate(samples);
  }
  const holdout = env.plan.holdout;
  const test = isFull && holdout !== null ? evaluate(split.test, 0).success : null;
  const finalTasks = holdout ?? split.test;
  const final = context.weights.map((w) => evaluate(finalTasks, w));
  const result: JobResult = {
    job,
    final,
    curve,
    test,
    epochs,
    stats: isFull ? scalarFields(learner.stats()) : null,
  };
  return isFull && job.fold === 0 && job.learner === undefined
    ? { ...result, state: learner.state() }
    : result;
}

/**
 * A learner's choice, checked: an arm of the list (and of `offered`, when the task offers only
 * some), confidence in [0, 1], one finite score per arm.
 */
export function checkedChoice(
  result: Choice,
  armIndex: ReadonlyMap<string, number>,
  task: Task,
  offered?: readonly string[],
): Choice & { armIndex: number } {
  const path = `learner.choose(${task.id})`;
  const index =
    result === null || typeof result !== 'object' ? undefined : armIndex.get(result.arm);
  if (index === undefined) {
    throw new SonaError('INVALID_ARGUMENT', `${path} returned an arm that is not in the arm list`, {
      path: `${path}.arm`,
    });
  }
  const { confidence, scores } = result;
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) {
    throw new SonaError('OUT_OF_RANGE', `${path} returned confidence ${confidence}, not in 0..1`, {
      path: `${path}.confidence`,
    });
  }
  if (!(scores instanceof Float32Array) || scores.length !== armIndex.size) {
    throw new SonaError(
      'DIM_MISMATCH',
      `${path} must return a Float32Array of ${armIndex.size} scores aligned with the arms`,
      { path: `${path}.scores` },
    );
  }
  for (let a = 0; a < scores.length; a++) {
    if (!Number.isFinite(scores[a]!)) {
      throw new SonaError('NON_FINITE', `${path} returned score ${a} = ${scores[a]}`, {
        path: `${path}.scores[${a}]`,
      });
    }
  }
  if (offered !== undefined && !offered.includes(result.arm)) {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `${path} returned ${result.arm}, an arm the task does not offer (offered: ${offered.join(', ')})`,
      { path: `${path}.arm` },
    );
  }
  return { arm: result.arm, confidence, scores, armIndex: index };
}

/** The fields every `EpochSummary` has (@sona/core); a learner's further numbers are kept too. */
const SUMMARY_FIELDS = ['epoch', 'attempts', 'successRate', 'meanConfidence'] as const;

export function checkedSummary(summary: EpochSummary, epoch: number): Record<string, number> {
  if (summary === null || typeof summary !== 'object') {
    throw new SonaError('INVALID_ARGUMENT', 'learner.endEpoch() must return an EpochSummary', {
      path: 'learner.endEpoch',
    });
  }
  const out: Record<string, number> = {};
  for (const key of SUMMARY_FIELDS) {
    if (!Number.isFinite(summary[key])) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `learner.endEpoch() field '${key}' is ${summary[key]}, not a finite number`,
        { path: `learner.endEpoch().${key}` },
      );
    }
  }
  for (const key of Object.keys(summary).sort()) {
    if (key === '__proto__') continue;
    const value = summary[key];
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  }
  if (out.epoch !== epoch) {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `learner.endEpoch() reported epoch ${out.epoch}, expected ${epoch}`,
      { path: 'learner.endEpoch().epoch' },
    );
  }
  return out;
}

export function scalarFields(
  stats: Record<string, unknown>,
): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  if (stats === null || typeof stats !== 'object') return out;
  for (const key of Object.keys(stats).sort()) {
    if (key === '__proto__') continue;
    const value = stats[key];
    if (
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      out[key] = value;
    }
  }
  return out;
}
