import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chiSquareTest } from '../../../tools/testing/chi-square';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { isSonaError } from './errors';
import { createRng, Rng } from './rng';

const seedArb = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const labelArb = fc.string({ maxLength: 12 });
const drawCountArb = fc.nat({ max: 50 });

function drawUniforms(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.uniform());
}

describe('Rng streams', () => {
  it('same seed gives the same stream', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        expect(drawUniforms(createRng(seed), 20)).toEqual(drawUniforms(createRng(seed), 20));
      }),
    );
  });

  it('different seeds give different streams', () => {
    fc.assert(
      fc.property(seedArb, seedArb, (a, b) => {
        fc.pre(a !== b);
        expect(drawUniforms(createRng(a), 4)).not.toEqual(drawUniforms(createRng(b), 4));
      }),
    );
  });

  it('a fork does not depend on what the parent drew before it', () => {
    fc.assert(
      fc.property(seedArb, labelArb, drawCountArb, (seed, label, drawsBefore) => {
        const untouched = createRng(seed).fork(label);
        const parent = createRng(seed);
        drawUniforms(parent, drawsBefore);
        expect(drawUniforms(parent.fork(label), 10)).toEqual(drawUniforms(untouched, 10));
      }),
    );
  });

  it('forks with different labels are different streams', () => {
    fc.assert(
      fc.property(seedArb, labelArb, labelArb, (seed, a, b) => {
        fc.pre(a !== b);
        const rng = createRng(seed);
        expect(drawUniforms(rng.fork(a), 4)).not.toEqual(drawUniforms(rng.fork(b), 4));
      }),
    );
  });

  it('forking leaves the parent stream where it was', () => {
    fc.assert(
      fc.property(seedArb, labelArb, (seed, label) => {
        const a = createRng(seed);
        const b = createRng(seed);
        a.fork(label).uniform();
        expect(drawUniforms(a, 5)).toEqual(drawUniforms(b, 5));
      }),
    );
  });

  it('fork paths compose: order of labels matters, each step is reproducible', () => {
    const rng = createRng(7);
    expect(rng.fork('a').fork('b').uniform()).toBe(createRng(7).fork('a').fork('b').uniform());
    expect(rng.fork('a').fork('b').uniform()).not.toBe(rng.fork('b').fork('a').uniform());
    expect(rng.fork('ab').uniform()).not.toBe(rng.fork('a').fork('b').uniform());
  });

  it('is pinned: seed 42 gives the same first draws on every machine', () => {
    const rng = createRng(42);
    const first = [rng.uint32(), rng.uint32(), rng.uint32()];
    expect(first).toEqual([1519412366, 846026965, 2703863616]);
    expect(createRng(42).fork('bench').uint32()).toBe(createRng(42).fork('bench').uint32());
  });
});

