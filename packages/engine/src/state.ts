import {
  type Arm,
  assertAllFinite,
  assertArray,
  assertBoolean,
  assertFloat32Array,
  assertInRange,
  assertInteger,
  assertRecord,
  type EpochSummary,
  isTaskType,
  isVersion,
  type RngState,
  SonaError,
  type TaskType,
  type Version,
} from '@sona/core';
import type { EwcState } from '@sona/ewc';
import type { ContrastiveMemoryState, PatternSetState } from '@sona/patterns';
import type { PatternReplayState, PrioritizedReplayState, UniformReplayState } from '@sona/replay';
import type { AdapterState } from './adapter';
import type { DdaState } from './dda';
import type { LearningRateState } from './schedules';
import type { VersionConfig } from './versions';

/** The engine's randomness, one forked stream per job. */
export const STREAMS = ['explore', 'replay', 'curriculum', 'patterns', 'heads'] as const;
export type StreamName = (typeof STREAMS)[number];

/**
 * The engine state format `state()` writes. `fromState` also reads format 2, which differs only
 * in its EWC++ state carrying no `kind` tag.
 */
export const ENGINE_STATE_FORMAT = 3;

/** Formats `fromState` resumes. */
const READABLE_FORMATS: readonly number[] = [2, ENGINE_STATE_FORMAT];

/**
 * One recorded outcome, with the task as given (so the adapter can be re-run) and the pattern
 * membership the outcome model last used for it.
 */
export interface ExperienceRecord {
  readonly input: Float32Array;
  readonly type: TaskType;
  /** The task's difficulty, or null when it had none. */
  readonly difficulty: number | null;
  /** Index into the engine's arms. */
  readonly arm: number;
  readonly success: boolean;
  readonly quality: number;
  /** The epoch it was recorded in, counted from 1. */
  readonly epoch: number;
  /** Pattern ids and gated weights of the membership last used for it. */
  readonly patterns: number[];
  readonly weights: number[];
  /** The adapter's code of it last used (`codeSize` values). */
  readonly code: number[];
}

/** What a replay memory holds: a recorded outcome, self-contained. */
export interface ReplayItem {
  readonly input: Float32Array;
  readonly type: TaskType;
  readonly difficulty: number | null;
  readonly arm: number;
  readonly success: boolean;
  readonly quality: number;
}

export type ReplayState =
  | UniformReplayState<ReplayItem>
  | PatternReplayState<ReplayItem>
  | PrioritizedReplayState<ReplayItem>;

/** What the engine reports at the end of an epoch: the core summary and its own figures. */
export interface EngineEpochSummary extends EpochSummary {
  readonly meanQuality: number;
  readonly patterns: number;
  readonly learningRate: number;
  readonly temperature: number;
  readonly difficulty: number;
  /** Share of this epoch's outcomes whose task had a difficulty (DDA and the slope need it). */
  readonly withDifficulty: number;
}

/** Per task type: trials and successes per arm (engine order) and the sum of qualities. */
export interface TypeStatsEntry {
  readonly type: TaskType;
  readonly successes: number[];
  readonly trials: number[];
  readonly qualitySum: number;
}

/**
 * Everything an engine holds, as plain data (tensors as Float32Array); see
 * `SonaEngine.fromState`. The outcome model is not stored: it is a deterministic function of
 * the experience (refit at the last epoch's end over `fittedPatterns` patterns, then updated
 * online with this epoch's records in order), so a state can never carry a model that
 * disagrees with its data.
 */
export interface EngineState {
  readonly kind: 'sona-engine';
  readonly formatVersion: 2 | typeof ENGINE_STATE_FORMAT;
  readonly version: Version;
  readonly dim: number;
  readonly arms: readonly Arm[];
  readonly modelParamsB: number;
  readonly epochs: number;
  readonly config: VersionConfig;
  readonly rank: number;
  readonly streams: Readonly<Record<StreamName, RngState>>;
  readonly adapter: AdapterState;
  readonly ewc: EwcState | null;
  readonly patterns: PatternSetState;
  /** Patterns the model was last refit over; null before the first epoch ended. */
  readonly fittedPatterns: number | null;
  /** The Platt map of `calibrate`, or null. */
  readonly calibration: { readonly a: number; readonly b: number } | null;
  readonly experience: ExperienceRecord[];
  readonly replay: ReplayState;
  /** One contrastive memory per arm (v3), or null. */
  readonly contrastive: ContrastiveMemoryState[] | null;
  readonly typeStats: TypeStatsEntry[];
  readonly dda: DdaState;
  readonly learningRate: LearningRateState;
  readonly epoch: number;
  readonly current: {
    attempts: number;
    successes: number;
    confidence: number;
    quality: number;
    withDifficulty: number;
  };
  readonly previousSuccessRate: number | null;
  readonly history: EngineEpochSummary[];
}

function fail(path: string, message: string): never {
  throw new SonaError('INVALID_STATE', `${path} ${message}`, { path });
}

