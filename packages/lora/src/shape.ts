import {
  assertAllFinite,
  assertFinite,
  assertFloat32Array,
  assertInteger,
  SonaError,
} from '@sona/core';
import { LORA_MAX_DIM } from './adapter-core';

/** Checks dim, rank and alpha; returns alpha (default: rank, so the scale α/r is 1). */
export function checkShape(dim: unknown, rank: unknown, alpha: unknown): [number, number, number] {
  const d = assertInteger(dim, 'dim', 1, LORA_MAX_DIM);
  const r = assertInteger(rank, 'rank', 1, d);
  const a = alpha === undefined ? r : assertFinite(alpha, 'alpha');
  if (!(a > 0)) {
    throw new SonaError('OUT_OF_RANGE', `alpha is ${a}, must be > 0`, { path: 'alpha' });
  }
  return [d, r, a];
}

export function checkObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object') {
    throw new SonaError('INVALID_ARGUMENT', `${what} must be an object`);
  }
  return value as Record<string, unknown>;
}

/** A finite Float32Array of the given length (for state tensors). */
export function checkTensor(value: unknown, name: string, length: number): Float32Array {
  const tensor = assertFloat32Array(value, name, length);
  assertAllFinite(tensor, name);
  return tensor;
}

export function checkKind(record: Record<string, unknown>, kind: string): void {
  if (record.kind !== kind) {
    throw new SonaError('INVALID_ARGUMENT', `kind is ${String(record.kind)}, expected ${kind}`, {
      path: 'kind',
    });
  }
}
