export type { HasQuality, PatternReplayOptions, PatternReplayState } from './pattern-replay';
export { PatternReplay } from './pattern-replay';
export type { PrioritizedReplayOptions, PrioritizedReplayState } from './prioritized-replay';
export { PrioritizedReplay } from './prioritized-replay';
export type { ReplaySample, ReplayStrategy } from './replay-strategy';
export type { ItemValidator } from './state-checks';
export { assertTrajectory } from './trajectory';
export type {
  TrajectoryBufferOptions,
  TrajectoryBufferState,
  TrajectoryBufferStats,
  TrajectoryGroupStats,
} from './trajectory-buffer';
export { TrajectoryBuffer } from './trajectory-buffer';
export type { UniformReplayOptions, UniformReplayState } from './uniform-replay';
export { UniformReplay } from './uniform-replay';