/** Checks the header of a state: kind, format, version and the fields the config follows from. */
export function checkHeader(state: unknown): EngineState {
  if (
    state === null ||
    typeof state !== 'object' ||
    (state as EngineState).kind !== 'sona-engine'
  ) {
    throw new SonaError('INVALID_STATE', 'not a SONA engine state', { path: 'kind' });
  }
  const s = state as EngineState;
  if (!READABLE_FORMATS.includes(s.formatVersion as number)) {
    fail(
      'formatVersion',
      `is ${String(s.formatVersion)}: this engine resumes formats ${READABLE_FORMATS.join(' and ')} (a checkpoint of an earlier engine still verifies, but cannot resume)`,
    );
  }
  if (!isVersion(s.version)) fail('version', 'is not v1, v2 or v3');
  return s;
}

/** The overrides that turn the version's table into `config`, after checking every field. */
export function checkConfig(config: unknown): Omit<VersionConfig, 'version' | 'modes'> {
  const c = config as VersionConfig;
  const bad = (field: string): never => fail(`config.${field}`, 'is not valid');
  if (c === null || typeof c !== 'object') bad('');
  if (c.lora !== 'single' && c.lora !== 'multi-head') bad('lora');
  if (c.rank !== 'by-size' && !(Number.isInteger(c.rank) && (c.rank as number) >= 1)) bad('rank');
  for (const flag of ['curriculum', 'dda', 'diversity', 'contrastive'] as const) {
    if (typeof c[flag] !== 'boolean') bad(flag);
  }
  if (!['uniform', 'pattern', 'prioritized'].includes(c.replay)) bad('replay');
  if (!['fixed', 'momentum', 'meta'].includes(c.learningRate)) bad('learningRate');
  if (!(c.baseLearningRate > 0 && c.baseLearningRate <= 1)) bad('baseLearningRate');
  if (!(c.ewcLambda >= 0 && c.ewcLambda <= 1e6)) bad('ewcLambda');
  const t = c.temperature;
  if (!(t?.start > 0 && t.start <= 100 && t.end > 0 && t.end <= 100)) bad('temperature');
  return {
    lora: c.lora,
    rank: c.rank,
    curriculum: c.curriculum,
    dda: c.dda,
    replay: c.replay,
    diversity: c.diversity,
    contrastive: c.contrastive,
    learningRate: c.learningRate,
    baseLearningRate: c.baseLearningRate,
    ewcLambda: c.ewcLambda,
    temperature: { start: t.start, end: t.end },
  };
}

function counts(value: unknown, arms: number, path: string): number[] {
  if (
    !Array.isArray(value) ||
    value.length !== arms ||
    !value.every((v) => Number.isSafeInteger(v) && v >= 0)
  ) {
    fail(path, `must hold ${arms} non-negative integers`);
  }
  return [...(value as number[])];
}

export function checkTypeStats(
  value: unknown,
  arms: number,
): Map<TaskType, { successes: number[]; trials: number[]; qualitySum: number }> {
  const list = assertArray(value, 'typeStats');
  const out = new Map<TaskType, { successes: number[]; trials: number[]; qualitySum: number }>();
  let previous: string | null = null;
  list.forEach((entry, i) => {
    const path = `typeStats[${i}]`;
    const e = entry as TypeStatsEntry;
    if (e === null || typeof e !== 'object' || !isTaskType(e.type))
      fail(path, 'must name a task type');
    if (previous !== null && !(previous < e.type)) fail(path, 'is out of code-unit order');
    previous = e.type;
    const trials = counts(e.trials, arms, `${path}.trials`);
    const successes = counts(e.successes, arms, `${path}.successes`);
    if (successes.some((n, a) => n > trials[a]!)) fail(`${path}.successes`, 'exceed the trials');
    const total = trials.reduce((a, b) => a + b, 0);
    const qualitySum = assertInRange(e.qualitySum, `${path}.qualitySum`, 0, total);
    out.set(e.type, { successes, trials, qualitySum });
  });
  return out;
}

