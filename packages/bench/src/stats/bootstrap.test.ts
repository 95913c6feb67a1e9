import { createRng, isSonaError } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../../tools/testing/sona-error';
import {
  bootstrapMean,
  capturedShare,
  mean,
  pairedBootstrap,
  percentileInterval,
  quantileSorted,
  resampleMeans,
} from './bootstrap';

const seedArb = fc.nat({ max: 2 ** 31 });
const rateArb = fc.double({ min: 0, max: 1, noNaN: true });
const ratesArb = (minLength: number, maxLength = 60) => fc.array(rateArb, { minLength, maxLength });

const options = (seed: number, resamples = 400) => ({ resamples, rng: createRng(seed) });

describe('bootstrapMean', () => {
  it('its interval contains the point estimate', () => {
    fc.assert(
      fc.property(ratesArb(1), seedArb, (values, seed) => {
        const { rate, ci } = bootstrapMean(values, options(seed));
        expect(rate).toBe(mean(values));
        expect(ci[0]).toBeLessThanOrEqual(rate);
        expect(rate).toBeLessThanOrEqual(ci[1]);
      }),
    );
  });

  it('is reproducible for a seed', () => {
    fc.assert(
      fc.property(ratesArb(1), seedArb, (values, seed) => {
        expect(bootstrapMean(values, options(seed))).toEqual(bootstrapMean(values, options(seed)));
      }),
    );
  });

  it('narrows with more data from the same distribution (16× the items, ~¼ the width)', () => {
    fc.assert(
      fc.property(ratesArb(10, 40), seedArb, (values, seed) => {
        fc.pre(Math.max(...values) - Math.min(...values) > 0.05);
        const more = Array.from({ length: 16 }, () => values).flat();
        const narrow = bootstrapMean(more, options(seed, 1000)).ci;
        const wide = bootstrapMean(values, options(seed, 1000)).ci;
        expect(narrow[1] - narrow[0]).toBeLessThan(0.75 * (wide[1] - wide[0]));
      }),
      { numRuns: 40 },
    );
  });

  it('a constant sample has a zero-width interval at its value', () => {
    fc.assert(
      fc.property(rateArb, fc.integer({ min: 1, max: 30 }), seedArb, (v, n, seed) => {
        const { rate, ci } = bootstrapMean(Array(n).fill(v), options(seed, 100));
        expect(ci).toEqual([rate, rate]);
      }),
    );
  });
});

describe('resampleMeans', () => {
  it('every resampled mean lies between the smallest and largest value', () => {
    fc.assert(
      fc.property(ratesArb(1), seedArb, (values, seed) => {
        const [means] = resampleMeans([values], options(seed, 50));
        const lo = Math.min(...values);
        const hi = Math.max(...values);
        for (const m of means!) {
          expect(m).toBeGreaterThanOrEqual(lo - 1e-12);
          expect(m).toBeLessThanOrEqual(hi + 1e-12);
        }
      }),
    );
  });

  it('draws items uniformly: the mean of resampled means is the sample mean', () => {
    const rng = createRng(7);
    const values = Array.from({ length: 50 }, () => rng.uniform());
    const [means] = resampleMeans([values], { resamples: 20_000, rng: createRng(8) });
    const sd = Math.sqrt(
      values.reduce((s, v) => s + (v - mean(values)) ** 2, 0) / values.length / values.length,
    );
    // The average of 20,000 resampled means has standard error sd/√20000.
    expect(Math.abs(mean(means!) - mean(values))).toBeLessThan((4 * sd) / Math.sqrt(20_000));
  });

  it('rejects mismatched columns, empty input and non-finite values', () => {
    const bad = [
      () => resampleMeans([[1, 2], [1]], options(1)),
      () => resampleMeans([[]], options(1)),
      () => resampleMeans([], options(1)),
      () => resampleMeans([[1, Number.NaN]], options(1)),
      () => resampleMeans([[1]], { resamples: 0, rng: createRng(1) }),
    ];
    const codes = bad.map((f) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return isSonaError(e) ? e.code : 'other';
      }
    });
    expect(codes).toEqual([
      'DIM_MISMATCH',
      'EMPTY_INPUT',
      'EMPTY_INPUT',
      'NON_FINITE',
      'OUT_OF_RANGE',
    ]);
  });
});

