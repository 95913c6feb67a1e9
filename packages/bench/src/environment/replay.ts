import { createRng, type Outcome, type Rng, SonaError, type Task } from '@sona/core';
import type { ReplayDataset, ReplaySource, TypeCount } from '../replay/data';
import type { FieldMapping } from '../replay/fields';
import { stratifiedFolds } from '../stats/split';
import type { Environment, FoldSplit, SplitPlan, Subject } from './environment';

export interface ReplayEnvironmentSpec {
  readonly kind: 'replay';
  /** The parsed log (plain data: it is what worker threads receive). */
  readonly dataset: ReplayDataset;
  /** Cross-validation folds asked for (default 5); fewer when there are fewer tasks. */
  readonly folds?: number;
  /** Model size the adapter rank follows (default 7 B: rank 4). */
  readonly paramsB?: number;
}

export const REPLAY_DEFAULTS = { folds: 5, paramsB: 7 } as const;

/** What a replay result says about its environment. */
export interface ReplayEnvironmentInfo {
  readonly kind: 'replay';
  readonly simulated: false;
  readonly description: string;
  readonly source: ReplaySource;
  readonly fields: FieldMapping;
  readonly rowsUsed: number;
  readonly rowsSkipped: number;
  readonly skipped: ReplayDataset['skipped'];
  readonly malformedLines: ReplayDataset['malformedLines'];
  readonly tasks: number;
  readonly arms: readonly string[];
  /** Set when the run was restricted to some arms (`--arms`). */
  readonly restriction: ReplayDataset['restriction'];
  readonly folds: number;
  readonly requestedFolds: number;
  readonly types: readonly TypeCount[];
  readonly embeddings: { readonly embedding: number; readonly text: number; readonly id: number };
  /** Model size the adapter rank follows (a setting: replayed routes often span models). */
  readonly paramsB: number;
}

/**
 * Real logged outcomes replayed: one subject (the log), task types are the log's own labels, a
 * task offers only the arms logged for it, an attempt draws one of the logged trials of the chosen
 * arm uniformly, and a choice is worth the exact mean of its trials. k-fold cross-validation over
 * tasks, stratified by type, with no separate holdout: each task is scored by the learner of the
 * fold that held it out; with k ≥ 3 the next fold is that learner's validation part (calibration
 * and learning curve), so it trains on k − 2 folds. Tasks carry no difficulty or bucket: deriving one from the logged outcomes
 * would leak the labels into the learner.
 */
export class ReplayEnvironment implements Environment {
  readonly kind = 'replay';
  readonly simulated = false;
  readonly dataset: ReplayDataset;
  readonly root: Rng;
  readonly plan: SplitPlan;
  readonly subjects: readonly Subject[];
  readonly requestedFolds: number;
  readonly foldOf: Int32Array;
  readonly taskIds: readonly string[];
  readonly taskTypes: readonly string[];
  /** tasks × arms: index into the task's `arms` logs, −1 where the arm was not logged. */
  readonly #log: Int32Array;
  readonly #offered: (readonly number[] | null)[];

