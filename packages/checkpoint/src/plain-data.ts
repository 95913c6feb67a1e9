import { decodeFloat32, encodeFloat32, firstNonFinite, SonaError } from '@sona/core';
import { type CheckpointIssue, FORBIDDEN_KEYS, issue, issuesToError, MAX_DEPTH } from './issues';
import { appendPath } from './path';

export type JsonPrimitive = string | number | boolean | null;
/** Data that JSON represents exactly: no undefined, NaN, infinities, class instances or cycles. */
export type JsonValue =
  | JsonPrimitive
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };
/**
 * What a component's `state()` returns (see the brief's "State for exact resume"): JSON data
 * plus `Float32Array` tensors.
 */
export type PlainData =
  | JsonPrimitive
  | Float32Array
  | readonly PlainData[]
  | { readonly [key: string]: PlainData };

/** `{ "$f32": "<base64>" }` stands for a Float32Array (encodeFloat32 of @sona/core). */
export const TENSOR_TAG = '$f32';
/** `{ "$num": "-0" }` stands for the number -0, which JSON would turn into 0. */
export const NUMBER_TAG = '$num';

const MAX_VALUES = 10_000_000;

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return Object.getPrototypeOf(value)?.constructor?.name ?? 'object';
}

/**
 * Every place a JSON document (parsed or built in memory) could hide something a hash or a
 * prototype should never see: non-finite numbers, keys that name prototype machinery, strings
 * that are not well-formed Unicode (RFC 8785 §3.2.2.2 rejects lone surrogates), non-JSON values,
 * nesting past `MAX_DEPTH`. Iterative, so no input can exhaust the stack.
 */
export function inspectJsonValue(root: unknown, rootPath = '', limit = 20): CheckpointIssue[] {
  const issues: CheckpointIssue[] = [];
  const work: { value: unknown; path: string; depth: number }[] = [
    { value: root, path: rootPath, depth: 0 },
  ];
  let visited = 0;
  while (work.length > 0 && issues.length < limit) {
    const { value, path, depth } = work.pop()!;
    if (++visited > MAX_VALUES) {
      issues.push(issue('CHECKPOINT_SCHEMA', rootPath, `more than ${MAX_VALUES} JSON values`));
      break;
    }
    switch (typeof value) {
      case 'boolean':
        continue;
      case 'number':
        if (!Number.isFinite(value)) {
          issues.push(issue('CHECKPOINT_BAD_NUMBER', path, `${value} is not a finite number`));
        }
        continue;
      case 'string':
        if (!isWellFormed(value)) {
          issues.push(issue('CHECKPOINT_SCHEMA', path, 'string contains a lone UTF-16 surrogate'));
        }
        continue;
      case 'object': {
        if (value === null) continue;
        if (depth >= MAX_DEPTH) {
          issues.push(
            issue('CHECKPOINT_SCHEMA', path, `nested deeper than ${MAX_DEPTH} levels (or a cycle)`),
          );
          continue;
        }
        if (Array.isArray(value)) {
          for (let i = value.length - 1; i >= 0; i--) {
            if (!(i in value)) {
              issues.push(issue('CHECKPOINT_SCHEMA', appendPath(path, i), 'array has a hole'));
            } else {
              work.push({ value: value[i], path: appendPath(path, i), depth: depth + 1 });
            }
          }
          continue;
        }
        if (!isPlainObject(value)) {
          issues.push(issue('CHECKPOINT_SCHEMA', path, `${describe(value)} is not JSON data`));
          continue;
        }
        if (Object.getOwnPropertySymbols(value).length > 0) {
          issues.push(issue('CHECKPOINT_SCHEMA', path, 'object has symbol keys'));
        }
        const keys = Object.keys(value);
        for (let k = keys.length - 1; k >= 0; k--) {
          const key = keys[k]!;
          const childPath = appendPath(path, key);
          if (FORBIDDEN_KEYS.has(key)) {
            issues.push(
              issue('CHECKPOINT_FORBIDDEN_KEY', childPath, `the key "${key}" is not allowed`),
            );
          } else if (!isWellFormed(key)) {
            issues.push(issue('CHECKPOINT_SCHEMA', childPath, 'key contains a lone surrogate'));
          } else {
            const child = (value as Record<string, unknown>)[key];
            work.push({ value: child, path: childPath, depth: depth + 1 });
          }
        }
        continue;
      }
      default:
        issues.push(issue('CHECKPOINT_SCHEMA', path, `${describe(value)} is not JSON data`));
    }
  }
  return issues.slice(0, limit);
}

/**
 * Turns plain data holding `Float32Array`s into JSON data, bit-exactly: each tensor becomes
 * `{ "$f32": base64 }` and the number -0 becomes `{ "$num": "-0" }`. Keys starting with `$` are
 * reserved for these tags. Throws `INVALID_ARGUMENT` for anything else that is not plain data
 * (undefined, functions, Maps, other typed arrays, class instances, cycles, forbidden keys) and
 * `NON_FINITE` for NaN or an infinity.
 */
export function encodePlainData(data: PlainData): JsonValue {
  return encodeValue(data, '', 0);
}

