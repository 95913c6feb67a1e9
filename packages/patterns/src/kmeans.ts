import {
  assertAllFinite,
  assertFinite,
  assertFloat32Array,
  assertInteger,
  assertRng,
  type Rng,
  SonaError,
} from '@sona/core';
import { l2sq, l2sqMany } from '@sona/simd';
import { writeUnit } from './unit-vector';

/**
 * `l2sq`: squared Euclidean distance, centroids are means (Lloyd's k-means).
 * `cosine`: spherical k-means: rows are normalised to unit length, centroids are normalised
 * means, and the distance is ‖x̂ − ĉ‖² = 2 − 2·cos(x, c).
 */
export type KMeansMetric = 'l2sq' | 'cosine';

export interface KMeansStep {
  /** 0 for the assignment to the seeds, then 1, 2, ... after each Lloyd step. */
  readonly iteration: number;
  readonly inertia: number;
}

export interface KMeansOptions {
  /** The only source of randomness (k-means++ seeding). */
  readonly rng: Rng;
  /** Most Lloyd steps after seeding (default 100). */
  readonly maxIter?: number;
  /** Stop when a step lowers the inertia by at most `tol` × its previous value (default 1e-4). */
  readonly tol?: number;
  readonly metric?: KMeansMetric;
  /** Called after the seeding assignment and after every Lloyd step. */
  readonly onIteration?: (step: KMeansStep) => void;
}

export interface KMeansResult {
  /** k × dim, row-major; unit rows under `cosine`. */
  readonly centroids: Float32Array;
  /** Cluster of each row, every cluster non-empty. */
  readonly assignments: Int32Array;
  /** Σ of each row's distance to its centroid: `l2sq` sums ‖x − c‖², `cosine` sums 1 − cos. */
  readonly inertia: number;
  /** Lloyd steps performed. */
  readonly iterations: number;
}

/**
 * A relative slack on the triangle-inequality bounds, far above the float32 rounding of the
 * distances (≤ 1e-6 relative for the kernels' 16-lane sums), so a row is only skipped when
 * its centroid is certainly the nearest.
 */
const BOUND_SLACK = 1e-5;

/**
 * k-means with k-means++ seeding (Arthur & Vassilvitskii 2007: each new seed is a row drawn
 * with probability proportional to D², its squared distance to the nearest seed so far), then
 * Lloyd steps. Lloyd's assignment step is accelerated with Hamerly's bounds (Hamerly 2010):
 * a row whose exact distance to its centroid is below half the distance from that centroid to
 * any other, and below a lower bound on its distance to every other centroid, keeps its
 * centroid without the k-distance scan. The result is Lloyd's: the bounds only skip work whose
 * outcome they prove.
 *
 * Deterministic rules: distances tie to the lower centroid index; an empty cluster (in index
 * order) takes the row farthest from its centroid among rows whose cluster has another member
 * (lowest row index on ties), and its centroid becomes that row. Every step lowers the inertia
 * or leaves it (up to float32 rounding of the centroids). Stops after `maxIter` steps, when no
 * assignment changes, or when a step gains at most `tol` of the inertia.
 */
export function kmeans(
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  options: KMeansOptions,
): KMeansResult {
  assertFloat32Array(data, 'data');
  assertInteger(n, 'n', 1);
  assertInteger(dim, 'dim', 1);
  if (data.length !== n * dim) {
    throw new SonaError(
      'DIM_MISMATCH',
      `data has ${data.length} values, expected n × dim = ${n * dim}`,
      {
        path: 'data',
        details: { expected: n * dim, actual: data.length },
      },
    );
  }
  assertAllFinite(data, 'data');
  assertInteger(k, 'k', 1, n);
  if (options === null || typeof options !== 'object') {
    throw new SonaError('INVALID_ARGUMENT', 'kmeans needs options with an rng', {
      path: 'options',
    });
  }
  const rng = assertRng(options.rng, 'options.rng');
  const maxIter = assertInteger(options.maxIter ?? 100, 'options.maxIter', 0);
  const tol = assertFinite(options.tol ?? 1e-4, 'options.tol');
  if (tol < 0)
    throw new SonaError('OUT_OF_RANGE', 'options.tol must be >= 0', { path: 'options.tol' });
  const metric = options.metric ?? 'l2sq';
  if (metric !== 'l2sq' && metric !== 'cosine') {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `options.metric must be l2sq or cosine, got ${String(metric)}`,
      {
        path: 'options.metric',
      },
    );
  }
  const onIteration = options.onIteration;
  if (onIteration !== undefined && typeof onIteration !== 'function') {
    throw new SonaError('INVALID_ARGUMENT', 'options.onIteration must be a function', {
      path: 'options.onIteration',
    });
  }

  const spherical = metric === 'cosine';
  const points = spherical ? unitRows(data, n, dim) : data;
  const rows = Array.from({ length: n }, (_, i) => points.subarray(i * dim, (i + 1) * dim));
  const centroids = seedPlusPlus(points, rows, n, dim, k, rng);
  const lloyd = new Lloyd(rows, dim, k, centroids, spherical);
  // Under `cosine`, ‖x̂ − ĉ‖² = 2 − 2·cos, so half of it is 1 − cos.
  const inertiaScale = spherical ? 0.5 : 1;

  lloyd.assignAll();
  let inertia = lloyd.inertia() * inertiaScale;
  if (!Number.isFinite(inertia)) {
    throw new SonaError('OUT_OF_RANGE', 'squared distances overflow: scale the data down', {
      path: 'data',
    });
  }
  onIteration?.({ iteration: 0, inertia });
  let iterations = 0;
  while (iterations < maxIter) {
    lloyd.updateCentroids();
    const changed = lloyd.reassign();
    const previous = inertia;
    inertia = lloyd.inertia() * inertiaScale;
    iterations++;
    onIteration?.({ iteration: iterations, inertia });
    if (!changed || previous - inertia <= tol * previous) break;
  }
  return { centroids, assignments: lloyd.assignments, inertia, iterations };
}

