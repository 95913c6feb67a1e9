import type { Version } from '@sona/core';

export type LoraKind = 'single' | 'multi-head';
export type ReplayKind = 'uniform' | 'pattern' | 'prioritized';
export type LearningRateKind = 'fixed' | 'momentum' | 'meta';
/** The run lengths of the SPEC's version table. */
export const MODES = ['quick', 'default', 'full'] as const;
export type Mode = (typeof MODES)[number];

export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && (MODES as readonly string[]).includes(value);
}

/** Everything that differs between v1, v2 and v3 (SPEC "Versions"), in one table. */
export interface VersionConfig {
  readonly version: Version;
  readonly lora: LoraKind;
  /** A fixed adapter rank, or `by-size` for `rankForParams(modelParamsB)`. */
  readonly rank: number | 'by-size';
  readonly curriculum: boolean;
  readonly dda: boolean;
  readonly replay: ReplayKind;
  /**
   * Patterns by DP-means, each at least `simThreshold` apart (true), or by k-means with the
   * SPEC's k = ⌊n/5⌋ (false). See the README: this replaced the SPEC's diversity bonus.
   */
  readonly diversity: boolean;
  readonly contrastive: boolean;
  readonly learningRate: LearningRateKind;
  /** The adapter's base learning rate (the schedules move it within [0.1×, 3×] of it). */
  readonly baseLearningRate: number;
  readonly ewcLambda: number;
  readonly temperature: { readonly start: number; readonly end: number };
  readonly modes: Readonly<Record<Mode, { readonly epochs: number; readonly tasks: number }>>;
}

export const VERSION_CONFIGS: Readonly<Record<Version, VersionConfig>> = {
  v1: {
    version: 'v1',
    lora: 'single',
    rank: 2,
    curriculum: false,
    dda: false,
    replay: 'uniform',
    diversity: false,
    contrastive: false,
    learningRate: 'fixed',
    baseLearningRate: 0.01,
    ewcLambda: 1000,
    temperature: { start: 1, end: 1 },
    modes: {
      default: { epochs: 5, tasks: 50 },
      quick: { epochs: 3, tasks: 30 },
      full: { epochs: 10, tasks: 100 },
    },
  },
  v2: {
    version: 'v2',
    lora: 'single',
    rank: 'by-size',
    curriculum: true,
    dda: false,
    replay: 'pattern',
    diversity: false,
    contrastive: false,
    learningRate: 'momentum',
    baseLearningRate: 0.01,
    ewcLambda: 500,
    temperature: { start: 1, end: 0.44 },
    modes: {
      default: { epochs: 7, tasks: 50 },
      quick: { epochs: 5, tasks: 30 },
      full: { epochs: 10, tasks: 100 },
    },
  },
  v3: {
    version: 'v3',
    lora: 'multi-head',
    rank: 'by-size',
    curriculum: true,
    dda: true,
    replay: 'prioritized',
    diversity: true,
    contrastive: true,
    learningRate: 'meta',
    baseLearningRate: 0.01,
    ewcLambda: 400,
    temperature: { start: 1, end: 0.28 },
    modes: {
      default: { epochs: 8, tasks: 60 },
      quick: { epochs: 6, tasks: 40 },
      full: { epochs: 12, tasks: 120 },
    },
  },
};
