export type {
  SignatureStatus,
  TrustLevel,
  VerifiedDocument,
  VerifyOptions,
  VerifyResult,
} from './checkpoint';
export {
  checkpointRecord,
  createCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpointText,
  verifyCheckpointValue,
} from './checkpoint';
export type {
  CheckpointComparison,
  CountChange,
  EpochComparison,
  FieldChange,
  MetricDelta,
  TensorComparison,
} from './compare';
export { compareCheckpoints } from './compare';
export { canonicalHash, canonicalJson, computeStateHash } from './hash';
export type { CheckpointListing, CheckpointSummary, LoadOptions } from './io';
export {
  DEFAULT_MAX_BYTES,
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
  serializeCheckpoint,
  summarizeCheckpoint,
  verifyCheckpoint,
} from './io';
export type { CheckpointIssue } from './issues';
export type { JsonPrimitive, JsonValue, PlainData } from './plain-data';
export { decodePlainData, encodePlainData, NUMBER_TAG, TENSOR_TAG } from './plain-data';
export type { KeyInput, SigningKeys } from './signature';
export { generateSigningKeys, keyIdOf, signedMessage } from './signature';
export type {
  Checkpoint,
  CheckpointConfig,
  CheckpointModel,
  CheckpointRecord,
  CheckpointSignature,
  EpochMetrics,
  EwcFile,
  EwcRecord,
  LoraAdapterFile,
  LoraAdapterRecord,
  MultiHeadLoraFile,
  MultiHeadLoraRecord,
  PatternCentroidsFile,
  PatternCentroidsRecord,
  TrajectoryCounts,
  TrajectoryStats,
} from './types';
export { CHECKPOINT_FORMAT_VERSION } from './types';
export { adapterParameterCount } from './validate';
