import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diversityScore, selectDiverse } from './diversity';
import { cosine64, row, vectorArb } from './test-support';
import { writeUnit } from './unit-vector';

const DIM = 4;

const candidatesArb = fc
  .array(fc.tuple(fc.double({ min: 0.35, max: 1, noNaN: true }), vectorArb(DIM)), {
    minLength: 1,
    maxLength: 12,
  })
  .map((list) => {
    const centroids = new Float32Array(list.length * DIM);
    list.forEach(([, v], c) => {
      writeUnit(v, row(centroids, DIM, c));
    });
    return { qualities: list.map(([q]) => q), centroids };
  });

describe('selectDiverse', () => {
  it('the diversity rule: each pick maximises quality·(1 − 0.5·maxSim to the kept), and picking stops below the threshold', () => {
    fc.assert(
      fc.property(
        candidatesArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        ({ qualities, centroids }, threshold) => {
          const kept = selectDiverse(qualities, centroids, DIM, threshold);
          expect(kept.length).toBeGreaterThanOrEqual(1);
          const score = (c: number, so: number[]) => {
            if (so.length === 0) return qualities[c]!;
            const maxSim = Math.max(
              ...so.map((k) => cosine64(row(centroids, DIM, c), row(centroids, DIM, k))),
            );
            return qualities[c]! * (1 - 0.5 * maxSim);
          };
          for (let step = 0; step <= kept.length; step++) {
            const before = kept.slice(0, step);
            const remaining = qualities.map((_, c) => c).filter((c) => !before.includes(c));
            if (remaining.length === 0) break;
            const best = Math.max(...remaining.map((c) => score(c, before)));
            if (step < kept.length) {
              // The pick is the best remaining (float32 cosines: within 1e-6).
              expect(score(kept[step]!, before)).toBeGreaterThanOrEqual(best - 1e-6);
              if (step > 0)
                expect(score(kept[step]!, before)).toBeGreaterThanOrEqual(threshold - 1e-6);
            } else {
              // Stopped with candidates left: the best of them scores below the threshold.
              expect(best).toBeLessThan(threshold + 1e-6);
            }
          }
        },
      ),
    );
  });

  it('keeps every candidate when the threshold is 0, and only the best when no score can reach it', () => {
    fc.assert(
      fc.property(candidatesArb, ({ qualities, centroids }) => {
        const all = selectDiverse(qualities, centroids, DIM, 0);
        expect([...all].sort((a, b) => a - b)).toEqual(qualities.map((_, c) => c));
        const best = qualities.indexOf(Math.max(...qualities));
        expect(selectDiverse(qualities, centroids, DIM, 2)).toEqual([best]);
      }),
    );
  });

  it('drops a near-duplicate of a better pattern but keeps an equally good distinct one', () => {
    const centroids = Float32Array.of(1, 0, 0.999, 0.0447, 0, 1);
    writeUnit(centroids.subarray(2, 4), centroids.subarray(2, 4));
    const kept = selectDiverse([0.9, 0.6, 0.6], centroids, 2, 0.35);
    expect(kept).toEqual([0, 2]); // 0.6·(1 − 0.5·0.999) ≈ 0.30 < 0.35; 0.6·(1 − 0) = 0.6
    expect(diversityScore(0.6, 0)).toBe(0.6);
    expect(diversityScore(0.8, 1)).toBe(0.4);
  });

  it('respects the limit', () => {
    const centroids = Float32Array.of(1, 0, 0, 1, -1, 0);
    expect(selectDiverse([0.5, 0.9, 0.7], centroids, 2, 0, 2)).toEqual([1, 2]);
  });
});
