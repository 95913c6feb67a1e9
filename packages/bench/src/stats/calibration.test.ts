import { createRng, isSonaError } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  brierScore,
  eceOfBins,
  expectedBrierScore,
  expectedCalibrationError,
  reliabilityBins,
} from './calibration';

const probArb = fc.double({ min: 0, max: 1, noNaN: true });
const pairsArb = fc.array(fc.tuple(probArb, probArb), { minLength: 1, maxLength: 80 });

describe('expectedCalibrationError', () => {
  it('is 0 when outcomes equal confidences (perfectly calibrated bins)', () => {
    fc.assert(
      fc.property(fc.array(probArb, { minLength: 1, maxLength: 80 }), (c) => {
        expect(expectedCalibrationError(c, [...c])).toBe(0);
      }),
    );
  });

  it('is 0 for 0/1 outcomes whose success share in each bin equals its confidence', () => {
    // Bin b holds m predictions of confidence (b + 0.5)/10 ... built as k/m with k successes.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 4 }), (k, scale) => {
        const m = 10 * scale;
        const successes = k * scale;
        const confidence = Array(m).fill(successes / m);
        const outcome = Array.from({ length: m }, (_, i) => (i < successes ? 1 : 0));
        expect(expectedCalibrationError(confidence, outcome)).toBeCloseTo(0, 12);
      }),
    );
  });

  it('is the bin-weighted gap between mean confidence and mean outcome', () => {
    // Two bins: [0.15, 0.15] with outcomes [1, 0] (gap 0.35) and [0.95] with outcome [0] (gap 0.95).
    expect(expectedCalibrationError([0.15, 0.15, 0.95], [1, 0, 0])).toBeCloseTo(
      (2 / 3) * 0.35 + (1 / 3) * 0.95,
      12,
    );
    // Confidence 1 lands in the last bin, not an 11th one.
    expect(expectedCalibrationError([1, 0.95], [1, 1])).toBeCloseTo(0.025, 12);
  });

  it('lies in [0, 1] and never exceeds the mean absolute error', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const c = pairs.map(([x]) => x);
        const y = pairs.map(([, x]) => x);
        const ece = expectedCalibrationError(c, y);
        const mae = pairs.reduce((s, [a, b]) => s + Math.abs(a - b), 0) / pairs.length;
        expect(ece).toBeGreaterThanOrEqual(0);
        expect(ece).toBeLessThanOrEqual(mae + 1e-12);
      }),
    );
  });
});

describe('Brier scores', () => {
  it('brierScore is the mean squared difference, 0 exactly when predictions equal outcomes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(probArb, fc.boolean()), { minLength: 1, maxLength: 50 }),
        (rows) => {
          const c = rows.map(([x]) => x);
          const y = rows.map(([, s]) => (s ? 1 : 0));
          let expected = 0;
          for (let i = 0; i < rows.length; i++) expected += (c[i]! - y[i]!) ** 2;
          expect(brierScore(c, y)).toBeCloseTo(expected / rows.length, 12);
          expect(brierScore(y, y)).toBe(0);
        },
      ),
    );
  });

  it('expectedBrierScore is the expectation of brierScore over Bernoulli outcomes', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const c = pairs.map(([x]) => x);
        const p = pairs.map(([, x]) => x);
        // E[(c - Y)^2] = p (c - 1)^2 + (1 - p) c^2, item by item.
        const direct =
          pairs.reduce((s, [ci, pi]) => s + pi * (ci - 1) ** 2 + (1 - pi) * ci ** 2, 0) /
          pairs.length;
        expect(expectedBrierScore(c, p)).toBeCloseTo(direct, 12);
      }),
    );
  });

  it('the mean Brier score of seeded Bernoulli draws approaches the expected Brier score', () => {
    const rng = createRng(11);
    const c = Array.from({ length: 40 }, () => rng.uniform());
    const p = Array.from({ length: 40 }, () => rng.uniform());
    const draws = 4000;
    let total = 0;
    for (let d = 0; d < draws; d++)
      total += brierScore(
        c,
        p.map((pi) => (rng.bernoulli(pi) ? 1 : 0)),
      );
    // Each draw's Brier score has variance ≤ 1/40; the mean of 4000 is within ±0.01 by far.
    expect(Math.abs(total / draws - expectedBrierScore(c, p))).toBeLessThan(0.01);
  });

  it('rejects mismatched lengths, empty input and values outside 0..1', () => {
    const codes = [
      () => brierScore([0.5], [1, 0]),
      () => expectedCalibrationError([], []),
      () => expectedBrierScore([1.5], [0.5]),
      () => brierScore([0.5], [Number.NaN]),
    ].map((f) => {
      try {
        f();
        return 'none';
      } catch (e) {
        return isSonaError(e) ? e.code : 'other';
      }
    });
    expect(codes).toEqual(['DIM_MISMATCH', 'EMPTY_INPUT', 'OUT_OF_RANGE', 'OUT_OF_RANGE']);
  });
});

describe('reliabilityBins', () => {
  it('counts every prediction once, in the bin its confidence falls in, with the bin means', () => {
    fc.assert(
      fc.property(pairsArb, fc.integer({ min: 1, max: 20 }), (pairs, k) => {
        const c = pairs.map(([x]) => x);
        const y = pairs.map(([, x]) => x);
        const bins = reliabilityBins(c, y, k);
        expect(bins).toHaveLength(k);
        expect(bins.reduce((s, b) => s + b.count, 0)).toBe(pairs.length);
        for (const [i, bin] of bins.entries()) {
          expect(bin.lower).toBeCloseTo(i / k, 15);
          expect(bin.upper).toBeCloseTo((i + 1) / k, 15);
          const inside = pairs.filter(([x]) => Math.min(k - 1, Math.floor(x * k)) === i);
          expect(bin.count).toBe(inside.length);
          if (inside.length === 0) {
            expect(bin.meanConfidence).toBeNull();
            expect(bin.meanOutcome).toBeNull();
          } else {
            const mc = inside.reduce((s, [x]) => s + x, 0) / inside.length;
            const mo = inside.reduce((s, [, x]) => s + x, 0) / inside.length;
            expect(bin.meanConfidence).toBeCloseTo(mc, 12);
            expect(bin.meanOutcome).toBeCloseTo(mo, 12);
            expect(bin.meanConfidence!).toBeGreaterThanOrEqual(bin.lower - 1e-12);
            expect(bin.meanConfidence!).toBeLessThanOrEqual(bin.upper + 1e-12);
          }
        }
      }),
    );
  });

  it('gives the ECE as the count-weighted gap of its bins', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const c = pairs.map(([x]) => x);
        const y = pairs.map(([, x]) => x);
        const bins = reliabilityBins(c, y);
        const gap = bins.reduce(
          (s, b) =>
            s +
            (b.count === 0
              ? 0
              : (b.count / pairs.length) * Math.abs(b.meanConfidence! - b.meanOutcome!)),
          0,
        );
        expect(eceOfBins(bins)).toBeCloseTo(gap, 12);
        expect(expectedCalibrationError(c, y)).toBe(eceOfBins(bins));
      }),
    );
  });
});
