import { createRng, type SonaErrorCode } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import {
  bits,
  bitsOfNumber,
  mixedMatrixShape,
  mixedQueryAndMatrix,
  mixedVectorPair,
  moderateVectorPair,
  queryAndMatrix,
  vector,
  vectorOf,
  vectorPair,
} from '../test/arbitraries';
import * as simd from './index';

const f = Math.fround;
const U = 2 ** -24; // unit roundoff of float32
const FLT_MAX = 3.4028234663852886e38;

function gamma(k: number): number {
  return (k * U) / (1 - k * U);
}

/** The documented bound for a 16-lane float32 reduction of n products (see README). */
function reductionBound(n: number, sumAbs: number): number {
  return gamma(Math.ceil(n / 16) + 5) * sumAbs + n * 2 ** -150;
}

function exactDot(a: Float32Array, b: Float32Array): { value: number; sumAbs: number } {
  let value = 0;
  let sumAbs = 0;
  for (let i = 0; i < a.length; i++) {
    value += a[i]! * b[i]!;
    sumAbs += Math.abs(a[i]! * b[i]!);
  }
  return { value, sumAbs };
}

/** Every backend usable here (native ones when the addon is built, and js). */
const BACKENDS = simd.backends();

describe.each(BACKENDS)('%s: reductions stay within the documented bound of float64', (name) => {
  const api = simd.withBackend(name);

  it('dot', () => {
    fc.assert(
      fc.property(moderateVectorPair, ([a, b]) => {
        const x = Float32Array.from(a);
        const y = Float32Array.from(b);
        const { value, sumAbs } = exactDot(x, y);
        expect(Math.abs(api.dot(x, y) - value)).toBeLessThanOrEqual(
          reductionBound(x.length, sumAbs),
        );
      }),
    );
  });

  it('l2sq', () => {
    fc.assert(
      fc.property(moderateVectorPair, ([a, b]) => {
        const x = Float32Array.from(a);
        const y = Float32Array.from(b);
        let exact = 0;
        for (let i = 0; i < x.length; i++) exact += (x[i]! - y[i]!) ** 2;
        // each difference is rounded once more: (1 + u)² per term
        const bound = gamma(Math.ceil(x.length / 16) + 7) * exact + x.length * 2 ** -150;
        expect(Math.abs(api.l2sq(x, y) - exact)).toBeLessThanOrEqual(bound);
      }),
    );
  });

  it('a non-finite dot only happens when the products reach float32 overflow', () => {
    fc.assert(
      fc.property(vectorPair, ([a, b]) => {
        const result = api.dot(a, b);
        if (!Number.isFinite(result)) {
          expect(exactDot(a, b).sumAbs).toBeGreaterThan(
            FLT_MAX * (1 - gamma(Math.ceil(a.length / 16) + 5)),
          );
        }
      }),
    );
  });

  it('cosine is within the propagated bound of the float64 cosine, and in [-1, 1]', () => {
    fc.assert(
      fc.property(moderateVectorPair, ([a, b]) => {
        const x = Float32Array.from(a);
        const y = Float32Array.from(b);
        const c = api.cosine(x, y);
        expect(c).toBeGreaterThanOrEqual(-1);
        expect(c).toBeLessThanOrEqual(1);
        const n = x.length;
        const dotXY = exactDot(x, y);
        const normSqX = exactDot(x, x).value;
        const normSqY = exactDot(y, y).value;
        fc.pre(normSqX !== 0 && normSqY !== 0);
        // relative error of each float32 sum of squares; underflow makes it large (README)
        const relX = reductionBound(n, normSqX) / normSqX;
        const relY = reductionBound(n, normSqY) / normSqY;
        fc.pre(relX <= 0.01 && relY <= 0.01);
        const scale = Math.sqrt(normSqX) * Math.sqrt(normSqY);
        const expected = dotXY.value / scale;
        const tolerance =
          1.02 * (reductionBound(n, dotXY.sumAbs) / scale + Math.abs(expected) * (relX + relY)) + U;
        expect(Math.abs(c - expected)).toBeLessThanOrEqual(tolerance);
      }),
    );
  });
});

