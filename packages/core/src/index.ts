export {
  assertAllFinite,
  assertArray,
  assertBoolean,
  assertFinite,
  assertFloat32Array,
  assertInRange,
  assertInteger,
  assertRecord,
  assertRng,
  assertString,
  firstNonFinite,
} from './assert';
export type { SonaErrorCode, SonaErrorOptions } from './errors';
export { ERROR_CODES, isSonaError, SonaError } from './errors';
export type {
  CalibrationSample,
  Choice,
  ChooseOptions,
  EpochSummary,
  Learner,
  Outcome,
} from './learner';
export type { RngState } from './rng';
export { createRng, fmix32, Rng } from './rng';
export { decodeFloat32, encodeFloat32 } from './tensor-encoding';
export type {
  Arm,
  Bucket,
  Embedding,
  KnownTaskType,
  Task,
  TaskType,
  Trajectory,
  Version,
} from './types';
export {
  BUCKET_MIX,
  BUCKETS,
  isKnownTaskType,
  isTaskType,
  isVersion,
  MAX_TASK_TYPE_LENGTH,
  TASK_TYPE_MIX,
  TASK_TYPES,
  VERSIONS,
} from './types';
