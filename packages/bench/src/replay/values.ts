/**
 * How the value found at a field's path is read. Each reader returns the value, `none` (null:
 * the row does not say), or the reason the value is unusable (the line is then malformed).
 */

/** A logged outcome at or above this value counts as a success. */
export const SUCCESS_THRESHOLD = 0.5;

export type Read<T> =
  | { readonly kind: 'value'; readonly value: T }
  | { readonly kind: 'none' }
  | { readonly kind: 'bad'; readonly reason: string };

const none = { kind: 'none' } as const;
const bad = (reason: string): { kind: 'bad'; reason: string } => ({ kind: 'bad', reason });

/** A short rendering of a JSON value for error messages. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export interface LoggedOutcome {
  /** The logged value in [0, 1]: 1/0 for a boolean, the number itself otherwise. */
  readonly value: number;
  /** value ≥ SUCCESS_THRESHOLD. */
  readonly success: boolean;
}

/**
 * A logged outcome: `true`/`false`, or a number in [0, 1] (0/1, or a fraction such as a share
 * of tests passed); a fraction ≥ 0.5 counts as a success. `null` means no outcome. Strings
 * ("true", "1") and numbers outside [0, 1] are not outcomes.
 */
export function readOutcome(value: unknown): Read<LoggedOutcome> {
  if (value === null) return none;
  if (typeof value === 'boolean') {
    return { kind: 'value', value: { value: value ? 1 : 0, success: value } };
  }
  if (typeof value === 'number' && value >= 0 && value <= 1) {
    return { kind: 'value', value: { value, success: value >= SUCCESS_THRESHOLD } };
  }
  return bad(`${show(value)} is not an outcome (true/false or a number in [0, 1])`);
}

/** A cost: a finite number ≥ 0 (tokens, dollars, milliseconds); `null` means not logged. */
export function readCost(value: unknown): Read<number> {
  if (value === null) return none;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    return { kind: 'value', value: value === 0 ? 0 : value }; // -0 → 0
  }
  return bad(`${show(value)} is not a cost (a finite number ≥ 0)`);
}

/** Longest task id, arm name and type label accepted (UTF-16 code units). */
export const MAX_NAME_LENGTH = 256;

function named(text: string): Read<string> {
  if (text.length === 0) return bad('is an empty string');
  if (text.length > MAX_NAME_LENGTH) {
    return bad(`is ${text.length} characters long (at most ${MAX_NAME_LENGTH})`);
  }
  return { kind: 'value', value: text };
}

/**
 * A task id or an arm: a non-empty string of at most 256 characters, or a finite number (used as
 * its decimal string).
 */
export function readName(value: unknown): Read<string> {
  if (value === null) return none;
  if (typeof value === 'string') return named(value);
  if (typeof value === 'number' && Number.isFinite(value)) return named(String(value));
  return bad(`${show(value)} is not a string or a number`);
}

/**
 * A type label (a repository, a category): a non-empty string of at most 256 characters, or a
 * number or boolean (as its string); `null` means no label.
 */
export function readLabel(value: unknown): Read<string> {
  if (value === null) return none;
  if (typeof value === 'string') return named(value);
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
    return named(String(value));
  }
  return bad(`${show(value)} is not a type label (a string, number or boolean)`);
}

/** A task text: a string; `null` means none. */
export function readText(value: unknown): Read<string> {
  if (value === null) return none;
  return typeof value === 'string' ? { kind: 'value', value } : bad(`${show(value)} is not text`);
}

/** The largest embedding accepted: the engine's (and its adapters') largest dimension. */
export const MAX_EMBEDDING_DIM = 65_536;

/** An embedding: a non-empty array of finite numbers (stored as float32); `null` means none. */
export function readEmbedding(value: unknown): Read<Float32Array> {
  if (value === null) return none;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_EMBEDDING_DIM) {
    return bad(
      Array.isArray(value) && value.length > MAX_EMBEDDING_DIM
        ? `an embedding of ${value.length} numbers is longer than ${MAX_EMBEDDING_DIM}`
        : `${show(value)} is not an embedding (a non-empty array of numbers)`,
    );
  }
  const out = new Float32Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const x = value[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      return bad(`embedding item ${i} is ${show(x)}, not a finite number`);
    }
    out[i] = x;
    if (!Number.isFinite(out[i]!)) {
      return bad(`embedding item ${i} (${x}) overflows float32`);
    }
  }
  return { kind: 'value', value: out };
}
