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

/** The check both forms make of what was thrown. */
function checkThrown(error: unknown, code: SonaErrorCode): SonaError {
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

/** Asserts that `call` throws a SonaError with `code`, and returns that error. */
export function expectSonaError(call: () => unknown, code: SonaErrorCode): SonaError {
  try {
    call();
  } catch (error) {
    return checkThrown(error, code);
  }
  return checkThrown(undefined, code);
}

/** `expectSonaError` for a promise (an async call). */
export async function expectSonaErrorAsync(
  call: () => Promise<unknown>,
  code: SonaErrorCode,
): Promise<SonaError> {
  try {
    await call();
  } catch (error) {
    return checkThrown(error, code);
  }
  return checkThrown(undefined, code);
}
