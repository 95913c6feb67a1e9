export type { AdapterState } from './adapter';
export { OTHER_HEAD } from './adapter';
export type { CheckpointContext } from './checkpoint-state';
export type { EngineOptions, EngineOverrides, EngineStats } from './engine';
export { ENGINE_DEFAULTS, SonaEngine } from './engine';
export type { Prediction } from './model';
export { MODEL_PRIORS } from './model';
export type {
  EngineEpochSummary,
  EngineState,
  ExperienceRecord,
  ReplayItem,
  TypeStatsEntry,
} from './state';
export { ENGINE_STATE_FORMAT } from './state';
export type { LearningRateKind, LoraKind, Mode, ReplayKind, VersionConfig } from './versions';
export { isMode, MODES, VERSION_CONFIGS } from './versions';
