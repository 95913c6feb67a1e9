import { bufferOf, byteOffsetOf, fillZero, lengthOf } from './arguments';
import type { Kernels, Metric } from './kernels';

/**
 * The TypeScript backend: the reference implementation of the scheme every backend follows.
 *
 * Float32 arithmetic is reproduced exactly with Math.fround: the product or sum of two
 * float32 values computed in float64 and rounded once to float32 equals the float32 operation
 * (float64 has more than 2·24 + 2 significand bits, so the double rounding is innocuous).
 * Multiply and add are never fused.
 *
 * Reductions (dot, l2sq, sums of squares, gemv rows): 16 float32 partial sums; element j goes
 * to lane j mod 16 in increasing j; then lanes fold pairwise in a fixed tree:
 * s[i] += s[i+8] (i < 8), s[i] += s[i+4] (i < 4), s[i] += s[i+2] (i < 2), s[0] += s[1].
 */
const f = Math.fround;

/** Canonical quiet NaN written wherever a NaN lands in a Float32Array output. */
const CANONICAL_NAN_BITS = 0x7fc00000;

const lanes = new Float32Array(16);

function fold(s: Float32Array): number {
  for (let width = 8; width >= 1; width >>= 1) {
    for (let i = 0; i < width; i++) s[i] = s[i]! + s[i + width]!;
  }
  return s[0]!;
}

/**
 * Σ a[aOffset + j]·b[bOffset + j] for j < n, by the 16-lane scheme: whole groups of 16 in
 * sixteen local accumulators, the tail into the first lanes.
 */
function dotAt(
  a: Float32Array,
  aOffset: number,
  b: Float32Array,
  bOffset: number,
  n: number,
): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    s4 = 0,
    s5 = 0,
    s6 = 0,
    s7 = 0;
  let s8 = 0,
    s9 = 0,
    s10 = 0,
    s11 = 0,
    s12 = 0,
    s13 = 0,
    s14 = 0,
    s15 = 0;
  const full = n - (n & 15);
  let j = 0;
  for (; j < full; j += 16) {
    const ao = aOffset + j;
    const bo = bOffset + j;
    s0 = f(s0 + f(a[ao + 0]! * b[bo + 0]!));
    s1 = f(s1 + f(a[ao + 1]! * b[bo + 1]!));
    s2 = f(s2 + f(a[ao + 2]! * b[bo + 2]!));
    s3 = f(s3 + f(a[ao + 3]! * b[bo + 3]!));
    s4 = f(s4 + f(a[ao + 4]! * b[bo + 4]!));
    s5 = f(s5 + f(a[ao + 5]! * b[bo + 5]!));
    s6 = f(s6 + f(a[ao + 6]! * b[bo + 6]!));
    s7 = f(s7 + f(a[ao + 7]! * b[bo + 7]!));
    s8 = f(s8 + f(a[ao + 8]! * b[bo + 8]!));
    s9 = f(s9 + f(a[ao + 9]! * b[bo + 9]!));
    s10 = f(s10 + f(a[ao + 10]! * b[bo + 10]!));
    s11 = f(s11 + f(a[ao + 11]! * b[bo + 11]!));
    s12 = f(s12 + f(a[ao + 12]! * b[bo + 12]!));
    s13 = f(s13 + f(a[ao + 13]! * b[bo + 13]!));
    s14 = f(s14 + f(a[ao + 14]! * b[bo + 14]!));
    s15 = f(s15 + f(a[ao + 15]! * b[bo + 15]!));
  }
  const s = lanes;
  s[0] = s0;
  s[1] = s1;
  s[2] = s2;
  s[3] = s3;
  s[4] = s4;
  s[5] = s5;
  s[6] = s6;
  s[7] = s7;
  s[8] = s8;
  s[9] = s9;
  s[10] = s10;
  s[11] = s11;
  s[12] = s12;
  s[13] = s13;
  s[14] = s14;
  s[15] = s15;
  for (let lane = 0; j < n; j++, lane++) s[lane] = s[lane]! + f(a[aOffset + j]! * b[bOffset + j]!);
  return fold(s);
}

/** Σ a[offset + j]² for j < n, by the 16-lane scheme. */
function sumSquaresAt(a: Float32Array, offset: number, n: number): number {
  return dotAt(a, offset, a, offset, n);
}

