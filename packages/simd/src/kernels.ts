/** Similarity or distance used by `topK`: `cosine` and `dot` rank high first, `l2sq` low first. */
export type Metric = 'cosine' | 'dot' | 'l2sq';

export type BackendName = 'avx512' | 'avx2' | 'sse41' | 'neon' | 'serial' | 'js';

/**
 * One backend's kernels. Arguments reach a kernel already validated by the public API
 * (types, lengths, ranges); native kernels check every length again at the N-API boundary.
 * Every backend computes exactly the scheme documented in the README, so every backend
 * returns the same bits.
 */
export interface Kernels {
  readonly name: BackendName;
  /**
   * True when the kernels themselves refuse overlapping buffers (the native addon checks every
   * argument at the N-API boundary), so the TypeScript layer need not repeat that check.
   */
  readonly checksOverlap: boolean;
  dot(a: Float32Array, b: Float32Array): number;
  l2sq(a: Float32Array, b: Float32Array): number;
  cosine(a: Float32Array, b: Float32Array): number;
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  scale(x: Float32Array, alpha: number, out: Float32Array): void;
  add(a: Float32Array, b: Float32Array, out: Float32Array): void;
  sub(a: Float32Array, b: Float32Array, out: Float32Array): void;
  mul(a: Float32Array, b: Float32Array, out: Float32Array): void;
  dotMany(query: Float32Array, matrix: Float32Array, dim: number, out: Float32Array): void;
  cosineMany(query: Float32Array, matrix: Float32Array, dim: number, out: Float32Array): void;
  l2sqMany(query: Float32Array, matrix: Float32Array, dim: number, out: Float32Array): void;
  /** Writes the best `indices.length` rows (ties to the lower index, NaN last) and their scores. */
  topK(
    query: Float32Array,
    matrix: Float32Array,
    dim: number,
    metric: Metric,
    indices: Int32Array,
    scores: Float32Array,
  ): void;
  gemv(m: Float32Array, rows: number, cols: number, x: Float32Array, out: Float32Array): void;
  gemvT(m: Float32Array, rows: number, cols: number, x: Float32Array, out: Float32Array): void;
  ger(
    m: Float32Array,
    rows: number,
    cols: number,
    alpha: number,
    u: Float32Array,
    v: Float32Array,
  ): void;
}
