import { assertFinite, assertInteger, SonaError } from '@sona/core';
import { float32Array, overlaps, sameView } from './arguments';
import type { Kernels, Metric } from './kernels';

export interface TopKResult {
  /** Row indices, best first; ties go to the lower index, NaN scores rank last. */
  readonly indices: Int32Array;
  readonly scores: Float32Array;
}

/** The public kernel API; every function validates its arguments before any kernel runs. */
export interface SimdApi {
  dot(a: Float32Array, b: Float32Array): number;
  cosine(a: Float32Array, b: Float32Array): number;
  l2sq(a: Float32Array, b: Float32Array): number;
  norm(a: Float32Array): number;
  axpy(alpha: number, x: Float32Array, y: Float32Array): Float32Array;
  scale(x: Float32Array, alpha: number, out?: Float32Array): Float32Array;
  add(a: Float32Array, b: Float32Array, out?: Float32Array): Float32Array;
  sub(a: Float32Array, b: Float32Array, out?: Float32Array): Float32Array;
  mul(a: Float32Array, b: Float32Array, out?: Float32Array): Float32Array;
  dotMany(query: Float32Array, matrix: Float32Array, dim: number, out?: Float32Array): Float32Array;
  cosineMany(
    query: Float32Array,
    matrix: Float32Array,
    dim: number,
    out?: Float32Array,
  ): Float32Array;
  l2sqMany(
    query: Float32Array,
    matrix: Float32Array,
    dim: number,
    out?: Float32Array,
  ): Float32Array;
  topK(
    query: Float32Array,
    matrix: Float32Array,
    dim: number,
    k: number,
    metric?: Metric,
  ): TopKResult;
  gemv(
    m: Float32Array,
    rows: number,
    cols: number,
    x: Float32Array,
    out?: Float32Array,
  ): Float32Array;
  gemvT(
    m: Float32Array,
    rows: number,
    cols: number,
    x: Float32Array,
    out?: Float32Array,
  ): Float32Array;
  ger(
    m: Float32Array,
    rows: number,
    cols: number,
    alpha: number,
    u: Float32Array,
    v: Float32Array,
  ): Float32Array;
}

const METRICS: readonly Metric[] = ['cosine', 'dot', 'l2sq'];

/** topK's indices are an Int32Array. */
const MAX_TOPK_ROWS = 2 ** 31 - 1;

function sameLength(a: Float32Array, b: Float32Array, names: string): void {
  if (a.length !== b.length) {
    throw new SonaError('DIM_MISMATCH', `${names}: lengths ${a.length} and ${b.length} differ`, {
      details: { left: a.length, right: b.length },
    });
  }
}

/** `out` may be exactly one of the inputs (element-wise ops), never a partial overlap. */
function outputFor(
  out: Float32Array | undefined,
  length: number,
  inputs: readonly Float32Array[],
  allowExactAlias: boolean,
  kernels: Kernels,
): Float32Array {
  if (out === undefined) return new Float32Array(length);
  float32Array(out, 'out', length);
  if (kernels.checksOverlap) return out;
  for (const input of inputs) {
    if (overlaps(input, out) && !(allowExactAlias && sameView(input, out))) {
      throw new SonaError('INVALID_ARGUMENT', 'out overlaps an input');
    }
  }
  return out;
}

function rowsOf(query: Float32Array, matrix: Float32Array, dim: number): number {
  float32Array(query, 'query');
  float32Array(matrix, 'matrix');
  assertInteger(dim, 'dim', 1);
  if (query.length !== dim) {
    throw new SonaError('DIM_MISMATCH', `query has length ${query.length}, dim is ${dim}`);
  }
  if (matrix.length % dim !== 0) {
    throw new SonaError(
      'DIM_MISMATCH',
      `matrix length ${matrix.length} is not a multiple of dim ${dim}`,
    );
  }
  return matrix.length / dim;
}

function checkMatrix(m: Float32Array, rows: number, cols: number): void {
  float32Array(m, 'M');
  assertInteger(rows, 'rows', 0);
  assertInteger(cols, 'cols', 0);
  if (m.length !== rows * cols) {
    throw new SonaError(
      'DIM_MISMATCH',
      `M has length ${m.length}, expected rows × cols = ${rows * cols}`,
    );
  }
}

