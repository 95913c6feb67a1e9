export type { CheckpointContext } from './checkpoint-state';
export type { PickOptions } from './curriculum';
export { bucketsFor, DDA_BAND, pickTask } from './curriculum';
export type { DdaState } from './dda';
export { DDA, ddaAfter, initialDda } from './dda';
export type {
  Choice,
  EngineOptions,
  EngineOverrides,
  EngineState,
  EpochSummary,
  Outcome,
} from './engine';
export { ENGINE_DEFAULTS, SonaEngine } from './engine';
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
