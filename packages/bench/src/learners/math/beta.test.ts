import { createRng } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleBeta, sampleGamma } from './beta';

describe('sampleGamma (Marsaglia–Tsang)', () => {
  it('has mean k and variance k for Gamma(k, 1) (5000 draws, fixed seed, 5 standard errors)', () => {
    for (const k of [1, 3, 40]) {
      const rng = createRng(11).fork(`gamma-${k}`);
      const n = 5000;
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < n; i++) {
        const x = sampleGamma(k, rng);
        expect(x).toBeGreaterThan(0);
        sum += x;
        sq += x * x;
      }
      const mean = sum / n;
      const variance = sq / n - mean * mean;
      expect(Math.abs(mean - k)).toBeLessThan(5 * Math.sqrt(k / n));
      // Var of the sample variance of a Gamma(k): (μ4 − σ⁴)/n with μ4 = 3k² + 6k.
      expect(Math.abs(variance - k)).toBeLessThan(5 * Math.sqrt((2 * k * k + 6 * k) / n));
    }
  });

  it('refuses a shape below 1 or not finite', () => {
    const rng = createRng(1);
    expect(() => sampleGamma(0.5, rng)).toThrow(/shape/);
    expect(() => sampleGamma(Number.POSITIVE_INFINITY, rng)).toThrow(/shape/);
  });
});

describe('sampleBeta', () => {
  it('lies in (0, 1) and repeats for the same stream', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 500 }),
        fc.nat(),
        (a, b, seed) => {
          const x = sampleBeta(a, b, createRng(seed));
          expect(x).toBeGreaterThan(0);
          expect(x).toBeLessThan(1);
          expect(sampleBeta(a, b, createRng(seed))).toBe(x);
        },
      ),
    );
  });

  it('has mean a / (a + b) (the Beta posterior mean; 20 000 draws, fixed seed)', () => {
    for (const [a, b] of [
      [1, 1],
      [2, 9],
      [30, 4],
    ] as const) {
      const rng = createRng(5).fork(`beta-${a}-${b}`);
      const n = 20_000;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += sampleBeta(a, b, rng);
      const mean = a / (a + b);
      const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
      expect(Math.abs(sum / n - mean)).toBeLessThan((5 * sd) / Math.sqrt(n));
    }
  });
});
