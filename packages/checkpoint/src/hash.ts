import { createHash } from 'node:crypto';
import { SonaError } from '@sona/core';
import canonicalize from 'canonicalize';
import { issuesToError } from './issues';
import { inspectJsonValue } from './plain-data';

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: object keys sorted by UTF-16
 * code units, no whitespace, ECMAScript number and string serialisation. Throws a SonaError for
 * values JCS cannot represent (NaN, infinities, lone surrogates, non-JSON values).
 */
export function canonicalJson(value: unknown): string {
  const issues = inspectJsonValue(value);
  if (issues.length > 0) throw issuesToError(issues);
  const text = canonicalize(value);
  if (text === undefined) throw new SonaError('CHECKPOINT_SCHEMA', 'no JSON value to canonicalise');
  return text;
}

/** SHA-256 (lowercase hex) of the `canonicalJson` text of a value, as UTF-8. */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

/** The part of a checkpoint its `stateHash` covers: everything but `stateHash` and `signature`. */
export function hashedContent(doc: object): Record<string, unknown> {
  // A null prototype makes an own "__proto__" key stay a key (and get reported), never a prototype.
  const content: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(doc)) {
    if (key !== 'stateHash' && key !== 'signature') {
      content[key] = (doc as Record<string, unknown>)[key];
    }
  }
  return content;
}

/** SHA-256 (lowercase hex) of the canonical JSON of everything but `stateHash` and `signature`. */
export function computeStateHash(doc: object): string {
  return createHash('sha256')
    .update(canonicalJson(hashedContent(doc)), 'utf8')
    .digest('hex');
}

/** `computeStateHash` for a document `inspectJsonValue` has already found clean. */
export function stateHashOfInspected(doc: object): string {
  const text = canonicalize(hashedContent(doc));
  if (text === undefined) throw new SonaError('CHECKPOINT_SCHEMA', 'no JSON value to canonicalise');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
