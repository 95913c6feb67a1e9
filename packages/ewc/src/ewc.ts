import {
  assertAllFinite,
  assertFinite,
  assertFloat32Array,
  assertInRange,
  assertInteger,
  firstNonFinite,
  SonaError,
} from '@sona/core';

/** Decay of the online Fisher average (SPEC: F ← 0.92·F + 0.08·g²). */
export const EWC_DECAY = 0.92;

/** Largest parameter count an Ewc accepts (2^28 values, 1 GiB per Float32Array). */
export const EWC_MAX_SIZE = 2 ** 28;

export interface EwcOptions {
  /** Number of parameters regularised (the length of every vector passed in). */
  readonly size: number;
  /** Penalty strength λ ≥ 0 (SPEC: v1 1000, v2 500, v3 400; see `ewcLambda`). */
  readonly lambda: number;
  /** Decay of the online Fisher average, in [0, 1); the update weight is 1 − decay. */
  readonly decay?: number;
}

/**
 * Everything an `Ewc` holds. Plain data: `Ewc.fromState(ewc.state())` continues
 * bit-identically. Before the first `consolidate`, `consolidated` is false and
 * `anchor` is all zeros (and unused).
 */
export interface EwcState {
  readonly kind: 'ewc';
  readonly size: number;
  readonly lambda: number;
  readonly decay: number;
  readonly fisher: Float32Array;
  readonly anchor: Float32Array;
  readonly consolidated: boolean;
}

/**
 * EWC++ (Chaudhry et al. 2018, "Riemannian Walk", the online variant of
 * Kirkpatrick et al. 2017): a running diagonal Fisher estimate F and an anchor θ*.
 *
 * - `updateFisher(g)`: F_i ← decay·F_i + (1 − decay)·g_i², evaluated in float64
 *   from the float32 values and rounded once to float32.
 * - `consolidate(θ)`: θ* ← θ.
 * - `penalty(θ)` = (λ/2)·Σ F_i (θ_i − θ*_i)², accumulated in float64.
 * - `addGradient(θ, grad)`: grad_i ← grad_i + λ·F_i·(θ_i − θ*_i), evaluated in
 *   float64 and rounded once to float32.
 *
 * Until the first `consolidate` there is no anchor: nothing has been learned that
 * needs protecting, so `penalty` is 0 and `addGradient` leaves `grad` as it is
 * (the Fisher estimate is still collected).
 *
 * Every method validates all of its input before it changes anything: a call that
 * throws leaves the object, and the caller's arrays, exactly as they were.
 */
export class Ewc {
  readonly size: number;
  readonly lambda: number;
  readonly decay: number;
  readonly #fisher: Float32Array;
  readonly #anchor: Float32Array;
  readonly #scratch: Float32Array;
  readonly #scratchGrad: Float32Array;
  #consolidated: boolean;

  constructor(options: EwcOptions) {
    if (options === null || typeof options !== 'object') {
      throw new SonaError('INVALID_ARGUMENT', 'Ewc options must be an object');
    }
    const size = assertInteger(options.size, 'size', 1, EWC_MAX_SIZE);
    const lambda = checkLambda(options.lambda);
    const decay = checkDecay(options.decay ?? EWC_DECAY);
    this.size = size;
    this.lambda = lambda;
    this.decay = decay;
    this.#fisher = new Float32Array(size);
    this.#anchor = new Float32Array(size);
    this.#scratch = new Float32Array(size);
    this.#scratchGrad = new Float32Array(size);
    this.#consolidated = false;
  }

  /** Whether `consolidate` has been called, i.e. whether there is an anchor to pull toward. */
  get consolidated(): boolean {
    return this.#consolidated;
  }

  /** A copy of the Fisher diagonal. */
  fisher(): Float32Array {
    return this.#fisher.slice();
  }

  /** A copy of the anchor θ*, or null before the first `consolidate`. */
  anchor(): Float32Array | null {
    return this.#consolidated ? this.#anchor.slice() : null;
  }

