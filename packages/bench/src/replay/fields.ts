import { SonaError } from '@sona/core';

/** The fields a replay row can supply; `task`, `arm` and `success` are required. */
export const FIELD_NAMES = ['task', 'arm', 'success', 'cost', 'text', 'embedding', 'type'] as const;
export type FieldName = (typeof FIELD_NAMES)[number];
export const REQUIRED_FIELDS = ['task', 'arm', 'success'] as const satisfies readonly FieldName[];

/** Where each field lives in a row: a dotted path per field (`quality.functional_pass`). */
export interface FieldMapping {
  readonly task: string;
  readonly arm: string;
  readonly success: string;
  readonly cost?: string;
  readonly text?: string;
  readonly embedding?: string;
  readonly type?: string;
}

const INDEX = /^(0|[1-9]\d*)$/;

function isFieldName(name: string): name is FieldName {
  return (FIELD_NAMES as readonly string[]).includes(name);
}

/**
 * Splits a dotted path into its segments. Each segment is an object key (matched exactly, own
 * properties only) or, on an array, a decimal index (`per_call_ms.0`). Keys that themselves
 * contain a dot cannot be addressed. An empty path or segment is a FIELD_MAPPING error.
 */
export function parseFieldPath(path: string, field = 'field'): readonly string[] {
  if (typeof path !== 'string' || path.length === 0) {
    throw new SonaError('FIELD_MAPPING', `the path of ${field} is empty`, { path: field });
  }
  const segments = path.split('.');
  if (segments.some((s) => s.length === 0)) {
    throw new SonaError(
      'FIELD_MAPPING',
      `the path '${path}' of ${field} has an empty segment (a leading, trailing or doubled '.')`,
      { path: field },
    );
  }
  return segments;
}

export type Resolved =
  | { readonly found: true; readonly value: unknown }
  | { readonly found: false };

/**
 * Follows a path into a parsed JSON value. `found: false` when a segment is absent (a missing
 * key, an index past the end, or a step into a scalar); a present `null` is found, with value
 * null. Only own properties count, so `constructor` or `__proto__` never reach a prototype.
 */
export function resolvePath(root: unknown, segments: readonly string[]): Resolved {
  let value = root;
  for (const segment of segments) {
    if (Array.isArray(value)) {
      if (!INDEX.test(segment)) return { found: false };
      const index = Number(segment);
      if (index >= value.length) return { found: false };
      value = value[index];
    } else if (value !== null && typeof value === 'object') {
      if (!Object.hasOwn(value, segment)) return { found: false };
      value = (value as Record<string, unknown>)[segment];
    } else {
      return { found: false };
    }
  }
  return { found: true, value };
}

/**
 * The deepest prefix of a path that resolves in a row, and the keys available there: what an
 * error message shows when a path resolves nowhere.
 */
export function pathHint(root: unknown, segments: readonly string[]): string {
  let value = root;
  let depth = 0;
  for (; depth < segments.length; depth++) {
    const next = resolvePath(value, [segments[depth]!]);
    if (!next.found) break;
    value = next.value;
  }
  const where = depth === 0 ? 'the top level' : `'${segments.slice(0, depth).join('.')}'`;
  if (Array.isArray(value)) return `${where} holds an array of ${value.length}`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const shown = keys.slice(0, 20).join(', ');
    return `${where} has keys: ${shown}${keys.length > 20 ? `, … (${keys.length} in all)` : ''}`;
  }
  return `${where} holds ${value === null ? 'null' : `a ${typeof value}`}`;
}

/** Checks a mapping given as an object: known fields, the three required ones, valid paths. */
export function checkFieldMapping(mapping: unknown): FieldMapping {
  if (mapping === null || typeof mapping !== 'object' || Array.isArray(mapping)) {
    throw new SonaError('FIELD_MAPPING', 'the field mapping must be an object of field → path');
  }
  const out: Record<string, string> = {};
  for (const [name, path] of Object.entries(mapping)) {
    if (path === undefined) continue;
    if (!isFieldName(name)) {
      throw new SonaError(
        'FIELD_MAPPING',
        `unknown field '${name}' (known: ${FIELD_NAMES.join(', ')})`,
        { path: name },
      );
    }
    if (typeof path !== 'string') {
      throw new SonaError('FIELD_MAPPING', `the path of ${name} must be a string`, { path: name });
    }
    parseFieldPath(path, name);
    out[name] = path;
  }
  const missing = REQUIRED_FIELDS.filter((name) => out[name] === undefined);
  if (missing.length > 0) {
    throw new SonaError(
      'FIELD_MAPPING',
      `missing ${missing.map((m) => `--field ${m}=PATH`).join(', ')}: task, arm and success are required`,
      { path: missing[0]! },
    );
  }
  const ordered: Record<string, string> = {};
  for (const name of FIELD_NAMES) if (out[name] !== undefined) ordered[name] = out[name];
  return ordered as unknown as FieldMapping;
}

/** Parses `name=path` specs (the CLI's repeated `--field`); each field at most once. */
export function parseFieldSpecs(specs: readonly string[]): FieldMapping {
  const mapping: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) {
      throw new SonaError(
        'FIELD_MAPPING',
        `--field needs NAME=PATH (for example success=quality.functional_pass), got '${spec}'`,
      );
    }
    const name = spec.slice(0, eq).trim();
    const path = spec.slice(eq + 1).trim();
    if (!isFieldName(name)) {
      throw new SonaError(
        'FIELD_MAPPING',
        `unknown field '${name}' in --field ${spec} (known: ${FIELD_NAMES.join(', ')})`,
        { path: name },
      );
    }
    if (Object.hasOwn(mapping, name)) {
      throw new SonaError('FIELD_MAPPING', `--field ${name} is given twice`, { path: name });
    }
    mapping[name] = path;
  }
  return checkFieldMapping(mapping);
}
