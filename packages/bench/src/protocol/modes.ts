import { isVersion, SonaError, type Version } from '@sona/core';
import { isMode, type Mode, VERSION_CONFIGS } from '@sona/engine';

export interface Schedule {
  readonly epochs: number;
  /** Training tasks per epoch. */
  readonly tasksPerEpoch: number;
}

/**
 * Tasks in the simulated pool per mode, the same for every version so that versions are
 * compared on the same held-out tasks. 10% is held out (100 / 150 / 200 tasks); each fold's
 * training split (54% of the pool) is far larger than one epoch's tasks.
 */
export const POOL_SIZES: Readonly<Record<Mode, number>> = {
  quick: 1000,
  default: 1500,
  full: 2000,
};

/** The measurement protocol (SPEC "Measuring honestly"). */
export const PROTOCOL = {
  /** Share of the pool held out for the final numbers only (stratified by type × bucket). */
  holdoutFraction: 0.1,
  /** Cross-validation folds; fold f tests, fold f+1 (mod 5) validates, the other three train. */
  folds: 5,
  /** Bootstrap resamples for the final numbers and every comparison. */
  bootstrapResamples: 2000,
  /**
   * Bootstrap resamples over the non-held-out tasks: the per-epoch learning-curve bands and the
   * cross-validation estimate (secondary figures; the held-out figures use `bootstrapResamples`).
   */
  curveResamples: 1000,
  /** Two-sided coverage of every interval. */
  level: 0.95,
  /** Equal-width confidence bins of the ECE. */
  calibrationBins: 10,
} as const;

/** Epochs and training tasks per epoch: the engine's version table (SPEC "Versions"). */
export function schedule(version: Version, mode: Mode): Schedule {
  if (!isVersion(version)) {
    throw new SonaError('INVALID_ARGUMENT', `unknown version '${String(version)}'`);
  }
  if (!isMode(mode)) throw new SonaError('INVALID_ARGUMENT', `unknown mode '${String(mode)}'`);
  const { epochs, tasks } = VERSION_CONFIGS[version].modes[mode];
  return { epochs, tasksPerEpoch: tasks };
}
