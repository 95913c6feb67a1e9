import { type CalibrationSample, type Rng, SonaError, type Task } from '@sona/core';
import type { Choice, EpochSummary, Learner, LearnerFactory } from '../learner';
import type { ModelWorld } from '../simulated/world';
import { ablationOverrides } from './ablations';
import type { BenchmarkContext, JobSpec } from './context';

/** What the harness measured during one training epoch, beside the learner's own summary. */
export interface EpochRecord {
  /** The learner's `endEpoch()` summary (numeric fields only). */
  readonly summary: Readonly<Record<string, number>>;
  /** Share of this epoch's training attempts that succeeded (drawn outcomes). */
  readonly trainSuccessRate: number;
  /** Mean difficulty of the training tasks the learner picked this epoch. */
  readonly trainMeanDifficulty: number;
}

/** Greedy choices on a set of tasks and their exact expected success. */
export interface Evaluation {
  readonly arm: Int32Array;
  /** Exact success probability of the chosen arm. */
  readonly success: Float64Array;
  readonly confidence: Float64Array;
}

export interface JobResult {
  readonly job: JobSpec;
  /** On the held-out tasks, in `context.holdout` order. */
  readonly holdout: Evaluation;
  /**
   * Full runs only: expected success of the greedy policy on the fold's validation tasks,
   * before training (index 0) and after each epoch.
   */
  readonly curve: Float64Array[] | null;
  /** Full runs only: expected success on the fold's test tasks after training. */
  readonly test: Float64Array | null;
  readonly epochs: EpochRecord[];
  /** Full runs only: the learner's `stats()`, scalar fields only. */
  readonly stats: Readonly<Record<string, number | string | boolean>> | null;
  /** Full run of fold 0 of the run's own learner only: its `state()` (checkpoint content). */
  readonly state?: unknown;
}

/**
 * Runs one job of the protocol: a fresh learner (seeded fork for the model and fold, shared by
 * the full run and its ablations so their comparison is paired) trains for `epochs` epochs of
 * `tasksPerEpoch` tasks, each picked by `learner.pickTask` among the fold's training tasks not
 * yet used in the epoch; outcomes are drawn from the world. The validation split gives the
 * learning curve, the test split the cross-validation estimate, the holdout the final numbers.
 * Evaluation is greedy (`explore: false`) and exact (the chosen arm's success probability).
 */
export function runJob(
  context: BenchmarkContext,
  job: JobSpec,
  factory: LearnerFactory,
): JobResult {
  const model = context.models[job.modelIndex];
  const split = context.folds[job.fold];
  if (model === undefined || split === undefined) {
    throw new SonaError('OUT_OF_RANGE', `no job ${job.modelIndex}/${job.fold} in this run`);
  }
  const { variant } = job;
  const isFull = variant === 'full';
  const { world } = context;
  const tasks = world.materializeTasks();
  const armIndex = new Map(world.arms.map((arm, i) => [arm, i]));
  const taskIndex = new Map(tasks.map((task, i) => [task, i]));
  const jobRng = context.root.fork('training').fork(model.profile.name).fork(`fold-${job.fold}`);
  const attemptRng = jobRng.fork('attempts');
  const learner = factory({
    version: context.spec.version,
    dim: world.dim,
    arms: world.arms,
    modelParamsB: model.profile.paramsB,
    rng: jobRng.fork('learner'),
    epochs: context.schedule.epochs,
    ...(variant === 'full' ? {} : { overrides: ablationOverrides(variant) }),
  });

  const curve: Float64Array[] | null = isFull ? [] : null;
  if (curve) curve.push(evaluate(learner, model, tasks, split.valid, armIndex).success);
  const epochs: EpochRecord[] = [];
  const { epochs: epochCount, tasksPerEpoch } = context.schedule;
  if (tasksPerEpoch > split.train.length) {
    throw new SonaError(
      'OUT_OF_RANGE',
      `${tasksPerEpoch} tasks per epoch but only ${split.train.length} training tasks`,
    );
  }
  const available = new Uint8Array(tasks.length);
  for (let epoch = 1; epoch <= epochCount; epoch++) {
    const candidates: Task[] = Array.from(split.train, (i) => tasks[i]!);
    for (const i of split.train) available[i] = 1;
    let successes = 0;
    let difficulty = 0;
    for (let t = 0; t < tasksPerEpoch; t++) {
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
      const choice = checkedChoice(learner.choose(task), armIndex, task);
      const outcome = model.attempt(index, choice.armIndex, attemptRng);
      learner.record(task, choice.arm, outcome);
      if (outcome.success) successes++;
      difficulty += task.difficulty ?? 0;
    }
    for (const i of split.train) available[i] = 0;
    epochs.push({
      summary: checkedSummary(learner.endEpoch(), epoch),
      trainSuccessRate: successes / tasksPerEpoch,
      trainMeanDifficulty: difficulty / tasksPerEpoch,
    });
    if (curve) curve.push(evaluate(learner, model, tasks, split.valid, armIndex).success);
  }

  if (typeof learner.calibrate === 'function') {
    learner.calibrate(calibrationSamples(learner, model, tasks, split.valid, armIndex, jobRng));
  }
  const test = isFull ? evaluate(learner, model, tasks, split.test, armIndex).success : null;
  const holdout = evaluate(learner, model, tasks, context.holdout, armIndex);
  const result: JobResult = {
    job,
    holdout,
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
 * One attempt of the learner's greedy choice on every validation task, drawn from its own stream:
 * what a learner with a `calibrate` step may fit its confidence on. Validation tasks are never
 * trained on, and the held-out tasks never reach the learner.
 */
function calibrationSamples(
  learner: Learner,
  model: ModelWorld,
  tasks: readonly Task[],
  indices: Int32Array,
  armIndex: ReadonlyMap<string, number>,
  jobRng: Rng,
): CalibrationSample[] {
  const draws = jobRng.fork('calibration');
  return Array.from(indices, (i) => {
    const task = tasks[i]!;
    const choice = checkedChoice(learner.choose(task, { explore: false }), armIndex, task);
    return { task, arm: choice.arm, outcome: model.attempt(i, choice.armIndex, draws) };
  });
}

function evaluate(
  learner: Learner,
  model: ModelWorld,
  tasks: readonly Task[],
  indices: Int32Array,
  armIndex: ReadonlyMap<string, number>,
): Evaluation {
  const arm = new Int32Array(indices.length);
  const success = new Float64Array(indices.length);
  const confidence = new Float64Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const task = tasks[indices[j]!]!;
    const choice = checkedChoice(learner.choose(task, { explore: false }), armIndex, task);
    arm[j] = choice.armIndex;
    success[j] = model.successProbability(indices[j]!, choice.armIndex);
    confidence[j] = choice.confidence;
  }
  return { arm, success, confidence };
}

export function checkedChoice(
  result: Choice,
  armIndex: ReadonlyMap<string, number>,
  task: Task,
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