  constructor(spec: ReplayEnvironmentSpec, seed: number) {
    const dataset = spec.dataset;
    this.dataset = dataset;
    const requested = spec.folds ?? REPLAY_DEFAULTS.folds;
    if (!Number.isInteger(requested) || requested < 2 || requested > 1000) {
      throw new SonaError(
        'OUT_OF_RANGE',
        `folds must be an integer from 2 to 1000, got ${requested}`,
        {
          path: 'folds',
        },
      );
    }
    const paramsB = spec.paramsB ?? REPLAY_DEFAULTS.paramsB;
    if (!(Number.isFinite(paramsB) && paramsB > 0 && paramsB <= 100_000)) {
      throw new SonaError(
        'OUT_OF_RANGE',
        `paramsB must be a number in (0, 100000], got ${paramsB}`,
        {
          path: 'paramsB',
        },
      );
    }
    this.requestedFolds = requested;
    this.root = createRng(seed).fork('replay');
    this.subjects = [{ name: dataset.source.name, paramsB, stream: 'log' }];
    this.taskIds = dataset.tasks.map((t) => t.id);
    this.taskTypes = dataset.tasks.map((t) => t.type);
    const armCount = dataset.arms.length;
    const armIndex = new Map(dataset.arms.map((a, i) => [a, i]));
    this.#log = new Int32Array(dataset.tasks.length * armCount).fill(-1);
    this.#offered = dataset.tasks.map((task, i) => {
      const indices = task.arms.map((log, k) => {
        const a = armIndex.get(log.arm)!;
        this.#log[i * armCount + a] = k;
        return a;
      });
      return indices.length === armCount ? null : indices;
    });
    const folds = Math.min(requested, dataset.tasks.length);
    const typeIndex = new Map([...new Set(this.taskTypes)].sort().map((t, i) => [t, i]));
    const strata = Int32Array.from(this.taskTypes, (t) => typeIndex.get(t)!);
    this.foldOf = stratifiedFolds(strata, folds, this.root.fork('splits').fork('folds'));
    // With three folds or more, fold f + 1 (mod k) validates fold f's learner: its calibration
    // step and learning curve use those tasks, never trained on, so each task is tested once
    // and validated once (as in the simulated protocol). Two folds leave no third part.
    const plan: FoldSplit[] = [];
    for (let f = 0; f < folds; f++) {
      const validFold = folds >= 3 ? (f + 1) % folds : -1;
      const train: number[] = [];
      const valid: number[] = [];
      const test: number[] = [];
      this.foldOf.forEach((g, i) => {
        (g === f ? test : g === validFold ? valid : train).push(i);
      });
      plan.push({
        train: Int32Array.from(train),
        valid: validFold < 0 ? null : Int32Array.from(valid),
        test: Int32Array.from(test),
      });
    }
    this.plan = { folds: plan, holdout: null };
  }

  get arms() {
    return this.dataset.arms;
  }

  get dim() {
    return this.dataset.dim;
  }

  get hasCost() {
    return this.dataset.hasCost;
  }

  materializeTasks(): Task[] {
    return this.dataset.tasks.map((t) =>
      Object.freeze({ id: t.id, type: t.type, embedding: t.embedding.slice() }),
    );
  }

  offered(task: number): readonly number[] | null {
    return this.#offered[task]!;
  }

  #armLog(task: number, arm: number) {
    const k = this.#log[task * this.dataset.arms.length + arm]!;
    if (k < 0) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `task ${this.taskIds[task]} did not log arm ${this.dataset.arms[arm]}`,
      );
    }
    return this.dataset.tasks[task]!.arms[k]!;
  }

  success(_subject: number, task: number, arm: number): number {
    return this.#armLog(task, arm).successRate;
  }

  cost(_subject: number, task: number, arm: number): number {
    return this.#armLog(task, arm).meanCost ?? 0;
  }

  attempt(_subject: number, task: number, arm: number, rng: Rng): Outcome {
    const trials = this.#armLog(task, arm).trials;
    const trial = trials[trials.length === 1 ? 0 : rng.int(trials.length)]!;
    return { success: trial.success, quality: trial.value };
  }

  info(): ReplayEnvironmentInfo {
    const d = this.dataset;
    const embeddings = { embedding: 0, text: 0, id: 0 };
    for (const t of d.tasks) embeddings[t.embeddedFrom]++;
    return {
      kind: 'replay',
      simulated: false,
      description:
        'Real logged outcomes replayed: an attempt draws one of the logged trials of the chosen ' +
        'arm on the task; a task offers only the arms logged for it. Each task is held out once ' +
        'in k-fold cross-validation over tasks and scored by the exact mean of the logged ' +
        'outcomes of the arm chosen for it; with 3 folds or more the next fold validates each ' +
        "fold's learner (its calibration and learning curve), so it trains on k − 2 folds.",
      source: d.source,
      fields: d.fields,
      rowsUsed: d.rowsUsed,
      rowsSkipped: d.rowsSkipped,
      skipped: d.skipped,
      malformedLines: d.malformedLines,
      tasks: d.tasks.length,
      arms: [...d.arms],
      restriction: d.restriction,
      folds: this.plan.folds.length,
      requestedFolds: this.requestedFolds,
      types: d.types,
      embeddings,
      paramsB: this.subjects[0]!.paramsB,
    };
  }
}
