import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { invert } from '../../test-support/linear-algebra';
import { RidgeModel, withBias } from './ridge';

/** A = λI + Σ x xᵀ and b = Σ r x, built directly. */
function direct(d: number, ridge: number, data: readonly { x: number[]; r: number }[]) {
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  for (let i = 0; i < d; i++) a[i * d + i] = ridge;
  for (const { x, r } of data) {
    for (let i = 0; i < d; i++) {
      b[i]! += r * x[i]!;
      for (let j = 0; j < d; j++) a[i * d + j]! += x[i]! * x[j]!;
    }
  }
  const inverse = invert(a, d);
  const theta = Float64Array.from({ length: d }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += inverse[i * d + j]! * b[j]!;
    return s;
  });
  return { inverse, b, theta };
}

const coordinate = fc.double({ min: -2, max: 2, noNaN: true });
const problem = fc.integer({ min: 1, max: 7 }).chain((d) =>
  fc.record({
    d: fc.constant(d),
    ridge: fc.double({ min: 0.25, max: 4, noNaN: true }),
    data: fc.array(
      fc.record({
        x: fc.array(coordinate, { minLength: d, maxLength: d }),
        r: fc.constantFrom(0, 1),
      }),
      { maxLength: 40 },
    ),
  }),
);

function fit(d: number, ridge: number, data: readonly { x: number[]; r: number }[]): RidgeModel {
  const model = new RidgeModel(d, ridge);
  for (const { x, r } of data) model.update(Float64Array.from(x), r);
  return model;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(
      tolerance * (1 + Math.abs(expected[i]!)),
    );
  }
}

describe('RidgeModel (Sherman–Morrison ridge regression)', () => {
  it('keeps A⁻¹ equal to the direct inverse of λI + Σ xxᵀ, and θ̂ equal to A⁻¹b', () => {
    fc.assert(
      fc.property(problem, ({ d, ridge, data }) => {
        const snap = fit(d, ridge, data).snapshot();
        const want = direct(d, ridge, data);
        close(snap.inverse, want.inverse, 1e-9);
        close(snap.b, want.b, 1e-12);
        close(snap.theta, want.theta, 1e-9);
      }),
    );
  });

  it('keeps A⁻¹ exactly symmetric', () => {
    fc.assert(
      fc.property(problem, ({ d, ridge, data }) => {
        const { inverse } = fit(d, ridge, data).snapshot();
        for (let i = 0; i < d; i++)
          for (let j = 0; j < i; j++) expect(inverse[i * d + j]).toBe(inverse[j * d + i]);
      }),
    );
  });

  it('mean is xᵀθ̂ and variance is xᵀA⁻¹x (> 0), as computed directly', () => {
    fc.assert(
      fc.property(problem, fc.array(coordinate, { minLength: 7, maxLength: 7 }), (p, raw) => {
        const model = fit(p.d, p.ridge, p.data);
        const x = Float64Array.from(raw.slice(0, p.d));
        const want = direct(p.d, p.ridge, p.data);
        let mean = 0;
        let variance = 0;
        for (let i = 0; i < p.d; i++) {
          mean += x[i]! * want.theta[i]!;
          for (let j = 0; j < p.d; j++) variance += x[i]! * want.inverse[i * p.d + j]! * x[j]!;
        }
        expect(Math.abs(model.mean(x) - mean)).toBeLessThanOrEqual(1e-8 * (1 + Math.abs(mean)));
        expect(Math.abs(model.variance(x) - variance)).toBeLessThanOrEqual(1e-8 * (1 + variance));
        expect(model.variance(x)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('starts at θ̂ = 0 with variance ‖x‖²/λ, and the variance of x shrinks when x is observed', () => {
    fc.assert(
      fc.property(
        fc.array(coordinate, { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0.25, max: 4, noNaN: true }),
        (raw, ridge) => {
          const x = Float64Array.from(raw);
          const sq = raw.reduce((s, v) => s + v * v, 0);
          fc.pre(sq > 1e-6);
          const model = new RidgeModel(x.length, ridge);
          expect(model.mean(x)).toBe(0);
          expect(model.variance(x)).toBeCloseTo(sq / ridge, 10);
          const before = model.variance(x);
          model.update(x, 1);
          // Sherman–Morrison: the new width is s/(1 + s) with s the old one.
          expect(model.variance(x)).toBeCloseTo(before / (1 + before), 10);
          expect(model.variance(x)).toBeLessThan(before);
        },
      ),
    );
  });

  it('is deterministic: the same updates give the same bits', () => {
    fc.assert(
      fc.property(problem, ({ d, ridge, data }) => {
        expect(fit(d, ridge, data).state()).toEqual(fit(d, ridge, data).state());
      }),
    );
  });

  it('appends the bias feature', () => {
    const out = withBias(Float32Array.of(0.5, -2), new Float64Array(3));
    expect(Array.from(out)).toEqual([0.5, -2, 1]);
  });

  it('refuses a dimension below 1 and a ridge that is not positive', () => {
    expect(() => new RidgeModel(0, 1)).toThrow(/dimension/);
    expect(() => new RidgeModel(2, 0)).toThrow(/ridge/);
    expect(() => new RidgeModel(2, Number.NaN)).toThrow(/ridge/);
  });
});
