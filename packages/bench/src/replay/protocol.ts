import {
  assertInteger,
  createRng,
  type Rng,
  SonaError,
  TASK_TYPES,
  type Task,
  type Version,
} from '@sona/core';
import type { Choice, LearnerFactory } from '../learner';
import { checkedChoice, checkedSummary, scalarFields } from '../protocol/job';
import { type Mode, type Schedule, schedule } from '../protocol/modes';
import { stratifiedFolds } from '../stats/split';
import type { ReplayDataset, ReplayTask } from './data';

/** What a replay run is, besides its data. */
export interface ReplaySpec {
  readonly version: Version;
  /** Epochs and attempts per epoch (the SPEC table). */
  readonly mode: Mode;
  readonly seed: number;
  /** Cross-validation folds asked for (default 5); fewer when there are fewer tasks. */
  readonly folds?: number;
  /** w in success − w·cost (default 0: pass rate only). In the cost field's units. */
  readonly costWeight?: number;
  /** Model size for the adapter rank (default 7 B: rank 4). */
  readonly modelParamsB?: number;
}

export const REPLAY_DEFAULTS = {
  folds: 5,
  costWeight: 0,
  modelParamsB: 7,
  /**
   * A logged task's difficulty is unknown. Deriving it from its outcomes would leak the labels
   * into the learner, so every task gets the neutral 0.5 (bucket `medium`); curriculum and DDA
   * then have nothing to order by.
   */
  difficulty: 0.5,
  bucket: 'medium',
} as const;

export interface ReplayContext {
  readonly spec: Required<ReplaySpec>;
  readonly dataset: ReplayDataset;
  readonly schedule: Schedule;
  /** Folds actually used: min(requested, tasks). */
  readonly folds: number;
  /** Fold of each task (dataset order). */
  readonly foldOf: Int32Array;
  /** Tasks as the learner sees them, in dataset order. */
  readonly tasks: readonly Task[];
  readonly root: Rng;
}

export function resolveReplaySpec(spec: ReplaySpec): Required<ReplaySpec> {
  if (!Number.isSafeInteger(spec.seed) || spec.seed < 0) {
    throw new SonaError('INVALID_ARGUMENT', `seed must be a safe integer ≥ 0, got ${spec.seed}`);
  }
  schedule(spec.version, spec.mode);
  const folds = assertInteger(spec.folds ?? REPLAY_DEFAULTS.folds, 'folds', 2, 1000);
  const costWeight = spec.costWeight ?? REPLAY_DEFAULTS.costWeight;
  if (!(Number.isFinite(costWeight) && costWeight >= 0)) {
    throw new SonaError(
      'OUT_OF_RANGE',
      `costWeight must be a finite number ≥ 0, got ${costWeight}`,
      {
        path: 'costWeight',
      },
    );
  }
  const modelParamsB = spec.modelParamsB ?? REPLAY_DEFAULTS.modelParamsB;
  if (!(Number.isFinite(modelParamsB) && modelParamsB > 0)) {
    throw new SonaError('OUT_OF_RANGE', `modelParamsB must be a number > 0, got ${modelParamsB}`, {
      path: 'modelParamsB',
    });
  }
  return {
    version: spec.version,
    mode: spec.mode,
    seed: spec.seed,
    folds,
    costWeight: costWeight === 0 ? 0 : costWeight,
    modelParamsB,
  };
}

/**
 * The run's folds and tasks, deterministic in the spec and the data, so every worker builds the
 * same one. Tasks are dealt into folds stratified by task type (`stratifiedFolds`).
 */
export function createReplayContext(spec: ReplaySpec, dataset: ReplayDataset): ReplayContext {
  const resolved = resolveReplaySpec(spec);
  if (resolved.costWeight > 0 && !dataset.hasCost) {
    throw new SonaError(
      'FIELD_MAPPING',
      'a cost weight needs a cost: map one with --field cost=PATH',
      { path: 'cost' },
    );
  }
  const root = createRng(resolved.seed).fork('replay');
  const folds = Math.min(resolved.folds, dataset.tasks.length);
  const typeIndex = new Map(
    [...new Set(dataset.tasks.map((t) => t.type))].sort().map((t, i) => [t, i]),
  );
  const strata = Int32Array.from(dataset.tasks, (t) => typeIndex.get(t.type)!);
  const foldOf = stratifiedFolds(strata, folds, root.fork('splits').fork('folds'));
  const tasks: Task[] = dataset.tasks.map((t) => ({
    id: t.id,
    type: t.type,
    difficulty: REPLAY_DEFAULTS.difficulty,
    bucket: REPLAY_DEFAULTS.bucket,
    embedding: t.embedding,
  }));
  return {
    spec: resolved,
    dataset,
    schedule: schedule(resolved.version, resolved.mode),
    folds,
    foldOf,
    tasks,
    root,
  };
}

