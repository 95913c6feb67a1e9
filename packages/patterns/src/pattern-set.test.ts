import { createRng, type Rng } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError, sonaErrorCode } from '../../../tools/testing/sona-error';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { type Membership, PatternSet, type PatternSetOptions } from './pattern-set';
import { norm64 } from './unit-vector';

const DIM = 8;

/** Tasks around `clusters` random directions with cosine ≈ 0.8 to their centre. */
function clustered(rng: Rng, n: number, clusters: number, dim = DIM): Float32Array {
  const centres = Array.from({ length: clusters }, () =>
    Float32Array.from({ length: dim }, () => rng.normal()),
  );
  const out = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    const c = centres[rng.int(clusters)]!;
    const length = norm64(c);
    for (let i = 0; i < dim; i++) out[r * dim + i] = c[i]! / length + rng.normal(0, 0.25);
  }
  return out;
}

const setupArb = fc.record({
  seed: fc.nat(),
  n: fc.integer({ min: 0, max: 60 }),
  clusters: fc.integer({ min: 1, max: 6 }),
  simThreshold: fc.double({ min: 0.2, max: 0.9, noNaN: true }),
  maxPatterns: fc.integer({ min: 1, max: 20 }),
  clustering: fc.constantFrom<'dp-means' | 'k-means'>('dp-means', 'k-means'),
});

function rowsOf(data: Float32Array, n: number): Float32Array[] {
  return Array.from({ length: n }, (_, r) => data.slice(r * DIM, (r + 1) * DIM));
}

function cos(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s / (norm64(a) * norm64(b));
}

describe('PatternSet.absorb (online DP-means)', () => {
  it('joins the most similar pattern when it matches, else starts one; never more than maxPatterns, centroids of unit length', () => {
    fc.assert(
      fc.property(setupArb, ({ seed, n, clusters, simThreshold, maxPatterns }) => {
        const rng = createRng(seed);
        const data = clustered(rng, n, clusters);
        const set = new PatternSet({ dim: DIM, simThreshold, maxPatterns });
        for (const row of rowsOf(data, n)) {
          const before = set.centroids();
          const k = set.size;
          const sims = Array.from({ length: k }, (_, p) =>
            cos(row, before.subarray(p * DIM, (p + 1) * DIM)),
          );
          const best = sims.length === 0 ? -1 : sims.indexOf(Math.max(...sims));
          const id = set.absorb(row);
          if (best >= 0 && sims[best]! >= simThreshold - 1e-6) {
            expect(id).toBe(best);
          } else if (k < maxPatterns && (best < 0 || sims[best]! < simThreshold - 1e-6)) {
            expect(id).toBe(k);
            expect(set.size).toBe(k + 1);
          }
          expect(set.size).toBeLessThanOrEqual(maxPatterns);
        }
        const centroids = set.centroids();
        for (let p = 0; p < set.size; p++) {
          expect(norm64(centroids, p * DIM, DIM)).toBeCloseTo(1, 5);
        }
        expect(set.counts().every((c) => c >= 1)).toBe(true);
      }),
    );
  });
});

describe('PatternSet.refit', () => {
  it('dp-means leaves no pattern empty, counts every non-zero row once, and is deterministic', () => {
    fc.assert(
      fc.property(setupArb, ({ seed, n, clusters, simThreshold, maxPatterns, clustering }) => {
        const options: PatternSetOptions = { dim: DIM, simThreshold, maxPatterns, clustering };
        const data = clustered(createRng(seed), n, clusters);
        const run = () => {
          const set = new PatternSet(options);
          set.refit(data, n, createRng(seed).fork('refit'));
          return set;
        };
        const a = run();
        expect(a.state()).toEqual(run().state());
        const total = a.counts().reduce((x, y) => x + y, 0);
        if (clustering === 'dp-means') {
          expect(total).toBe(n);
          expect(a.size).toBeLessThanOrEqual(Math.max(maxPatterns, 0));
        } else {
          expect(a.size).toBe(Math.min(maxPatterns, Math.floor(n / 5)));
          if (a.size > 0) expect(total).toBe(n);
        }
        expect(a.counts().every((c) => c >= 1)).toBe(true);
      }),
    );
  });

  it('dp-means finds well-separated clusters exactly', () => {
    const rng = createRng(5);
    // Four orthogonal directions, tasks at cosine ≥ 0.9 to their own.
    const n = 80;
    const data = new Float32Array(n * DIM);
    for (let r = 0; r < n; r++) {
      data[r * DIM + (r % 4)] = 1;
      for (let i = 0; i < DIM; i++) data[r * DIM + i] = data[r * DIM + i]! + rng.normal(0, 0.05);
    }
    const set = new PatternSet({ dim: DIM });
    set.refit(data, n, rng);
    expect(set.size).toBe(4);
    expect(set.counts()).toEqual([20, 20, 20, 20]);
  });
});