describe.each(BACKENDS)('%s: exact laws', (name) => {
  const api = simd.withBackend(name);

  it('the cosine of a zero vector with anything is 0', () => {
    fc.assert(
      fc.property(vector, (a) => {
        expect(api.cosine(new Float32Array(a.length), a)).toBe(0);
        expect(api.cosine(a, new Float32Array(a.length))).toBe(0);
      }),
    );
  });

  it('norm is the float32 square root of dot(a, a)', () => {
    fc.assert(
      fc.property(vector, (a) => {
        expect(api.norm(a)).toBe(f(Math.sqrt(api.dot(a, a))));
      }),
    );
  });

  it('element-wise ops are single float32 operations', () => {
    fc.assert(
      fc.property(
        vectorPair,
        fc.float({ noNaN: true, noDefaultInfinity: true }),
        ([a, b], alpha) => {
          const al = f(alpha);
          const expectOp = (out: Float32Array, op: (i: number) => number) => {
            const expected = Float32Array.from(out, (_, i) => op(i));
            expect(bits(out)).toEqual(bits(canonical(expected)));
          };
          expectOp(api.add(a, b), (i) => f(a[i]! + b[i]!));
          expectOp(api.sub(a, b), (i) => f(a[i]! - b[i]!));
          expectOp(api.mul(a, b), (i) => f(a[i]! * b[i]!));
          expectOp(api.scale(a, alpha), (i) => f(a[i]! * al));
          const y = b.slice();
          api.axpy(alpha, a, y);
          expectOp(y, (i) => f(b[i]! + f(al * a[i]!)));
        },
      ),
    );
  });

  it('in-place element-wise ops (out = an input) equal the out-of-place result', () => {
    fc.assert(
      fc.property(vectorPair, ([a, b]) => {
        for (const op of ['add', 'sub', 'mul'] as const) {
          const expected = api[op](a, b);
          const left = a.slice();
          api[op](left, b, left);
          expect(bits(left)).toEqual(bits(expected));
          const right = b.slice();
          api[op](a, right, right);
          expect(bits(right)).toEqual(bits(expected));
        }
      }),
    );
  });

  it('batched kernels equal their single-vector kernels row by row', () => {
    fc.assert(
      fc.property(queryAndMatrix, ([query, matrix, dim]) => {
        const dots = api.dotMany(query, matrix, dim);
        const cosines = api.cosineMany(query, matrix, dim);
        const distances = api.l2sqMany(query, matrix, dim);
        for (let r = 0; r < matrix.length / dim; r++) {
          const row = matrix.subarray(r * dim, (r + 1) * dim);
          expect(bitsOfNumber(dots[r]!)).toBe(bitsOfNumber(api.dot(row, query)));
          expect(bitsOfNumber(cosines[r]!)).toBe(bitsOfNumber(api.cosine(row, query)));
          expect(bitsOfNumber(distances[r]!)).toBe(bitsOfNumber(api.l2sq(row, query)));
        }
      }),
    );
  });

  it('topK equals a full stable sort (best first, ties to the lower index, NaN last)', () => {
    const metric = fc.constantFrom('cosine' as const, 'dot' as const, 'l2sq' as const);
    fc.assert(
      fc.property(mixedQueryAndMatrix, metric, fc.nat(), ([query, matrix, dim], m, kSeed) => {
        const rows = matrix.length / dim;
        const k = rows === 0 ? 0 : kSeed % (rows + 1);
        const all =
          m === 'cosine'
            ? api.cosineMany(query, matrix, dim)
            : m === 'dot'
              ? api.dotMany(query, matrix, dim)
              : api.l2sqMany(query, matrix, dim);
        const order = Array.from(all.keys()).sort((i, j) => {
          const a = all[i]!;
          const b = all[j]!;
          if (Number.isNaN(a) || Number.isNaN(b)) {
            return Number.isNaN(a) === Number.isNaN(b) ? i - j : Number.isNaN(a) ? 1 : -1;
          }
          if (a !== b) return m === 'l2sq' ? a - b : b - a;
          return i - j;
        });
        const top = api.topK(query, matrix, dim, k, m);
        expect(Array.from(top.indices)).toEqual(order.slice(0, k));
        expect(bits(top.scores)).toEqual(
          bits(Float32Array.from(order.slice(0, k), (i) => all[i]!)),
        );
      }),
    );
  });

  it('topK with many tied rows keeps the lowest indices', () => {
    const dim = 8;
    const rows = 3000;
    const matrix = new Float32Array(rows * dim).fill(1);
    const top = api.topK(new Float32Array(dim).fill(1), matrix, dim, 5, 'dot');
    expect(Array.from(top.indices)).toEqual([0, 1, 2, 3, 4]);
  });

  it('gemv rows are dot products; gemvT and ger equal naive float32 loops', () => {
    const shape = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 300 }));
    fc.assert(
      fc.property(
        shape.chain(([rows, cols]) =>
          fc.tuple(
            fc.constant(rows),
            fc.constant(cols),
            vectorOf(rows * cols),
            vectorOf(cols),
            vectorOf(rows),
          ),
        ),
        fc.float({ min: -4, max: 4, noNaN: true }),
        ([rows, cols, m, x, u], alpha) => {
          const mx = api.gemv(m, rows, cols, x);
          for (let r = 0; r < rows; r++) {
            const expected = api.dot(m.subarray(r * cols, (r + 1) * cols), x);
            expect(bitsOfNumber(mx[r]!)).toBe(bitsOfNumber(expected));
          }
          const mtu = api.gemvT(m, rows, cols, u);
          const naive = new Float32Array(cols);
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < cols; c++) naive[c] = f(naive[c]! + f(m[r * cols + c]! * u[r]!));
          }
          expect(bits(mtu)).toEqual(bits(canonical(naive)));
          const updated = api.ger(m.slice(), rows, cols, alpha, u, x);
          const al = f(alpha);
          const naiveGer = m.slice();
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < cols; c++) {
              naiveGer[r * cols + c] = f(naiveGer[r * cols + c]! + f(f(al * u[r]!) * x[c]!));
            }
          }
          expect(bits(updated)).toEqual(bits(canonical(naiveGer)));
        },
      ),
    );
  });

  it('every NaN written to an output is the canonical quiet NaN', () => {
    const big = Float32Array.of(3e38, -3e38, 3e38, -3e38);
    const out = api.add(big, Float32Array.of(3e38, 3e38, Number.NaN, 1));
    expect(bits(out)).toEqual([0x7f800000, 0, 0x7fc00000, bitsOfNumber(-3e38)]);
    const negativeNaN = new Float32Array(new Uint32Array(Array(17).fill(0xffc00001)).buffer);
    const ones = new Float32Array(17).fill(1);
    expect(bits(api.mul(negativeNaN, ones))).toEqual(Array(17).fill(0x7fc00000));
    expect(bits(api.dotMany(ones, negativeNaN, 17))).toEqual([0x7fc00000]);
  });

  it('subnormal inputs are not flushed to zero', () => {
    const tiny = Float32Array.of(2 ** -149, 2 ** -140, -(2 ** -130));
    expect(api.dot(tiny, Float32Array.of(1, 1, 1))).toBe(f(2 ** -149 + 2 ** -140 - 2 ** -130));
    expect(bits(api.add(tiny, new Float32Array(3)))).toEqual(bits(tiny));
  });
});

