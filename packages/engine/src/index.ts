export type { CheckpointContext } from './checkpoint-state';
export type { PickOptions } from './curriculum';
export { bucketsFor, DDA_BAND, pickTask, usableSignals } from './curriculum';
export type { DdaState } from './dda';
export { DDA, ddaAfter, initialDda } from './dda';
export type {
  EngineEpochSummary,
  EngineOptions,
  EngineOverrides,
  EngineState,
  TypeStatsEntry,
} from './engine';
export { ENGINE_DEFAULTS, OTHER_HEAD, SonaEngine } from './engine';
export type { LearningRateState } from './schedules';
export {
  argmax,
  initialLearningRate,
  LEARNING_RATE,
  nextLearningRate,
  softmax,
  temperatureAt,
  trendFactor,
} from './schedules';
export type { LearningRateKind, LoraKind, Mode, ReplayKind, VersionConfig } from './versions';
export { VERSION_CONFIGS } from './versions';
