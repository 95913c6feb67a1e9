import { SonaError } from '@sona/core';
import type { LearnerFactory } from '../learner';
import { uniformRandomLearner } from './random';
import { sonaLearnerFactory } from './sona';

/** Learners the CLI and worker threads can run by name. */
export const LEARNER_NAMES = ['sona', 'random'] as const;
export type LearnerName = (typeof LEARNER_NAMES)[number];

export function isLearnerName(value: unknown): value is LearnerName {
  return typeof value === 'string' && (LEARNER_NAMES as readonly string[]).includes(value);
}

export function resolveLearnerFactory(name: string): LearnerFactory {
  if (name === 'random') return uniformRandomLearner;
  if (name === 'sona') return sonaLearnerFactory;
  throw new SonaError(
    'INVALID_ARGUMENT',
    `unknown learner '${name}' (known: ${LEARNER_NAMES.join(', ')})`,
    { path: 'learner' },
  );
}