  /** F ← decay·F + (1 − decay)·g². Throws NON_FINITE if a value would overflow float32. */
  updateFisher(grad: Float32Array): void {
    assertFloat32Array(grad, 'grad', this.size);
    const fisher = this.#fisher;
    const next = this.#scratch;
    const decay = this.decay;
    const rate = 1 - decay;
    let finite = true; // as in addGradient: one pass computes and checks
    for (let i = 0; i < fisher.length; i++) {
      const g = grad[i]!;
      next[i] = decay * fisher[i]! + rate * (g * g);
      if (next[i]! - next[i]! !== 0) finite = false;
    }
    if (!finite) {
      assertAllFinite(grad, 'grad');
      const bad = firstNonFinite(next);
      throw new SonaError('NON_FINITE', `Fisher update overflows float32 at index ${bad}`, {
        path: `grad[${bad}]`,
      });
    }
    fisher.set(next);
  }

  /**
   * `updateFisher(grad)` then `addGradient(params, grad)`, bit for bit, in one pass over the
   * parameters (what a training step does with each data gradient). Validates everything
   * before changing anything.
   */
  updateFisherAndAddGradient(params: Float32Array, grad: Float32Array): void {
    assertFloat32Array(params, 'params', this.size);
    assertFloat32Array(grad, 'grad', this.size);
    const fisher = this.#fisher;
    const anchor = this.#anchor;
    const nextFisher = this.#scratch;
    const nextGrad = this.#scratchGrad;
    const { decay, lambda } = this;
    const rate = 1 - decay;
    const consolidated = this.#consolidated;
    if (!consolidated) assertAllFinite(params, 'params'); // the loop below does not read it
    let finite = true;
    for (let i = 0; i < fisher.length; i++) {
      const g = grad[i]!;
      const f = Math.fround(decay * fisher[i]! + rate * (g * g));
      nextFisher[i] = f;
      const v = consolidated ? Math.fround(g + lambda * f * (params[i]! - anchor[i]!)) : g;
      nextGrad[i] = v;
      if (f - f !== 0 || v - v !== 0) finite = false;
    }
    if (!finite) {
      assertAllFinite(params, 'params');
      assertAllFinite(grad, 'grad');
      const badFisher = firstNonFinite(nextFisher);
      const bad = badFisher >= 0 ? badFisher : firstNonFinite(nextGrad);
      throw new SonaError('NON_FINITE', `EWC update overflows float32 at index ${bad}`, {
        path: `grad[${bad}]`,
      });
    }
    fisher.set(nextFisher);
    grad.set(nextGrad);
  }

  /** θ* ← θ (a copy: later changes to `params` do not move the anchor). */
  consolidate(params: Float32Array): void {
    this.#checkVector(params, 'params');
    this.#anchor.set(params);
    this.#consolidated = true;
  }

