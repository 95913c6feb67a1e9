/**
 * Worker-thread entry of the benchmark (built to dist/worker.js): rebuilds the run's context
 * from what it was started with (a simulated spec, or a replay spec with its dataset), then runs
 * the jobs it is sent, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LearnerFactory } from './learner';
import { resolveLearnerFactory } from './learners/registry';
import { createContext, type JobSpec } from './protocol/context';
import { runJob } from './protocol/job';
import { runReplayJob } from './replay/protocol';
import { type ReplayWorkerData, replayWorkerContext } from './replay/run';
import { describeError, type WorkerReply } from './runner/pool';
import type { WorkerData } from './runner/run';

type Runner = (job: unknown) => unknown;

function setUp(data: WorkerData | ReplayWorkerData): Runner {
  const factory: LearnerFactory = resolveLearnerFactory(data.learner);
  if (data.kind === 'replay') {
    const context = replayWorkerContext(data);
    return (fold) => runReplayJob(context, fold as number, factory);
  }
  const context = createContext(data.spec);
  return (job) => {
    const spec = job as JobSpec;
    return runJob(
      context,
      spec,
      spec.learner === undefined ? factory : resolveLearnerFactory(spec.learner),
    );
  };
}

const port = parentPort;
if (port !== null) {
  const data = workerData as WorkerData | ReplayWorkerData;
  let run: Runner | undefined;
  port.on('message', (message: { id: number; job: unknown }) => {
    let reply: WorkerReply<unknown>;
    try {
      run ??= setUp(data);
      reply = { id: message.id, result: run(message.job) };
    } catch (error) {
      reply = { id: message.id, error: describeError(error) };
    }
    try {
      port.postMessage(reply);
    } catch (error) {
      port.postMessage({
        id: message.id,
        error: describeError(error),
      } satisfies WorkerReply<unknown>);
    }
  });
}
