import { isVersion, SonaError, type Version } from '@sona/core';

/** EWC++ penalty strength λ per benchmark version (SPEC: v1 1000, v2 500, v3 400). */
export const EWC_LAMBDA: Readonly<Record<Version, number>> = Object.freeze({
  v1: 1000,
  v2: 500,
  v3: 400,
});

/** λ for a version; throws INVALID_ARGUMENT for anything that is not `v1`, `v2` or `v3`. */
export function ewcLambda(version: Version): number {
  if (!isVersion(version)) {
    throw new SonaError('INVALID_ARGUMENT', `unknown version ${String(version)}`, {
      path: 'version',
    });
  }
  return EWC_LAMBDA[version];
}