/** Checks one experience record against the engine's shape; returns a copy. */
export function checkExperience(
  value: unknown,
  path: string,
  dim: number,
  arms: number,
  epoch: number,
  patterns: number,
  codeSize: number,
): ExperienceRecord {
  const r = assertRecord(value, path) as unknown as ExperienceRecord;
  const input = assertFloat32Array(r.input, `${path}.input`, dim);
  assertAllFinite(input, `${path}.input`);
  if (!isTaskType(r.type)) fail(`${path}.type`, 'is not a task type');
  const difficulty =
    r.difficulty === null ? null : assertInRange(r.difficulty, `${path}.difficulty`, 0, 1);
  assertInteger(r.arm, `${path}.arm`, 0, arms - 1);
  assertBoolean(r.success, `${path}.success`);
  assertInRange(r.quality, `${path}.quality`, 0, 1);
  assertInteger(r.epoch, `${path}.epoch`, 1, epoch + 1);
  const ids = assertArray(r.patterns, `${path}.patterns`);
  const weights = assertArray(r.weights, `${path}.weights`);
  if (ids.length !== weights.length) fail(path, 'has patterns and weights of different lengths');
  let mass = 0;
  ids.forEach((id, k) => {
    assertInteger(id, `${path}.patterns[${k}]`, 0, Math.max(0, patterns - 1));
    mass += assertInRange(weights[k], `${path}.weights[${k}]`, 0, 1);
  });
  if (ids.length > 0 && patterns === 0) fail(`${path}.patterns`, 'name patterns that do not exist');
  if (new Set(ids).size !== ids.length) fail(`${path}.patterns`, 'repeat a pattern');
  if (!(mass <= 1 + 1e-9)) fail(`${path}.weights`, 'add up to more than 1');
  const code = assertArray(r.code, `${path}.code`);
  if (code.length !== codeSize) fail(`${path}.code`, `must hold ${codeSize} values`);
  code.forEach((v, j) => {
    if (typeof v !== 'number' || !(Math.abs(v) <= 1e6)) {
      fail(`${path}.code[${j}]`, 'is not a finite number of at most 1e6 in size');
    }
  });
  return {
    input: input.slice(),
    type: r.type,
    difficulty,
    arm: r.arm,
    success: r.success,
    quality: r.quality,
    epoch: r.epoch,
    patterns: [...(ids as number[])],
    weights: [...(weights as number[])],
    code: [...(code as number[])],
  };
}

/** A replay item validator for `@sona/replay`'s `fromState`. */
export function replayItemChecker(dim: number, arms: number) {
  return (value: unknown, path: string): ReplayItem => {
    const item = assertRecord(value, path) as unknown as ReplayItem;
    const input = assertFloat32Array(item.input, `${path}.input`, dim);
    assertAllFinite(input, `${path}.input`);
    if (!isTaskType(item.type)) fail(`${path}.type`, 'is not a task type');
    const difficulty =
      item.difficulty === null ? null : assertInRange(item.difficulty, `${path}.difficulty`, 0, 1);
    assertInteger(item.arm, `${path}.arm`, 0, arms - 1);
    assertBoolean(item.success, `${path}.success`);
    assertInRange(item.quality, `${path}.quality`, 0, 1);
    return {
      input: input.slice(),
      type: item.type,
      difficulty,
      arm: item.arm,
      success: item.success,
      quality: item.quality,
    };
  };
}

const SUMMARY_KEYS = [
  'epoch',
  'attempts',
  'successRate',
  'meanConfidence',
  'meanQuality',
  'patterns',
  'learningRate',
  'temperature',
  'difficulty',
  'withDifficulty',
] as const;

/** One summary per finished epoch, numbered 1, 2, ..., every field a finite number. */
export function checkHistory(value: unknown, epoch: number): EngineEpochSummary[] {
  const list = assertArray(value, 'history');
  if (list.length !== epoch) fail('history', `must hold one summary per finished epoch (${epoch})`);
  return list.map((entry, i) => {
    const path = `history[${i}]`;
    const h = assertRecord(entry, path) as Record<string, unknown>;
    const keys = Object.keys(h);
    if (keys.length !== SUMMARY_KEYS.length || !SUMMARY_KEYS.every((k) => Object.hasOwn(h, k))) {
      fail(path, `must have exactly the fields ${SUMMARY_KEYS.join(', ')}`);
    }
    for (const key of SUMMARY_KEYS) {
      if (typeof h[key] !== 'number' || !Number.isFinite(h[key]))
        fail(`${path}.${key}`, 'is not a finite number');
    }
    if (h.epoch !== i + 1) fail(`${path}.epoch`, `must be ${i + 1}`);
    for (const key of ['successRate', 'meanConfidence', 'meanQuality', 'withDifficulty'] as const) {
      assertInRange(h[key], `${path}.${key}`, 0, 1);
    }
    assertInteger(h.attempts, `${path}.attempts`, 0);
    return { ...(h as unknown as EngineEpochSummary) };
  });
}

export function checkCurrent(value: unknown): EngineState['current'] {
  const v = assertRecord(value, 'current') as unknown as EngineState['current'];
  const attempts = assertInteger(v.attempts, 'current.attempts', 0);
  return {
    attempts,
    successes: assertInteger(v.successes, 'current.successes', 0, attempts),
    confidence: assertInRange(v.confidence, 'current.confidence', 0, attempts),
    quality: assertInRange(v.quality, 'current.quality', 0, attempts),
    withDifficulty: assertInteger(v.withDifficulty, 'current.withDifficulty', 0, attempts),
  };
}

/** The rate stays within [0.1×, 3×] of the base (the schedules' clamp), the velocity within ±3× base. */
export function checkLearningRate(value: unknown, base: number): LearningRateState {
  const v = assertRecord(value, 'learningRate') as unknown as LearningRateState;
  return {
    rate: assertInRange(
      v.rate,
      'learningRate.rate',
      0.1 * base * (1 - 1e-12),
      3 * base * (1 + 1e-12),
    ),
    velocity: assertInRange(v.velocity, 'learningRate.velocity', -3 * base, 3 * base),
  };
}
