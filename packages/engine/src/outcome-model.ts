/**
 * The engine's prediction of success: for each arm a Bayesian logistic regression over sparse
 * features of a task, with a Gaussian prior and the Laplace approximation of the posterior.
 *
 *   logit P(success | task, arm a) = offset(task) + Σ_j w_aj · φ_j(task),   w_aj ~ N(0, s_j²)
 *
 * The features are a bias (always 1), the task type's indicator and the task's gated pattern
 * memberships (see `@sona/patterns`); the offset is −β·difficulty when the task has one. The
 * arms share nothing but the offset, so each arm is its own small model.
 *
 * - `refit` finds the MAP weights by Newton's method on all of an arm's observations and keeps
 *   the posterior covariance Σ = H⁻¹ at the MAP (the Laplace approximation).
 * - `update` is one observation's assumed-density (extended Kalman) step from N(m, Σ):
 *   with p = σ(offset + mᵀφ), h = p(1 − p), u = Σφ and q = φᵀΣφ,
 *   Σ ← Σ − h/(1 + hq) · uuᵀ and m ← m + (y − p)/(1 + hq) · u
 *   (one Newton step of the log posterior from m; Spiegelhalter & Lauritzen 1990).
 * - `predict` gives the logit's posterior mean μ and variance v; the predictive probability is
 *   σ(μ / √(1 + πv/8)) (MacKay 1992), a calibrated probability when the model is right.
 *
 * Everything is float64 and runs in a fixed order, so the same observations give the same bits.
 */

/** One task's features: distinct indices (in any order) and their values. */
export interface SparseFeatures {
  readonly index: readonly number[];
  readonly value: readonly number[];
}

/** One recorded outcome as the model sees it. */
export interface Observation {
  readonly features: SparseFeatures;
  readonly offset: number;
  /** 1 for a success, 0 for a failure. */
  readonly y: 0 | 1;
}

export const LOGISTIC = {
  /** Newton iterations of `refit` at most; it stops once no weight moves by more than `tolerance`. */
  maxIterations: 25,
  tolerance: 1e-9,
} as const;

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** MacKay's probit approximation of E[σ(z)] for z ~ N(mean, variance). */
export function predictiveProbability(mean: number, variance: number): number {
  return sigmoid(mean / Math.sqrt(1 + (Math.PI * Math.max(0, variance)) / 8));
}

/**
 * In-place Cholesky factorisation of the symmetric positive-definite p × p matrix `a`
 * (row-major): its lower triangle becomes L with a = LLᵀ. Returns false if `a` is not
 * numerically positive definite.
 */
export function choleskyInPlace(a: Float64Array, p: number): boolean {
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j]!;
    for (let k = 0; k < j; k++) d -= a[j * p + k]! * a[j * p + k]!;
    if (!(d > 0)) return false;
    const root = Math.sqrt(d);
    a[j * p + j] = root;
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= a[i * p + k]! * a[j * p + k]!;
      a[i * p + j] = s / root;
    }
  }
  return true;
}

/** Solves LLᵀx = b for x (in `b`), L the lower triangle of `l`. */
export function choleskySolveInPlace(l: Float64Array, p: number, b: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * b[k]!;
    b[i] = s / l[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * b[k]!;
    b[i] = s / l[i * p + i]!;
  }
}

/** L⁻¹ of the lower triangle of `l`, into the lower triangle of `out` (forward substitution). */
function lowerInverse(l: Float64Array, p: number, out: Float64Array): void {
  out.fill(0);
  for (let j = 0; j < p; j++) {
    out[j * p + j] = 1 / l[j * p + j]!;
    for (let i = j + 1; i < p; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * p + k]! * out[k * p + j]!;
      out[i * p + j] = s / l[i * p + i]!;
    }
  }
}

/**
 * The inverse of LLᵀ, written into `out` (p × p, full and symmetric): with M = L⁻¹,
 * (LLᵀ)⁻¹ = MᵀM, so entry (i, j) is Σ_{k ≥ max(i, j)} M_ki·M_kj. `diagonalOnly` writes just
 * the diagonal (the posterior variances) and leaves the rest of `out` untouched.
 */