describe('every usable backend returns the same bits', () => {
  const apis = BACKENDS.map((name) => simd.withBackend(name));
  const same = (results: unknown[]) => {
    for (const r of results) expect(r).toEqual(results[0]);
  };
  const alpha = fc.oneof(
    fc.float({ noNaN: true, noDefaultInfinity: true }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );

  it('reductions and element-wise ops', () => {
    fc.assert(
      fc.property(mixedVectorPair, alpha, ([a, b], al) => {
        same(
          apis.map((api) => {
            const y = b.slice();
            api.axpy(al, a, y);
            return [
              bitsOfNumber(api.dot(a, b)),
              bitsOfNumber(api.cosine(a, b)),
              bitsOfNumber(api.l2sq(a, b)),
              bitsOfNumber(api.norm(a)),
              bits(api.add(a, b)),
              bits(api.sub(a, b)),
              bits(api.mul(a, b)),
              bits(api.scale(a, al)),
              bits(y),
            ];
          }),
        );
      }),
    );
  });

  it('batched kernels and topK', () => {
    const metric = fc.constantFrom('cosine' as const, 'dot' as const, 'l2sq' as const);
    fc.assert(
      fc.property(mixedQueryAndMatrix, metric, fc.nat(), ([query, matrix, dim], m, kSeed) => {
        const rows = matrix.length / dim;
        const k = rows === 0 ? 0 : kSeed % (rows + 1);
        same(
          apis.map((api) => {
            const top = api.topK(query, matrix, dim, k, m);
            return [
              bits(api.dotMany(query, matrix, dim)),
              bits(api.cosineMany(query, matrix, dim)),
              bits(api.l2sqMany(query, matrix, dim)),
              Array.from(top.indices),
              bits(top.scores),
            ];
          }),
        );
      }),
    );
  });

  it('matrices past 1 MiB, which native kernels walk one row after another', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 250, max: 270 }),
        (seed, dim) => {
          const rows = 1100;
          const rng = createRng(seed);
          const query = Float32Array.from({ length: dim }, () => rng.uniform() * 2 - 1);
          const matrix = Float32Array.from({ length: dim * rows }, () => rng.uniform() * 2 - 1);
          same(
            apis.map((api) => [
              bits(api.dotMany(query, matrix, dim)),
              bits(api.cosineMany(query, matrix, dim)),
              bits(api.l2sqMany(query, matrix, dim)),
              Array.from(api.topK(query, matrix, dim, 7, 'l2sq').indices),
              bits(api.gemv(matrix, rows, dim, query)),
            ]),
          );
        },
      ),
      { numRuns: 5 },
    );
  });

  it('gemv, gemvT and ger', () => {
    fc.assert(
      fc.property(mixedMatrixShape, alpha, ([rows, cols, m, x, u], al) => {
        same(
          apis.map((api) => [
            bits(api.gemv(m, rows, cols, x)),
            bits(api.gemvT(m, rows, cols, u)),
            bits(api.ger(m.slice(), rows, cols, al, u, x)),
          ]),
        );
      }),
    );
  });
});

