import type { PatternMatch } from '@sona/patterns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addTdGradient } from './learning-signal';

function cos(a: Float64Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** ½(p̂ − o)² in float64 with the match set held fixed. */
function loss(
  y: Float64Array,
  centroids: Float32Array[],
  bonus: number[],
  rates: number[],
  o: number,
): number {
  let total = 0;
  let weighted = 0;
  centroids.forEach((c, k) => {
    const w = bonus[k]! * cos(y, c);
    total += w;
    weighted += w * rates[k]!;
  });
  return 0.5 * (weighted / total - o) ** 2;
}

describe('TD gradient', () => {
  it('equals central finite differences of ½(p̂ − o)²', () => {
    const dim = 6;
    // float32 vectors away from zero (the gradient is undefined at y = 0)
    const vec = fc
      .array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: dim, maxLength: dim })
      .map((v) => Float64Array.from(Float32Array.from(v)))
      .filter((v) => Math.hypot(...v) > 0.1);
    fc.assert(
      fc.property(
        vec,
        fc.array(fc.tuple(vec, fc.boolean(), fc.double({ min: 0.05, max: 0.95, noNaN: true })), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.constantFrom(0, 1),
        fc.double({ min: 0.1, max: 2, noNaN: true }),
        (yValues, patterns, o, weight) => {
          const y64 = yValues;
          const centroids = patterns.map(([c]) => Float32Array.from(c));
          const bonus = patterns.map(([, same]) => (same ? 1.2 : 1));
          const rates = patterns.map(([, , r]) => r);
          // the identity holds where the weights are positive, as they are for real matches
          fc.pre(centroids.every((c) => cos(y64, c) > 0.2));
          const y = Float32Array.from(y64);
          const y64f = Float64Array.from(y);
          const matches = centroids.map((centroid, k) => {
            const similarity = cos(y64f, centroid);
            return {
              pattern: { id: k, centroid },
              similarity,
              weight: similarity * bonus[k]!,
            } as unknown as PatternMatch;
          });
          const grad = new Float64Array(dim);
          addTdGradient(
            y,
            matches,
            Float64Array.from(rates),
            Float64Array.from(centroids, (c) => Math.hypot(...c)),
            o,
            weight,
            grad,
          );
          const h = 1e-6;
          for (let i = 0; i < dim; i++) {
            const plus = Float64Array.from(y64f);
            const minus = Float64Array.from(y64f);
            plus[i]! += h;
            minus[i]! -= h;
            const numeric =
              (weight *
                (loss(plus, centroids, bonus, rates, o) -
                  loss(minus, centroids, bonus, rates, o))) /
              (2 * h);
            expect(Math.abs(grad[i]! - numeric)).toBeLessThan(
              1e-5 * Math.max(1, Math.abs(numeric)),
            );
          }
        },
      ),
    );
  });
});
