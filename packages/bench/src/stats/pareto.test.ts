import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paretoFrontier } from './pareto';

describe('the pass-rate/cost Pareto frontier', () => {
  const point = fc.record({
    name: fc.string({ minLength: 1, maxLength: 4 }),
    cost: fc.integer({ min: 0, max: 20 }),
    rate: fc.integer({ min: 0, max: 10 }).map((x) => x / 10),
  });
  const dominates = (q: { cost: number; rate: number }, p: { cost: number; rate: number }) =>
    q.cost <= p.cost && q.rate >= p.rate && (q.cost < p.cost || q.rate > p.rate);

  it('keeps exactly the undominated points, by increasing cost and rate', () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 12 }), (points) => {
        const frontier = paretoFrontier(points);
        for (const p of frontier) expect(points.some((q) => dominates(q, p))).toBe(false);
        for (const p of points) {
          if (!frontier.includes(p)) expect(frontier.some((q) => dominates(q, p))).toBe(true);
        }
        for (let i = 1; i < frontier.length; i++) {
          expect(frontier[i]!.cost).toBeGreaterThanOrEqual(frontier[i - 1]!.cost);
          expect(frontier[i]!.rate).toBeGreaterThanOrEqual(frontier[i - 1]!.rate);
        }
      }),
    );
  });
});
