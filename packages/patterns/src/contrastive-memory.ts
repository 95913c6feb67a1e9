import {
  assertAllFinite,
  assertFloat32Array,
  assertInRange,
  assertInteger,
  assertRecord,
  type Embedding,
  SonaError,
} from '@sona/core';
import { axpy, dotMany, gemvT } from '@sona/simd';
import { norm64, writeUnit } from './unit-vector';

export interface ContrastiveMemoryOptions {
  /** Most positive memories kept (default 500). */
  readonly maxPositive?: number;
  /** Most negative memories kept (default 500). */
  readonly maxNegative?: number;
  /** Temperature τ in [1e-6, 1e6] (default 0.07). */
  readonly tau?: number;
}

export interface MemoryRingState {
  /** count × dim unit rows, in slot order. */
  readonly rows: Float32Array;
  readonly count: number;
  /** The slot the next memory is written to. */
  readonly nextSlot: number;
}

export interface ContrastiveMemoryState {
  readonly kind: 'contrastive-memory';
  readonly maxPositive: number;
  readonly maxNegative: number;
  readonly tau: number;
  /** Embedding dimension, null until the first memory. */
  readonly dim: number | null;
  readonly positive: MemoryRingState;
  readonly negative: MemoryRingState;
}

export interface LossAndGradient {
  readonly loss: number;
  readonly gradient: Float32Array;
}

/** A fixed number of unit rows; when full the oldest row is overwritten first. */
class MemoryRing {
  readonly capacity: number;
  rows = new Float32Array(0);
  count = 0;
  nextSlot = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** The held rows as one contiguous matrix (count × dim). */
  matrix(dim: number): Float32Array {
    return this.rows.subarray(0, this.count * dim);
  }

