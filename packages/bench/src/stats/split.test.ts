import { createRng } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { largestRemainder, stratifiedFolds, stratifiedSample } from './split';

const seedArb = fc.nat({ max: 2 ** 31 });
const strataArb = fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 1, maxLength: 400 });

function countBy(values: Iterable<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

describe('largestRemainder', () => {
  it('sums to the total and gives each share within 1 of its exact quota', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 5000 }),
        fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (total, weights) => {
          fc.pre(weights.some((w) => w > 0));
          const shares = largestRemainder(total, weights);
          const sum = weights.reduce((a, b) => a + b, 0);
          expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
          shares.forEach((s, i) => {
            expect(Math.abs(s - (total * weights[i]!) / sum)).toBeLessThan(1);
          });
        },
      ),
    );
  });
});

describe('stratifiedSample', () => {
  it('is a partition of the items', () => {
    fc.assert(
      fc.property(
        strataArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        seedArb,
        (strata, f, seed) => {
          const { selected, rest } = stratifiedSample(strata, f, createRng(seed));
          const all = [...selected, ...rest].sort((a, b) => a - b);
          expect(all).toEqual(strata.map((_, i) => i));
        },
      ),
    );
  });

  it('keeps proportions: each stratum gives within 1 of fraction × its size, round(fraction × n) in all', () => {
    fc.assert(
      fc.property(
        strataArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        seedArb,
        (strata, f, seed) => {
          const { selected } = stratifiedSample(strata, f, createRng(seed));
          expect(selected.length).toBe(Math.round(f * strata.length));
          const sizes = countBy(strata);
          const taken = countBy(Array.from(selected, (i) => strata[i]!));
          for (const [s, size] of sizes) {
            expect(Math.abs((taken.get(s) ?? 0) - f * size)).toBeLessThan(1);
          }
        },
      ),
    );
  });

  it('is reproducible for a seed and does not depend on item order within strata', () => {
    fc.assert(
      fc.property(strataArb, seedArb, (strata, seed) => {
        const a = stratifiedSample(strata, 0.1, createRng(seed));
        const b = stratifiedSample(strata, 0.1, createRng(seed));
        expect(a).toEqual(b);
      }),
    );
  });
});

describe('stratifiedFolds', () => {
  it('folds partition the items, and fold sizes differ by at most one', () => {
    fc.assert(
      fc.property(strataArb, fc.integer({ min: 1, max: 10 }), seedArb, (strata, k, seed) => {
        const foldOf = stratifiedFolds(strata, k, createRng(seed));
        expect(foldOf.length).toBe(strata.length);
        for (const f of foldOf) {
          expect(f).toBeGreaterThanOrEqual(0);
          expect(f).toBeLessThan(k);
        }
        const sizes = Array.from({ length: k }, (_, f) => foldOf.filter((x) => x === f).length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('within every stratum the fold counts differ by at most one', () => {
    fc.assert(
      fc.property(strataArb, fc.integer({ min: 1, max: 10 }), seedArb, (strata, k, seed) => {
        const foldOf = stratifiedFolds(strata, k, createRng(seed));
        for (const s of new Set(strata)) {
          const counts = Array.from(
            { length: k },
            (_, f) => strata.filter((x, i) => x === s && foldOf[i] === f).length,
          );
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('assigns every fold when there are at least k items', () => {
    fc.assert(
      fc.property(strataArb, fc.integer({ min: 1, max: 10 }), seedArb, (strata, k, seed) => {
        fc.pre(strata.length >= k);
        const foldOf = stratifiedFolds(strata, k, createRng(seed));
        expect(new Set(foldOf).size).toBe(k);
      }),
    );
  });
});
