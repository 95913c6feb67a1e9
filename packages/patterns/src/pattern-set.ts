import {
  assertAllFinite,
  assertArray,
  assertFloat32Array,
  assertInRange,
  assertInteger,
  assertRecord,
  assertRng,
  type Rng,
  SonaError,
} from '@sona/core';
import { dotMany } from '@sona/simd';
import { kmeans } from './kmeans';
import { norm64, writeUnit } from './unit-vector';

export type Clustering = 'dp-means' | 'k-means';

export interface PatternSetOptions {
  /** Embedding dimension. */
  readonly dim: number;
  /**
   * `dp-means` (default): a task that no pattern matches (cosine below `simThreshold`) starts a
   * pattern of its own, so patterns stay at least that diverse and their number follows the
   * data (Kulis & Jordan 2012, with λ = 2(1 − simThreshold) in squared unit distance).
   * `k-means`: k = min(maxPatterns, ⌊n / minPerPattern⌋) spherical k-means++ clusters.
   */
  readonly clustering?: Clustering;
  /** Cosine at which a task matches a pattern (default 0.5, the SPEC's match threshold). */
  readonly simThreshold?: number;
  /** Most patterns (default 150). */
  readonly maxPatterns?: number;
  /** `k-means`: trajectories per cluster on average (default 5). */
  readonly minPerPattern?: number;
  /** Patterns that share a task's membership (default 5, the SPEC's ensemble top-5). */
  readonly topK?: number;
  /** τ of the membership gate (default 0.05). */
  readonly temperature?: number;
  /** Assignment passes of a batch `refit` (default 10). */
  readonly iterations?: number;
}

type Resolved = Required<Omit<PatternSetOptions, 'dim'>> & { readonly dim: number };

/** A task's soft membership: the top patterns and their gated weights (summing to < 1). */
export interface Membership {
  readonly ids: number[];
  readonly weights: number[];
  /** Cosine of the task with each pattern in `ids`. */
  readonly similarities: number[];
  /** ‖embedding‖, for the gradient. */
  readonly norm: number;
}

export interface PatternSetState {
  readonly kind: 'pattern-set';
  readonly options: Resolved;
  /** patterns × dim, unit rows. */
  readonly centroids: Float32Array;
  /** Sum of the unit embeddings absorbed into each pattern since its last refit, row-major. */
  readonly sums: number[][];
  readonly counts: number[];
}

const NONE: Membership = Object.freeze({ ids: [], weights: [], similarities: [], norm: 0 });

/**
 * Patterns of tasks: clusters of the (adapted) embeddings of every task recorded, successful or
 * not, so that a pattern is a region of task space whose outcomes can be learned.
 *
 * A task belongs to its `topK` most similar patterns through a gate with a null option,
 *   m_k = e_k / (1 + Σ_j e_j),   e_k = exp((cos(y, c_k) − simThreshold) / τ),
 * so a task well inside a pattern belongs to it almost fully, one at the threshold half, one
 * far from every pattern to none (its null share 1 − Σ m_k is "a region not seen yet"). Unlike
 * a hard top-k match, the weights and their gradient with respect to the embedding are smooth
 * and non-zero with a single pattern (`membershipGradient`).
 *
 * `absorb` is the online DP-means step (a task joins its nearest pattern if it matches, else
 * starts one); `refit` re-clusters a batch of embeddings from the current centroids.
 */
export class PatternSet {
  readonly options: Readonly<Resolved>;
  #centroids: Float32Array = new Float32Array(0);
  #sums: Float64Array[] = [];
  #counts: number[] = [];
  #unit: Float32Array;
  #similarities: Float32Array = new Float32Array(0);

  constructor(options: PatternSetOptions) {
    this.options = resolve(assertRecord(options, 'options') as unknown as PatternSetOptions);
    this.#unit = new Float32Array(this.options.dim);
  }

  get size(): number {
    return this.#counts.length;
  }

  /** A copy of the centroids, patterns × dim. */
  centroids(): Float32Array {
    return this.#centroids.slice();
  }

