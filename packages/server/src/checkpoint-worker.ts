/**
 * The checkpoint writer as a worker thread: hashing, checking and writing a large engine state
 * takes hundreds of milliseconds, which would otherwise stall every request. The main thread
 * takes the state (a plain-data snapshot) and posts it here.
 */
import { parentPort } from 'node:worker_threads';
import { type CheckpointRecord, createCheckpoint, saveCheckpoint } from '@sona/checkpoint';

export interface CheckpointJob {
  readonly id: number;
  readonly state: CheckpointRecord;
  readonly file: string;
}

export type CheckpointJobResult =
  | { readonly id: number; readonly stateHash: string }
  | { readonly id: number; readonly error: string };

const port = parentPort;
if (port !== null) {
  port.on('message', (job: CheckpointJob) => {
    (async () => {
      const checkpoint = createCheckpoint(job.state);
      await saveCheckpoint(job.file, checkpoint);
      return checkpoint.stateHash;
    })().then(
      (stateHash) => port.postMessage({ id: job.id, stateHash } satisfies CheckpointJobResult),
      (error: unknown) =>
        port.postMessage({
          id: job.id,
          error: error instanceof Error ? error.message : String(error),
        } satisfies CheckpointJobResult),
    );
  });
}
