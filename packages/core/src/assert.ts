import { SonaError } from './errors';
import { Rng } from './rng';

/**
 * Argument checks shared by every package, so each raises the same code for
 * the same mistake. Each returns its argument narrowed, or throws a SonaError.
 */

export function assertFloat32Array(value: unknown, name: string, length?: number): Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `${name} must be a Float32Array, got ${describe(value)}`,
      {
        path: name,
      },
    );
  }
  if (length !== undefined && value.length !== length) {
    throw new SonaError('DIM_MISMATCH', `${name} has length ${value.length}, expected ${length}`, {
      path: name,
      details: { expected: length, actual: value.length },
    });
  }
  return value;
}

/** Index of the first NaN or infinity, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v - v is NaN exactly when v is NaN or ±Infinity; cheaper than Number.isFinite per element.
    if (v - v !== 0) return i;
  }
  return -1;
}

export function assertAllFinite(values: ArrayLike<number>, name: string): void {
  const i = firstNonFinite(values);
  if (i >= 0) {
    throw new SonaError('NON_FINITE', `${name}[${i}] is ${values[i]}`, { path: `${name}[${i}]` });
  }
}

export function assertFinite(value: unknown, name: string): number {
  if (typeof value !== 'number') {
    throw new SonaError('INVALID_ARGUMENT', `${name} must be a number, got ${describe(value)}`, {
      path: name,
    });
  }
  if (!Number.isFinite(value)) {
    throw new SonaError('NON_FINITE', `${name} is ${value}`, { path: name });
  }
  return value;
}

export function assertInteger(
  value: unknown,
  name: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new SonaError('INVALID_ARGUMENT', `${name} must be an integer, got ${describe(value)}`, {
      path: name,
    });
  }
  if (value < min || value > max) {
    throw new SonaError('OUT_OF_RANGE', `${name} is ${value}, expected ${min}..${max}`, {
      path: name,
      details: { min, max, actual: value },
    });
  }
  return value;
}

export function assertInRange(value: unknown, name: string, min: number, max: number): number {
  const v = assertFinite(value, name);
  if (v < min || v > max) {
    throw new SonaError('OUT_OF_RANGE', `${name} is ${v}, expected ${min}..${max}`, {
      path: name,
      details: { min, max, actual: v },
    });
  }
  return v;
}

export function assertRng(value: unknown, name = 'rng'): Rng {
  if (!(value instanceof Rng)) {
    throw new SonaError('INVALID_ARGUMENT', `${name} must be an Rng from @sona/core`, {
      path: name,
    });
  }
  return value;
}

/** A non-null, non-array object (what a state or a JSON object must be). */
export function assertRecord(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SonaError('INVALID_ARGUMENT', `${path} must be a plain object`, { path });
  }
  return value as Record<string, unknown>;
}

export function assertArray(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new SonaError('INVALID_ARGUMENT', `${path} must be an array`, { path });
  }
  return value;
}

export function assertBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') {
    throw new SonaError('INVALID_ARGUMENT', `${path} must be a boolean`, { path });
  }
  return value;
}

export function assertString(value: unknown, path: string): string {
  if (typeof value !== 'string') {
    throw new SonaError('INVALID_ARGUMENT', `${path} must be a string`, { path });
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
