/** What a benchmark worker thread sends back (kept apart from the pool, so the worker bundle stays small). */
import { isSonaError } from '@sona/core';

export type WorkerReply<R> =
  | { readonly id: number; readonly result: R }
  | {
      readonly id: number;
      readonly error: { readonly code?: string; readonly message: string; readonly path?: string };
    };

/** A worker-safe description of an error. */
export function describeError(error: unknown): { code?: string; message: string; path?: string } {
  if (isSonaError(error)) {
    return error.path === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, path: error.path };
  }
  return { message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
