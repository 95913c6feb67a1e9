import { Rng, SonaError } from '@sona/core';

/** Validates and returns one stored item of a replay memory; `path` names it in errors. */
export type ItemValidator<T> = (value: unknown, path: string) => T;

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

export function assertKind(state: Record<string, unknown>, kind: string, path: string): void {
  if (state.kind !== kind) {
    throw new SonaError(
      'INVALID_STATE',
      `${path}.kind is ${String(state.kind)}, expected ${kind}`,
      {
        path: `${path}.kind`,
      },
    );
  }
}

export function assertRng(value: unknown, name = 'rng'): Rng {
  if (!(value instanceof Rng)) {
    throw new SonaError('INVALID_ARGUMENT', `${name} must be an Rng from @sona/core`, {
      path: name,
    });
  }
  return value;
}

/** Largest batch a single sample call may ask for. */
export const MAX_BATCH_SIZE = 1 << 20;

/** Largest capacity of a replay memory (items are held in one JS array). */
export const MAX_CAPACITY = 1 << 24;
