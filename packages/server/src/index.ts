export type { RawSettings, ServerSettings, Setting } from './config';
export {
  DEFAULTS,
  parseUpstream,
  readConfigFile,
  resolveSettings,
  SETTINGS,
  withDefaults,
} from './config';
export type { RunningServer, ServerOptions } from './http';
export { SERVER_VERSION, startServer } from './http';
export type { Upstream } from './proxy';
export type {
  CheckpointInfo,
  ChooseInput,
  ChooseResult,
  OutcomeInput,
  RestoreReport,
  ServiceOptions,
  ServiceStats,
} from './service';
export { ServiceError, SonaService } from './service';
export type { SyncMode } from './store';