/** Σ (a[aOffset + j] − b[j])² for j < n, by the 16-lane scheme (d = a − b rounded, then d·d). */
function l2sqAt(a: Float32Array, aOffset: number, b: Float32Array, n: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    s4 = 0,
    s5 = 0,
    s6 = 0,
    s7 = 0;
  let s8 = 0,
    s9 = 0,
    s10 = 0,
    s11 = 0,
    s12 = 0,
    s13 = 0,
    s14 = 0,
    s15 = 0;
  const full = n - (n & 15);
  let j = 0;
  let d = 0;
  for (; j < full; j += 16) {
    const ao = aOffset + j;
    const bo = j;
    d = f(a[ao + 0]! - b[bo + 0]!);
    s0 = f(s0 + f(d * d));
    d = f(a[ao + 1]! - b[bo + 1]!);
    s1 = f(s1 + f(d * d));
    d = f(a[ao + 2]! - b[bo + 2]!);
    s2 = f(s2 + f(d * d));
    d = f(a[ao + 3]! - b[bo + 3]!);
    s3 = f(s3 + f(d * d));
    d = f(a[ao + 4]! - b[bo + 4]!);
    s4 = f(s4 + f(d * d));
    d = f(a[ao + 5]! - b[bo + 5]!);
    s5 = f(s5 + f(d * d));
    d = f(a[ao + 6]! - b[bo + 6]!);
    s6 = f(s6 + f(d * d));
    d = f(a[ao + 7]! - b[bo + 7]!);
    s7 = f(s7 + f(d * d));
    d = f(a[ao + 8]! - b[bo + 8]!);
    s8 = f(s8 + f(d * d));
    d = f(a[ao + 9]! - b[bo + 9]!);
    s9 = f(s9 + f(d * d));
    d = f(a[ao + 10]! - b[bo + 10]!);
    s10 = f(s10 + f(d * d));
    d = f(a[ao + 11]! - b[bo + 11]!);
    s11 = f(s11 + f(d * d));
    d = f(a[ao + 12]! - b[bo + 12]!);
    s12 = f(s12 + f(d * d));
    d = f(a[ao + 13]! - b[bo + 13]!);
    s13 = f(s13 + f(d * d));
    d = f(a[ao + 14]! - b[bo + 14]!);
    s14 = f(s14 + f(d * d));
    d = f(a[ao + 15]! - b[bo + 15]!);
    s15 = f(s15 + f(d * d));
  }
  const s = lanes;
  s[0] = s0;
  s[1] = s1;
  s[2] = s2;
  s[3] = s3;
  s[4] = s4;
  s[5] = s5;
  s[6] = s6;
  s[7] = s7;
  s[8] = s8;
  s[9] = s9;
  s[10] = s10;
  s[11] = s11;
  s[12] = s12;
  s[13] = s13;
  s[14] = s14;
  s[15] = s15;
  for (let lane = 0; j < n; j++, lane++) {
    d = f(a[aOffset + j]! - b[j]!);
    s[lane] = s[lane]! + f(d * d);
  }
  return fold(s);
}

/**
 * cos = dot / (sqrt(‖a‖²)·sqrt(‖b‖²)) in float64 from the three float32 sums, clamped to
 * [-1, 1] and rounded to float32. A zero vector has cosine 0 with anything.
 */
function cosineFromSums(dot: number, normSqA: number, normSqB: number): number {
  if (normSqA === 0 || normSqB === 0) return 0;
  const c = dot / (Math.sqrt(normSqA) * Math.sqrt(normSqB));
  return f(c > 1 ? 1 : c < -1 ? -1 : c);
}

function store(out: Float32Array, i: number, value: number): void {
  if (Number.isNaN(value)) {
    new Uint32Array(bufferOf(out), byteOffsetOf(out), lengthOf(out))[i] = CANONICAL_NAN_BITS;
  } else {
    out[i] = value;
  }
}

/** a ranks before b: better score first, NaN last, ties to the lower index. */
function ranksBefore(
  scoreA: number,
  indexA: number,
  scoreB: number,
  indexB: number,
  ascending: boolean,
): boolean {
  const nanA = Number.isNaN(scoreA);
  const nanB = Number.isNaN(scoreB);
  if (nanA || nanB) return nanA === nanB ? indexA < indexB : nanB;
  if (scoreA !== scoreB) return ascending ? scoreA < scoreB : scoreA > scoreB;
  return indexA < indexB;
}

