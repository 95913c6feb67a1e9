import { canonicalHash } from '../output/canonical-json';
import { type LearnerChoice, resolveRunSetup, runPool } from '../runner/pool';
import { assembleReplay } from './assemble';
import { loadReplayData, type ReplayDataset } from './data';
import type { FieldMapping } from './fields';
import {
  createReplayContext,
  type ReplayContext,
  type ReplayJobResult,
  type ReplaySpec,
  runReplayJob,
} from './protocol';
import type { ReplayContent, ReplayResult } from './result';

export interface RunReplayOptions extends ReplaySpec {
  /** A parsed dataset, or a JSON-lines file with its field mapping. */
  readonly data:
    | ReplayDataset
    | {
        readonly file: string;
        readonly fields: FieldMapping;
        /** Skip malformed lines (counted and listed) instead of failing. */
        readonly skipMalformed?: boolean;
      };
  /** A learner the registry knows (`sona`, `random`), or a factory (this thread only). */
  readonly learner: LearnerChoice;
  /** Worker threads; 0 runs every fold in this thread. Default: one per core, at most one per fold. */
  readonly workers?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** The built worker entry (`dist/worker.js`); defaults to the one beside this module. */
  readonly workerUrl?: URL;
}

export interface ReplayRun {
  readonly result: ReplayResult;
  readonly dataset: ReplayDataset;
  /** The fold-0 learner's `state()`, for @sona/checkpoint. */
  readonly checkpoint: unknown;
}

/** What the worker entry receives at start for a replay run. */
export interface ReplayWorkerData {
  readonly kind: 'replay';
  readonly spec: ReplaySpec;
  readonly dataset: ReplayDataset;
  readonly learner: string;
}

/** Hash of a replay result's content: everything but `resultHash` and `run`. */
export function replayHashOf(content: ReplayContent | ReplayResult): string {
  const { resultHash: _hash, run: _run, ...rest } = content as ReplayResult;
  return canonicalHash(rest);
}

/**
 * Runs the replay protocol: one job per fold (in worker threads, or in this one), then the
 * result. The same data, spec and seed give the same result and hash for any number of workers.
 */
export async function runReplayBenchmark(options: RunReplayOptions): Promise<ReplayRun> {
  const started = Date.now();
  const dataset =
    'tasks' in options.data
      ? options.data
      : loadReplayData(options.data.file, options.data.fields, {
          skipMalformed: options.data.skipMalformed === true,
        });
  const spec: ReplaySpec = {
    version: options.version,
    mode: options.mode,
    seed: options.seed,
    ...(options.folds === undefined ? {} : { folds: options.folds }),
    ...(options.costWeight === undefined ? {} : { costWeight: options.costWeight }),
    ...(options.modelParamsB === undefined ? {} : { modelParamsB: options.modelParamsB }),
  };
  const context = createReplayContext(spec, dataset);
  const folds = Array.from({ length: context.folds }, (_, f) => f);
  const { learnerName, factory, workers } = resolveRunSetup(
    options.learner,
    options.workers,
    folds.length,
  );
  let jobs: ReplayJobResult[];
  if (workers === 0) {
    jobs = folds.map((f, k) => {
      const job = runReplayJob(context, f, factory);
      options.onProgress?.(k + 1, folds.length);
      return job;
    });
  } else {
    const workerData: ReplayWorkerData = { kind: 'replay', spec, dataset, learner: learnerName };
    jobs = await runPool<number, ReplayJobResult>({
      url: options.workerUrl ?? new URL('./worker.js', import.meta.url),
      workerData,
      jobs: folds,
      workers,
      ...(options.onProgress === undefined
        ? {}
        : { onProgress: (done: number, total: number) => options.onProgress!(done, total) }),
    });
  }
  const content = assembleReplay(context, jobs, learnerName);
  const result: ReplayResult = {
    ...content,
    resultHash: canonicalHash(content),
    run: {
      startedAt: new Date(started).toISOString(),
      wallMs: Date.now() - started,
      workers,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      data: 'tasks' in options.data ? null : options.data.file,
    },
  };
  return { result, dataset, checkpoint: jobs[0]!.state };
}

/** Builds the context a worker runs folds in (the same as the main thread's). */
export function replayWorkerContext(data: ReplayWorkerData): ReplayContext {
  return createReplayContext(data.spec, data.dataset);
}
