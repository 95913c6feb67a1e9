import { isSonaError, type SonaError, type SonaErrorCode } from '@sona/core';
import { expect } from 'vitest';

/**
 * The code of the SonaError `call` throws: `'none'` when it returns, `'not a SonaError: …'` when
 * it throws anything else. For assertions `expectSonaError` does not cover (a pattern, a return).
 */
export function sonaErrorCode(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    return isSonaError(error) ? error.code : `not a SonaError: ${String(error)}`;
  }
  return 'none';
}

/** Asserts that `call` throws a SonaError with `code`, and returns that error. */
export function expectSonaError(call: () => unknown, code: SonaErrorCode): SonaError {
  let error: unknown;
  try {
    call();
  } catch (thrown) {
    error = thrown;
  }
  if (!isSonaError(error)) {
    expect.unreachable(
      error === undefined
        ? `expected a SonaError ${code}, nothing was thrown`
        : `expected a SonaError ${code}, got ${String(error)}`,
    );
  }
  expect(error.code).toBe(code);
  return error;
}

/** `expectSonaError` for a promise (an async call). */
export async function expectSonaErrorAsync(
  call: () => Promise<unknown>,
  code: SonaErrorCode,
): Promise<SonaError> {
  let error: unknown;
  try {
    await call();
  } catch (thrown) {
    error = thrown;
  }
  if (!isSonaError(error)) {
    expect.unreachable(
      error === undefined
        ? `expected a SonaError ${code}, nothing was thrown`
        : `expected a SonaError ${code}, got ${String(error)}`,
    );
  }
  expect(error.code).toBe(code);
  return error;
}
