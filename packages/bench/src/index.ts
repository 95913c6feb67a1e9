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
export type { Block, Cell, Inline, ReportDocument, Table } from './output/document';
export { mdText, renderHtml, renderMarkdown } from './output/document';
export type { LoadedResult } from './output/files';
export { computeResultHash, loadResults, resultFileName } from './output/files';
export type { ModelComparison, RunGroup, VersionComparison } from './output/report';
export { buildReport, groupResults } from './output/report';
export type { WrittenOutputs } from './output/write';
export { writeBenchmarkOutputs, writeCheckpoints, writeReports } from './output/write';
export type { AblationKey } from './protocol/ablations';
export { ABLATION_KEYS, ABLATIONS, ablationOverrides } from './protocol/ablations';
export { evaluationTasks, fixedPolicies, learnedPolicyName, runTitle } from './protocol/assemble';
export type {
  BenchmarkContext,
  BenchmarkSpec,
  EnvironmentSpec,
  JobSpec,
  ResolvedSpec,
  Variant,
} from './protocol/context';
export { createContext, planJobs, resolveSpec } from './protocol/context';
export type { EpochRecord, Evaluation, JobResult } from './protocol/job';
export { runJob, trainingCostModel } from './protocol/job';
export type { Schedule } from './protocol/modes';
export { POOL_SIZES, PROTOCOL, schedule } from './protocol/modes';
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
export { verdictOf } from './protocol/result';
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
  describeSource,
  idEmbeddingText,
  loadReplayData,
  parseReplayData,
  ReplayParser,
  restrictArms,
  UNLABELLED_TYPE,
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
export type { LoggedOutcome } from './replay/values';
export {
  MAX_EMBEDDING_DIM,
  MAX_NAME_LENGTH,
  readOutcome,
  SUCCESS_THRESHOLD,
} from './replay/values';
export type {
  BenchmarkRun,
  ModelCheckpoint,
  PreparedRun,
  RunBenchmarkOptions,
  RunReplayOptions,
} from './runner/run';
export { prepareRun, resultHashOf, runBenchmark, runReplayBenchmark } from './runner/run';
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
export type { CostPoint } from './stats/frontier';
export {
  areaUnderHull,
  averageImprovementInQuality,
  hullValue,
  upperHull,
} from './stats/frontier';
export type { ParetoPoint } from './stats/pareto';
export { paretoFrontier } from './stats/pareto';
export type { StratifiedSample } from './stats/split';
export { largestRemainder, stratifiedFolds, stratifiedSample } from './stats/split';
