/**
 * What every reader test holds a verdict to, computed without the library's own hashing code:
 * shared by the mutation properties and the fuzz test. Not exported from the package.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { ERROR_CODES } from '@sona/core';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { expect } from 'vitest';
import { createCheckpoint, signCheckpoint, type VerifyResult } from './checkpoint';
import { serializeCheckpoint } from './io';
import { checkpointRecordArbitrary } from './test-fixtures';

export const signer = generateKeyPairSync('ed25519');

/** A valid checkpoint's text, signed half of the time. */
export const validText = fc.tuple(checkpointRecordArbitrary, fc.boolean()).map(([state, sign]) => {
  const checkpoint = createCheckpoint(state);
  return serializeCheckpoint(sign ? signCheckpoint(checkpoint, signer.privateKey) : checkpoint);
});

/** The canonical JSON of the document minus stateHash and signature: what the hash covers. */
export function coveredContent(text: string): string | null {
  try {
    const { stateHash: _, signature: __, ...rest } = JSON.parse(text);
    return canonicalize(rest) ?? null;
  } catch {
    return null;
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const checkpointCodes = Object.keys(ERROR_CODES).filter((code) => code.startsWith('CHECKPOINT_'));

export function expectRejectedWithCodes(result: VerifyResult): void {
  expect(result.ok).toBe(false);
  expect(result.level).toBe('invalid');
  expect(result.errors.length).toBeGreaterThan(0);
  for (const error of result.errors) expect(checkpointCodes).toContain(error.code);
}