  counts(): number[] {
    return [...this.#counts];
  }

  /**
   * The online DP-means step for one task: it joins the most similar pattern when that matches
   * (the centroid moves to the normalised mean of its members), else it starts a new pattern if
   * there is room (`dp-means` only). Returns the pattern's id, or −1 when the task joined none
   * (a zero embedding, or no room, or `k-means`, which only changes in `refit`).
   */
  absorb(embedding: Float32Array): number {
    const unit = this.#unitOf(embedding);
    if (unit === null) return -1;
    const { dim, simThreshold, maxPatterns } = this.options;
    const k = this.size;
    let best = -1;
    if (k > 0) {
      const sims = this.#similaritiesOf(unit);
      best = 0;
      for (let p = 1; p < k; p++) if (sims[p]! > sims[best]!) best = p;
      if (!(sims[best]! >= simThreshold)) best = -1;
    }
    if (best < 0) {
      if (this.options.clustering !== 'dp-means' || k >= maxPatterns) return -1;
      const grown = new Float32Array((k + 1) * dim);
      grown.set(this.#centroids);
      grown.set(unit, k * dim);
      this.#centroids = grown;
      this.#sums.push(Float64Array.from(unit));
      this.#counts.push(1);
      return k;
    }
    const sum = this.#sums[best]!;
    for (let i = 0; i < dim; i++) sum[i] = sum[i]! + unit[i]!;
    this.#counts[best]! += 1;
    writeUnitFrom64(sum, this.#centroids, best * dim);
    return best;
  }

  /**
   * Re-clusters `n` embeddings (rows of `embeddings`, n × dim): `dp-means` runs assignment
   * passes from the current centroids (a row no centroid matches starts one, in row order),
   * dropping patterns left empty; `k-means` runs spherical k-means++ seeded from `rng`. Zero rows
   * are left out. Centroids become the normalised means of their members.
   */
  refit(embeddings: Float32Array, n: number, rng: Rng): void {
    assertRng(rng);
    const { dim } = this.options;
    assertInteger(n, 'n', 0);
    assertFloat32Array(embeddings, 'embeddings', n * dim);
    assertAllFinite(embeddings, 'embeddings');
    const units = new Float32Array(n * dim);
    let m = 0;
    const row = new Float32Array(dim);
    for (let r = 0; r < n; r++) {
      row.set(embeddings.subarray(r * dim, (r + 1) * dim));
      if (writeUnit(row, row) > 0) units.set(row, m++ * dim);
    }
    if (this.options.clustering === 'k-means') this.#kmeans(units, m, rng);
    else this.#dpMeans(units, m);
  }

  /**
   * The gated membership of a task (see the class comment); no patterns or a zero embedding
   * belong to none.
   */
  membership(embedding: Float32Array): Membership {
    const k = this.size;
    const unit = this.#unitOf(embedding);
    if (k === 0 || unit === null) return NONE;
    const sims = this.#similaritiesOf(unit);
    const { topK, simThreshold, temperature } = this.options;
    const take = Math.min(topK, k);
    const ids: number[] = [];
    for (let p = 0; p < k; p++) {
      // Insertion into the running top list: most similar first, lower id on ties.
      let at = ids.length;
      while (at > 0 && sims[p]! > sims[ids[at - 1]!]!) at--;
      if (at < take) {
        ids.splice(at, 0, p);
        if (ids.length > take) ids.pop();
      }
    }
    const similarities = ids.map((p) => Math.min(1, sims[p]!));
    const gates = similarities.map((s) => Math.exp((s - simThreshold) / temperature));
    const total = 1 + gates.reduce((a, b) => a + b, 0);
    return {
      ids,
      weights: gates.map((g) => g / total),
      similarities,
      norm: norm64(embedding),
    };
  }

  /**
   * Adds to `out` the gradient with respect to the embedding y of L(m), given
   * `coefficients[k]` = ∂L/∂m_k for the patterns of `membership`:
   *   ∂L/∂s_j = m_j (g_j − Σ_k m_k g_k) / τ,   ∂s_j/∂y = c_j/‖y‖ − s_j·y/‖y‖²  (c_j unit),
   * scaled by `scale`. Float64 throughout.
   */
  membershipGradient(
    embedding: Float32Array,
    membership: Membership,
    coefficients: readonly number[],
    scale: number,
    out: Float64Array,
  ): void {
    const { ids, weights, similarities, norm } = membership;
    if (ids.length === 0 || !(norm > 0)) return;
    const { dim, temperature } = this.options;
    let mean = 0;
    for (let k = 0; k < ids.length; k++) mean += weights[k]! * coefficients[k]!;
    for (let k = 0; k < ids.length; k++) {
      const dS = (scale * weights[k]! * (coefficients[k]! - mean)) / temperature;
      if (dS === 0) continue;
      const c = this.#centroids;
      const offset = ids[k]! * dim;
      const a = dS / norm;
      const b = (dS * similarities[k]!) / (norm * norm);
      for (let i = 0; i < dim; i++) out[i] = out[i]! + a * c[offset + i]! - b * embedding[i]!;
    }
  }

  state(): PatternSetState {
    return {
      kind: 'pattern-set',
      options: { ...this.options },
      centroids: this.#centroids.slice(),
      sums: this.#sums.map((s) => Array.from(s)),
      counts: [...this.#counts],
    };
  }

  /** Rebuilds a set from `state()`, checking every field (shapes, unit rows, counts). */
  static fromState(state: PatternSetState): PatternSet {
    const s = assertRecord(state, 'state');
    if (s.kind !== 'pattern-set') {
      throw new SonaError('INVALID_STATE', 'state.kind must be pattern-set', {
        path: 'state.kind',
      });
    }
    const set = new PatternSet(assertRecord(s.options, 'state.options') as unknown as Resolved);
    const { dim, maxPatterns } = set.options;
    const counts = assertArray(s.counts, 'state.counts').map((c, i) =>
      assertInteger(c, `state.counts[${i}]`, 1),
    );
    const k = counts.length;
    if (k > maxPatterns) {
      throw new SonaError('INVALID_STATE', `state holds ${k} patterns, more than ${maxPatterns}`, {
        path: 'state.counts',
      });
    }
    const centroids = assertFloat32Array(s.centroids, 'state.centroids', k * dim);
    assertAllFinite(centroids, 'state.centroids');
    for (let p = 0; p < k; p++) {
      if (!(Math.abs(norm64(centroids, p * dim, dim) - 1) < 1e-3)) {
        throw new SonaError('INVALID_STATE', `state.centroids row ${p} is not a unit vector`, {
          path: 'state.centroids',
        });
      }
    }
    const sums = assertArray(s.sums, 'state.sums');
    if (sums.length !== k) {
      throw new SonaError('INVALID_STATE', 'state.sums must hold one row per pattern', {
        path: 'state.sums',
      });
    }
    set.#sums = sums.map((row, p) => {
      const values = assertArray(row, `state.sums[${p}]`);
      if (
        values.length !== dim ||
        !values.every((v) => typeof v === 'number' && Number.isFinite(v))
      ) {
        throw new SonaError('INVALID_STATE', `state.sums[${p}] must hold ${dim} finite numbers`, {
          path: `state.sums[${p}]`,
        });
      }
      return Float64Array.from(values as number[]);
    });
    set.#centroids = centroids.slice();
    set.#counts = counts;
    return set;
  }

  #dpMeans(units: Float32Array, m: number): void {
    const { dim, simThreshold, maxPatterns, iterations } = this.options;
    let centroids: Float32Array = this.#centroids.slice();
    let k = this.size;
    const assignment = new Int32Array(m);
    const unit = new Float32Array(dim);
    for (let pass = 0; pass < iterations; pass++) {
      let changed = false;
      for (let r = 0; r < m; r++) {
        unit.set(units.subarray(r * dim, (r + 1) * dim));
        let best = -1;
        if (k > 0) {
          const sims = dotMany(unit, centroids.subarray(0, k * dim), dim);
          best = 0;
          for (let p = 1; p < k; p++) if (sims[p]! > sims[best]!) best = p;
          if (!(sims[best]! >= simThreshold) && k < maxPatterns) best = -1;
        }
        if (best < 0) {
          const grown = new Float32Array((k + 1) * dim);
          grown.set(centroids.subarray(0, k * dim));
          grown.set(unit, k * dim);
          centroids = grown;
          best = k++;
        }
        if (assignment[r] !== best || pass === 0) changed = true;
        assignment[r] = best;
      }
      // Update: normalised means; patterns left empty are dropped (ids renumbered in order).
      const { centroids: next, remap, counts, sums } = means(units, m, dim, assignment, k);
      for (let r = 0; r < m; r++) assignment[r] = remap[assignment[r]!]!;
      centroids = next;
      k = counts.length;
      this.#install(centroids, sums, counts);
      if (!changed) break;
    }
    if (m === 0) this.#install(new Float32Array(0), [], []);
  }

  #kmeans(units: Float32Array, m: number, rng: Rng): void {
    const { dim, maxPatterns, minPerPattern } = this.options;
    const k = Math.min(maxPatterns, Math.floor(m / minPerPattern));
    if (k === 0) {
      this.#install(new Float32Array(0), [], []);
      return;
    }
    const result = kmeans(units.subarray(0, m * dim), m, dim, k, { rng, metric: 'cosine' });
    const { centroids, counts, sums } = means(units, m, dim, result.assignments, k);
    this.#install(centroids, sums, counts);
  }

