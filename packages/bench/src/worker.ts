/**
 * Worker-thread entry of the benchmark (built to dist/worker.js): rebuilds the run's context
 * from its spec, then runs the jobs it is sent, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { resolveLearnerFactory } from './learners/registry';
import { createContext, type JobSpec } from './protocol/context';
import { runJob } from './protocol/job';
import { describeError, type WorkerData, type WorkerReply } from './runner/run';

const port = parentPort;
if (port !== null) {
  const data = workerData as WorkerData;
  let setup:
    | {
        context: ReturnType<typeof createContext>;
        factory: ReturnType<typeof resolveLearnerFactory>;
      }
    | undefined;
  port.on('message', (message: { id: number; job: JobSpec }) => {
    let reply: WorkerReply;
    try {
      setup ??= { context: createContext(data.spec), factory: resolveLearnerFactory(data.learner) };
      reply = { id: message.id, result: runJob(setup.context, message.job, setup.factory) };
    } catch (error) {
      reply = { id: message.id, error: describeError(error) };
    }
    try {
      port.postMessage(reply);
    } catch (error) {
      port.postMessage({ id: message.id, error: describeError(error) } satisfies WorkerReply);
    }
  });
}
