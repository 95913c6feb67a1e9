import { isSonaError } from '@sona/core';
import { describe, expect, it } from 'vitest';
import { checkLearnerContract } from '../learner-contract';
import { ABLATION_KEYS } from '../protocol/ablations';
import { sonaLearnerFactory } from './sona';

describe('the SONA engine as the benchmark learner', () => {
  it.each(['v1', 'v2', 'v3'] as const)('%s keeps the learner contract', (version) => {
    expect(checkLearnerContract(sonaLearnerFactory, { version })).toEqual([]);
  });

  it.each(ABLATION_KEYS)('v3 with %s switched off keeps the learner contract', (key) => {
    expect(
      checkLearnerContract(sonaLearnerFactory, { version: 'v3', overrides: { [key]: false } }),
    ).toEqual([]);
  });

  it('refuses an override it does not know', () => {
    let caught: unknown;
    try {
      checkLearnerContract(sonaLearnerFactory, { version: 'v3', overrides: { telepathy: false } });
    } catch (error) {
      caught = error;
    }
    expect(isSonaError(caught, 'INVALID_ARGUMENT')).toBe(true);
  });
});
