import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SonaError, type SonaErrorCode } from '@sona/core';
import type { LearnerFactory } from '../learner';
import { resolveLearnerFactory } from '../learners/registry';
import type { WorkerReply } from './messages';

export type { WorkerReply } from './messages';
export { describeError } from './messages';

export interface PoolOptions<J> {
  /** The built worker entry (`dist/worker.js`). */
  readonly url: URL;
  /** What every worker receives at start (it rebuilds its context from this). */
  readonly workerData: unknown;
  readonly jobs: readonly J[];
  /** Worker threads (≥ 1, at most one per job is started). */
  readonly workers: number;
  readonly onProgress?: (done: number, total: number, job: J) => void;
}

/**
 * Runs jobs on a pool of worker threads, one job per worker at a time, and returns the results
 * in job order (whatever order they finished in). The first error stops every worker and
 * rejects with that error (a SonaError keeps its code).
 */
export function runPool<J, R>(options: PoolOptions<J>): Promise<R[]> {
  const { jobs, url, workerData } = options;
  const results: (R | undefined)[] = new Array(jobs.length);
  const workerCount = Math.min(options.workers, jobs.length);
  if (jobs.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const pool: Worker[] = [];
    let next = 0;
    let done = 0;
    let failed = false;
    const stopAll = (error: unknown) => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      reject(error);
    };
    const dispatch = (worker: Worker) => {
      if (next < jobs.length) {
        const id = next++;
        worker.postMessage({ id, job: jobs[id] });
      } else {
        void worker.terminate();
      }
    };
    for (let w = 0; w < workerCount; w++) {
      const worker = new Worker(url, { workerData });
      pool.push(worker);
      worker.on('message', (reply: WorkerReply<R>) => {
        if (failed) return;
        if ('error' in reply) {
          stopAll(rebuildError(reply.error));
          return;
        }
        results[reply.id] = reply.result;
        done++;
        options.onProgress?.(done, jobs.length, jobs[reply.id]!);
        if (done === jobs.length) {
          for (const p of pool) void p.terminate();
          resolve(results as R[]);
        } else {
          dispatch(worker);
        }
      });
      worker.on('error', (error) => stopAll(error));
      worker.on('exit', (code) => {
        if (!failed && done < jobs.length && code !== 0 && code !== 1) {
          stopAll(new SonaError('INVALID_STATE', `a benchmark worker exited with code ${code}`));
        }
      });
      dispatch(worker);
    }
  });
}

function rebuildError(error: { code?: string; message: string; path?: string }): Error {
  if (error.code !== undefined) {
    return new SonaError(error.code as SonaErrorCode, error.message, {
      ...(error.path === undefined ? {} : { path: error.path }),
    });
  }
  return new Error(error.message);
}

/** A learner by registry name (loadable in worker threads) or as a factory (this thread only). */
export type LearnerChoice = string | { readonly name: string; readonly factory: LearnerFactory };

/**
 * The learner's name and factory, and how many worker threads to use: `requested` (default:
 * the machine's parallelism) capped at the number of jobs; a factory-given learner needs 0.
 */
export function resolveRunSetup(
  learner: LearnerChoice,
  requestedWorkers: number | undefined,
  jobs: number,
): { learnerName: string; factory: LearnerFactory; workers: number } {
  const learnerName = typeof learner === 'string' ? learner : learner.name;
  const factory = typeof learner === 'string' ? resolveLearnerFactory(learner) : learner.factory;
  const requested = requestedWorkers ?? availableParallelism();
  if (!Number.isInteger(requested) || requested < 0) {
    throw new SonaError('INVALID_ARGUMENT', `workers must be an integer ≥ 0, got ${requested}`);
  }
  if (requested > 0 && typeof learner !== 'string') {
    throw new SonaError(
      'INVALID_ARGUMENT',
      'a learner given as a factory runs in this thread only: pass workers: 0',
      { path: 'workers' },
    );
  }
  return { learnerName, factory, workers: Math.min(requested, jobs) };
}
