import { SonaError } from '@sona/core';
import type { LearnerFactory } from '../learner';
import { knnLearner } from './knn';
import { linTsLearner, linUcbLearner } from './linear';
import { uniformRandomLearner } from './random';
import { sonaLearnerFactory } from './sona';
import { thompsonLearner } from './thompson';
import { ucb1Learner } from './ucb1';

interface LearnerEntry {
  readonly factory: LearnerFactory;
  readonly description: string;
  /** Whether the learner honours the ablation overrides (only then are ablations run). */
  readonly ablations: boolean;
  /** The largest embedding dimension it can hold (a linear model keeps (d + 1)² numbers per arm). */
  readonly maxDim: number;
}

/** The engine's own bound (and its adapters'). */
const ANY_DIM = 65_536;
/** (1024 + 1)² float64 per arm: 8 MiB each. */
const LINEAR_MAX_DIM = 1024;

/** Learners the CLI and worker threads can run by name. */
export const LEARNERS = {
  sona: {
    factory: sonaLearnerFactory,
    description: 'the SONA engine',
    ablations: true,
    maxDim: ANY_DIM,
  },
  random: {
    factory: uniformRandomLearner,
    description: 'a uniformly random arm',
    ablations: false,
    maxDim: ANY_DIM,
  },
  thompson: {
    factory: thompsonLearner,
    description: 'Beta(1, 1) Thompson sampling per task type × arm',
    ablations: false,
    maxDim: ANY_DIM,
  },
  ucb1: {
    factory: ucb1Learner,
    description: 'UCB1 per task type',
    ablations: false,
    maxDim: ANY_DIM,
  },
  linucb: {
    factory: linUcbLearner,
    description: 'disjoint LinUCB on [embedding, 1], α = 1, ridge 1',
    ablations: false,
    maxDim: LINEAR_MAX_DIM,
  },
  lints: {
    factory: linTsLearner,
    description: 'linear Thompson sampling on [embedding, 1], v = 1, ridge 1',
    ablations: false,
    maxDim: LINEAR_MAX_DIM,
  },
  knn: {
    factory: knnLearner,
    description: 'k-nearest neighbours (cosine, k = 10), ε-greedy with ε = 0.1',
    ablations: false,
    maxDim: ANY_DIM,
  },
} as const satisfies Record<string, LearnerEntry>;

export const LEARNER_NAMES = Object.keys(LEARNERS) as (keyof typeof LEARNERS)[];
export type LearnerName = keyof typeof LEARNERS;

/** The standard baselines a run can be compared with (`--compare`): every named learner but SONA. */
export const BASELINE_NAMES: readonly LearnerName[] = LEARNER_NAMES.filter((n) => n !== 'sona');

export function isLearnerName(value: unknown): value is LearnerName {
  return typeof value === 'string' && Object.hasOwn(LEARNERS, value);
}

/** A learner's one-line description ('' for a name the registry does not know). */
export function learnerDescription(name: string): string {
  return isLearnerName(name) ? LEARNERS[name].description : '';
}

/**
 * The learners to compare with, checked: registry names, each once, not the run's own learner.
 * `all` stands for every registered learner but the run's own.
 */
export function resolveCompare(compare: readonly string[], learner: string): string[] {
  const names = compare.flatMap((n) =>
    n === 'all' ? LEARNER_NAMES.filter((x) => x !== learner) : [n],
  );
  const seen = new Set<string>();
  for (const name of names) {
    if (!isLearnerName(name)) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `cannot compare with unknown learner '${name}' (known: ${LEARNER_NAMES.join(', ')})`,
        { path: 'compare' },
      );
    }
    if (name === learner) {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `the run's own learner ${name} is not compared with itself`,
        {
          path: 'compare',
        },
      );
    }
    if (seen.has(name)) {
      throw new SonaError('INVALID_ARGUMENT', `learner ${name} is listed twice to compare with`, {
        path: 'compare',
      });
    }
    seen.add(name);
  }
  return names;
}

export function resolveLearnerFactory(name: string): LearnerFactory {
  if (!isLearnerName(name)) {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `unknown learner '${name}' (known: ${LEARNER_NAMES.join(', ')})`,
      { path: 'learner' },
    );
  }
  return LEARNERS[name].factory;
}