  /** (λ/2)·Σ F_i (θ_i − θ*_i)², summed in float64; 0 before the first `consolidate`. */
  penalty(params: Float32Array): number {
    this.#checkVector(params, 'params');
    if (!this.#consolidated) return 0;
    const fisher = this.#fisher;
    const anchor = this.#anchor;
    let sum = 0;
    for (let i = 0; i < fisher.length; i++) {
      const d = params[i]! - anchor[i]!;
      sum += fisher[i]! * d * d;
    }
    return 0.5 * this.lambda * sum;
  }

  /**
   * grad += λ·F·(θ − θ*), the gradient of `penalty`, in place. Before the first
   * `consolidate` it validates and leaves `grad` unchanged.
   */
  addGradient(params: Float32Array, grad: Float32Array): void {
    assertFloat32Array(params, 'params', this.size);
    assertFloat32Array(grad, 'grad', this.size);
    if (!this.#consolidated) {
      assertAllFinite(params, 'params');
      assertAllFinite(grad, 'grad');
      return;
    }
    const fisher = this.#fisher;
    const anchor = this.#anchor;
    const next = this.#scratch;
    const lambda = this.lambda;
    // One pass computes and checks: a NaN or infinity in params or grad, or an overflow, makes
    // some next[i] non-finite; only then is the culprit looked for, and nothing is written.
    let finite = true;
    for (let i = 0; i < fisher.length; i++) {
      const v = grad[i]! + lambda * fisher[i]! * (params[i]! - anchor[i]!);
      next[i] = v;
      if (next[i]! - next[i]! !== 0) finite = false;
    }
    if (!finite) {
      assertAllFinite(params, 'params');
      assertAllFinite(grad, 'grad');
      const bad = firstNonFinite(next);
      throw new SonaError('NON_FINITE', `EWC gradient overflows float32 at index ${bad}`, {
        path: `grad[${bad}]`,
      });
    }
    grad.set(next);
  }

  /**
   * The same EWC++ state over a parameter vector grown to `size` (an adapter that gained a
   * head): new parameters get Fisher 0 (nothing known about them, so no penalty) and the
   * anchor `anchorTail` (their current values). This object is left as it was.
   */
  grown(size: number, anchorTail: Float32Array): Ewc {
    assertInteger(size, 'size', this.size, EWC_MAX_SIZE);
    assertFloat32Array(anchorTail, 'anchorTail', size - this.size);
    assertAllFinite(anchorTail, 'anchorTail');
    const next = new Ewc({ size, lambda: this.lambda, decay: this.decay });
    next.#fisher.set(this.#fisher);
    next.#anchor.set(this.#anchor);
    next.#anchor.set(anchorTail, this.size);
    next.#consolidated = this.#consolidated;
    return next;
  }

  state(): EwcState {
    return {
      kind: 'ewc',
      size: this.size,
      lambda: this.lambda,
      decay: this.decay,
      fisher: this.#fisher.slice(),
      anchor: this.#anchor.slice(),
      consolidated: this.#consolidated,
    };
  }

  /**
   * Rebuilds an `Ewc` from `state()`. A state without `kind` (written before the tag existed)
   * is read as one; any other tag is refused.
   */
  static fromState(state: EwcState | Omit<EwcState, 'kind'>): Ewc {
    if (state === null || typeof state !== 'object') {
      throw new SonaError('INVALID_ARGUMENT', 'EwcState must be an object');
    }
    const kind = (state as { kind?: unknown }).kind;
    if (kind !== undefined && kind !== 'ewc') {
      throw new SonaError('INVALID_ARGUMENT', `kind is ${String(kind)}, expected ewc`, {
        path: 'kind',
      });
    }
    const ewc = new Ewc({ size: state.size, lambda: state.lambda, decay: state.decay });
    const fisher = assertFloat32Array(state.fisher, 'fisher', ewc.size);
    assertAllFinite(fisher, 'fisher');
    for (let i = 0; i < fisher.length; i++) {
      if (fisher[i]! < 0) {
        throw new SonaError('OUT_OF_RANGE', `fisher[${i}] is ${fisher[i]}, must be >= 0`, {
          path: `fisher[${i}]`,
        });
      }
    }
    const anchor = assertFloat32Array(state.anchor, 'anchor', ewc.size);
    assertAllFinite(anchor, 'anchor');
    if (typeof state.consolidated !== 'boolean') {
      throw new SonaError('INVALID_ARGUMENT', 'consolidated must be a boolean', {
        path: 'consolidated',
      });
    }
    ewc.#fisher.set(fisher);
    ewc.#anchor.set(anchor);
    ewc.#consolidated = state.consolidated;
    return ewc;
  }

  #checkVector(values: Float32Array, name: string): void {
    assertFloat32Array(values, name, this.size);
    assertAllFinite(values, name);
  }
}

function checkLambda(value: unknown): number {
  const lambda = assertFinite(value, 'lambda');
  if (lambda < 0) {
    throw new SonaError('OUT_OF_RANGE', `lambda is ${lambda}, must be >= 0`, { path: 'lambda' });
  }
  return lambda;
}

function checkDecay(value: unknown): number {
  const decay = assertInRange(value, 'decay', 0, 1);
  if (decay === 1) {
    throw new SonaError('OUT_OF_RANGE', 'decay must be below 1 (1 would never update F)', {
      path: 'decay',
    });
  }
  return decay;
}
