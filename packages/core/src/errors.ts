import { brandClass, hasBrand, SONA_ERROR_BRAND } from './brand';

/**
 * Every error a @sona package raises is a `SonaError` whose `code` is one of
 * these strings. Codes are a stable contract: never renamed, never reused.
 */
export const ERROR_CODES = {
  // arguments and shapes
  INVALID_ARGUMENT: 'an argument has the wrong type or an unusable value',
  DIM_MISMATCH: 'lengths or dimensions that must agree do not',
  NON_FINITE: 'a NaN or an infinity where a finite number is required',
  OUT_OF_RANGE: 'a number outside the range the operation accepts',
  EMPTY_INPUT: 'an operation that needs data was given none',
  INVALID_STATE: 'the object is not in a state that allows the call',
  // native layer
  BACKEND_UNAVAILABLE: 'the requested SIMD backend cannot run on this machine',
  NATIVE_LOAD_FAILED: 'the native addon was required but could not be loaded',
  // checkpoints
  CHECKPOINT_IO: 'the checkpoint file could not be read or written',
  CHECKPOINT_TOO_LARGE: 'the checkpoint is larger than the allowed maximum',
  CHECKPOINT_NOT_JSON: 'the checkpoint is not valid JSON',
  CHECKPOINT_TRUNCATED: 'the checkpoint ends before its JSON does',
  CHECKPOINT_FORBIDDEN_KEY: 'the checkpoint contains __proto__, constructor or prototype keys',
  CHECKPOINT_DUPLICATE_KEY: 'an object in the checkpoint has the same key twice',
  CHECKPOINT_BAD_NUMBER: 'a number field holds NaN, Infinity, a string or another non-number',
  CHECKPOINT_SCHEMA: 'the checkpoint does not match its schema',
  CHECKPOINT_SHAPE_MISMATCH: 'tensor shapes in the checkpoint disagree with each other',
  CHECKPOINT_NEGATIVE_FISHER: 'a Fisher diagonal value is negative',
  CHECKPOINT_QUALITY_RANGE: 'a quality lies outside [0, 1]',
  CHECKPOINT_UNKNOWN_VERSION: 'the checkpoint format version is not one this library reads',
  CHECKPOINT_HASH_MISMATCH: 'stateHash does not match the content',
  CHECKPOINT_BAD_SIGNATURE: 'the signature does not verify',
  CHECKPOINT_FOREIGN_SIGNATURE: 'the signature was made with a key other than the one given',
  CHECKPOINT_UNSIGNED: 'a signature was required but the checkpoint has none',
  // data and environments
  DATA_NOT_FOUND: 'an input file or directory does not exist',
  DATA_MALFORMED: 'an input file has lines that cannot be parsed',
  DATA_TOO_LARGE: 'an input file is larger than the allowed maximum',
  FIELD_MAPPING: 'a field mapping does not resolve in the data',
  NO_USABLE_ROWS: 'the input has no row that can be used',
  OUTPUT_UNWRITABLE: 'the output location cannot be written',
  USAGE: 'a command line was given unknown flags or bad values',
} as const;

export type SonaErrorCode = keyof typeof ERROR_CODES;

export interface SonaErrorOptions {
  /** Where in a structure the problem is, for example `loraWeights.A[3]`. */
  readonly path?: string;
  readonly cause?: unknown;
  /** Extra machine-readable facts (expected and actual lengths, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * `instanceof SonaError` and `isSonaError` hold for a SonaError from any copy of @sona/core (the
 * ESM and CJS builds are two copies): they check a brand, not the prototype chain. Subclasses
 * keep the ordinary prototype check.
 */
export class SonaError extends Error {
  readonly code: SonaErrorCode;
  readonly path: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: SonaErrorCode, message: string, options: SonaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SonaError';
    this.code = code;
    this.path = options.path;
    this.details = options.details;
  }

  toJSON(): { code: SonaErrorCode; message: string; path?: string } {
    return this.path === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, path: this.path };
  }
}

brandClass(SonaError, SONA_ERROR_BRAND);

export function isSonaError(value: unknown, code?: SonaErrorCode): value is SonaError {
  return (
    hasBrand(value, SONA_ERROR_BRAND) && (code === undefined || (value as SonaError).code === code)
  );
}
