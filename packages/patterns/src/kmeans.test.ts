import { createRng, type Rng } from '@sona/core';
import { l2sqMany, norm } from '@sona/simd';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chiSquareTest } from '../../../tools/testing/chi-square';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { type KMeansMetric, kmeans } from './kmeans';
import { cosine64, matrixArb, row } from './test-support';
import { writeUnit } from './unit-vector';

const metricArb = fc.constantFrom<KMeansMetric>('l2sq', 'cosine');

/** Data with no zero row (cosine needs a direction), k from 1 to n. */
const problemArb = matrixArb({ min: 1, max: 40 }, { min: 1, max: 5 })
  .filter(({ data, n, dim }) => {
    for (let i = 0; i < n; i++) if (row(data, dim, i).every((v) => v === 0)) return false;
    return true;
  })
  .chain((p) =>
    fc.record({ k: fc.integer({ min: 1, max: p.n }), seed: fc.nat() }).map((x) => ({ ...p, ...x })),
  );

/**
 * Plain k-means++ and Lloyd, restated without any acceleration: every row is compared with
 * every centroid at every step. Same kernels, same tie and empty-cluster rules.
 */
function referenceKMeans(
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  rng: Rng,
  metric: KMeansMetric,
  maxIter: number,
  tol: number,
) {
  const points = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    if (metric === 'cosine') writeUnit(row(data, dim, i), row(points, dim, i));
    else points.set(row(data, dim, i), i * dim);
  }
  const centroids = new Float32Array(k * dim);
  const nearest = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const chosen = new Set<number>();
  for (let j = 0; j < k; j++) {
    let seed: number;
    if (j === 0) seed = rng.int(n);
    else {
      const total = nearest.reduce((a, b) => a + b, 0);
      seed = total > 0 ? rng.choice(nearest) : [...Array(n).keys()].find((i) => !chosen.has(i))!;
    }
    chosen.add(seed);
    centroids.set(row(points, dim, seed), j * dim);
    const d = l2sqMany(row(centroids, dim, j), points, dim);
    for (let i = 0; i < n; i++) nearest[i] = chosen.has(i) ? 0 : Math.min(nearest[i]!, d[i]!);
  }
  const assignments = new Int32Array(n);
  const cost = new Float64Array(n);
  const assign = () => {
    let changed = false;
    for (let i = 0; i < n; i++) {
      const d = l2sqMany(row(points, dim, i), centroids, dim);
      let best = 0;
      for (let c = 1; c < k; c++) if (d[c]! < d[best]!) best = c;
      if (assignments[i] !== best) changed = true;
      assignments[i] = best;
      cost[i] = d[best]!;
    }
    const counts = new Array<number>(k).fill(0);
    for (const a of assignments) counts[a]!++;
    for (let c = 0; c < k; c++) {
      if (counts[c] !== 0) continue;
      let donor = -1;
      for (let i = 0; i < n; i++) {
        if (counts[assignments[i]!]! > 1 && (donor < 0 || cost[i]! > cost[donor]!)) donor = i;
      }
      counts[assignments[donor]!]!--;
      counts[c] = 1;
      assignments[donor] = c;
      cost[donor] = 0;
      centroids.set(row(points, dim, donor), c * dim);
      changed = true;
    }
    return changed;
  };
  const inertia = () => cost.reduce((a, b) => a + b, 0) * (metric === 'cosine' ? 0.5 : 1);
  assign();
  let current = inertia();
  let iterations = 0;
  while (iterations < maxIter) {
    const sums = new Float64Array(k * dim);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      counts[assignments[i]!]!++;
      for (let d = 0; d < dim; d++) sums[assignments[i]! * dim + d]! += points[i * dim + d]!;
    }
    for (let c = 0; c < k; c++) {
      let divisor = counts[c]!;
      if (metric === 'cosine') {
        divisor = Math.sqrt(sums.subarray(c * dim, (c + 1) * dim).reduce((a, v) => a + v * v, 0));
      }
      if (divisor > 0)
        for (let d = 0; d < dim; d++) centroids[c * dim + d] = sums[c * dim + d]! / divisor;
    }
    const changed = assign();
    const previous = current;
    current = inertia();
    iterations++;
    if (!changed || previous - current <= tol * previous) break;
  }
  return { centroids, assignments, inertia: current, iterations };
}