export function choleskyInverse(
  l: Float64Array,
  p: number,
  out: Float64Array,
  diagonalOnly = false,
): void {
  const m = new Float64Array(p * p);
  lowerInverse(l, p, m);
  for (let i = 0; i < p; i++) {
    for (let j = diagonalOnly ? i : 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < p; k++) s += m[k * p + i]! * m[k * p + j]!;
      out[i * p + j] = s;
      out[j * p + i] = s;
    }
  }
}

/**
 * One arm's posterior N(mean, covariance) over a growing feature space: `grow` appends
 * features with their prior variance (a new pattern, a new task type).
 */
export class ArmPosterior {
  #p = 0;
  #priorVariance: number[] = [];
  #mean = new Float64Array(0);
  /** p × p, row-major, symmetric. */
  #covariance = new Float64Array(0);
  readonly #u: number[] = [];

  get size(): number {
    return this.#p;
  }

  /** Appends features whose prior is N(0, variance) each. */
  grow(variances: readonly number[]): void {
    if (variances.length === 0) return;
    const p = this.#p;
    const next = p + variances.length;
    const mean = new Float64Array(next);
    mean.set(this.#mean);
    const covariance = new Float64Array(next * next);
    for (let i = 0; i < p; i++) {
      covariance.set(this.#covariance.subarray(i * p, (i + 1) * p), i * next);
    }
    variances.forEach((v, k) => {
      covariance[(p + k) * next + p + k] = v;
    });
    this.#p = next;
    this.#priorVariance = [...this.#priorVariance, ...variances];
    this.#mean = mean;
    this.#covariance = covariance;
  }

  /** The logit's posterior mean and variance for a task with these features and offset. */
  predict(features: SparseFeatures, offset: number): { mean: number; variance: number } {
    const { index, value } = features;
    const p = this.#p;
    let mean = offset;
    let variance = 0;
    for (let a = 0; a < index.length; a++) {
      const i = index[a]!;
      const vi = value[a]!;
      mean += this.#mean[i]! * vi;
      const row = i * p;
      let s = 0;
      for (let b = 0; b < index.length; b++) s += this.#covariance[row + index[b]!]! * value[b]!;
      variance += vi * s;
    }
    return { mean, variance: Math.max(0, variance) };
  }

  /** The logit's posterior mean alone (no covariance is read). */
  logit(features: SparseFeatures, offset: number): number {
    const { index, value } = features;
    let mean = offset;
    for (let a = 0; a < index.length; a++) mean += this.#mean[index[a]!]! * value[a]!;
    return mean;
  }

  /** The posterior mean weight of feature `i` (the MAP after `refit`). */
  weight(i: number): number {
    return this.#mean[i]!;
  }

  /** The posterior variance of feature `i`'s weight. */
  variance(i: number): number {
    return this.#covariance[i * this.#p + i]!;
  }

  /** Replaces the prior variances (same features); the mean is kept as a warm start for `refit`. */
  setPriorVariances(variances: readonly number[]): void {
    if (variances.length !== this.#p) throw new RangeError('one prior variance per feature');
    this.#priorVariance = [...variances];
  }

  /** One observation's assumed-density step (see the module comment). */
  update(observation: Observation): void {
    const { index, value } = observation.features;
    const p = this.#p;
    const cov = this.#covariance;
    const u = this.#u;
    u.length = p;
    let q = 0;
    let z = observation.offset;
    for (let i = 0; i < p; i++) {
      let s = 0;
      const row = i * p;
      for (let b = 0; b < index.length; b++) s += cov[row + index[b]!]! * value[b]!;
      u[i] = s;
    }
    for (let b = 0; b < index.length; b++) {
      q += value[b]! * u[index[b]!]!;
      z += this.#mean[index[b]!]! * value[b]!;
    }
    const prob = sigmoid(z);
    const h = prob * (1 - prob);
    const denominator = 1 + h * q;
    const gain = (observation.y - prob) / denominator;
    const shrink = h / denominator;
    for (let i = 0; i < p; i++) {
      const ui = u[i]!;
      if (ui === 0) continue;
      this.#mean[i] = this.#mean[i]! + gain * ui;
      const row = i * p;
      for (let j = 0; j < p; j++) cov[row + j] = cov[row + j]! - shrink * ui * u[j]!;
    }
  }

  /**
   * The Laplace posterior of all `observations` from the prior: Newton's method from the
   * current mean to the MAP, then Σ = H⁻¹ there. Returns the Newton iterations used. With
   * `covariance: 'diagonal'` only the posterior variances are computed (enough for `weight`,
   * `variance` and `logit`; `predict` and `update` need a full refit first).
   */
  refit(observations: readonly Observation[], covariance: 'full' | 'diagonal' = 'full'): number {
    const p = this.#p;
    const w = this.#mean;
    const hessian = new Float64Array(p * p);
    const gradient = new Float64Array(p);
    let iterations = 0;
    for (; iterations < LOGISTIC.maxIterations; iterations++) {
      this.#assemble(observations, w, hessian, gradient);
      if (!choleskyInPlace(hessian, p)) break;
      choleskySolveInPlace(hessian, p, gradient);
      let moved = 0;
      for (let i = 0; i < p; i++) {
        w[i] = w[i]! + gradient[i]!;
        moved = Math.max(moved, Math.abs(gradient[i]!));
      }
      if (moved <= LOGISTIC.tolerance) {
        iterations++;
        break;
      }
    }
    this.#assemble(observations, w, hessian, gradient);
    if (choleskyInPlace(hessian, p)) {
      choleskyInverse(hessian, p, this.#covariance, covariance === 'diagonal');
    }
    return iterations;
  }

  /** The negative log posterior's Hessian and its negative gradient at `w`. */
  #assemble(
    observations: readonly Observation[],
    w: Float64Array,
    hessian: Float64Array,
    gradient: Float64Array,
  ): void {
    const p = this.#p;
    hessian.fill(0);
    for (let i = 0; i < p; i++) {
      const precision = 1 / this.#priorVariance[i]!;
      hessian[i * p + i] = precision;
      gradient[i] = -precision * w[i]!;
    }
    for (const { features, offset, y } of observations) {
      const { index, value } = features;
      let z = offset;
      for (let b = 0; b < index.length; b++) z += w[index[b]!]! * value[b]!;
      const prob = sigmoid(z);
      const residual = y - prob;
      const h = prob * (1 - prob);
      for (let a = 0; a < index.length; a++) {
        const i = index[a]!;
        const hva = h * value[a]!;
        gradient[i] = gradient[i]! + residual * value[a]!;
        const row = i * p;
        // Each unordered pair once, at (i, j) or (j, i); folded onto the lower triangle below.
        for (let b = a; b < index.length; b++) {
          hessian[row + index[b]!] = hessian[row + index[b]!]! + hva * value[b]!;
        }
      }
    }
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < i; j++) {
        const v = hessian[i * p + j]! + hessian[j * p + i]!;
        hessian[i * p + j] = v;
        hessian[j * p + i] = v;
      }
    }
  }

  /** Resets to the prior (mean 0, covariance diag(prior variances)) over the same features. */
  reset(): void {
    const p = this.#p;
    this.#mean.fill(0);
    this.#covariance.fill(0);
    for (let i = 0; i < p; i++) this.#covariance[i * p + i] = this.#priorVariance[i]!;
  }

  /** Copies, for tests and diagnostics. */
  snapshot(): { mean: Float64Array; covariance: Float64Array; priorVariance: number[] } {
    return {
      mean: this.#mean.slice(),
      covariance: this.#covariance.slice(),
      priorVariance: [...this.#priorVariance],
    };
  }
}

/**
 * The difficulty slope β shared by all arms: the MAP of the log posterior in β alone with the
 * arms' weights held at their means, prior β ~ N(0, priorSd²) (Newton in one dimension), and
 * its Laplace variance 1 / (curvature at the MAP).
 */
export function fitSlope(
  observations: readonly {
    readonly base: number;
    readonly difficulty: number;
    readonly y: 0 | 1;
  }[],
  start: number,
  priorSd: number,
): { slope: number; variance: number } {
  let beta = start;
  const precision = 1 / (priorSd * priorSd);
  const curvatureAt = (b: number) => {
    let curvature = precision;
    for (const { base, difficulty } of observations) {
      const prob = sigmoid(base - b * difficulty);
      curvature += prob * (1 - prob) * difficulty * difficulty;
    }
    return curvature;
  };
  for (let iteration = 0; iteration < LOGISTIC.maxIterations; iteration++) {
    let gradient = -precision * beta;
    for (const { base, difficulty, y } of observations) {
      gradient += (sigmoid(base - beta * difficulty) - y) * difficulty;
    }
    const step = gradient / curvatureAt(beta);
    beta += step;
    if (Math.abs(step) <= LOGISTIC.tolerance) break;
  }
  return { slope: beta, variance: 1 / curvatureAt(beta) };
}

/** A Platt map p ↦ σ(a·logit(p) + b). */
export interface PlattMap {
  readonly a: number;
  readonly b: number;
}

/** Platt scaling's prior: a ~ N(1, 1²), b ~ N(0, 1²) (the identity map is the prior mean). */
export const PLATT_PRIOR = { aMean: 1, aSd: 1, bSd: 1 } as const;

export function logit(p: number): number {
  const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
  return Math.log(q / (1 - q));
}

export function applyPlatt(map: PlattMap, p: number): number {
  return sigmoid(map.a * logit(p) + map.b);
}

/**
 * Platt scaling (Platt 1999) of predicted probabilities against 0/1 outcomes: the MAP of
 * σ(a·logit(p) + b) under `PLATT_PRIOR` with a ≥ 0, by Newton's method in two dimensions. When
 * the unconstrained MAP has a < 0 (on these outcomes the predictions rank worse than chance) the
 * constrained MAP is on a = 0: the map is the constant σ(b), the MAP of b alone.
 */
export function fitPlatt(pairs: readonly { readonly p: number; readonly y: 0 | 1 }[]): PlattMap {
  const free = fitPlattFree(pairs);
  if (free.a >= 0) return free;
  let b = 0;
  const { bSd } = PLATT_PRIOR;
  for (let iteration = 0; iteration < LOGISTIC.maxIterations; iteration++) {
    let g = -b / (bSd * bSd);
    let h = 1 / (bSd * bSd);
    const q = sigmoid(b);
    for (const pair of pairs) g += pair.y - q;
    h += pairs.length * q * (1 - q);
    const step = g / h;
    b += step;
    if (Math.abs(step) <= LOGISTIC.tolerance) break;
  }
  return { a: 0, b };
}

function fitPlattFree(pairs: readonly { readonly p: number; readonly y: 0 | 1 }[]): PlattMap {
  const { aMean, aSd, bSd } = PLATT_PRIOR;
  let a = aMean;
  let b = 0;
  const xs = pairs.map((pair) => logit(pair.p));
  for (let iteration = 0; iteration < LOGISTIC.maxIterations; iteration++) {
    let ga = -(a - aMean) / (aSd * aSd);
    let gb = -b / (bSd * bSd);
    let haa = 1 / (aSd * aSd);
    let hbb = 1 / (bSd * bSd);
    let hab = 0;
    pairs.forEach((pair, i) => {
      const x = xs[i]!;
      const q = sigmoid(a * x + b);
      const r = pair.y - q;
      const w = q * (1 - q);
      ga += r * x;
      gb += r;
      haa += w * x * x;
      hab += w * x;
      hbb += w;
    });
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a += da;
    b += db;
    if (Math.max(Math.abs(da), Math.abs(db)) <= LOGISTIC.tolerance) break;
  }
  return { a, b };
}