export function createApi(k: () => Kernels): SimdApi {
  const pair = (a: Float32Array, b: Float32Array, names: string) => {
    float32Array(a, 'a');
    float32Array(b, 'b');
    sameLength(a, b, names);
  };
  const elementwise =
    (op: 'add' | 'sub' | 'mul') => (a: Float32Array, b: Float32Array, out?: Float32Array) => {
      pair(a, b, op);
      const kernels = k();
      const target = outputFor(out, a.length, [a, b], true, kernels);
      kernels[op](a, b, target);
      return target;
    };
  const many =
    (op: 'dotMany' | 'cosineMany' | 'l2sqMany') =>
    (query: Float32Array, matrix: Float32Array, dim: number, out?: Float32Array) => {
      const rows = rowsOf(query, matrix, dim);
      const kernels = k();
      const target = outputFor(out, rows, [query, matrix], false, kernels);
      kernels[op](query, matrix, dim, target);
      return target;
    };

  return {
    dot(a, b) {
      pair(a, b, 'dot');
      return k().dot(a, b);
    },
    cosine(a, b) {
      pair(a, b, 'cosine');
      return k().cosine(a, b);
    },
    l2sq(a, b) {
      pair(a, b, 'l2sq');
      return k().l2sq(a, b);
    },
    norm(a) {
      float32Array(a, 'a');
      return Math.fround(Math.sqrt(k().dot(a, a)));
    },
    axpy(alpha, x, y) {
      assertFinite(alpha, 'alpha');
      pair(x, y, 'axpy');
      const kernels = k();
      if (!kernels.checksOverlap && overlaps(x, y)) {
        throw new SonaError('INVALID_ARGUMENT', 'axpy: x overlaps y');
      }
      kernels.axpy(alpha, x, y);
      return y;
    },
    scale(x, alpha, out) {
      float32Array(x, 'x');
      assertFinite(alpha, 'alpha');
      const kernels = k();
      const target = outputFor(out, x.length, [x], true, kernels);
      kernels.scale(x, alpha, target);
      return target;
    },
    add: elementwise('add'),
    sub: elementwise('sub'),
    mul: elementwise('mul'),
    dotMany: many('dotMany'),
    cosineMany: many('cosineMany'),
    l2sqMany: many('l2sqMany'),
    topK(query, matrix, dim, count, metric = 'cosine') {
      const rows = rowsOf(query, matrix, dim);
      if (rows > MAX_TOPK_ROWS) {
        throw new SonaError(
          'OUT_OF_RANGE',
          `topK ranks at most ${MAX_TOPK_ROWS} rows (its indices are an Int32Array); the matrix has ${rows}`,
          { path: 'matrix' },
        );
      }
      assertInteger(count, 'k');
      if (count < 0 || count > rows) {
        throw new SonaError('INVALID_ARGUMENT', `k is ${count}, expected 0..${rows} (the rows)`, {
          path: 'k',
        });
      }
      if (!METRICS.includes(metric)) {
        throw new SonaError('INVALID_ARGUMENT', `metric must be one of ${METRICS.join(', ')}`);
      }
      const indices = new Int32Array(count);
      const scores = new Float32Array(count);
      k().topK(query, matrix, dim, metric, indices, scores);
      return { indices, scores };
    },
    gemv(m, rows, cols, x, out) {
      checkMatrix(m, rows, cols);
      float32Array(x, 'x', cols);
      const kernels = k();
      const target = outputFor(out, rows, [m, x], false, kernels);
      kernels.gemv(m, rows, cols, x, target);
      return target;
    },
    gemvT(m, rows, cols, x, out) {
      checkMatrix(m, rows, cols);
      float32Array(x, 'x', rows);
      const kernels = k();
      const target = outputFor(out, cols, [m, x], false, kernels);
      kernels.gemvT(m, rows, cols, x, target);
      return target;
    },
    ger(m, rows, cols, alpha, u, v) {
      checkMatrix(m, rows, cols);
      assertFinite(alpha, 'alpha');
      float32Array(u, 'u', rows);
      float32Array(v, 'v', cols);
      const kernels = k();
      if (!kernels.checksOverlap && (overlaps(m, u) || overlaps(m, v))) {
        throw new SonaError('INVALID_ARGUMENT', 'ger: u or v overlaps M');
      }
      kernels.ger(m, rows, cols, alpha, u, v);
      return m;
    },
  };
}
