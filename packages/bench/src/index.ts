// @sona/bench: what a user calls. Secondary surfaces have subpaths of their own:
// `@sona/bench/stats`, `@sona/bench/learners`, `@sona/bench/simulated`, `@sona/bench/protocol`,
// `@sona/bench/report`.
export type {
  Environment,
  Feedback,
  FoldSplit,
  SplitPlan,
  Subject,
} from './environment/environment';
export { FEEDBACK_MODES } from './environment/environment';
export type { ReplayEnvironmentInfo, ReplayEnvironmentSpec } from './environment/replay';
export { REPLAY_DEFAULTS, ReplayEnvironment } from './environment/replay';
export type { SimulatedEnvironmentInfo, SimulatedEnvironmentSpec } from './environment/simulated';
export { SimulatedEnvironment } from './environment/simulated';
export type {
  Choice,
  ChooseOptions,
  EpochSummary,
  Learner,
  LearnerFactory,
  LearnerFactoryArgs,
  Outcome,
} from './learner';
export type { ContractCheckOptions } from './learner-contract';
export { checkLearnerContract } from './learner-contract';
export type { LearnerName } from './learners/registry';
export {
  BASELINE_NAMES,
  LEARNER_NAMES,
  LEARNERS,
  resolveCompare,
  resolveLearnerFactory,
} from './learners/registry';
export type { LoadedResult } from './output/files';
export { loadResults } from './output/files';
export type { WrittenOutputs } from './output/write';
export { writeBenchmarkOutputs, writeCheckpoints, writeReports } from './output/write';
export type { BenchmarkSpec, EnvironmentSpec } from './protocol/context';
export type {
  AblationResult,
  AiqResult,
  BenchmarkContent,
  BenchmarkResult,
  Calibration,
  ComparedLearner,
  ComparedModelResult,
  FixedArmHull,
  Frontier,
  FrontierPoint,
  HistoryEntry,
  LearnerComparison,
  LearnerSummary,
  ModelResult,
  PolicyComparison,
  PolicyKind,
  PolicyResult,
  RunInfo,
  TaskReport,
  Verdict,
} from './protocol/result';
export type {
  EmbeddingSource,
  MalformedLine,
  ReplayArmLog,
  ReplayDataset,
  ReplayLoadOptions,
  ReplayParseOptions,
  ReplaySource,
  ReplayTask,
  ReplayTrial,
  TypeCount,
} from './replay/data';
export {
  DEFAULT_MAX_DATA_BYTES,
  loadReplayData,
  parseReplayData,
  restrictArms,
  UNLABELLED_TYPE,
} from './replay/data';
export type { FieldMapping, FieldName } from './replay/fields';
export { checkFieldMapping, FIELD_NAMES, parseFieldSpecs, REQUIRED_FIELDS } from './replay/fields';
export type {
  BenchmarkRun,
  ModelCheckpoint,
  PreparedRun,
  RunBenchmarkOptions,
  RunReplayOptions,
} from './runner/run';
export { prepareRun, resultHashOf, runBenchmark, runReplayBenchmark } from './runner/run';
export type { ModelProfile, ProfileSet } from './simulated/profiles';
export {
  DEFAULT_PROFILE_SET,
  PROFILE_SETS,
  profileSet,
  REFERENCE_SMALL,
  SWE_VERIFIED,
} from './simulated/profiles';
