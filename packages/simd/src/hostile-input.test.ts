import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { bits } from '../test/arbitraries';
import { backends, type SimdApi, withBackend } from './index';

/**
 * Values that pass for a Float32Array at a glance, on every backend: each is refused with the
 * same SonaError before anything is written, or (sizes ≥ 2³¹) gives the same bits everywhere.
 */
const BACKENDS = backends();
const f32 = (n: number) => new Float32Array(n);

/** Every API function with valid arguments, and the positions of its Float32Array arguments. */
const calls: Record<keyof SimdApi, { args: () => unknown[]; arrays: number[] }> = {
  dot: { args: () => [f32(4), f32(4)], arrays: [0, 1] },
  cosine: { args: () => [f32(4), f32(4)], arrays: [0, 1] },
  l2sq: { args: () => [f32(4), f32(4)], arrays: [0, 1] },
  norm: { args: () => [f32(4)], arrays: [0] },
  axpy: { args: () => [2, f32(4), f32(4)], arrays: [1, 2] },
  scale: { args: () => [f32(4), 2, f32(4)], arrays: [0, 2] },
  add: { args: () => [f32(4), f32(4), f32(4)], arrays: [0, 1, 2] },
  sub: { args: () => [f32(4), f32(4), f32(4)], arrays: [0, 1, 2] },
  mul: { args: () => [f32(4), f32(4), f32(4)], arrays: [0, 1, 2] },
  dotMany: { args: () => [f32(4), f32(8), 4, f32(2)], arrays: [0, 1, 3] },
  cosineMany: { args: () => [f32(4), f32(8), 4, f32(2)], arrays: [0, 1, 3] },
  l2sqMany: { args: () => [f32(4), f32(8), 4, f32(2)], arrays: [0, 1, 3] },
  topK: { args: () => [f32(4), f32(8), 4, 1, 'dot'], arrays: [0, 1] },
  gemv: { args: () => [f32(6), 2, 3, f32(3), f32(2)], arrays: [0, 3, 4] },
  gemvT: { args: () => [f32(6), 2, 3, f32(2), f32(3)], arrays: [0, 3, 4] },
  ger: { args: () => [f32(6), 2, 3, 1, f32(2), f32(3)], arrays: [0, 4, 5] },
};

/** A filled copy, so that a write shows. */
const filled = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 0.5);

function detached(n: number): Float32Array {
  const buffer = new ArrayBuffer(4 * n);
  const view = new Float32Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

/** ES2024's resizable ArrayBuffer (Node 20 has it; the ES2022 lib types do not). */
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => ArrayBuffer & { resize(length: number): void };

/** A view that now lies outside its resizable buffer (its length reads 0). */
function outOfBounds(n: number): Float32Array {
  const buffer = new ResizableArrayBuffer(4 * (n + 1), { maxByteLength: 4 * (n + 1) });
  const view = new Float32Array(buffer, 4, n);
  buffer.resize(0);
  return view;
}

function withOwnLength(n: number, length: number): Float32Array {
  const view = filled(n);
  Object.defineProperty(view, 'length', { value: length });
  return view;
}

class LyingLength extends Float32Array {
  override get length(): number {
    return super.length + 4;
  }
}

/** Each hostile stand-in for a valid array of n elements. */
const hostile: [string, (n: number) => unknown][] = [
  ['a Proxy around a Float32Array', (n) => new Proxy(filled(n), {})],
  [
    'a revoked Proxy',
    (n) => {
      const { proxy, revoke } = Proxy.revocable(filled(n), {});
      revoke();
      return proxy;
    },
  ],
  ['a view of a detached buffer', detached],
  ['a view outside its resizable buffer', outOfBounds],
  ['an own length longer than the array', (n) => withOwnLength(n, n + 4)],
  ['an own length shorter than the array', (n) => withOwnLength(n, Math.max(0, n - 1))],
  ['a subclass whose length getter lies', (n) => LyingLength.from(filled(n))],
  [
    'a DataView dressed as a Float32Array',
    (n) => Object.setPrototypeOf(new DataView(new ArrayBuffer(4 * n)), Float32Array.prototype),
  ],
  ['an array-like object', (n) => ({ ...Array.from(filled(n)), length: n })],
];

describe.each(BACKENDS)('%s: hostile arrays are refused with INVALID_ARGUMENT', (name) => {
  const api = withBackend(name);
  const cases = Object.entries(calls).flatMap(([fn, { args, arrays }]) =>
    arrays.flatMap((slot) => hostile.map(([what, make]) => ({ fn, slot, what, args, make }))),
  );

  it.each(cases)('$fn, argument $slot: $what', ({ fn, slot, args, make }) => {
    const valid = args();
    const n = (valid[slot] as Float32Array).length;
    const call = [...valid];
    call[slot] = make(n);
    const before = valid.map((v) => (v instanceof Float32Array ? bits(v) : v));
    expectSonaError(
      () => (api[fn as keyof SimdApi] as (...a: unknown[]) => unknown)(...call),
      'INVALID_ARGUMENT',
    );
    expect(valid.map((v) => (v instanceof Float32Array ? bits(v) : v))).toEqual(before);
  });

  it('an empty Float32Array on an attached buffer is still an empty vector', () => {
    expect(api.dot(f32(0), new Float32Array(new ArrayBuffer(8), 8))).toBe(0);
    const shared = new Float32Array(new SharedArrayBuffer(0));
    expect(api.dot(shared, f32(0))).toBe(0);
  });
});

describe('sizes from 2³¹ on give the same answer on every backend', () => {
  const big = 2 ** 31;
  // Allocated lazily by the OS and never read: no test here touches its pages.
  const huge = new Float32Array(big);

  it.each(BACKENDS)('%s: counts ≥ 2³¹ are accepted where the lengths agree', (name) => {
    const api = withBackend(name);
    expect(api.dotMany(huge, f32(0), big)).toEqual(f32(0));
    expect(api.l2sqMany(huge, f32(0), big)).toEqual(f32(0));
    expect(api.gemv(f32(0), 0, big, huge)).toEqual(f32(0));
    expect(api.gemvT(f32(0), big, 0, huge)).toEqual(f32(0));
    expect(api.ger(f32(0), 0, big, 1, f32(0), huge)).toEqual(f32(0));
    expectSonaError(() => api.dotMany(huge, f32(0), big + 1), 'DIM_MISMATCH');
    expectSonaError(() => api.gemv(f32(0), 0, 2 ** 53, huge), 'OUT_OF_RANGE');
  });

  it.each(BACKENDS)('%s: topK refuses 2³¹ rows (its indices are Int32)', (name) => {
    const api = withBackend(name);
    expectSonaError(() => api.topK(f32(1), huge, 1, 0), 'OUT_OF_RANGE');
    // one row fewer passes the row check and reaches the check of k
    expectSonaError(() => api.topK(f32(1), huge.subarray(0, big - 1), 1, -1), 'INVALID_ARGUMENT');
  });
});
