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
import { type LearnerChoice, resolveRunSetup, runPool } from './pool';

export interface RunBenchmarkOptions extends BenchmarkSpec {
  /**
   * The learner: a name the registry knows (`sona`, `random`), which worker threads can load,
   * or a factory, which runs in this thread only.
   */
  readonly learner: LearnerChoice;
  /** Worker threads; 0 runs every job in this thread. Default: one per available core. */
  readonly workers?: number;
  /**
   * Learners (registry names, or `all`) to run beside this one in the same protocol and compare
   * with, paired over the held-out tasks. Default: none.
   */
  readonly compare?: readonly string[];
  /**
   * Run the v3 ablations. Default: for a named learner, whether it honours the ablation
   * overrides (only `sona` does); for a factory, true.
   */
  readonly ablations?: boolean;
  /** Called after each finished job. */
  readonly onProgress?: (done: number, total: number, job: JobSpec) => void;
  /** The built worker entry (`dist/worker.js`); defaults to the one beside this module. */
  readonly workerUrl?: URL;
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
 * Runs the whole protocol for a version, mode, seed and profile set, and assembles the result.
 * The result (and its hash) is the same for any number of workers.
 */
export async function runBenchmark(options: RunBenchmarkOptions): Promise<BenchmarkRun> {
  const started = Date.now();
  const name = typeof options.learner === 'string' ? options.learner : options.learner.name;
  const ablations =
    options.ablations ??
    (typeof options.learner === 'string' && isLearnerName(name) ? LEARNERS[name].ablations : true);
  const spec: BenchmarkSpec = {
    version: options.version,
    mode: options.mode,
    seed: options.seed,
    profiles: options.profiles,
    ablations,
    compare: resolveCompare(options.compare ?? [], name),
  };
  const jobs = planJobs(spec);
  const { learnerName, factory, workers } = resolveRunSetup(
    options.learner,
    options.workers,
    jobs.length,
  );
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
  const checkpoints = context.models.map((model, m) => ({
    model: model.profile.name,
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
    },
  };
  return { result, checkpoints };
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

/** What the worker entry receives at start for a simulated run. */
export interface WorkerData {
  readonly kind: 'simulated';
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
  const workerData: WorkerData = { kind: 'simulated', spec, learner };
  const results = await runPool<JobSpec, JobResult>({
    url: options.workerUrl ?? new URL('./worker.js', import.meta.url),
    workerData,
    jobs,
    workers: workerCount,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  return new Map(jobs.map((job, i) => [jobKey(job), results[i]!]));
}