  #install(centroids: Float32Array, sums: Float64Array[], counts: number[]): void {
    this.#centroids = centroids;
    this.#sums = sums;
    this.#counts = counts;
  }

  #unitOf(embedding: Float32Array): Float32Array | null {
    assertFloat32Array(embedding, 'embedding', this.options.dim);
    assertAllFinite(embedding, 'embedding');
    return writeUnit(embedding, this.#unit) > 0 ? this.#unit : null;
  }

  #similaritiesOf(unit: Float32Array): Float32Array {
    if (this.#similarities.length !== this.size) this.#similarities = new Float32Array(this.size);
    return dotMany(unit, this.#centroids, this.options.dim, this.#similarities);
  }
}

/** Normalised member means of k clusters; empty clusters dropped, `remap` old id → new id. */
function means(
  units: Float32Array,
  m: number,
  dim: number,
  assignment: Int32Array,
  k: number,
): { centroids: Float32Array; remap: Int32Array; counts: number[]; sums: Float64Array[] } {
  const sums = Array.from({ length: k }, () => new Float64Array(dim));
  const counts = new Array<number>(k).fill(0);
  for (let r = 0; r < m; r++) {
    const c = assignment[r]!;
    counts[c]! += 1;
    const sum = sums[c]!;
    for (let i = 0; i < dim; i++) sum[i] = sum[i]! + units[r * dim + i]!;
  }
  const remap = new Int32Array(k).fill(-1);
  const kept: number[] = [];
  for (let c = 0; c < k; c++) {
    if (counts[c]! > 0 && norm2(sums[c]!) > 0) {
      remap[c] = kept.length;
      kept.push(c);
    }
  }
  const centroids = new Float32Array(kept.length * dim);
  kept.forEach((c, p) => {
    writeUnitFrom64(sums[c]!, centroids, p * dim);
  });
  return {
    centroids,
    remap,
    counts: kept.map((c) => counts[c]!),
    sums: kept.map((c) => sums[c]!),
  };
}