  push(unit: Float32Array, dim: number): void {
    if (this.rows.length === 0) this.rows = new Float32Array(this.capacity * dim);
    this.rows.set(unit, this.nextSlot * dim);
    this.nextSlot = (this.nextSlot + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  state(dim: number): MemoryRingState {
    return { rows: this.matrix(dim).slice(), count: this.count, nextSlot: this.nextSlot };
  }
}

/**
 * Memories of embeddings that led to success (positives) and failure (negatives), and the
 * InfoNCE loss of a query against them (van den Oord et al. 2018, with several positives):
 *
 *     s_j  = cos(q, m_j) = q̂·m̂_j               (both normalised in float64, then float32)
 *     loss = −log( Σ_{p∈P} e^{s_p/τ} / Σ_{j∈P∪N} e^{s_j/τ} )
 *          = LSE_{j∈P∪N}(s_j/τ) − LSE_{p∈P}(s_p/τ)
 *
 * With one positive this is the SPEC's `−log(e^{s+/τ} / (e^{s+/τ} + Σ e^{s−/τ}))`; with several,
 * the numerator sums over all positives (log-sum-exp), which is smooth everywhere, unlike the
 * most similar positive. Each log-sum-exp subtracts its own maximum first, so neither
 * overflows nor underflows to log 0 however small τ is.
 *
 * Gradient with respect to the query, through the cosine (∂s_j/∂q = (m̂_j − s_j·q̂) / ‖q‖):
 *
 *     c_j = (softmax_{P∪N}(s/τ)_j − [j∈P]·softmax_P(s/τ)_j) / τ
 *     ∂loss/∂q = ( Σ_j c_j m̂_j − (Σ_j c_j s_j) q̂ ) / ‖q‖
 *
 * Conventions: with no positive or no negative memory there is nothing to contrast and the loss
 * is 0 with a zero gradient. A zero query has cosine 0 with every memory (as in @sona/simd), so
 * its loss is log(|P ∪ N| / |P|), and its gradient, undefined there, is returned as zero. A zero
 * embedding passed to `add` has no direction and is not stored (`add` returns false).
 * When a memory is full, the oldest entry of that kind is overwritten first.
 */
export class ContrastiveMemory {
  readonly maxPositive: number;
  readonly maxNegative: number;
  readonly tau: number;
  #dim: number | null = null;
  readonly #positive: MemoryRing;
  readonly #negative: MemoryRing;

  constructor(options: ContrastiveMemoryOptions = {}) {
    const { maxPositive = 500, maxNegative = 500, tau = 0.07 } = options ?? {};
    this.maxPositive = assertInteger(maxPositive, 'maxPositive', 1, 1 << 20);
    this.maxNegative = assertInteger(maxNegative, 'maxNegative', 1, 1 << 20);
    this.tau = assertInRange(tau, 'tau', 1e-6, 1e6);
    this.#positive = new MemoryRing(this.maxPositive);
    this.#negative = new MemoryRing(this.maxNegative);
  }

  get dim(): number | null {
    return this.#dim;
  }

  get positiveCount(): number {
    return this.#positive.count;
  }

  get negativeCount(): number {
    return this.#negative.count;
  }

  /** Stores the direction of `embedding` as a positive or negative memory; false for a zero vector. */
  add(embedding: Embedding, positive: boolean): boolean {
    this.#checkQuery(embedding, 'embedding');
    if (typeof positive !== 'boolean') {
      throw new SonaError('INVALID_ARGUMENT', 'positive must be a boolean', { path: 'positive' });
    }
    const unit = new Float32Array(embedding.length);
    if (!(writeUnit(embedding, unit) > 0)) return false;
    const dim = embedding.length;
    this.#dim = dim;
    (positive ? this.#positive : this.#negative).push(unit, dim);
    return true;
  }

  loss(query: Embedding): number {
    this.#checkQuery(query, 'query');
    return this.#evaluate(query, undefined).loss;
  }

  /** ∂loss/∂query, written to `out` (length dim, not overlapping the query) when given. */
  gradient(query: Embedding, out?: Float32Array): Float32Array {
    this.#checkQuery(query, 'query');
    const target = this.#output(query, out);
    this.#evaluate(query, target);
    return target;
  }

  /** Both at once, sharing the similarity pass. */
  lossAndGradient(query: Embedding, out?: Float32Array): LossAndGradient {
    this.#checkQuery(query, 'query');
    const target = this.#output(query, out);
    const { loss } = this.#evaluate(query, target);
    return { loss, gradient: target };
  }

  state(): ContrastiveMemoryState {
    const dim = this.#dim ?? 0;
    return {
      kind: 'contrastive-memory',
      maxPositive: this.maxPositive,
      maxNegative: this.maxNegative,
      tau: this.tau,
      dim: this.#dim,
      positive: this.#positive.state(dim),
      negative: this.#negative.state(dim),
    };
  }

  static fromState(state: ContrastiveMemoryState): ContrastiveMemory {
    const s = assertRecord(state, 'state');
    if (s.kind !== 'contrastive-memory') {
      throw new SonaError('INVALID_STATE', 'state.kind must be contrastive-memory', {
        path: 'state.kind',
      });
    }
    const memory = new ContrastiveMemory({
      maxPositive: s.maxPositive as number,
      maxNegative: s.maxNegative as number,
      tau: s.tau as number,
    });
    const dim = s.dim === null ? null : assertInteger(s.dim, 'state.dim', 1);
    restoreRing(memory.#positive, s.positive, dim, 'state.positive');
    restoreRing(memory.#negative, s.negative, dim, 'state.negative');
    memory.#dim = dim;
    return memory;
  }

  #checkQuery(query: Embedding, name: string): void {
    assertFloat32Array(query, name, this.#dim ?? undefined);
    assertAllFinite(query, name);
    if (query.length === 0) {
      throw new SonaError('EMPTY_INPUT', `${name} is empty`, { path: name });
    }
  }

  #output(query: Embedding, out: Float32Array | undefined): Float32Array {
    if (out === undefined) return new Float32Array(query.length);
    assertFloat32Array(out, 'out', query.length);
    if (
      out.buffer === query.buffer &&
      out.byteOffset < query.byteOffset + query.byteLength &&
      query.byteOffset < out.byteOffset + out.byteLength
    ) {
      throw new SonaError('INVALID_ARGUMENT', 'out overlaps the query', { path: 'out' });
    }
    return out;
  }

  /** The loss; when `gradient` is given, also writes ∂loss/∂q into it. */
  #evaluate(query: Embedding, gradient: Float32Array | undefined): { loss: number } {
    gradient?.fill(0);
    const dim = this.#dim;
    const positives = this.#positive.count;
    const negatives = this.#negative.count;
    if (dim === null || positives === 0 || negatives === 0) return { loss: 0 };
    const unitQuery = new Float32Array(dim);
    const length = writeUnit(query, unitQuery);
    if (!(length > 0)) return { loss: Math.log((positives + negatives) / positives) };

    const positiveRows = this.#positive.matrix(dim);
    const negativeRows = this.#negative.matrix(dim);
    // Cosines s_j = q̂·m̂_j (both unit vectors) and logits s_j/τ, in float64.
    const positiveCosines = Float64Array.from(dotMany(unitQuery, positiveRows, dim));
    const negativeCosines = Float64Array.from(dotMany(unitQuery, negativeRows, dim));
    const invTau = 1 / this.tau;
    const positiveLogits = positiveCosines.map((c) => c * invTau);
    const negativeLogits = negativeCosines.map((c) => c * invTau);
    const lseAll = logSumExp(positiveLogits, negativeLogits);
    const lsePositive = logSumExp(positiveLogits);
    const loss = lseAll - lsePositive;
    if (gradient === undefined) return { loss };

    // c_j = (a_j − b_j)/τ with a = softmax over all, b = softmax over positives.
    const positiveWeights = new Float32Array(positives);
    const negativeWeights = new Float32Array(negatives);
    let projection = 0; // Σ_j c_j s_j
    for (let j = 0; j < positives; j++) {
      const z = positiveLogits[j]!;
      const c = (Math.exp(z - lseAll) - Math.exp(z - lsePositive)) * invTau;
      positiveWeights[j] = c;
      projection += c * positiveCosines[j]!;
    }
    for (let j = 0; j < negatives; j++) {
      const c = Math.exp(negativeLogits[j]! - lseAll) * invTau;
      negativeWeights[j] = c;
      projection += c * negativeCosines[j]!;
    }
    // gradient = (Σ c_j m̂_j − projection · q/‖q‖) / ‖q‖
    const direction = gemvT(positiveRows, positives, dim, positiveWeights);
    axpy(1, gemvT(negativeRows, negatives, dim, negativeWeights), direction);
    // (Σ c_j m̂_j − projection·q̂) / ‖q‖, combined in float64.
    for (let i = 0; i < dim; i++) {
      gradient[i] = (direction[i]! - projection * unitQuery[i]!) / length;
    }
    return { loss };
  }
}

/** log Σ e^x over one or two lists, shifted by their maximum so no term overflows or all underflow. */
function logSumExp(first: Float64Array, second: Float64Array = new Float64Array(0)): number {
  let top = Number.NEGATIVE_INFINITY;
  for (const list of [first, second]) {
    for (let i = 0; i < list.length; i++) if (list[i]! > top) top = list[i]!;
  }
  let sum = 0;
  for (const list of [first, second]) {
    for (let i = 0; i < list.length; i++) sum += Math.exp(list[i]! - top);
  }
  return top + Math.log(sum);
}

function restoreRing(ring: MemoryRing, value: unknown, dim: number | null, path: string): void {
  const s = assertRecord(value, path);
  const count = assertInteger(s.count, `${path}.count`, 0, ring.capacity);
  const nextSlot = assertInteger(s.nextSlot, `${path}.nextSlot`, 0, ring.capacity - 1);
  if (count < ring.capacity && nextSlot !== count) {
    throw new SonaError('INVALID_STATE', `${path}.nextSlot must equal the count until full`, {
      path: `${path}.nextSlot`,
    });
  }
  const rows = assertFloat32Array(s.rows, `${path}.rows`, count * (dim ?? 0));
  if (dim === null && count > 0) {
    throw new SonaError('INVALID_STATE', `${path} holds memories but state.dim is null`, { path });
  }
  assertAllFinite(rows, `${path}.rows`);
  for (let r = 0; r < count; r++) {
    const length = norm64(rows, r * dim!, dim!);
    if (!(Math.abs(length - 1) < 1e-3)) {
      throw new SonaError('INVALID_STATE', `${path}.rows[${r}] is not a unit vector`, {
        path: `${path}.rows`,
      });
    }
  }
  if (count > 0) {
    ring.rows = new Float32Array(ring.capacity * dim!);
    ring.rows.set(rows);
  }
  ring.count = count;
  ring.nextSlot = nextSlot;
}