describe('kmeans', () => {
  it('inertia never rises between Lloyd steps (up to float32 rounding of the centroids)', () => {
    fc.assert(
      fc.property(problemArb, metricArb, ({ data, n, dim, k, seed }, metric) => {
        const inertias: number[] = [];
        const result = kmeans(data, n, dim, k, {
          rng: createRng(seed),
          metric,
          tol: 0,
          onIteration: ({ iteration, inertia }) => {
            expect(iteration).toBe(inertias.length);
            inertias.push(inertia);
          },
        });
        expect(inertias.length).toBe(result.iterations + 1);
        expect(inertias.at(-1)).toBe(result.inertia);
        for (let t = 1; t < inertias.length; t++) {
          expect(inertias[t]!).toBeLessThanOrEqual(inertias[t - 1]! * (1 + 1e-5) + 1e-12);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('equals plain k-means++ and Lloyd: the bounds only skip comparisons whose outcome they prove', () => {
    fc.assert(
      fc.property(
        problemArb,
        metricArb,
        fc.constantFrom(0, 1e-4),
        ({ data, n, dim, k, seed }, metric, tol) => {
          const fast = kmeans(data, n, dim, k, { rng: createRng(seed), metric, tol });
          const plain = referenceKMeans(data, n, dim, k, createRng(seed), metric, 100, tol);
          expect(fast.assignments).toEqual(plain.assignments);
          expect(fast.centroids).toEqual(plain.centroids);
          expect(fast.inertia).toBe(plain.inertia);
          expect(fast.iterations).toBe(plain.iterations);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the same seed gives the same result, bit for bit', () => {
    fc.assert(
      fc.property(problemArb, metricArb, ({ data, n, dim, k, seed }, metric) => {
        const a = kmeans(data, n, dim, k, { rng: createRng(seed), metric });
        const b = kmeans(data, n, dim, k, { rng: createRng(seed), metric });
        expect(b).toEqual(a);
      }),
      { numRuns: 50 },
    );
  });

  it('every cluster has a member and every row sits in one of the k clusters', () => {
    fc.assert(
      fc.property(problemArb, metricArb, ({ data, n, dim, k, seed }, metric) => {
        const { assignments, centroids } = kmeans(data, n, dim, k, {
          rng: createRng(seed),
          metric,
        });
        expect(assignments.length).toBe(n);
        expect(centroids.length).toBe(k * dim);
        expect(new Set(assignments).size).toBe(k);
      }),
      { numRuns: 100 },
    );
  });

  it('cosine: centroids are unit vectors and inertia is Σ (1 − cos(row, centroid))', () => {
    fc.assert(
      fc.property(problemArb, ({ data, n, dim, k, seed }) => {
        const { assignments, centroids, inertia } = kmeans(data, n, dim, k, {
          rng: createRng(seed),
          metric: 'cosine',
        });
        let expected = 0;
        for (let i = 0; i < n; i++) {
          expected += 1 - cosine64(row(data, dim, i), row(centroids, dim, assignments[i]!));
        }
        for (let c = 0; c < k; c++) expect(norm(row(centroids, dim, c))).toBeCloseTo(1, 5);
        expect(Math.abs(inertia - expected)).toBeLessThanOrEqual(1e-5 * n);
      }),
      { numRuns: 100 },
    );
  });

  it('k-means++ draws the second seed with probability D²/ΣD² (chi-square, seeds 0..5999)', () => {
    const points = Float32Array.of(0, 0, 1, 0, 0, 2, 3, 3, -1, 1);
    const n = 5;
    const counts = new Array<number>(n * n).fill(0);
    const runs = 6000;
    for (let seed = 0; seed < runs; seed++) {
      const { centroids } = kmeans(points, n, 2, 2, { rng: createRng(seed), maxIter: 0 });
      const which = (c: number) =>
        [0, 1, 2, 3, 4].find(
          (i) => points[2 * i] === centroids[2 * c] && points[2 * i + 1] === centroids[2 * c + 1],
        )!;
      counts[which(0) * n + which(1)]!++;
    }
    const expected = new Array<number>(n * n).fill(0);
    for (let f = 0; f < n; f++) {
      const d2 = [0, 1, 2, 3, 4].map(
        (i) =>
          (points[2 * i]! - points[2 * f]!) ** 2 + (points[2 * i + 1]! - points[2 * f + 1]!) ** 2,
      );
      const total = d2.reduce((a, b) => a + b, 0);
      d2.forEach((d, s) => {
        expected[f * n + s] = d / total / n;
      });
    }
    expect(chiSquareTest(counts, expected).pValue).toBeGreaterThan(0.001);
  });

  it('finds well-separated clusters', () => {
    const rng = createRng(5);
    const centres = [
      [10, 0, 0],
      [0, 10, 0],
      [0, 0, 10],
    ];
    const n = 60;
    const data = new Float32Array(n * 3);
    for (let i = 0; i < n; i++)
      for (let d = 0; d < 3; d++) data[i * 3 + d] = centres[i % 3]![d]! + rng.normal(0, 0.3);
    for (const metric of ['l2sq', 'cosine'] as const) {
      const { assignments } = kmeans(data, n, 3, 3, { rng: createRng(1), metric });
      for (let i = 3; i < n; i++) expect(assignments[i]).toBe(assignments[i % 3]);
      expect(new Set(assignments.subarray(0, 3)).size).toBe(3);
    }
  });

  it('handles duplicate rows: k above the number of distinct rows still gives k non-empty clusters', () => {
    const data = Float32Array.of(1, 1, 1, 1, 1, 1, 2, 2, 2, 2);
    const result = kmeans(data, 5, 2, 4, { rng: createRng(3) });
    expect(new Set(result.assignments).size).toBe(4);
    expect(result.inertia).toBe(0);
  });

  it('bad input raises a SonaError with a code that names the problem', () => {
    const data = Float32Array.of(1, 2, 3, 4);
    const rng = createRng(1);
    expectSonaError(() => kmeans(data, 2, 2, 3, { rng }), 'OUT_OF_RANGE');
    expectSonaError(() => kmeans(data, 2, 2, 0, { rng }), 'OUT_OF_RANGE');
    expectSonaError(() => kmeans(data, 3, 2, 1, { rng }), 'DIM_MISMATCH');
    expectSonaError(() => kmeans(Float32Array.of(1, Number.NaN), 1, 2, 1, { rng }), 'NON_FINITE');
    expectSonaError(() => kmeans([1, 2] as never, 1, 2, 1, { rng }), 'INVALID_ARGUMENT');
    expectSonaError(() => kmeans(data, 2, 2, 1, {} as never), 'INVALID_ARGUMENT');
    expectSonaError(
      () => kmeans(data, 2, 2, 1, { rng, metric: 'dot' as never }),
      'INVALID_ARGUMENT',
    );
    expectSonaError(() => kmeans(data, 2, 2, 1, { rng, tol: -1 }), 'OUT_OF_RANGE');
    expectSonaError(() => kmeans(Float32Array.of(3e38, -3e38), 2, 1, 2, { rng }), 'OUT_OF_RANGE');
    expectSonaError(
      () => kmeans(Float32Array.of(0, 0, 1, 1), 2, 2, 1, { rng, metric: 'cosine' }),
      'INVALID_ARGUMENT',
    );
  });
});
