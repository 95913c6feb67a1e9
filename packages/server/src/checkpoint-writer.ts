import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type CheckpointRecord, createCheckpoint, saveCheckpoint } from '@sona/checkpoint';
import { SonaError } from '@sona/core';
import type { CheckpointJob, CheckpointJobResult } from './checkpoint-worker';

/** Writes a checkpoint of `state` to `file` and resolves to its stateHash. */
export interface CheckpointWriter {
  write(state: CheckpointRecord, file: string): Promise<string>;
  close(): Promise<void>;
}

/** On the event loop: for sources run without a build (tests), or when no worker file exists. */
export function inlineWriter(): CheckpointWriter {
  return {
    async write(state, file) {
      const checkpoint = createCheckpoint(state);
      await saveCheckpoint(file, checkpoint);
      return checkpoint.stateHash;
    },
    async close() {},
  };
}

/** The built worker beside this module (dist/checkpoint-worker.js), if there is one. */
export function defaultWorkerUrl(): URL | null {
  const url = new URL('./checkpoint-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null;
}

/** In a worker thread (see checkpoint-worker.ts), one job at a time in order. */
export function workerWriter(url: URL): CheckpointWriter {
  let worker: Worker | null = null;
  let next = 0;
  const pending = new Map<
    number,
    { resolve: (hash: string) => void; reject: (e: Error) => void }
  >();
  const fail = (error: Error) => {
    for (const job of pending.values()) job.reject(error);
    pending.clear();
    worker = null;
  };
  const start = (): Worker => {
    const w = new Worker(url);
    w.unref();
    w.on('message', (result: CheckpointJobResult) => {
      const job = pending.get(result.id);
      if (job === undefined) return;
      pending.delete(result.id);
      if ('error' in result) {
        job.reject(
          new SonaError('CHECKPOINT_IO', `writing the checkpoint failed: ${result.error}`),
        );
      } else {
        job.resolve(result.stateHash);
      }
    });
    w.on('error', (error) => fail(error));
    w.on('exit', (code) => {
      if (pending.size > 0) fail(new Error(`the checkpoint worker exited (${code})`));
      worker = null;
    });
    return w;
  };
  return {
    write(state, file) {
      worker ??= start();
      const id = next++;
      const job: CheckpointJob = { id, state, file };
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker!.postMessage(job);
      });
    },
    async close() {
      const w = worker;
      worker = null;
      if (w !== null) await w.terminate();
    },
  };
}