/** A fold's greedy choices on its held-out tasks. */
export interface ReplayEvaluation {
  /** Dataset indices of the held-out tasks, ascending. */
  readonly tasks: Int32Array;
  /** Index into `dataset.arms` of the chosen arm. */
  readonly arm: Int32Array;
  /** Mean logged success of the chosen arm on the task. */
  readonly success: Float64Array;
  /** Mean logged cost of the chosen arm (zeros without a cost field). */
  readonly cost: Float64Array;
  readonly confidence: Float64Array;
}

export interface ReplayEpochRecord {
  readonly summary: Readonly<Record<string, number>>;
  /** Share of this epoch's training attempts whose drawn trial succeeded. */
  readonly trainSuccessRate: number;
}

export interface ReplayJobResult {
  readonly fold: number;
  /** After training. */
  readonly heldOut: ReplayEvaluation;
  /** Expected success on the held-out tasks before training (0) and after each epoch. */
  readonly curve: Float64Array[];
  readonly epochs: ReplayEpochRecord[];
  readonly stats: Readonly<Record<string, number | string | boolean>>;
  /** Fold 0 only: the learner's `state()` (checkpoint content). */
  readonly state?: unknown;
}

/**
 * Per-arm cost estimates from training tasks only (never a held-out task's logged cost): for a
 * task type and arm, the mean over training tasks of that type offering the arm of its mean
 * logged cost; without such a task, the same over all training tasks; without any, the mean
 * over all training tasks and arms.
 */
export function trainingCostModel(
  dataset: ReplayDataset,
  train: readonly number[],
): (type: string, arm: number) => number {
  const armIndex = new Map(dataset.arms.map((arm, i) => [arm, i]));
  const sums = new Map<string, { sum: number; n: number }>();
  const add = (key: string, value: number) => {
    const entry = sums.get(key) ?? { sum: 0, n: 0 };
    entry.sum += value;
    entry.n += 1;
    sums.set(key, entry);
  };
  for (const i of train) {
    const task = dataset.tasks[i]!;
    for (const log of task.arms) {
      const a = armIndex.get(log.arm)!;
      const cost = log.meanCost ?? 0;
      add(`${task.type}/${a}`, cost);
      add(`*/${a}`, cost);
      add('*', cost);
    }
  }
  const meanOf = (key: string) => {
    const entry = sums.get(key);
    return entry === undefined ? undefined : entry.sum / entry.n;
  };
  return (type, arm) => meanOf(`${type}/${arm}`) ?? meanOf(`*/${arm}`) ?? meanOf('*') ?? 0;
}

function offeredArms(task: ReplayTask): string[] {
  return task.arms.map((a) => a.arm);
}

/**
 * One fold: a fresh learner (its own seeded stream per fold, the same for every version) trains
 * for the mode's epochs; each epoch makes the mode's `tasksPerEpoch` attempts, each on a task
 * `learner.pickTask` picks among the fold's training tasks not yet attempted in the current pass
 * over them (a new pass starts when all have been; passes run on across epochs), with an arm the learner picks among the arms
 * logged for that task. The outcome is one of the logged trials of that task and arm, drawn
 * uniformly with the fold's attempt stream. Then each held-out task gets the greedy choice (with
 * a cost weight w > 0: the offered arm maximising score − w·estimated cost, costs estimated on
 * training tasks only), scored exactly by the mean logged outcome of the chosen arm.
 */