function norm2(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

function writeUnitFrom64(sum: Float64Array, out: Float32Array, offset: number): void {
  const length = norm2(sum);
  for (let i = 0; i < sum.length; i++) out[offset + i] = length > 0 ? sum[i]! / length : 0;
}

function resolve(options: PatternSetOptions): Resolved {
  const {
    dim,
    clustering = 'dp-means',
    simThreshold = 0.5,
    maxPatterns = 150,
    minPerPattern = 5,
    topK = 5,
    temperature = 0.05,
    iterations = 10,
  } = options;
  if (clustering !== 'dp-means' && clustering !== 'k-means') {
    throw new SonaError('INVALID_ARGUMENT', 'clustering must be dp-means or k-means', {
      path: 'clustering',
    });
  }
  return {
    dim: assertInteger(dim, 'dim', 1, 65_536),
    clustering,
    simThreshold: assertInRange(simThreshold, 'simThreshold', -1, 1),
    maxPatterns: assertInteger(maxPatterns, 'maxPatterns', 1, 1 << 16),
    minPerPattern: assertInteger(minPerPattern, 'minPerPattern', 1, 1 << 20),
    topK: assertInteger(topK, 'topK', 1, 1 << 16),
    temperature: assertInRange(temperature, 'temperature', 1e-6, 1e6),
    iterations: assertInteger(iterations, 'iterations', 1, 1000),
  };
}
