import { createHash } from 'node:crypto';
import { SonaError } from '@sona/core';

/**
 * The JSON Canonicalization Scheme (RFC 8785) of a plain value: object members sorted by the
 * UTF-16 code units of their names, no whitespace, numbers in ECMAScript's shortest round-trip
 * form (-0 as 0), strings with JSON's minimal escaping. Only I-JSON values are accepted: finite
 * numbers, strings without lone surrogates, booleans, null, arrays and plain objects; anything
 * else is a SonaError rather than a silently different hash.
 *
 * Kept local until @sona/checkpoint exports its canonical hashing; then this switches over.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, '$');
  return parts.join('');
}

/** SHA-256 (lowercase hex) of the canonical JSON of a value. */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function writeString(s: string, parts: string[], path: string): void {
  if (LONE_SURROGATE.test(s)) {
    throw new SonaError('INVALID_ARGUMENT', `${path} holds a lone surrogate`, { path });
  }
  parts.push(JSON.stringify(s));
}

function write(value: unknown, parts: string[], path: string): void {
  if (value === null) {
    parts.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      parts.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new SonaError('NON_FINITE', `${path} is ${value}`, { path });
      }
      parts.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'string':
      writeString(value, parts, path);
      return;
    case 'object':
      break;
    default:
      throw new SonaError('INVALID_ARGUMENT', `${path} is a ${typeof value}, not JSON`, { path });
  }
  if (Array.isArray(value)) {
    parts.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) parts.push(',');
      write(value[i], parts, `${path}[${i}]`);
    }
    parts.push(']');
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `${path} is a ${(value as object).constructor?.name ?? 'non-plain object'}, not a plain object`,
      { path },
    );
  }
  // Default string order compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
  const keys = Object.keys(value).sort();
  parts.push('{');
  let first = true;
  for (const key of keys) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) {
      throw new SonaError('INVALID_ARGUMENT', `${path}.${key} is undefined`, {
        path: `${path}.${key}`,
      });
    }
    if (!first) parts.push(',');
    first = false;
    writeString(key, parts, `${path}.${key}`);
    parts.push(':');
    write(member, parts, `${path}.${key}`);
  }
  parts.push('}');
}
