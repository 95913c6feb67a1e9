import type { Rng } from '@sona/core';
import type { Ewc } from '../src/index';
import type { TaskData } from './tasks';

/**
 * Logistic regression p(y = 1 | x) = σ(w·x + b). Weights live in one Float32Array
 * (w then b), the layout SONA's adapters use, so `Ewc` regularises them directly;
 * arithmetic is float64.
 */
export class LogisticModel {
  readonly dim: number;
  /** [w_0 .. w_{dim-1}, b] */
  readonly params: Float32Array;
  readonly #grad: Float32Array;

  constructor(dim: number) {
    this.dim = dim;
    this.params = new Float32Array(dim + 1);
    this.#grad = new Float32Array(dim + 1);
  }

  logit(inputs: Float32Array, row: number): number {
    const { dim, params } = this;
    let z = params[dim]!;
    const offset = row * dim;
    for (let j = 0; j < dim; j++) z += params[j]! * inputs[offset + j]!;
    return z;
  }

  /** Gradient of the log loss −[y ln p + (1 − y) ln(1 − p)] for one example, into `out`. */
  exampleGradient(data: TaskData, row: number, out: Float32Array): Float32Array {
    const p = 1 / (1 + Math.exp(-this.logit(data.inputs, row)));
    const residual = p - data.labels[row]!;
    const offset = row * this.dim;
    for (let j = 0; j < this.dim; j++) out[j] = residual * data.inputs[offset + j]!;
    out[this.dim] = residual;
    return out;
  }

  /** Mean log loss over a data set. */
  loss(data: TaskData): number {
    let total = 0;
    for (let row = 0; row < data.n; row++) {
      const z = this.logit(data.inputs, row);
      // ln(1 + e^{-z}) for y = 1, ln(1 + e^{z}) for y = 0, computed stably.
      const signed = data.labels[row] === 1 ? -z : z;
      total += signed > 0 ? signed + Math.log1p(Math.exp(-signed)) : Math.log1p(Math.exp(signed));
    }
    return total / data.n;
  }

  accuracy(data: TaskData): number {
    let correct = 0;
    for (let row = 0; row < data.n; row++) {
      const predicted = this.logit(data.inputs, row) > 0 ? 1 : 0;
      if (predicted === data.labels[row]) correct++;
    }
    return correct / data.n;
  }

  /**
   * One epoch of per-example SGD in a seeded random order. With `ewc`, its
   * penalty gradient λ·F·(θ − θ*) is added to every example's gradient; with
   * `fisher`, every example's loss gradient (before the EWC term) updates that
   * Ewc's online Fisher estimate.
   */
  sgdEpoch(data: TaskData, lr: number, rng: Rng, hooks: { ewc?: Ewc; fisher?: Ewc } = {}): void {
    const order = rng.shuffle(Uint32Array.from({ length: data.n }, (_, i) => i));
    const grad = this.#grad;
    const params = this.params;
    for (const row of order) {
      this.exampleGradient(data, row, grad);
      hooks.fisher?.updateFisher(grad);
      hooks.ewc?.addGradient(params, grad);
      for (let j = 0; j < params.length; j++) params[j] = params[j]! - lr * grad[j]!;
    }
  }
}
