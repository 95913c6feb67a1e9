import { type Rng, SonaError, type Version } from '@sona/core';
import type { Feedback } from '../environment/environment';
import { ReplayEnvironment, type ReplayEnvironmentSpec } from '../environment/replay';
import { SimulatedEnvironment, type SimulatedEnvironmentSpec } from '../environment/simulated';
import { DEFAULT_PROFILE_SET, type ProfileSet, profileSet } from '../simulated/profiles';
import { ABLATION_KEYS, type AblationKey } from './ablations';
import { type Mode, PROTOCOL, type Schedule, schedule } from './modes';

export type EnvironmentSpec = SimulatedEnvironmentSpec | ReplayEnvironmentSpec;

/** What a benchmark run is, as far as its results go (workers rebuild everything from it). */
export interface BenchmarkSpec {
  readonly version: Version;
  readonly mode: Mode;
  readonly seed: number;
  /** Where outcomes come from; default the simulated world with `profiles`. */
  readonly environment?: EnvironmentSpec;
  /** Shorthand for a simulated environment with this profile set (name or your own set). */
  readonly profiles?: string | ProfileSet;
  /** Run the v3 ablations (default true; learners that ignore overrides switch them off). */
  readonly ablations?: boolean;
  /**
   * Learners (registry names) run beside the main one in the same protocol: the same tasks,
   * splits and attempt streams, full runs only.
   */
  readonly compare?: readonly string[];
  /** What the learner is told after a training attempt (default `bandit`). */
  readonly feedback?: Feedback;
  /** w in success − w·cost for the reported policy (default 0: pass rate only). */
  readonly costWeight?: number;
  /** Further weights evaluated for the cost frontier and AIQ (needs a cost). */
  readonly costWeights?: readonly number[];
  /**
   * Epochs and training tasks per epoch instead of the version's own (SPEC mode table), to
   * compare versions at one budget.
   */
  readonly budget?: Schedule;
}

/** A spec with every default filled in. */
export interface ResolvedSpec {
  readonly version: Version;
  readonly mode: Mode;
  readonly seed: number;
  readonly environment: EnvironmentSpec;
  readonly ablations: boolean;
  readonly compare: readonly string[];
  readonly feedback: Feedback;
  readonly costWeight: number;
  readonly costWeights: readonly number[];
  /** The version's schedule for the mode, or the spec's `budget`. */
  readonly schedule: Schedule;
}

export type Variant = 'full' | AblationKey;

/**
 * One unit of work: a fresh learner for one subject (model) and fold, full or with a component
 * off; a compared learner (`learner`, by registry name) always runs full.
 */
export interface JobSpec {
  readonly modelIndex: number;
  readonly fold: number;
  readonly variant: Variant;
  /** A compared learner; absent for the run's own learner. */
  readonly learner?: string;
}

/** Everything a run derives from its spec. Deterministic in the spec, so every worker builds the same one. */
export interface BenchmarkContext {
  readonly spec: ResolvedSpec;
  readonly schedule: Schedule;
  readonly env: SimulatedEnvironment | ReplayEnvironment;
  /**
   * The cost weights every final evaluation is made at: the reported one first, then the
   * frontier's (each once).
   */
  readonly weights: readonly number[];
  readonly root: Rng;
}

function checkWeight(w: unknown, path: string): number {
  if (typeof w !== 'number' || !(Number.isFinite(w) && w >= 0)) {
    throw new SonaError('OUT_OF_RANGE', `${path} must be a finite number ≥ 0, got ${String(w)}`, {
      path,
    });
  }
  return w === 0 ? 0 : w; // -0 → 0
}

