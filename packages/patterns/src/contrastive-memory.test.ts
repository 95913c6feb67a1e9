import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError, sonaErrorCode } from '../../../tools/testing/sona-error';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { ContrastiveMemory, type ContrastiveMemoryState } from './contrastive-memory';
import { vectorArb } from './test-support';
import { writeUnit } from './unit-vector';

const TAU = 0.07;

/** The InfoNCE loss restated in float64 from the raw embeddings (no stored unit rows). */
function referenceLoss(
  query: ArrayLike<number>,
  positives: Float32Array[],
  negatives: Float32Array[],
  tau = TAU,
) {
  if (positives.length === 0 || negatives.length === 0) return 0;
  const cos = (m: Float32Array) => {
    let dot = 0;
    let qq = 0;
    let mm = 0;
    for (let i = 0; i < m.length; i++) {
      dot += query[i]! * m[i]!;
      qq += query[i]! ** 2;
      mm += m[i]! ** 2;
    }
    return dot / Math.sqrt(qq * mm);
  };
  const lse = (xs: number[]) => {
    const top = Math.max(...xs);
    return top + Math.log(xs.reduce((s, x) => s + Math.exp(x - top), 0));
  };
  const pos = positives.map((m) => cos(m) / tau);
  const neg = negatives.map((m) => cos(m) / tau);
  return lse([...pos, ...neg]) - lse(pos);
}

function centralDifferences(
  query: Float32Array,
  positives: Float32Array[],
  negatives: Float32Array[],
) {
  const h = 1e-6;
  const q = Float64Array.from(query);
  return Array.from(query, (_, i) => {
    const plus = Float64Array.from(q);
    const minus = Float64Array.from(q);
    plus[i]! += h;
    minus[i]! -= h;
    return (
      (referenceLoss(plus, positives, negatives) - referenceLoss(minus, positives, negatives)) /
      (2 * h)
    );
  });
}

const memoryArb = fc.integer({ min: 2, max: 8 }).chain((dim) =>
  fc.record({
    dim: fc.constant(dim),
    positives: fc.array(vectorArb(dim, 0.2), { minLength: 1, maxLength: 6 }),
    negatives: fc.array(vectorArb(dim, 0.2), { minLength: 1, maxLength: 6 }),
    query: vectorArb(dim, 0.2),
  }),
);

function build(
  { positives, negatives }: { positives: Float32Array[]; negatives: Float32Array[] },
  options = {},
) {
  const memory = new ContrastiveMemory(options);
  for (const p of positives) memory.add(p, true);
  for (const n of negatives) memory.add(n, false);
  return memory;
}

