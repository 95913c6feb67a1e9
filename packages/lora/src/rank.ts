import { assertFinite, SonaError } from '@sona/core';

/** Adapter rank by model size in billions of parameters (SPEC: < 2B → 1, < 5B → 2, else 4). */
export function rankForParams(billions: number): 1 | 2 | 4 {
  const b = assertFinite(billions, 'billions');
  if (!(b > 0)) {
    throw new SonaError('OUT_OF_RANGE', `billions is ${b}, must be > 0`, { path: 'billions' });
  }
  if (b < 2) return 1;
  if (b < 5) return 2;
  return 4;
}