/** Checks a spec and fills in its defaults (before any work is done). */
export function resolveSpec(spec: BenchmarkSpec): ResolvedSpec {
  if (!Number.isSafeInteger(spec.seed) || spec.seed < 0) {
    throw new SonaError('INVALID_ARGUMENT', `seed must be a safe integer ≥ 0, got ${spec.seed}`);
  }
  const own = schedule(spec.version, spec.mode);
  const budget = spec.budget === undefined ? own : checkBudget(spec.budget);
  if (spec.environment !== undefined && spec.profiles !== undefined) {
    throw new SonaError('INVALID_ARGUMENT', 'give profiles or an environment, not both', {
      path: 'profiles',
    });
  }
  const environment: EnvironmentSpec = spec.environment ?? {
    kind: 'simulated',
    profiles: spec.profiles ?? DEFAULT_PROFILE_SET,
  };
  if (environment.kind === 'simulated') profileSet(environment.profiles);
  else if (environment.kind !== 'replay') {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `unknown environment '${String((environment as { kind: unknown }).kind)}'`,
    );
  }
  const compare = spec.compare ?? [];
  if (!Array.isArray(compare) || new Set(compare).size !== compare.length) {
    throw new SonaError('INVALID_ARGUMENT', 'compare must list each learner at most once', {
      path: 'compare',
    });
  }
  const feedback = spec.feedback ?? 'bandit';
  if (feedback !== 'bandit' && feedback !== 'full') {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `feedback must be bandit or full, got ${String(feedback)}`,
      {
        path: 'feedback',
      },
    );
  }
  const costWeight = checkWeight(spec.costWeight ?? 0, 'costWeight');
  const costWeights = (spec.costWeights ?? []).map((w, i) => checkWeight(w, `costWeights[${i}]`));
  const hasCost = environment.kind === 'replay' && environment.dataset.hasCost;
  if ((costWeight > 0 || costWeights.length > 0) && !hasCost) {
    throw new SonaError(
      'FIELD_MAPPING',
      'a cost weight needs a cost: map one with --field cost=PATH (the simulated world has none)',
      { path: 'cost' },
    );
  }
  if (new Set(costWeights).size !== costWeights.length) {
    throw new SonaError('INVALID_ARGUMENT', 'a cost weight is listed twice', {
      path: 'costWeights',
    });
  }
  return {
    version: spec.version,
    mode: spec.mode,
    seed: spec.seed,
    environment,
    ablations: spec.ablations !== false,
    compare: [...compare],
    feedback,
    costWeight,
    costWeights,
    schedule: budget,
  };
}

/** Most epochs and training tasks per epoch a budget may ask for. */
export const MAX_BUDGET = { epochs: 1000, tasksPerEpoch: 100_000 } as const;

function checkBudget(budget: Schedule): Schedule {
  const fields = ['epochs', 'tasksPerEpoch'] as const;
  for (const field of fields) {
    const v = (budget as unknown as Record<string, unknown> | null)?.[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_BUDGET[field]) {
      throw new SonaError(
        'OUT_OF_RANGE',
        `budget.${field} must be an integer from 1 to ${MAX_BUDGET[field]}, got ${String(v)}`,
        { path: `budget.${field}` },
      );
    }
  }
  return { epochs: budget.epochs, tasksPerEpoch: budget.tasksPerEpoch };
}

/** The ablations a run makes: v3 only, and only when the spec does not switch them off. */
export function ablationsOf(spec: BenchmarkSpec | ResolvedSpec): readonly AblationKey[] {
  return spec.version === 'v3' && spec.ablations !== false ? ABLATION_KEYS : [];
}

export function createContext(spec: BenchmarkSpec): BenchmarkContext {
  const resolved = resolveSpec(spec);
  const environment = resolved.environment;
  const env =
    environment.kind === 'simulated'
      ? new SimulatedEnvironment(environment, resolved.seed, resolved.mode)
      : new ReplayEnvironment(environment, resolved.seed);
  const weights = [
    resolved.costWeight,
    ...resolved.costWeights.filter((w) => w !== resolved.costWeight),
  ];
  return {
    spec: resolved,
    schedule: resolved.schedule,
    env,
    weights,
    root: env.root,
  };
}

/** How many subjects and folds a spec's environment has, without building it. */
function shapeOf(spec: ResolvedSpec): { subjects: number; folds: number } {
  const environment = spec.environment;
  if (environment.kind === 'simulated') {
    return { subjects: profileSet(environment.profiles).models.length, folds: PROTOCOL.folds };
  }
  const requested = environment.folds ?? 5;
  return { subjects: 1, folds: Math.min(requested, environment.dataset.tasks.length) };
}

/**
 * Every job of a run in the fixed order results are merged in: per subject, the full learner's
 * folds, then (v3) each ablation's folds, then each compared learner's folds.
 */
export function planJobs(spec: BenchmarkSpec): JobSpec[] {
  const resolved = resolveSpec(spec);
  const { subjects, folds } = shapeOf(resolved);
  const variants: Variant[] = ['full', ...ablationsOf(resolved)];
  const jobs: JobSpec[] = [];
  for (let m = 0; m < subjects; m++) {
    for (const variant of variants) {
      for (let f = 0; f < folds; f++) jobs.push({ modelIndex: m, fold: f, variant });
    }
    for (const learner of resolved.compare) {
      for (let f = 0; f < folds; f++) {
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
