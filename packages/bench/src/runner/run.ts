import { SonaError } from '@sona/core';
import { backend } from '@sona/simd';
import type { Feedback } from '../environment/environment';
import type { LearnerFactory } from '../learner';
import {
  isLearnerName,
  LEARNERS,
  resolveCompare,
  resolveLearnerFactory,
} from '../learners/registry';
import { canonicalHash } from '../output/canonical-json';
import { assembleResult } from '../protocol/assemble';
import {
  type BenchmarkContext,
  type BenchmarkSpec,
  createContext,
  type JobSpec,
  jobKey,
  planJobs,
} from '../protocol/context';
import { type JobResult, runJob } from '../protocol/job';
import type { BenchmarkContent, BenchmarkResult } from '../protocol/result';
import { loadReplayData, type ReplayDataset, restrictArms } from '../replay/data';
import type { FieldMapping } from '../replay/fields';
import { type LearnerChoice, resolveRunSetup, runPool } from './pool';

export interface RunBenchmarkOptions extends BenchmarkSpec {
  /**
   * The learner: a name the registry knows (`sona`, `random`, `linucb`, ...), which worker
   * threads can load, or a factory, which runs in this thread only.
   */
  readonly learner: LearnerChoice;
  /** Worker threads; 0 runs every job in this thread. Default: one per available core. */
  readonly workers?: number;
  /**
   * Run the v3 ablations. Default: for a named learner, whether it honours the ablation
   * overrides (only `sona` does) and the environment is simulated; for a factory, true.
   */
  readonly ablations?: boolean;
  /** Called after each finished job. */
  readonly onProgress?: (done: number, total: number, job: JobSpec) => void;
  /** The built worker entry (`dist/worker.js`); defaults to the one beside this module. */
  readonly workerUrl?: URL;
  /** The replay data path as given, recorded in `run.data` (not hashed). */
  readonly dataPath?: string;
}

export interface CheckpointState {
  readonly model: string;
  /** The fold-0 learner's `state()`, for @sona/checkpoint. */
  readonly state: unknown;
}

export interface BenchmarkRun {
  readonly result: BenchmarkResult;
  readonly checkpoints: readonly CheckpointState[];
}

/** Hash of a result's content: everything but `resultHash` and `run`. */
export function resultHashOf(content: BenchmarkContent | BenchmarkResult): string {
  const { resultHash: _hash, run: _run, ...rest } = content as BenchmarkResult;
  return canonicalHash(rest);
}

/**
 * Checks what a learner needs before anything runs (a linear baseline keeps d² numbers per arm,
 * so it refuses embeddings it could not hold), so that a run never fails half-way for a reason
 * known at the start.
 */
function checkLearnerFits(name: string, dim: number): void {
  if (!isLearnerName(name)) return;
  const maxDim = LEARNERS[name].maxDim;
  if (dim > maxDim) {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `learner ${name} supports embeddings of at most ${maxDim} dimensions, these have ${dim}`,
      { path: 'learner' },
    );
  }
}

/** A run checked and planned, ready to start (`prepareRun`). */
export interface PreparedRun {
  readonly spec: BenchmarkSpec;
  readonly jobs: readonly JobSpec[];
  readonly learnerName: string;
  readonly factory: LearnerFactory;
  readonly workers: number;
}

/**
 * Checks everything a run needs and plans its jobs, before any work: the spec (seed, mode,
 * environment, feedback, cost weights), the learners compared with, whether each learner can hold
 * the environment's embeddings, and the worker count. Every problem is a SonaError thrown here.
 */
export function prepareRun(options: RunBenchmarkOptions): PreparedRun {
  const name = typeof options.learner === 'string' ? options.learner : options.learner.name;
  const simulated = options.environment === undefined || options.environment.kind === 'simulated';
  const ablations =
    options.ablations ??
    (typeof options.learner === 'string' && isLearnerName(name)
      ? LEARNERS[name].ablations && simulated
      : true);
  const spec: BenchmarkSpec = {
    version: options.version,
    mode: options.mode,
    seed: options.seed,
    ...(options.environment === undefined ? {} : { environment: options.environment }),
    ...(options.profiles === undefined ? {} : { profiles: options.profiles }),
    ablations,
    compare: resolveCompare(options.compare ?? [], name),
    ...(options.feedback === undefined ? {} : { feedback: options.feedback }),
    ...(options.costWeight === undefined ? {} : { costWeight: options.costWeight }),
    ...(options.costWeights === undefined ? {} : { costWeights: options.costWeights }),
    ...(options.budget === undefined ? {} : { budget: options.budget }),
  };
  const jobs = planJobs(spec);
  const dim = options.environment?.kind === 'replay' ? options.environment.dataset.dim : 256;
  for (const learner of [name, ...(spec.compare ?? [])]) checkLearnerFits(learner, dim);
  const { learnerName, factory, workers } = resolveRunSetup(
    options.learner,
    options.workers,
    jobs.length,
  );
  return { spec, jobs, learnerName, factory, workers };
}

