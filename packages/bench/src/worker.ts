/**
 * Worker-thread entry of the benchmark (built to dist/worker.js): rebuilds the run's context from
 * the spec it was started with (a simulated spec, or a replay spec with its dataset), then runs
 * the jobs it is sent, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LearnerFactory } from './learner';
import { resolveLearnerFactory } from './learners/registry';
import { createContext, type JobSpec } from './protocol/context';
import { runJob } from './protocol/job';
import { describeError, type WorkerReply } from './runner/messages';
import type { WorkerData } from './runner/run';

type Runner = (job: JobSpec) => unknown;

function setUp(data: WorkerData): Runner {
  const factory: LearnerFactory = resolveLearnerFactory(data.learner);
  const context = createContext(data.spec);
  return (job) =>
    runJob(context, job, job.learner === undefined ? factory : resolveLearnerFactory(job.learner));
}

const port = parentPort;
if (port !== null) {
  const data = workerData as WorkerData;
  let run: Runner | undefined;
  port.on('message', (message: { id: number; job: JobSpec }) => {
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
