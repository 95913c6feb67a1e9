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
export { KNN_DEFAULTS, KnnLearner, knnLearner } from './learners/knn';
export {
  LINEAR_DEFAULTS,
  LinTsLearner,
  LinUcbLearner,
  linTsLearner,
  linUcbLearner,
} from './learners/linear';
export { sampleBeta, sampleGamma } from './learners/math/beta';
export { RidgeModel } from './learners/math/ridge';
export { UniformRandomLearner, uniformRandomLearner } from './learners/random';
export type { LearnerName } from './learners/registry';
export {
  BASELINE_NAMES,
  LEARNER_NAMES,
  LEARNERS,
  resolveCompare,
  resolveLearnerFactory,
} from './learners/registry';
export { ThompsonLearner, thompsonLearner } from './learners/thompson';
export { Ucb1Learner, ucb1Learner } from './learners/ucb1';
export { canonicalHash, canonicalJson } from './output/canonical-json';
export type { LoadedReplayResult, LoadedResult } from './output/files';
export {
  computeResultHash,
  loadResults,
  replayResultFileName,
  resultFileName,
} from './output/files';
export type { ReplayGroup, ReplayVersionComparison } from './output/replay-report-data';
export { buildReplayGroups } from './output/replay-report-data';
export type { ReportData, RunGroup, VersionComparison } from './output/report-data';
export { buildReportData } from './output/report-data';
export { renderHtmlReport } from './output/report-html';
export { renderMarkdownReport } from './output/report-markdown';
export type { WrittenOutputs } from './output/write';
export { writeBenchmarkOutputs, writeReplayOutputs, writeReports } from './output/write';
export type { AblationKey } from './protocol/ablations';
export { ABLATION_KEYS, ABLATIONS, ablationOverrides } from './protocol/ablations';
export type { BenchmarkSpec, FoldSplit, JobSpec, Variant } from './protocol/context';
export { createContext, planJobs } from './protocol/context';
export type { EpochRecord, Evaluation, JobResult } from './protocol/job';
export { runJob } from './protocol/job';
export type { Mode, Schedule } from './protocol/modes';
export { MODES, POOL_SIZES, PROTOCOL, SCHEDULES, schedule } from './protocol/modes';
export type {
  AblationResult,
  BenchmarkContent,
  BenchmarkResult,
  Calibration,
  ComparedLearner,
  ComparedModelResult,
  HistoryEntry,
  LearnerComparison,
  LearnerSummary,
  ModelResult,
  ProfileDescription,
  RunInfo,
  Verdict,
} from './protocol/result';
export { verdictOf } from './protocol/result';
export type { PolicyColumns } from './replay/assemble';
export {
  assembleReplay,
  baselineColumns,
  learnedPolicyName,
  oracleArm,
  replayTitle,
} from './replay/assemble';
export type {
  EmbeddingSource,
  MalformedLine,
  ReplayArmLog,
  ReplayDataset,
  ReplayParseOptions,
  ReplaySource,
  ReplayTask,
  ReplayTrial,
  TypeAssignment,
} from './replay/data';
export {
  assignTypes,
  describeSource,
  idEmbeddingText,
  loadReplayData,
  parseReplayData,
} from './replay/data';
export type { FieldMapping, FieldName, Resolved } from './replay/fields';
export {
  checkFieldMapping,
  FIELD_NAMES,
  parseFieldPath,
  parseFieldSpecs,
  REQUIRED_FIELDS,
  resolvePath,
} from './replay/fields';
export type { ParetoPoint } from './replay/pareto';
export { paretoFrontier } from './replay/pareto';
export type {
  ReplayContext,
  ReplayEpochRecord,
  ReplayEvaluation,
  ReplayJobResult,
  ReplaySpec,
} from './replay/protocol';
export {
  createReplayContext,
  REPLAY_DEFAULTS,
  resolveReplaySpec,
  runReplayJob,
  trainingCostModel,
} from './replay/protocol';
export type {
  PolicyComparison,
  PolicyKind,
  PolicyResult,
  ReplayContent,
  ReplayHistoryEntry,
  ReplayResult,
  ReplayRunInfo,
  ReplayTaskReport,
} from './replay/result';
export type { ReplayRun, RunReplayOptions } from './replay/run';
export { replayHashOf, runReplayBenchmark } from './replay/run';
export type { LoggedOutcome } from './replay/values';
export { readOutcome, SUCCESS_THRESHOLD } from './replay/values';
export type { BenchmarkRun, CheckpointState, RunBenchmarkOptions } from './runner/run';
export { resultHashOf, runBenchmark } from './runner/run';
export { bisectIncreasing, sigmoid } from './simulated/calibrate';
export type { SimulatedWorldParameters } from './simulated/parameters';
export { SIMULATED_WORLD_PARAMETERS } from './simulated/parameters';
export type { ModelProfile, ProfileSet } from './simulated/profiles';
export {
  DEFAULT_PROFILE_SET,
  PROFILE_SETS,
  profileSet,
  REFERENCE_SMALL,
  SWE_VERIFIED,
} from './simulated/profiles';
export type { SimulatedTask, SimulatedWorldOptions } from './simulated/world';
export { ModelWorld, SimulatedWorld, STRATA, stratumIndex } from './simulated/world';
export type { BootstrapOptions, Estimate } from './stats/bootstrap';
export {
  bootstrapMean,
  capturedShare,
  mean,
  pairedBootstrap,
  percentileInterval,
  quantileSorted,
  resampleMeans,
} from './stats/bootstrap';
export type { ReliabilityBin } from './stats/calibration';
export {
  brierScore,
  eceOfBins,
  expectedBrierScore,
  expectedCalibrationError,
  reliabilityBins,
} from './stats/calibration';
export type { StratifiedSample } from './stats/split';
export { largestRemainder, stratifiedFolds, stratifiedSample } from './stats/split';