/**
 * Runs the whole protocol for a spec (simulated or replay) and assembles the result. The result
 * (and its hash) is the same for any number of workers.
 */
export async function runBenchmark(
  options: RunBenchmarkOptions,
  prepared: PreparedRun = prepareRun(options),
): Promise<BenchmarkRun> {
  const started = Date.now();
  const { spec, jobs, learnerName, factory, workers } = prepared;
  let context: BenchmarkContext;
  let results: Map<string, JobResult>;
  if (workers === 0) {
    context = createContext(spec);
    results = runInThread(context, jobs, factory, options.onProgress);
  } else {
    // The workers start first; this thread builds its own copy of the context (for assembly)
    // while they run.
    const running = runInWorkers(spec, learnerName, jobs, workers, options);
    try {
      context = createContext(spec);
    } catch (error) {
      running.catch(() => undefined);
      throw error;
    }
    results = await running;
  }
  const content = assembleResult(context, results, learnerName);
  const checkpoints = context.env.subjects.map((subject, m) => ({
    model: subject.name,
    state: results.get(jobKey({ modelIndex: m, fold: 0, variant: 'full' }))!.state,
  }));
  const result: BenchmarkResult = {
    ...content,
    resultHash: canonicalHash(content),
    run: {
      startedAt: new Date(started).toISOString(),
      wallMs: Date.now() - started,
      workers,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      data: options.dataPath ?? null,
      simdBackend: backend(),
    },
  };
  return { result, checkpoints };
}

export interface RunReplayOptions extends Omit<RunBenchmarkOptions, 'environment' | 'profiles'> {
  /** A parsed dataset, or a JSON-lines file with its field mapping. */
  readonly data:
    | ReplayDataset
    | {
        readonly file: string;
        readonly fields: FieldMapping;
        /** Skip malformed lines (counted and listed) instead of failing. */
        readonly skipMalformed?: boolean;
        /** Largest file read, in bytes (default 256 MiB). */
        readonly maxBytes?: number;
      };
  /** Restrict the run to these arms (tasks that logged none of them are left out). */
  readonly arms?: readonly string[];
  /** Cross-validation folds asked for (default 5); fewer when there are fewer tasks. */
  readonly folds?: number;
  /** Model size for the adapter rank (default 7 B: rank 4). */
  readonly modelParamsB?: number;
  readonly feedback?: Feedback;
}

/** The replay environment's run: loads the log (when given a file) and runs `runBenchmark`. */
export async function runReplayBenchmark(options: RunReplayOptions): Promise<BenchmarkRun> {
  const { data, arms, folds, modelParamsB, ...rest } = options;
  let dataset =
    'tasks' in data
      ? data
      : loadReplayData(data.file, data.fields, {
          skipMalformed: data.skipMalformed === true,
          ...(data.maxBytes === undefined ? {} : { maxBytes: data.maxBytes }),
        });
  if (arms !== undefined) dataset = restrictArms(dataset, arms);
  return runBenchmark({
    ...rest,
    ...('tasks' in data || options.dataPath !== undefined ? {} : { dataPath: data.file }),
    environment: {
      kind: 'replay',
      dataset,
      ...(folds === undefined ? {} : { folds }),
      ...(modelParamsB === undefined ? {} : { paramsB: modelParamsB }),
    },
  });
}

function runInThread(
  context: BenchmarkContext,
  jobs: readonly JobSpec[],
  factory: LearnerFactory,
  onProgress: RunBenchmarkOptions['onProgress'],
): Map<string, JobResult> {
  const results = new Map<string, JobResult>();
  for (const job of jobs) {
    const jobFactory = job.learner === undefined ? factory : resolveLearnerFactory(job.learner);
    results.set(jobKey(job), runJob(context, job, jobFactory));
    onProgress?.(results.size, jobs.length, job);
  }
  return results;
}

/** What the worker entry receives at start. */
export interface WorkerData {
  readonly spec: BenchmarkSpec;
  readonly learner: string;
}

async function runInWorkers(
  spec: BenchmarkSpec,
  learner: string,
  jobs: readonly JobSpec[],
  workerCount: number,
  options: RunBenchmarkOptions,
): Promise<Map<string, JobResult>> {
  const workerData: WorkerData = { spec, learner };
  const results = await runPool<JobSpec, JobResult>({
    url: options.workerUrl ?? new URL('./worker.js', import.meta.url),
    workerData,
    jobs,
    workers: workerCount,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  return new Map(jobs.map((job, i) => [jobKey(job), results[i]!]));
}