describe('Rng draws', () => {
  it('uniform lies in [0, 1)', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        for (const u of drawUniforms(createRng(seed), 100)) {
          expect(u).toBeGreaterThanOrEqual(0);
          expect(u).toBeLessThan(1);
        }
      }),
    );
  });

  it('int(n) lies in [0, n) and is an integer', () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 2 ** 32 }), (seed, n) => {
        const rng = createRng(seed);
        for (let i = 0; i < 20; i++) {
          const v = rng.int(n);
          expect(Number.isInteger(v) && v >= 0 && v < n).toBe(true);
        }
      }),
    );
  });

  it('int(n) frequencies are uniform (chi-square, fixed seed)', () => {
    const rng = createRng(2024);
    const n = 7;
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < 70_000; i++) counts[rng.int(n)]!++;
    const { pValue } = chiSquareTest(counts, new Array(n).fill(1 / n));
    expect(pValue).toBeGreaterThan(0.001);
  });

  it('choice frequencies match their weights (chi-square, fixed seed)', () => {
    const weights = [0.5, 3, 0, 1.25, 2, 0.25];
    const total = weights.reduce((a, b) => a + b, 0);
    const rng = createRng(99);
    const counts = new Array<number>(weights.length).fill(0);
    for (let i = 0; i < 100_000; i++) counts[rng.choice(weights)]!++;
    expect(counts[2]).toBe(0);
    const { pValue } = chiSquareTest(
      counts,
      weights.map((w) => w / total),
    );
    expect(pValue).toBeGreaterThan(0.001);
  });

  it('choice never picks a zero weight', () => {
    fc.assert(
      fc.property(
        seedArb,
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1e6, noNaN: true })), {
          minLength: 1,
          maxLength: 20,
        }),
        (seed, weights) => {
          fc.pre(weights.some((w) => w > 0));
          const rng = createRng(seed);
          for (let i = 0; i < 20; i++) expect(weights[rng.choice(weights)]).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('a chi-square test on a wrong distribution fails (the check can fail)', () => {
    const rng = createRng(99);
    const counts = [0, 0];
    for (let i = 0; i < 10_000; i++) counts[rng.choice([1, 3])]!++;
    expect(chiSquareTest(counts, [0.5, 0.5]).pValue).toBeLessThan(1e-6);
  });

  it('normal has the mean and variance asked for', () => {
    const rng = createRng(5);
    const n = 50_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal(2, 3);
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    // standard errors: 3/sqrt(n) ≈ 0.013 for the mean, ≈ 0.057 for the variance
    expect(Math.abs(mean - 2)).toBeLessThan(0.06);
    expect(Math.abs(variance - 9)).toBeLessThan(0.3);
  });

  it('shuffle is a permutation and is reproducible', () => {
    fc.assert(
      fc.property(seedArb, fc.array(fc.integer(), { maxLength: 40 }), (seed, items) => {
        const a = createRng(seed).shuffle([...items]);
        const b = createRng(seed).shuffle([...items]);
        expect(a).toEqual(b);
        expect([...a].sort((x, y) => x - y)).toEqual([...items].sort((x, y) => x - y));
      }),
    );
  });

  it('shuffle puts each element in each position equally often (chi-square, fixed seed)', () => {
    const rng = createRng(11);
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 40_000; i++) {
      const order = rng.shuffle(Float32Array.from([0, 1, 2, 3]));
      counts[order[0]!]!++;
    }
    expect(chiSquareTest(counts, [0.25, 0.25, 0.25, 0.25]).pValue).toBeGreaterThan(0.001);
  });
});

describe('Rng bad input', () => {
  const cases: [string, () => unknown, string][] = [
    ['negative seed', () => createRng(-1), 'INVALID_ARGUMENT'],
    ['fractional seed', () => createRng(1.5), 'INVALID_ARGUMENT'],
    ['NaN seed', () => createRng(Number.NaN), 'INVALID_ARGUMENT'],
    ['int(0)', () => createRng(1).int(0), 'INVALID_ARGUMENT'],
    ['int(2.5)', () => createRng(1).int(2.5), 'INVALID_ARGUMENT'],
    ['empty choice', () => createRng(1).choice([]), 'EMPTY_INPUT'],
    ['negative weight', () => createRng(1).choice([1, -1]), 'INVALID_ARGUMENT'],
    ['NaN weight', () => createRng(1).choice([1, Number.NaN]), 'INVALID_ARGUMENT'],
    ['all-zero weights', () => createRng(1).choice([0, 0]), 'INVALID_ARGUMENT'],
    ['bernoulli(2)', () => createRng(1).bernoulli(2), 'OUT_OF_RANGE'],
    [
      'bad state',
      () => Rng.fromState({ key: [1, 2], generator: [0, 0, 0, 1] }),
      'INVALID_ARGUMENT',
    ],
    [
      'zero state',
      () => Rng.fromState({ key: [1, 2, 3, 4], generator: [0, 0, 0, 0] }),
      'INVALID_ARGUMENT',
    ],
  ];
  it.each(cases)('%s is a SonaError', (_name, call, code) => {
    let caught: unknown;
    try {
      call();
    } catch (error) {
      caught = error;
    }
    expect(isSonaError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe(code);
  });
});

describeStateLaws('Rng', {
  recipe: fc.tuple(seedArb, drawCountArb),
  build: ([seed, drawsBefore]) => {
    const rng = createRng(seed);
    drawUniforms(rng, drawsBefore);
    return rng;
  },
  state: (rng) => rng.state(),
  fromState: (state) => Rng.fromState(state),
  continuation: {
    // The stream and its forks continue.
    input: () => labelArb,
    run: (rng, label) => [drawUniforms(rng, 10), rng.fork(label).uniform()],
  },
});