describe('PatternSet.membership', () => {
  it('is the gate m_k = e_k / (1 + Σ e_j) over the top-k patterns, most similar first', () => {
    fc.assert(
      fc.property(
        setupArb,
        fc.integer({ min: 1, max: 6 }),
        ({ seed, n, clusters, simThreshold }, topK) => {
          fc.pre(n > 0);
          const rng = createRng(seed);
          const data = clustered(rng, n, clusters);
          const set = new PatternSet({ dim: DIM, simThreshold, topK, temperature: 0.1 });
          set.refit(data, n, rng);
          const query = clustered(rng, 1, clusters);
          const m = set.membership(query);
          const centroids = set.centroids();
          const sims = Array.from({ length: set.size }, (_, p) =>
            cos(query, centroids.subarray(p * DIM, (p + 1) * DIM)),
          );
          expect(m.ids.length).toBe(Math.min(topK, set.size));
          for (let k = 1; k < m.ids.length; k++) {
            expect(m.similarities[k]!).toBeLessThanOrEqual(m.similarities[k - 1]! + 1e-6);
          }
          const ranked = [...sims].sort((a, b) => b - a);
          m.ids.forEach((id, k) => {
            expect(m.similarities[k]).toBeCloseTo(sims[id]!, 5);
            expect(m.similarities[k]).toBeCloseTo(ranked[k]!, 5);
          });
          const gates = m.similarities.map((s) => Math.exp((s - simThreshold) / 0.1));
          const total = 1 + gates.reduce((a, b) => a + b, 0);
          m.weights.forEach((w, k) => {
            expect(w).toBeCloseTo(gates[k]! / total, 12);
          });
          expect(m.weights.reduce((a, b) => a + b, 0)).toBeLessThan(1);
        },
      ),
    );
  });

  it('its gradient equals central finite differences of L = Σ g_k m_k(y)', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (seed, g) => {
          const rng = createRng(seed);
          const set = new PatternSet({ dim: DIM, topK: 3, temperature: 0.2 });
          set.refit(clustered(rng, 30, 3), 30, rng);
          fc.pre(set.size >= 1 && set.size <= 3);
          const y = clustered(rng, 1, 3);
          const loss = (v: Float32Array, m: Membership) =>
            m.ids.reduce((sum, _id, k) => sum + g[k]! * m.weights[k]!, 0) + 0 * v.length;
          const m = set.membership(y);
          const grad = new Float64Array(DIM);
          set.membershipGradient(y, m, g.slice(0, m.ids.length), 1, grad);
          const h = 1e-3;
          for (let i = 0; i < DIM; i++) {
            const plus = Float32Array.from(y);
            const minus = Float32Array.from(y);
            plus[i] = plus[i]! + h;
            minus[i] = minus[i]! - h;
            const numeric =
              (loss(plus, set.membership(plus)) - loss(minus, set.membership(minus))) / (2 * h);
            expect(grad[i]).toBeCloseTo(numeric, 2);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('a task far from every pattern belongs to none, even with a single pattern the gradient is non-zero near it', () => {
    const set = new PatternSet({ dim: 2, simThreshold: 0.5 });
    set.absorb(Float32Array.of(1, 0));
    const near = set.membership(Float32Array.of(1, 0.9));
    expect(near.weights[0]!).toBeGreaterThan(0.5);
    const grad = new Float64Array(2);
    set.membershipGradient(Float32Array.of(1, 0.9), near, [1], 1, grad);
    expect(Math.hypot(grad[0]!, grad[1]!)).toBeGreaterThan(0);
    const far = set.membership(Float32Array.of(-1, 0));
    expect(far.weights[0]!).toBeLessThan(1e-9);
  });
});

describe('PatternSet state and errors', () => {
  it('refuses bad input and corrupt state with a named code, changing nothing', () => {
    const set = new PatternSet({ dim: 2 });
    set.absorb(Float32Array.of(1, 0));
    const before = set.state();
    expectSonaError(() => set.absorb(Float32Array.of(1, 0, 0)), 'DIM_MISMATCH');
    expectSonaError(() => set.absorb(Float32Array.of(Number.NaN, 0)), 'NON_FINITE');
    expectSonaError(() => set.membership([1, 0] as never), 'INVALID_ARGUMENT');
    expectSonaError(() => set.refit(new Float32Array(3), 2, createRng(1)), 'DIM_MISMATCH');
    expect(set.state()).toEqual(before);
    expectSonaError(() => new PatternSet({ dim: 0 }), 'OUT_OF_RANGE');
    expectSonaError(() => new PatternSet({ dim: 2, clustering: 'x' as never }), 'INVALID_ARGUMENT');
    const bad = [
      { ...before, kind: 'other' },
      { ...before, counts: [0] },
      { ...before, centroids: Float32Array.of(3, 0) },
      { ...before, sums: [] },
      { ...before, sums: [[Number.NaN, 0]] },
    ];
    for (const state of bad) {
      expect(sonaErrorCode(() => PatternSet.fromState(state as never))).toMatch(
        /INVALID_STATE|OUT_OF_RANGE/,
      );
    }
  });
});

describeStateLaws('PatternSet', {
  recipe: setupArb,
  build: ({ seed, n, clusters, simThreshold, maxPatterns, clustering }) => {
    const data = clustered(createRng(seed), n, clusters);
    const set = new PatternSet({ dim: DIM, simThreshold, maxPatterns, clustering });
    for (const row of rowsOf(data, n)) set.absorb(row);
    return set;
  },
  state: (set) => set.state(),
  fromState: (state) => PatternSet.fromState(state),
  kind: 'pattern-set',
  continuation: {
    input: ({ seed, clusters }) => fc.constant(clustered(createRng(seed + 1), 10, clusters)),
    run: (set, data) => rowsOf(data, 10).map((row) => set.absorb(row)),
  },
});