/** Rows scaled to unit length (in float64); a zero row has no direction and is refused. */
function unitRows(data: Float32Array, n: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const length = writeUnit(
      data.subarray(i * dim, (i + 1) * dim),
      out.subarray(i * dim, (i + 1) * dim),
    );
    if (!(length > 0)) {
      throw new SonaError('INVALID_ARGUMENT', `row ${i} is zero: it has no cosine with anything`, {
        path: `data[${i}]`,
      });
    }
  }
  return out;
}

/** k-means++ D² seeding: k distinct rows while any row is away from every seed. */
function seedPlusPlus(
  points: Float32Array,
  rows: Float32Array[],
  n: number,
  dim: number,
  k: number,
  rng: Rng,
): Float32Array {
  const centroids = new Float32Array(k * dim);
  const chosen = new Uint8Array(n);
  const nearest = new Float64Array(n);
  const distances = new Float32Array(n);
  let seed = rng.int(n);
  for (let j = 0; j < k; j++) {
    if (j > 0) {
      let total = 0;
      for (let i = 0; i < n; i++) total += nearest[i]!;
      if (!Number.isFinite(total)) {
        throw new SonaError('OUT_OF_RANGE', 'squared distances overflow: scale the data down', {
          path: 'data',
        });
      }
      if (total > 0) {
        seed = rng.choice(nearest);
      } else {
        // Every row sits on a seed already (duplicates): take the first row not yet chosen.
        seed = chosen.indexOf(0);
      }
    }
    chosen[seed] = 1;
    const center = centroids.subarray(j * dim, (j + 1) * dim);
    center.set(rows[seed]!);
    if (j === k - 1) break;
    l2sqMany(center, points, dim, distances);
    for (let i = 0; i < n; i++) {
      const d = chosen[i] ? 0 : distances[i]!;
      if (j === 0 || d < nearest[i]!) nearest[i] = d;
    }
  }
  return centroids;
}

/** Lloyd iterations with Hamerly's bounds (distances, not squared, in float64). */
class Lloyd {
  readonly assignments: Int32Array;
  /** Exact squared distance of each row to its centroid (float32 kernel result). */
  readonly #cost: Float64Array;
  /** Lower bound on each row's distance to every centroid but its own. */
  readonly #lower: Float64Array;
  /** Centroids as they were when the bounds were last exact. */
  readonly #anchor: Float32Array;
  readonly #scratch: Float32Array;
  readonly #rows: Float32Array[];
  readonly #dim: number;
  readonly #k: number;
  readonly #centroids: Float32Array;
  readonly #spherical: boolean;
  #centroidRows: Float32Array[];

