import { createRng, type Rng, SonaError, type Version } from '@sona/core';
import { type ProfileSet, profileSet } from '../simulated/profiles';
import { type ModelWorld, SimulatedWorld } from '../simulated/world';
import { stratifiedFolds, stratifiedSample } from '../stats/split';
import { ABLATION_KEYS, type AblationKey } from './ablations';
import { type Mode, POOL_SIZES, PROTOCOL, type Schedule, schedule } from './modes';

/** What a benchmark run is, as far as its results go (workers rebuild everything from it). */
export interface BenchmarkSpec {
  readonly version: Version;
  readonly mode: Mode;
  readonly seed: number;
  /** A profile set by name (`reference-small`, `swe-verified`) or a set of your own. */
  readonly profiles: string | ProfileSet;
  /** Run the v3 ablations (default true; learners that ignore overrides switch them off). */
  readonly ablations?: boolean;
  /**
   * Learners (registry names) run beside the main one in the same protocol: the same tasks,
   * splits and attempt streams, full runs only.
   */
  readonly compare?: readonly string[];
}

/** Indices into the pool. */
export interface FoldSplit {
  readonly train: Int32Array;
  readonly valid: Int32Array;
  readonly test: Int32Array;
}

export type Variant = 'full' | AblationKey;

/**
 * One unit of work: a fresh learner for one model and fold, full or with a component off; a
 * compared learner (`learner`, by registry name) always runs full.
 */
export interface JobSpec {
  readonly modelIndex: number;
  readonly fold: number;
  readonly variant: Variant;
  /** A compared learner; absent for the run's own learner. */
  readonly learner?: string;
}

/**
 * Everything a run derives from its spec: the world, each model's calibrated view of it and the
 * splits. Deterministic in the spec, so every worker builds the same one.
 */
export interface BenchmarkContext {
  readonly spec: BenchmarkSpec;
  readonly schedule: Schedule;
  readonly profileSet: ProfileSet;
  readonly world: SimulatedWorld;
  readonly models: readonly ModelWorld[];
  readonly holdout: Int32Array;
  readonly folds: readonly FoldSplit[];
  readonly root: Rng;
}

export function validateSpec(spec: BenchmarkSpec): void {
  if (!Number.isSafeInteger(spec.seed) || spec.seed < 0) {
    throw new SonaError('INVALID_ARGUMENT', `seed must be a safe integer ≥ 0, got ${spec.seed}`);
  }
  schedule(spec.version, spec.mode);
  profileSet(spec.profiles);
  const compare = spec.compare ?? [];
  if (!Array.isArray(compare) || new Set(compare).size !== compare.length) {
    throw new SonaError('INVALID_ARGUMENT', 'compare must list each learner at most once', {
      path: 'compare',
    });
  }
}

/** The ablations a run makes: v3 only, and only when the spec does not switch them off. */
export function ablationsOf(spec: BenchmarkSpec): readonly AblationKey[] {
  return spec.version === 'v3' && spec.ablations !== false ? ABLATION_KEYS : [];
}

export function createContext(spec: BenchmarkSpec): BenchmarkContext {
  validateSpec(spec);
  const root = createRng(spec.seed);
  const world = new SimulatedWorld({ rng: root.fork('world'), poolSize: POOL_SIZES[spec.mode] });
  const set = profileSet(spec.profiles);
  const models = set.models.map((m) => world.forModel(m));
  const splitRng = root.fork('splits');
  const { selected: holdout, rest } = stratifiedSample(
    world.strata,
    PROTOCOL.holdoutFraction,
    splitRng.fork('holdout'),
  );
  const restStrata = Int32Array.from(rest, (i) => world.strata[i]!);
  const foldOf = stratifiedFolds(restStrata, PROTOCOL.folds, splitRng.fork('folds'));
  const folds: FoldSplit[] = [];
  for (let f = 0; f < PROTOCOL.folds; f++) {
    const validFold = (f + 1) % PROTOCOL.folds;
    const train: number[] = [];
    const valid: number[] = [];
    const test: number[] = [];
    for (let j = 0; j < rest.length; j++) {
      const fold = foldOf[j]!;
      (fold === f ? test : fold === validFold ? valid : train).push(rest[j]!);
    }
    folds.push({
      train: Int32Array.from(train),
      valid: Int32Array.from(valid),
      test: Int32Array.from(test),
    });
  }
  return {
    spec,
    schedule: schedule(spec.version, spec.mode),
    profileSet: set,
    world,
    models,
    holdout,
    folds,
    root,
  };
}

/**
 * Every job of a run in the fixed order results are merged in: per model, the full learner's
 * folds, then (v3) each ablation's folds, then each compared learner's folds.
 */
export function planJobs(spec: BenchmarkSpec): JobSpec[] {
  validateSpec(spec);
  const variants: Variant[] = ['full', ...ablationsOf(spec)];
  const models = profileSet(spec.profiles).models.length;
  const jobs: JobSpec[] = [];
  for (let m = 0; m < models; m++) {
    for (const variant of variants) {
      for (let f = 0; f < PROTOCOL.folds; f++) jobs.push({ modelIndex: m, fold: f, variant });
    }
    for (const learner of spec.compare ?? []) {
      for (let f = 0; f < PROTOCOL.folds; f++) {
        jobs.push({ modelIndex: m, fold: f, variant: 'full', learner });
      }
    }
  }
  return jobs;
}

export function jobKey(job: JobSpec): string {
  const who = job.learner === undefined ? job.variant : `vs:${job.learner}`;
  return `${job.modelIndex}/${who}/${job.fold}`;
}