describe('pairedBootstrap', () => {
  it('of identical arms is exactly 0 with the interval [0, 0]', () => {
    fc.assert(
      fc.property(ratesArb(1), seedArb, (values, seed) => {
        const result = pairedBootstrap(values, [...values], options(seed));
        expect(result.rate).toBe(0);
        expect(result.ci[0]).toBe(0);
        expect(result.ci[1]).toBe(0);
      }),
    );
  });

  it('of a constant shift d is d with the interval [d, d] (up to rounding)', () => {
    fc.assert(
      fc.property(
        ratesArb(1),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        seedArb,
        (a, d, seed) => {
          const b = a.map((x) => x - d);
          const { rate, ci } = pairedBootstrap(a, b, options(seed, 100));
          expect(rate).toBeCloseTo(d, 12);
          expect(ci[0]).toBeCloseTo(d, 12);
          expect(ci[1]).toBeCloseTo(d, 12);
        },
      ),
    );
  });

  it('is antisymmetric: swapping the arms negates the estimate and mirrors the interval', () => {
    fc.assert(
      fc.property(ratesArb(2), ratesArb(2), seedArb, (x, y, seed) => {
        const n = Math.min(x.length, y.length);
        const a = x.slice(0, n);
        const b = y.slice(0, n);
        const ab = pairedBootstrap(a, b, options(seed, 200));
        const ba = pairedBootstrap(b, a, options(seed, 200));
        expect(ba.rate).toBeCloseTo(-ab.rate, 12);
        expect(ba.ci[0]).toBeCloseTo(-ab.ci[1], 12);
        expect(ba.ci[1]).toBeCloseTo(-ab.ci[0], 12);
      }),
    );
  });

  it('its interval contains the point estimate', () => {
    fc.assert(
      fc.property(ratesArb(2), ratesArb(2), seedArb, (x, y, seed) => {
        const n = Math.min(x.length, y.length);
        const { rate, ci } = pairedBootstrap(x.slice(0, n), y.slice(0, n), options(seed));
        expect(ci[0]).toBeLessThanOrEqual(rate + 1e-15);
        expect(rate).toBeLessThanOrEqual(ci[1] + 1e-15);
      }),
    );
  });
});

describe('capturedShare', () => {
  const triple = fc
    .array(fc.tuple(rateArb, rateArb, fc.double({ min: 0.01, max: 0.5, noNaN: true })), {
      minLength: 3,
      maxLength: 40,
    })
    .map((rows) => ({
      base: rows.map(([b]) => b * 0.5),
      oracle: rows.map(([b, , gap]) => b * 0.5 + gap),
      fraction: rows.map(([, f]) => f),
    }));

  it('is exactly 1 with the interval [1, 1] when learned equals oracle', () => {
    fc.assert(
      fc.property(triple, seedArb, ({ base, oracle }, seed) => {
        const { rate, ci } = capturedShare(oracle, base, oracle, options(seed, 200));
        expect(rate).toBe(1);
        expect(ci).toEqual([1, 1]);
      }),
    );
  });

  it('is 0 when learned equals base, and lies in [0, 1] when learned is between them', () => {
    fc.assert(
      fc.property(triple, seedArb, ({ base, oracle, fraction }, seed) => {
        expect(capturedShare(base, base, oracle, options(seed, 50)).rate).toBe(0);
        const learned = base.map((b, i) => b + fraction[i]! * (oracle[i]! - b));
        const { rate, ci } = capturedShare(learned, base, oracle, options(seed, 200));
        expect(rate).toBeGreaterThanOrEqual(0);
        expect(rate).toBeLessThanOrEqual(1 + 1e-12);
        expect(ci[0]).toBeGreaterThanOrEqual(0);
        expect(ci[1]).toBeLessThanOrEqual(1 + 1e-12);
      }),
    );
  });

  it('refuses a task set where the oracle does not beat the base', () => {
    expectSonaError(
      () => capturedShare([0.2, 0.3], [0.2, 0.3], [0.2, 0.3], options(1)),
      'INVALID_STATE',
    );
  });
});

describe('percentiles', () => {
  it('quantileSorted interpolates between order statistics and hits the extremes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1 }),
        (xs) => {
          const sorted = Float64Array.from(xs).sort();
          expect(quantileSorted(sorted, 0)).toBe(sorted[0]);
          expect(quantileSorted(sorted, 1)).toBe(sorted[sorted.length - 1]);
          const q = quantileSorted(sorted, 0.5);
          expect(q).toBeGreaterThanOrEqual(sorted[0]!);
          expect(q).toBeLessThanOrEqual(sorted[sorted.length - 1]!);
        },
      ),
    );
  });

  it('a wider level gives a wider (or equal) interval', () => {
    fc.assert(
      fc.property(fc.array(rateArb, { minLength: 2 }), (xs) => {
        const narrow = percentileInterval(xs, 0.5);
        const wide = percentileInterval(xs, 0.95);
        expect(wide[0]).toBeLessThanOrEqual(narrow[0]);
        expect(wide[1]).toBeGreaterThanOrEqual(narrow[1]);
      }),
    );
  });
});