describe('bad input is a SonaError that names the problem', () => {
  const a = new Float32Array(4);
  const cases: [string, () => unknown, SonaErrorCode][] = [
    ['length mismatch', () => simd.dot(a, new Float32Array(3)), 'DIM_MISMATCH'],
    ['number[]', () => simd.dot([1, 2] as unknown as Float32Array, a), 'INVALID_ARGUMENT'],
    [
      'Float64Array',
      () => simd.cosine(new Float64Array(4) as unknown as Float32Array, a),
      'INVALID_ARGUMENT',
    ],
    [
      'matrix not a multiple of dim',
      () => simd.dotMany(a, new Float32Array(10), 4),
      'DIM_MISMATCH',
    ],
    ['query length ≠ dim', () => simd.dotMany(a, new Float32Array(10), 5), 'DIM_MISMATCH'],
    ['dim 0', () => simd.dotMany(new Float32Array(0), new Float32Array(0), 0), 'OUT_OF_RANGE'],
    ['k > rows', () => simd.topK(a, new Float32Array(8), 4, 3), 'INVALID_ARGUMENT'],
    ['k < 0', () => simd.topK(a, new Float32Array(8), 4, -1), 'INVALID_ARGUMENT'],
    ['k fractional', () => simd.topK(a, new Float32Array(8), 4, 1.5), 'INVALID_ARGUMENT'],
    [
      'unknown metric',
      () => simd.topK(a, new Float32Array(8), 4, 1, 'l1' as 'dot'),
      'INVALID_ARGUMENT',
    ],
    ['out too short', () => simd.add(a, a, new Float32Array(3)), 'DIM_MISMATCH'],
    [
      'out overlaps',
      () => simd.dotMany(a, new Float32Array(8), 4, new Float32Array(a.buffer, 0, 2)),
      'INVALID_ARGUMENT',
    ],
    ['gemv shape', () => simd.gemv(new Float32Array(6), 2, 2, new Float32Array(2)), 'DIM_MISMATCH'],
    ['gemv x', () => simd.gemv(new Float32Array(6), 2, 3, new Float32Array(2)), 'DIM_MISMATCH'],
    ['gemvT x', () => simd.gemvT(new Float32Array(6), 2, 3, new Float32Array(3)), 'DIM_MISMATCH'],
    [
      'ger v',
      () => simd.ger(new Float32Array(6), 2, 3, 1, new Float32Array(2), new Float32Array(2)),
      'DIM_MISMATCH',
    ],
    ['NaN alpha', () => simd.axpy(Number.NaN, a, new Float32Array(4)), 'NON_FINITE'],
    ['axpy aliasing', () => simd.axpy(1, a, a), 'INVALID_ARGUMENT'],
  ];
  it.each(cases)('%s', (_name, call, code) => {
    expectSonaError(call, code);
  });

  it('a failed call leaves its output untouched', () => {
    const y = Float32Array.of(1, 2, 3);
    expect(() => simd.axpy(2, new Float32Array(2), y)).toThrow();
    expect(Array.from(y)).toEqual([1, 2, 3]);
  });
});

function canonical(values: Float32Array): Float32Array {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!)) u[i] = 0x7fc00000;
  return values;
}