function encodeValue(value: unknown, path: string, depth: number): JsonValue {
  const fail = (message: string): never => {
    throw new SonaError('INVALID_ARGUMENT', `${message}${path === '' ? '' : ` at ${path}`}`, {
      path,
    });
  };
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'string':
      if (!isWellFormed(value)) fail('string contains a lone UTF-16 surrogate');
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new SonaError('NON_FINITE', `${value} cannot be stored at ${path || 'the root'}`, {
          path,
        });
      }
      return Object.is(value, -0) ? { [NUMBER_TAG]: '-0' } : value;
    case 'object': {
      if (value === null) return null;
      if (depth >= MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels (or a cycle)`);
      if (value instanceof Float32Array) return { [TENSOR_TAG]: encodeFloat32(value) };
      if (Array.isArray(value)) {
        const out: JsonValue[] = [];
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) fail(`array has a hole at index ${i}`);
          out.push(encodeValue(value[i], appendPath(path, i), depth + 1));
        }
        return out;
      }
      if (!isPlainObject(value)) return fail(`${describe(value)} is not plain data`);
      if (Object.getOwnPropertySymbols(value).length > 0) fail('object has symbol keys');
      const out: Record<string, JsonValue> = {};
      for (const key of Object.keys(value)) {
        const childPath = appendPath(path, key);
        if (FORBIDDEN_KEYS.has(key)) fail(`the key "${key}" is not allowed`);
        if (key.startsWith('$')) fail(`keys starting with "$" are reserved (${childPath})`);
        if (!isWellFormed(key)) fail('key contains a lone UTF-16 surrogate');
        out[key] = encodeValue((value as Record<string, unknown>)[key], childPath, depth + 1);
      }
      return out;
    }
    default:
      return fail(`${describe(value)} is not plain data`);
  }
}

/**
 * The inverse of `encodePlainData`: tags become `Float32Array`s (fresh copies) and -0 again.
 * Throws `CHECKPOINT_SCHEMA` for a malformed tag, `CHECKPOINT_BAD_NUMBER` for a tensor holding
 * NaN or an infinity, `CHECKPOINT_FORBIDDEN_KEY` for prototype keys.
 */
export function decodePlainData(json: JsonValue): PlainData {
  const issues: CheckpointIssue[] = [];
  const out = decodeValue(json, '', 0, issues);
  if (issues.length > 0) throw issuesToError(issues);
  return out;
}

/** Checks the tags inside JSON data without keeping the decoded tensors. */
export function inspectPlainDataTags(json: unknown, path: string): CheckpointIssue[] {
  const issues: CheckpointIssue[] = [];
  decodeValue(json, path, 0, issues);
  return issues;
}

function decodeTag(
  value: Record<string, unknown>,
  keys: string[],
  path: string,
  issues: CheckpointIssue[],
): PlainData {
  const [key] = keys;
  const payload = value[key!];
  if (keys.length === 1 && key === TENSOR_TAG && typeof payload === 'string') {
    let tensor: Float32Array;
    try {
      tensor = decodeFloat32(payload);
    } catch {
      issues.push(issue('CHECKPOINT_SCHEMA', path, 'a "$f32" tensor is not valid base64'));
      return null;
    }
    const bad = firstNonFinite(tensor);
    if (bad >= 0) {
      issues.push(
        issue('CHECKPOINT_BAD_NUMBER', appendPath(path, bad), `tensor value ${tensor[bad]}`),
      );
    }
    return tensor;
  }
  if (keys.length === 1 && key === NUMBER_TAG && payload === '-0') return -0;
  issues.push(
    issue('CHECKPOINT_SCHEMA', path, `unknown tag: keys starting with "$" are reserved for tags`),
  );
  return null;
}

function decodeValue(
  value: unknown,
  path: string,
  depth: number,
  issues: CheckpointIssue[],
): PlainData {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      issues.push(issue('CHECKPOINT_BAD_NUMBER', path, `${value} is not a finite number`));
    }
    return value;
  }
  if (typeof value !== 'object' || depth >= MAX_DEPTH) {
    issues.push(issue('CHECKPOINT_SCHEMA', path, `${describe(value)} is not JSON data`));
    return null;
  }
  if (Array.isArray(value)) {
    const out: PlainData[] = [];
    for (let i = 0; i < value.length; i++) {
      out.push(decodeValue(value[i], appendPath(path, i), depth + 1, issues));
    }
    return out;
  }
  if (!isPlainObject(value)) {
    issues.push(issue('CHECKPOINT_SCHEMA', path, `${describe(value)} is not JSON data`));
    return null;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.some((key) => key.startsWith('$'))) return decodeTag(record, keys, path, issues);
  const out: Record<string, PlainData> = {};
  for (const key of keys) {
    const childPath = appendPath(path, key);
    if (FORBIDDEN_KEYS.has(key)) {
      issues.push(issue('CHECKPOINT_FORBIDDEN_KEY', childPath, `the key "${key}" is not allowed`));
      continue;
    }
    out[key] = decodeValue(record[key], childPath, depth + 1, issues);
  }
  return out;
}
