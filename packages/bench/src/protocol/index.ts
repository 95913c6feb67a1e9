// @sona/bench/protocol: the steps `runBenchmark` takes (resolve a spec, plan jobs, run one job,
// assemble a result), for a runner of your own.
export type { AblationKey } from './ablations';
export { ABLATION_KEYS, ABLATIONS, ablationOverrides } from './ablations';
export { evaluationTasks, fixedPolicies, learnedPolicyName, runTitle } from './assemble';
export type { BenchmarkContext, JobSpec, ResolvedSpec, Variant } from './context';
export { createContext, planJobs, resolveSpec } from './context';
export type { EpochRecord, Evaluation, JobResult } from './job';
export { runJob, trainingCostModel } from './job';
export type { Schedule } from './modes';
export { POOL_SIZES, PROTOCOL, schedule } from './modes';
export { verdictOf } from './result';
