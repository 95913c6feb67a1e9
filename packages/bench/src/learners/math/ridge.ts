import { SonaError } from '@sona/core';

/**
 * Online ridge regression of a reward on a feature vector, the per-arm model of disjoint LinUCB
 * (Li, Chu, Langford & Schapire 2010, "A contextual-bandit approach to personalized news article
 * recommendation", Algorithm 1) and of linear Thompson sampling (Agrawal & Goyal 2013):
 *
 *   A = λ·I + Σ x xᵀ,   b = Σ r·x,   θ̂ = A⁻¹ b.
 *
 * A⁻¹ is kept directly and updated by Sherman–Morrison, A⁻¹ ← A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x),
 * so an update costs O(d²) instead of the O(d³) of a fresh inverse; θ̂ follows with the
 * recursive-least-squares step θ̂ ← θ̂ + k·u·(r − xᵀθ̂), u = A⁻¹x, k = 1/(1 + xᵀu) (the same
 * algebra, O(d) once u is known). Float64 throughout, fixed loop order: the same updates give
 * the same bits everywhere. The matrix stays exactly symmetric: entry (i, j) subtracts
 * k·(u_i·u_j), and u_i·u_j = u_j·u_i exactly.
 */
export class RidgeModel {
  readonly dim: number;
  readonly ridge: number;
  /** A⁻¹, dim × dim, row-major. */
  readonly #inverse: Float64Array;
  /** b = Σ r·x. */
  readonly #b: Float64Array;
  /** θ̂ = A⁻¹ b. */
  readonly #theta: Float64Array;
  readonly #u: Float64Array;
  #updates = 0;

  constructor(dim: number, ridge: number) {
    if (!(Number.isInteger(dim) && dim >= 1)) {
      throw new SonaError('INVALID_ARGUMENT', `ridge model needs a dimension ≥ 1, got ${dim}`);
    }
    if (!(Number.isFinite(ridge) && ridge > 0)) {
      throw new SonaError('OUT_OF_RANGE', `ridge λ must be a finite number > 0, got ${ridge}`);
    }
    this.dim = dim;
    this.ridge = ridge;
    this.#inverse = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) this.#inverse[i * dim + i] = 1 / ridge;
    this.#b = new Float64Array(dim);
    this.#theta = new Float64Array(dim);
    this.#u = new Float64Array(dim);
  }

  get updates(): number {
    return this.#updates;
  }

  /** xᵀθ̂: the ridge prediction of the reward. */
  mean(x: Float64Array): number {
    const theta = this.#theta;
    let sum = 0;
    for (let i = 0; i < this.dim; i++) sum += theta[i]! * x[i]!;
    return sum;
  }

  /** u = A⁻¹x into `out`. */
  #solve(x: Float64Array, out: Float64Array): void {
    const d = this.dim;
    const m = this.#inverse;
    for (let i = 0; i < d; i++) {
      let sum = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) sum += m[row + j]! * x[j]!;
      out[i] = sum;
    }
  }

  /** xᵀA⁻¹x (≥ 0: A⁻¹ is positive definite): the squared width LinUCB scales by α. */
  variance(x: Float64Array): number {
    this.#solve(x, this.#u);
    let sum = 0;
    for (let i = 0; i < this.dim; i++) sum += x[i]! * this.#u[i]!;
    return sum > 0 ? sum : 0;
  }

  /** Adds one observation (x, r). */
  update(x: Float64Array, r: number): void {
    const d = this.dim;
    const u = this.#u;
    this.#solve(x, u);
    let s = 0;
    for (let i = 0; i < d; i++) s += x[i]! * u[i]!;
    const k = 1 / (1 + s);
    const error = r - this.mean(x);
    const m = this.#inverse;
    for (let i = 0; i < d; i++) {
      const ui = u[i]!;
      const row = i * d;
      for (let j = 0; j < d; j++) m[row + j]! -= k * (ui * u[j]!);
    }
    for (let i = 0; i < d; i++) {
      this.#b[i]! += r * x[i]!;
      this.#theta[i]! += k * u[i]! * error;
    }
    this.#updates++;
  }

  /** Copies of A⁻¹, b and θ̂ (for tests and `state()`). */
  snapshot(): { inverse: Float64Array; b: Float64Array; theta: Float64Array } {
    return {
      inverse: this.#inverse.slice(),
      b: this.#b.slice(),
      theta: this.#theta.slice(),
    };
  }

  /** Plain data: A⁻¹ as numbers, row-major, b, θ̂ and the update count. */
  state(): {
    dim: number;
    ridge: number;
    updates: number;
    inverse: number[];
    b: number[];
    theta: number[];
  } {
    return {
      dim: this.dim,
      ridge: this.ridge,
      updates: this.#updates,
      inverse: Array.from(this.#inverse),
      b: Array.from(this.#b),
      theta: Array.from(this.#theta),
    };
  }
}

/** The embedding with a constant 1 appended (the bias feature), in float64. */
export function withBias(embedding: Float32Array, out: Float64Array): Float64Array {
  const d = embedding.length;
  for (let i = 0; i < d; i++) out[i] = embedding[i]!;
  out[d] = 1;
  return out;
}
