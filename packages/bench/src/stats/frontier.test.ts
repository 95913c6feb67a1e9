import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  areaUnderHull,
  averageImprovementInQuality,
  type CostPoint,
  hullValue,
  upperHull,
} from './frontier';

const pointArb = fc.record({
  cost: fc.double({ min: 0, max: 100, noNaN: true }),
  rate: fc.double({ min: 0, max: 1, noNaN: true }),
});
const pointsArb = fc.array(pointArb, { minLength: 1, maxLength: 12 });
const EPS = 1e-9;

describe('upperHull (non-decreasing upper convex hull)', () => {
  it('its vertices are points of the set, by strictly increasing cost and non-decreasing rate', () => {
    fc.assert(
      fc.property(pointsArb, (points) => {
        const hull = upperHull(points);
        expect(hull.length).toBeGreaterThan(0);
        for (const v of hull) {
          expect(points.some((p) => p.cost === v.cost && p.rate === v.rate)).toBe(true);
        }
        for (let i = 1; i < hull.length; i++) {
          expect(hull[i]!.cost).toBeGreaterThan(hull[i - 1]!.cost);
          expect(hull[i]!.rate).toBeGreaterThanOrEqual(hull[i - 1]!.rate);
        }
        // It starts at the cheapest point and ends at the best rate.
        expect(hull[0]!.cost).toBe(Math.min(...points.map((p) => p.cost)));
        expect(hull[hull.length - 1]!.rate).toBe(Math.max(...points.map((p) => p.rate)));
      }),
    );
  });

  it('is concave: slopes never increase', () => {
    fc.assert(
      fc.property(pointsArb, (points) => {
        const hull = upperHull(points);
        const slopes = hull
          .slice(1)
          .map((v, i) => (v.rate - hull[i]!.rate) / (v.cost - hull[i]!.cost));
        for (let i = 1; i < slopes.length; i++)
          expect(slopes[i]!).toBeLessThanOrEqual(slopes[i - 1]! + EPS);
      }),
    );
  });

  it('lies on or above every mixture of two points within its budget', () => {
    fc.assert(
      fc.property(
        pointsArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(),
        fc.nat(),
        (points, l, i, j) => {
          const p = points[i % points.length]!;
          const q = points[j % points.length]!;
          const mix: CostPoint = {
            cost: l * p.cost + (1 - l) * q.cost,
            rate: l * p.rate + (1 - l) * q.rate,
          };
          const hull = upperHull(points);
          expect(hullValue(hull, mix.cost + EPS * (1 + mix.cost))).toBeGreaterThanOrEqual(
            mix.rate - 1e-9,
          );
          // Never above what some mixture of points with cost ≤ c reaches: at most the best rate.
          expect(hullValue(hull, mix.cost)).toBeLessThanOrEqual(
            Math.max(...points.map((x) => x.rate)) + EPS,
          );
        },
      ),
    );
  });

  it('is non-decreasing in the budget, 0 below the cheapest point, flat beyond the best', () => {
    fc.assert(
      fc.property(
        pointsArb,
        fc.double({ min: -10, max: 200, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (points, c, d) => {
          const hull = upperHull(points);
          expect(hullValue(hull, c + d)).toBeGreaterThanOrEqual(hullValue(hull, c) - EPS);
          if (c < hull[0]!.cost) expect(hullValue(hull, c)).toBe(0);
          if (c >= hull[hull.length - 1]!.cost)
            expect(hullValue(hull, c)).toBe(hull[hull.length - 1]!.rate);
        },
      ),
    );
  });
});

describe('areaUnderHull and AIQ', () => {
  it('the exact area matches a fine trapezoid rule', () => {
    fc.assert(
      fc.property(
        pointsArb,
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 1, max: 80, noNaN: true }),
        (points, lo, width) => {
          const hull = upperHull(points);
          const hi = lo + width;
          const steps = 20_000;
          let sum = 0;
          for (let k = 0; k < steps; k++) {
            const a = lo + (k * width) / steps;
            const b = lo + ((k + 1) * width) / steps;
            sum += ((hullValue(hull, a) + hullValue(hull, b)) / 2) * (b - a);
          }
          // The step at the cheapest vertex (0 → its rate) costs at most one cell of error.
          expect(Math.abs(areaUnderHull(hull, lo, hi) - sum)).toBeLessThanOrEqual(
            (2 * width) / steps + 1e-9,
          );
        },
      ),
    );
  });

  it('AIQ lies in [0, best rate]; adding a point never lowers it', () => {
    fc.assert(
      fc.property(
        pointsArb,
        pointArb,
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (points, extra, a, b) => {
          const lo = Math.min(a, b);
          const hi = Math.max(a, b);
          const aiq = averageImprovementInQuality(points, lo, hi);
          expect(aiq).toBeGreaterThanOrEqual(0);
          expect(aiq).toBeLessThanOrEqual(Math.max(...points.map((p) => p.rate)) + EPS);
          expect(averageImprovementInQuality([...points, extra], lo, hi)).toBeGreaterThanOrEqual(
            aiq - EPS,
          );
        },
      ),
    );
  });

  it('a single arm at the cheap end scores its rate; two arms score the mean of the segment', () => {
    expect(averageImprovementInQuality([{ cost: 1, rate: 0.4 }], 1, 5)).toBeCloseTo(0.4, 12);
    // Segment from (0, 0.2) to (10, 0.6): mean height 0.4 over [0, 10].
    expect(
      averageImprovementInQuality(
        [
          { cost: 0, rate: 0.2 },
          { cost: 10, rate: 0.6 },
        ],
        0,
        10,
      ),
    ).toBeCloseTo(0.4, 12);
    // An arm that costs more and does worse is under the hull and changes nothing.
    expect(
      averageImprovementInQuality(
        [
          { cost: 0, rate: 0.2 },
          { cost: 10, rate: 0.6 },
          { cost: 8, rate: 0.3 },
        ],
        0,
        10,
      ),
    ).toBeCloseTo(0.4, 12);
    // A policy that never costs less than 5 earns nothing on [0, 5).
    expect(averageImprovementInQuality([{ cost: 5, rate: 0.5 }], 0, 10)).toBeCloseTo(0.25, 12);
    expect(averageImprovementInQuality([{ cost: 3, rate: 0.5 }], 3, 3)).toBe(0.5);
  });
});
