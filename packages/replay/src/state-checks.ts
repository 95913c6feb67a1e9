import { SonaError } from '@sona/core';

/** Validates and returns one stored item of a replay memory; `path` names it in errors. */
export type ItemValidator<T> = (value: unknown, path: string) => T;

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

/** Largest batch a single sample call may ask for. */
export const MAX_BATCH_SIZE = 1 << 20;

/** Largest capacity of a replay memory (items are held in one JS array). */
export const MAX_CAPACITY = 1 << 24;
