import { SonaError, type SonaErrorCode } from '@sona/core';

/** One problem found in a checkpoint: a stable code, where it is, and what is wrong. */
export interface CheckpointIssue {
  readonly code: SonaErrorCode;
  /** Location in the document, for example `loraWeights.A[3]`; `''` for the whole file. */
  readonly path: string;
  readonly message: string;
}

export function issue(code: SonaErrorCode, path: string, message: string): CheckpointIssue {
  return { code, path, message };
}

/** The first issue as a thrown error; every issue rides along in `details.errors`. */
export function issuesToError(issues: readonly CheckpointIssue[]): SonaError {
  const first = issues[0]!;
  const where = first.path === '' ? '' : ` at ${first.path}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : '';
  return new SonaError(first.code, `${first.message}${where}${more}`, {
    path: first.path,
    details: { errors: issues },
  });
}

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

/** Deepest nesting of arrays and objects a checkpoint may have. */
export const MAX_DEPTH = 64;