export function runReplayJob(
  context: ReplayContext,
  fold: number,
  factory: LearnerFactory,
): ReplayJobResult {
  if (!Number.isInteger(fold) || fold < 0 || fold >= context.folds) {
    throw new SonaError('OUT_OF_RANGE', `no fold ${fold} in this run (${context.folds} folds)`);
  }
  const { dataset, tasks, spec } = context;
  const train: number[] = [];
  const test: number[] = [];
  context.foldOf.forEach((f, i) => {
    (f === fold ? test : train).push(i);
  });
  const taskIndex = new Map(tasks.map((task, i) => [task, i]));
  const armIndex = new Map(dataset.arms.map((arm, i) => [arm, i]));
  const jobRng = context.root.fork('training').fork(`fold-${fold}`);
  const attemptRng = jobRng.fork('attempts');
  const learner = factory({
    version: spec.version,
    dim: dataset.dim,
    arms: dataset.arms,
    modelParamsB: spec.modelParamsB,
    rng: jobRng.fork('learner'),
    epochs: context.schedule.epochs,
  });
  const costOf = trainingCostModel(dataset, train);
  const weight = dataset.hasCost ? spec.costWeight : 0;

  const evaluate = (): ReplayEvaluation => {
    const n = test.length;
    const out = {
      tasks: Int32Array.from(test),
      arm: new Int32Array(n),
      success: new Float64Array(n),
      cost: new Float64Array(n),
      confidence: new Float64Array(n),
    };
    test.forEach((i, j) => {
      const task = dataset.tasks[i]!;
      const offered = offeredArms(task);
      const choice = checked(
        learner.choose(tasks[i]!, { explore: false, arms: offered }),
        armIndex,
        offered,
        tasks[i]!,
      );
      let pick = choice.arm;
      if (weight > 0) {
        // Highest score − w·cost among the offered arms; ties to the first in arm order.
        let best = Number.NEGATIVE_INFINITY;
        for (const log of task.arms) {
          const a = armIndex.get(log.arm)!;
          const value = choice.scores[a]! - weight * costOf(task.type, a);
          if (value > best) {
            best = value;
            pick = log.arm;
          }
        }
      }
      const log = task.arms.find((l) => l.arm === pick)!;
      const a = armIndex.get(pick)!;
      out.arm[j] = a;
      out.success[j] = log.successRate;
      out.cost[j] = log.meanCost ?? 0;
      out.confidence[j] = pick === choice.arm ? choice.confidence : choice.scores[a]!;
    });
    return out;
  };

  const curve: Float64Array[] = [evaluate().success];
  const epochs: ReplayEpochRecord[] = [];
  const { epochs: epochCount, tasksPerEpoch } = context.schedule;
  const available = new Uint8Array(tasks.length);
  let candidates: Task[] = [];
  const refill = () => {
    candidates = train.map((i) => tasks[i]!);
    for (const i of train) available[i] = 1;
  };
  for (let epoch = 1; epoch <= epochCount; epoch++) {
    let successes = 0;
    for (let t = 0; t < tasksPerEpoch; t++) {
      if (candidates.length === 0) refill();
      const task = learner.pickTask(candidates);
      const index = taskIndex.get(task);
      if (index === undefined || available[index] !== 1) {
        throw new SonaError(
          'INVALID_ARGUMENT',
          'learner.pickTask returned a task that is not one of the candidates',
          { path: 'learner.pickTask' },
        );
      }
      available[index] = 0;
      candidates.splice(candidates.indexOf(task), 1);
      const logged = dataset.tasks[index]!;
      const offered = offeredArms(logged);
      const choice = checked(learner.choose(task, { arms: offered }), armIndex, offered, task);
      const trials = logged.arms.find((l) => l.arm === choice.arm)!.trials;
      const trial = trials[trials.length === 1 ? 0 : attemptRng.int(trials.length)]!;
      learner.record(task, choice.arm, { success: trial.success, quality: trial.value });
      if (trial.success) successes++;
    }
    epochs.push({
      summary: checkedSummary(learner.endEpoch(), epoch),
      trainSuccessRate: successes / tasksPerEpoch,
    });
    curve.push(evaluate().success);
  }
  const heldOut = evaluate();
  const result: ReplayJobResult = {
    fold,
    heldOut,
    curve,
    epochs,
    stats: scalarFields(learner.stats()),
  };
  return fold === 0 ? { ...result, state: learner.state() } : result;
}

/** The job's own checks of a choice, plus: the arm is one the task offers. */
function checked(
  result: Choice,
  armIndex: ReadonlyMap<string, number>,
  offered: readonly string[],
  task: Task,
): Choice {
  const choice = checkedChoice(result, armIndex, task);
  if (!offered.includes(choice.arm)) {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `learner.choose(${task.id}) returned ${choice.arm}, an arm the task does not offer (offered: ${offered.join(', ')})`,
      { path: `learner.choose(${task.id}).arm` },
    );
  }
  return choice;
}
