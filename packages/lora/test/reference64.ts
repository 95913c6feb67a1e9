/**
 * A float64 re-implementation of the adapters, independent of @sona/simd, for
 * checking the float32 code: forward, the scalar loss L = Σ w_i y_i, and magnitude
 * sums that bound float32 rounding.
 */

export interface Block64 {
  /** A, rank × dim row-major */
  readonly a: Float64Array;
  /** Bᵀ, rank × dim row-major (B ∈ R^{dim×rank} column by column) */
  readonly bt: Float64Array;
  readonly scale: number;
}

export function blocks64(
  weights: Float32Array,
  dim: number,
  rank: number,
  blockIndices: readonly number[],
  scales: readonly number[],
): Block64[] {
  const half = rank * dim;
  return blockIndices.map((b, i) => ({
    a: Float64Array.from(weights.subarray(2 * half * b, 2 * half * b + half)),
    bt: Float64Array.from(weights.subarray(2 * half * b + half, 2 * half * (b + 1))),
    scale: scales[i]!,
  }));
}

/** y = x + Σ_blocks s·Bᵀᵀ(A x) in float64. */
export function forward64(blocks: readonly Block64[], x: ArrayLike<number>): Float64Array {
  const dim = x.length;
  const y = Float64Array.from(x);
  for (const { a, bt, scale } of blocks) {
    const rank = a.length / dim;
    for (let k = 0; k < rank; k++) {
      let h = 0;
      for (let j = 0; j < dim; j++) h += a[k * dim + j]! * x[j]!;
      for (let j = 0; j < dim; j++) y[j] = y[j]! + scale * bt[k * dim + j]! * h;
    }
  }
  return y;
}

/** The same with every term replaced by its absolute value: a bound on rounding scale. */
export function forwardMagnitude64(blocks: readonly Block64[], x: ArrayLike<number>): Float64Array {
  const abs = (v: Float64Array) => v.map(Math.abs);
  return forward64(
    blocks.map((b) => ({ a: abs(b.a), bt: abs(b.bt), scale: Math.abs(b.scale) })),
    Float64Array.from(x, Math.abs),
  );
}

export function loss64(blocks: readonly Block64[], x: ArrayLike<number>, w: ArrayLike<number>) {
  const y = forward64(blocks, x);
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += w[i]! * y[i]!;
  return sum;
}

/** Central finite difference of f at value v of one coordinate: (f(v + h) − f(v − h)) / 2h. */
export function centralDifference(set: (value: number) => number, value: number, h: number) {
  const up = set(value + h);
  const down = set(value - h);
  set(value);
  return (up - down) / (2 * h);
}
