import { Rng, SonaError } from '@sona/core';

export function assertRng(value: unknown, name = 'rng'): Rng {
  if (!(value instanceof Rng)) {
    throw new SonaError('INVALID_ARGUMENT', `${name} must be an Rng from @sona/core`, {
      path: name,
    });
  }
  return value;
}

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
