import { types } from 'node:util';
import { SonaError } from '@sona/core';

/**
 * The checks of a Float32Array argument, exact for hostile values: every fact is read through
 * %TypedArray%.prototype's own accessors (which read the array's internal slots), never through
 * properties the caller can shadow. So a Proxy around a Float32Array, a look-alike object, a
 * detached buffer and an own `length` that is not the array's length are all refused with the
 * same SonaError on every backend, instead of a TypeError from inside a kernel, a silently
 * empty vector, or NaN.
 */
const TypedArrayPrototype = Object.getPrototypeOf(Float32Array.prototype) as object;

function accessor<T>(key: PropertyKey): (this: unknown) => T {
  return Object.getOwnPropertyDescriptor(TypedArrayPrototype, key)!.get as (this: unknown) => T;
}

/** [[TypedArrayName]], or undefined for anything that is not a typed array (a Proxy included). */
const typedArrayName = accessor<string | undefined>(Symbol.toStringTag);
const lengthSlot = accessor<number>('length');
const bufferSlot = accessor<ArrayBufferLike>('buffer');
const byteOffsetSlot = accessor<number>('byteOffset');
/** Throws a TypeError for a view whose buffer is detached or that lies outside its buffer. */
const validateView = (TypedArrayPrototype as { keys(this: unknown): unknown }).keys;
const fillView = Float32Array.prototype.fill;

/** The element count of a (checked) Float32Array, from its internal slot. */
export const lengthOf = (a: Float32Array): number => lengthSlot.call(a);
export const bufferOf = (a: Float32Array): ArrayBufferLike => bufferSlot.call(a);
export const byteOffsetOf = (a: Float32Array): number => byteOffsetSlot.call(a);
export const fillZero = (a: Float32Array): void => {
  fillView.call(a, 0);
};

/** What a refused value is, for the message; never lets a Proxy's traps run. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object' && typeof value !== 'function') return typeof value;
  if (types.isProxy(value)) return 'a Proxy';
  const name = typedArrayName.call(value);
  if (name !== undefined) return name;
  try {
    const constructorName = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof constructorName === 'string' ? constructorName : 'object';
  } catch {
    return 'object';
  }
}

/**
 * `value` as a Float32Array the kernels can read: a real one (not a Proxy or a look-alike),
 * on an attached buffer, whose `length` property is its length; of `length` elements if given.
 */
export function float32Array(value: unknown, name: string, length?: number): Float32Array {
  if (typedArrayName.call(value) !== 'Float32Array') {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `${name} must be a Float32Array, got ${describe(value)}`,
      {
        path: name,
      },
    );
  }
  const array = value as Float32Array;
  const n = lengthSlot.call(array);
  if (n === 0) {
    try {
      validateView.call(array);
    } catch {
      throw new SonaError(
        'INVALID_ARGUMENT',
        `${name} is a view of a detached buffer (or lies outside its resizable buffer)`,
        { path: name },
      );
    }
  }
  if (array.length !== n) {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `${name}.length reads ${String(array.length)}, but the array holds ${n} elements`,
      { path: name },
    );
  }
  if (length !== undefined && n !== length) {
    throw new SonaError('DIM_MISMATCH', `${name} has length ${n}, expected ${length}`, {
      path: name,
      details: { expected: length, actual: n },
    });
  }
  return array;
}

/** True when two checked views share bytes of the same buffer. */
export function overlaps(a: Float32Array, b: Float32Array): boolean {
  if (bufferOf(a) !== bufferOf(b)) return false;
  const a0 = byteOffsetOf(a);
  const b0 = byteOffsetOf(b);
  return a0 < b0 + lengthOf(b) * 4 && b0 < a0 + lengthOf(a) * 4;
}

/** True when two checked views start at the same byte of the same buffer and have one length. */
export function sameView(a: Float32Array, b: Float32Array): boolean {
  return (
    bufferOf(a) === bufferOf(b) &&
    byteOffsetOf(a) === byteOffsetOf(b) &&
    lengthOf(a) === lengthOf(b)
  );
}