describe('ContrastiveMemory', () => {
  it('the InfoNCE gradient equals central finite differences of a float64 re-implementation', () => {
    fc.assert(
      fc.property(memoryArb, (m) => {
        const memory = build(m);
        const gradient = memory.gradient(m.query);
        const expected = centralDifferences(m.query, m.positives, m.negatives);
        const scaleOf = Math.max(1, ...expected.map(Math.abs));
        expected.forEach((g, i) => {
          expect(Math.abs(gradient[i]! - g)).toBeLessThanOrEqual(2e-4 * scaleOf);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('the loss equals the float64 re-implementation and is never negative', () => {
    fc.assert(
      fc.property(memoryArb, (m) => {
        const memory = build(m);
        const loss = memory.loss(m.query);
        const expected = referenceLoss(m.query, m.positives, m.negatives);
        expect(Math.abs(loss - expected)).toBeLessThanOrEqual(1e-4 * Math.max(1, expected));
        expect(loss).toBeGreaterThanOrEqual(0);
        const both = memory.lossAndGradient(m.query);
        expect(both.loss).toBe(loss);
        expect(both.gradient).toEqual(memory.gradient(m.query));
      }),
      { numRuns: 200 },
    );
  });

  it('with one positive it is the SPEC formula −log(e^{s+/τ} / (e^{s+/τ} + Σ e^{s−/τ}))', () => {
    const memory = new ContrastiveMemory();
    memory.add(Float32Array.of(1, 0), true);
    memory.add(Float32Array.of(0, 1), false);
    memory.add(Float32Array.of(-1, 0), false);
    const q = Float32Array.of(3, 4); // cosines 0.6, 0.8, -0.6
    const e = (s: number) => Math.exp(s / TAU);
    const expected = -Math.log(e(0.6) / (e(0.6) + e(0.8) + e(-0.6)));
    expect(memory.loss(q)).toBeCloseTo(expected, 5);
  });

  it('stays finite for extreme logits (τ = 1e-4): the log-sum-exp is stable', () => {
    const memory = new ContrastiveMemory({ tau: 1e-4 });
    memory.add(Float32Array.of(1, 0), true);
    memory.add(Float32Array.of(-1, 0), false);
    memory.add(Float32Array.of(0, 1), false);
    expect(memory.loss(Float32Array.of(-1, 0.01))).toBeCloseTo(2 / 1e-4, -1);
    expect(memory.loss(Float32Array.of(1, 0))).toBeCloseTo(0, 10);
    expect(memory.gradient(Float32Array.of(0.6, 0.8)).every(Number.isFinite)).toBe(true);
  });

  it('with no positive or no negative the loss is 0 and the gradient zero', () => {
    const memory = new ContrastiveMemory();
    const q = Float32Array.of(1, 2, 3);
    expect(memory.loss(q)).toBe(0);
    expect(memory.gradient(q)).toEqual(new Float32Array(3));
    memory.add(Float32Array.of(1, 0, 0), true);
    expect(memory.loss(q)).toBe(0);
    expect(memory.gradient(q)).toEqual(new Float32Array(3));
    const onlyNegative = new ContrastiveMemory();
    onlyNegative.add(Float32Array.of(1, 0, 0), false);
    expect(onlyNegative.loss(q)).toBe(0);
  });

  it('a zero query has cosine 0 with every memory: loss log(|P∪N|/|P|), zero gradient', () => {
    const memory = new ContrastiveMemory();
    memory.add(Float32Array.of(1, 0), true);
    memory.add(Float32Array.of(0, 1), false);
    memory.add(Float32Array.of(1, 1), false);
    expect(memory.loss(new Float32Array(2))).toBeCloseTo(Math.log(3), 12);
    expect(memory.gradient(new Float32Array(2))).toEqual(new Float32Array(2));
    expect(memory.add(new Float32Array(2), true)).toBe(false);
    expect(memory.positiveCount).toBe(1);
  });

  it('memory caps hold: each kind keeps its latest entries, the oldest overwritten first', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.tuple(vectorArb(3), fc.boolean()), { maxLength: 30 }),
        (maxPositive, maxNegative, adds) => {
          const memory = new ContrastiveMemory({ maxPositive, maxNegative });
          for (const [v, positive] of adds) memory.add(v, positive);
          const check = (positive: boolean, cap: number, rows: Float32Array, count: number) => {
            const kind = adds.filter(([, p]) => p === positive).map(([v]) => v);
            expect(count).toBe(Math.min(cap, kind.length));
            // The i-th entry of a kind lives in slot i mod cap; only the last `cap` remain.
            kind.slice(-cap).forEach((v, j) => {
              const i = kind.length - Math.min(cap, kind.length) + j;
              const unit = new Float32Array(3);
              writeUnit(v, unit);
              expect(rows.subarray((i % cap) * 3, (i % cap) * 3 + 3)).toEqual(unit);
            });
          };
          const state = memory.state();
          check(true, maxPositive, state.positive.rows, memory.positiveCount);
          check(false, maxNegative, state.negative.rows, memory.negativeCount);
        },
      ),
    );
  });

  it('bad input raises a SonaError and leaves the memory as it was', () => {
    const memory = new ContrastiveMemory();
    memory.add(Float32Array.of(1, 0), true);
    memory.add(Float32Array.of(0, 1), false);
    const before = memory.state();
    const q = Float32Array.of(1, 1);
    expectSonaError(() => memory.add(Float32Array.of(1, 0, 0), true), 'DIM_MISMATCH');
    expectSonaError(() => memory.add(Float32Array.of(Number.NaN, 0), true), 'NON_FINITE');
    expectSonaError(() => memory.add([1, 0] as never, true), 'INVALID_ARGUMENT');
    expectSonaError(() => memory.add(q, 'yes' as never), 'INVALID_ARGUMENT');
    expectSonaError(() => memory.loss(Float32Array.of(1)), 'DIM_MISMATCH');
    expectSonaError(() => memory.gradient(q, new Float32Array(3)), 'DIM_MISMATCH');
    expectSonaError(() => memory.gradient(q, q), 'INVALID_ARGUMENT');
    expect(memory.state()).toEqual(before);
    expectSonaError(() => new ContrastiveMemory({ tau: 0 }), 'OUT_OF_RANGE');
    expectSonaError(() => new ContrastiveMemory({ maxPositive: 0 }), 'OUT_OF_RANGE');
    const broken = (patch: object) =>
      sonaErrorCode(() =>
        ContrastiveMemory.fromState({ ...before, ...patch } as ContrastiveMemoryState),
      );
    expect(broken({ kind: 'x' })).toBe('INVALID_STATE');
    expect(broken({ positive: { ...before.positive, count: 2 } })).toBe('INVALID_STATE');
    expect(broken({ positive: { ...before.positive, rows: Float32Array.of(2, 0) } })).toBe(
      'INVALID_STATE',
    );
    expect(broken({ dim: 3 })).toBe('DIM_MISMATCH');
  });
});

describeStateLaws('ContrastiveMemory', {
  recipe: memoryArb,
  build: (m) => build(m, { maxPositive: 4, maxNegative: 3 }),
  state: (memory) => memory.state(),
  fromState: (state) => ContrastiveMemory.fromState(state),
  kind: 'contrastive-memory',
  continuation: {
    input: (m) =>
      fc.tuple(
        fc.array(fc.tuple(vectorArb(m.dim), fc.boolean()), { maxLength: 8 }),
        fc.constant(m.query),
      ),
    run: (memory, [later, query]) => {
      for (const [v, positive] of later) memory.add(v, positive);
      return [memory.loss(query), memory.gradient(query)];
    },
  },
  numRuns: 50,
});