export const jsKernels: Kernels = {
  name: 'js',
  checksOverlap: false,

  dot: (a, b) => dotAt(a, 0, b, 0, a.length),

  l2sq: (a, b) => l2sqAt(a, 0, b, a.length),

  cosine(a, b) {
    const n = a.length;
    return cosineFromSums(dotAt(a, 0, b, 0, n), sumSquaresAt(a, 0, n), sumSquaresAt(b, 0, n));
  },

  axpy(alpha, x, y) {
    const a = f(alpha);
    for (let i = 0; i < x.length; i++) store(y, i, f(y[i]! + f(a * x[i]!)));
  },

  scale(x, alpha, out) {
    const a = f(alpha);
    for (let i = 0; i < x.length; i++) store(out, i, f(x[i]! * a));
  },

  add(a, b, out) {
    for (let i = 0; i < a.length; i++) store(out, i, f(a[i]! + b[i]!));
  },

  sub(a, b, out) {
    for (let i = 0; i < a.length; i++) store(out, i, f(a[i]! - b[i]!));
  },

  mul(a, b, out) {
    for (let i = 0; i < a.length; i++) store(out, i, f(a[i]! * b[i]!));
  },

  dotMany(query, matrix, dim, out) {
    const rows = matrix.length / dim;
    for (let r = 0; r < rows; r++) store(out, r, dotAt(matrix, r * dim, query, 0, dim));
  },

  cosineMany(query, matrix, dim, out) {
    const rows = matrix.length / dim;
    const normSqQuery = sumSquaresAt(query, 0, dim);
    for (let r = 0; r < rows; r++) {
      const o = r * dim;
      const c = cosineFromSums(
        dotAt(matrix, o, query, 0, dim),
        normSqQuery,
        sumSquaresAt(matrix, o, dim),
      );
      store(out, r, c);
    }
  },

  l2sqMany(query, matrix, dim, out) {
    const rows = matrix.length / dim;
    for (let r = 0; r < rows; r++) store(out, r, l2sqAt(matrix, r * dim, query, dim));
  },

  topK(query, matrix, dim, metric, indices, scores) {
    const rows = matrix.length / dim;
    const all = new Float32Array(rows);
    kernelFor(metric)(query, matrix, dim, all);
    selectTop(all, metric === 'l2sq', indices, scores);
  },

  gemv(m, rows, cols, x, out) {
    for (let r = 0; r < rows; r++) store(out, r, dotAt(m, r * cols, x, 0, cols));
  },

  gemvT(m, rows, cols, x, out) {
    // out[c] = Σ_r M[r][c]·x[r], accumulated in increasing r from +0.
    fillZero(out);
    if (cols === 0) return; // nothing to accumulate, however many rows
    for (let r = 0; r < rows; r++) {
      const xr = x[r]!;
      const o = r * cols;
      for (let c = 0; c < cols; c++) out[c] = out[c]! + f(m[o + c]! * xr);
    }
    for (let c = 0; c < cols; c++) if (Number.isNaN(out[c]!)) store(out, c, Number.NaN);
  },

  ger(m, rows, cols, alpha, u, v) {
    const a = f(alpha);
    for (let r = 0; r < rows; r++) {
      const au = f(a * u[r]!);
      const o = r * cols;
      for (let c = 0; c < cols; c++) store(m, o + c, f(m[o + c]! + f(au * v[c]!)));
    }
  },
};

function kernelFor(metric: Metric) {
  if (metric === 'cosine') return jsKernels.cosineMany;
  if (metric === 'dot') return jsKernels.dotMany;
  return jsKernels.l2sqMany;
}

/**
 * The best `indices.length` entries of `all` in rank order, by a bounded binary heap whose
 * root is the worst kept entry: O(n log k).
 */
export function selectTop(
  all: Float32Array,
  ascending: boolean,
  indices: Int32Array,
  scores: Float32Array,
): void {
  const k = indices.length;
  if (k === 0) return;
  const heap = new Int32Array(k); // row indices; heap[0] ranks last among the kept
  let size = 0;
  const worse = (i: number, j: number) => ranksBefore(all[j]!, j, all[i]!, i, ascending);
  const siftUp = (pos: number) => {
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!worse(heap[pos]!, heap[parent]!)) break;
      const t = heap[pos]!;
      heap[pos] = heap[parent]!;
      heap[parent] = t;
      pos = parent;
    }
  };
  const siftDown = (pos: number) => {
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= size) return;
      const right = left + 1;
      let target = left;
      if (right < size && worse(heap[right]!, heap[left]!)) target = right;
      if (!worse(heap[target]!, heap[pos]!)) return;
      const t = heap[pos]!;
      heap[pos] = heap[target]!;
      heap[target] = t;
      pos = target;
    }
  };
  for (let i = 0; i < all.length; i++) {
    if (size < k) {
      heap[size] = i;
      siftUp(size++);
    } else if (ranksBefore(all[i]!, i, all[heap[0]!]!, heap[0]!, ascending)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  // Pop worst-first into the back of the output.
  for (let out = size - 1; out >= 0; out--) {
    const top = heap[0]!;
    indices[out] = top;
    store(scores, out, all[top]!);
    heap[0] = heap[--size]!;
    siftDown(0);
  }
}