  constructor(
    rows: Float32Array[],
    dim: number,
    k: number,
    centroids: Float32Array,
    spherical: boolean,
  ) {
    const n = rows.length;
    this.#rows = rows;
    this.#dim = dim;
    this.#k = k;
    this.#centroids = centroids;
    this.#spherical = spherical;
    this.assignments = new Int32Array(n);
    this.#cost = new Float64Array(n);
    this.#lower = new Float64Array(n);
    this.#anchor = new Float32Array(k * dim);
    this.#scratch = new Float32Array(k);
    this.#centroidRows = Array.from({ length: k }, (_, j) =>
      centroids.subarray(j * dim, (j + 1) * dim),
    );
  }

  inertia(): number {
    let sum = 0;
    for (let i = 0; i < this.#cost.length; i++) sum += this.#cost[i]!;
    return sum;
  }

  /** Nearest centroid of every row by a full scan, then the empty-cluster rule. */
  assignAll(): void {
    for (let i = 0; i < this.#rows.length; i++) this.#scan(i);
    this.#anchor.set(this.#centroids);
    this.#fillEmptyClusters();
  }

  /** Centroid of each cluster: its mean (normalised under `cosine`, kept if the sum is 0). */
  updateCentroids(): void {
    const dim = this.#dim;
    const k = this.#k;
    const sums = new Float64Array(k * dim);
    const counts = new Float64Array(k);
    for (let i = 0; i < this.#rows.length; i++) {
      const row = this.#rows[i]!;
      const c = this.assignments[i]!;
      const offset = c * dim;
      counts[c]!++;
      for (let d = 0; d < dim; d++) sums[offset + d]! += row[d]!;
    }
    const centroids = this.#centroids;
    for (let c = 0; c < k; c++) {
      const offset = c * dim;
      let divisor = counts[c]!;
      if (this.#spherical) {
        let squares = 0;
        for (let d = 0; d < dim; d++) squares += sums[offset + d]! ** 2;
        divisor = Math.sqrt(squares);
      }
      if (!(divisor > 0)) continue;
      for (let d = 0; d < dim; d++) centroids[offset + d] = sums[offset + d]! / divisor;
    }
  }

  /** Lloyd's assignment step with Hamerly's bounds; returns whether any row moved. */
  reassign(): boolean {
    const k = this.#k;
    const centroidRows = this.#centroidRows;
    const anchor = this.#anchor;
    const dim = this.#dim;
    // How far each centroid moved since the bounds were exact, and the two largest moves.
    let largest = 0;
    let largestAt = -1;
    let second = 0;
    for (let c = 0; c < k; c++) {
      const move = Math.sqrt(l2sq(anchor.subarray(c * dim, (c + 1) * dim), centroidRows[c]!));
      if (move > largest) {
        second = largest;
        largest = move;
        largestAt = c;
      } else if (move > second) {
        second = move;
      }
    }
    // Half the distance from each centroid to its nearest other centroid.
    const halfGap = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
    const between = new Float32Array(k);
    for (let c = 0; c < k && k > 1; c++) {
      l2sqMany(centroidRows[c]!, this.#centroids, dim, between);
      let nearest = Number.POSITIVE_INFINITY;
      for (let o = 0; o < k; o++) if (o !== c && between[o]! < nearest) nearest = between[o]!;
      halfGap[c] = 0.5 * Math.sqrt(nearest);
    }

    let changed = false;
    const assignments = this.assignments;
    for (let i = 0; i < this.#rows.length; i++) {
      const own = assignments[i]!;
      const lower = this.#lower[i]! - (own === largestAt ? second : largest) * (1 + BOUND_SLACK);
      const squared = l2sq(this.#rows[i]!, centroidRows[own]!);
      const upper = Math.sqrt(squared);
      const bound = Math.max(halfGap[own]!, lower);
      if (upper * (1 + BOUND_SLACK) < bound * (1 - BOUND_SLACK)) {
        this.#cost[i] = squared;
        this.#lower[i] = lower;
      } else {
        this.#scan(i);
        if (assignments[i] !== own) changed = true;
      }
    }
    this.#anchor.set(this.#centroids);
    if (this.#fillEmptyClusters()) changed = true;
    return changed;
  }

  /** Distances from row i to every centroid in one batched call; nearest wins, lower index on ties. */
  #scan(i: number): void {
    const distances = l2sqMany(this.#rows[i]!, this.#centroids, this.#dim, this.#scratch);
    let best = 0;
    let bestDistance = distances[0]!;
    let secondDistance = Number.POSITIVE_INFINITY;
    for (let c = 1; c < distances.length; c++) {
      const d = distances[c]!;
      if (d < bestDistance) {
        secondDistance = bestDistance;
        bestDistance = d;
        best = c;
      } else if (d < secondDistance) {
        secondDistance = d;
      }
    }
    this.assignments[i] = best;
    this.#cost[i] = bestDistance;
    this.#lower[i] = Math.sqrt(secondDistance);
  }

  /**
   * Each empty cluster, in index order, takes the row farthest from its centroid among rows
   * whose cluster has another member (lowest index on ties); the centroid moves onto that row.
   * The row's cost drops to 0, so the inertia can only fall. Returns whether any cluster was empty.
   */
  #fillEmptyClusters(): boolean {
    const k = this.#k;
    const counts = new Int32Array(k);
    const assignments = this.assignments;
    for (let i = 0; i < assignments.length; i++) counts[assignments[i]!]!++;
    let filled = false;
    for (let c = 0; c < k; c++) {
      if (counts[c] !== 0) continue;
      let donor = -1;
      let farthest = -1;
      for (let i = 0; i < assignments.length; i++) {
        if (counts[assignments[i]!]! > 1 && this.#cost[i]! > farthest) {
          farthest = this.#cost[i]!;
          donor = i;
        }
      }
      counts[assignments[donor]!]!--;
      counts[c] = 1;
      assignments[donor] = c;
      this.#cost[donor] = 0;
      this.#lower[donor] = 0; // its old centroid is now an "other" one: no bound known
      this.#centroidRows[c]!.set(this.#rows[donor]!);
      filled = true;
    }
    return filled;
  }
}
