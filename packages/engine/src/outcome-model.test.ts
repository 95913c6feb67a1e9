import { createRng } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArmPosterior,
  applyPlatt,
  choleskyInPlace,
  choleskyInverse,
  choleskySolveInPlace,
  fitPlatt,
  fitSlope,
  type Observation,
  predictiveProbability,
  sigmoid,
} from './outcome-model';

/** A random symmetric positive-definite p × p matrix: MᵀM + p·I. */
const spdArb = fc.integer({ min: 1, max: 7 }).chain((p) =>
  fc
    .array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: p * p, maxLength: p * p })
    .map((m) => {
      const a = new Float64Array(p * p);
      for (let i = 0; i < p; i++) {
        for (let j = 0; j < p; j++) {
          let s = i === j ? p : 0;
          for (let k = 0; k < p; k++) s += m[k * p + i]! * m[k * p + j]!;
          a[i * p + j] = s;
        }
      }
      return { p, a };
    }),
);

/** Observations over `p` features: a bias and up to three sparse others, as the engine builds them. */
function observationsArb(p: number): fc.Arbitrary<Observation[]> {
  const one = fc
    .record({
      extra: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, p - 1) }), { maxLength: 3 }),
      values: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
      offset: fc.double({ min: -2, max: 2, noNaN: true }),
      y: fc.constantFrom<0 | 1>(0, 1),
    })
    .map(({ extra, values, offset, y }) => {
      const index = [0, ...extra.filter((i) => i < p).sort((a, b) => a - b)];
      return {
        features: { index, value: index.map((_, k) => (k === 0 ? 1 : values[k - 1]!)) },
        offset,
        y,
      };
    });
  return fc.array(one, { maxLength: 40 });
}

const posteriorArb = fc.integer({ min: 1, max: 6 }).chain((p) =>
  fc.record({
    p: fc.constant(p),
    variances: fc.array(fc.double({ min: 0.05, max: 9, noNaN: true }), {
      minLength: p,
      maxLength: p,
    }),
    observations: observationsArb(p),
  }),
);

function dense(features: Observation['features'], p: number): Float64Array {
  const x = new Float64Array(p);
  features.index.forEach((i, k) => {
    x[i] = features.value[k]!;
  });
  return x;
}

/** Gradient of the log posterior at w: −w/s² + Σ (y − σ(offset + w·φ)) φ. */
function logPosteriorGradient(
  w: Float64Array,
  variances: readonly number[],
  observations: readonly Observation[],
): Float64Array {
  const p = w.length;
  const g = Float64Array.from(w, (v, i) => -v / variances[i]!);
  for (const o of observations) {
    const x = dense(o.features, p);
    let z = o.offset;
    for (let i = 0; i < p; i++) z += w[i]! * x[i]!;
    const r = o.y - sigmoid(z);
    for (let i = 0; i < p; i++) g[i] = g[i]! + r * x[i]!;
  }
  return g;
}

function inverse(a: Float64Array, p: number): Float64Array {
  const l = a.slice();
  expect(choleskyInPlace(l, p)).toBe(true);
  const out = new Float64Array(p * p);
  choleskyInverse(l, p, out);
  return out;
}

describe('Cholesky helpers', () => {
  it('solve A x = b and invert A for symmetric positive-definite A', () => {
    fc.assert(
      fc.property(
        spdArb,
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 7, maxLength: 7 }),
        ({ p, a }, bValues) => {
          const l = a.slice();
          expect(choleskyInPlace(l, p)).toBe(true);
          const b = Float64Array.from(bValues.slice(0, p));
          const x = b.slice();
          choleskySolveInPlace(l, p, x);
          for (let i = 0; i < p; i++) {
            let s = 0;
            for (let j = 0; j < p; j++) s += a[i * p + j]! * x[j]!;
            expect(s).toBeCloseTo(b[i]!, 8);
          }
          const inv = inverse(a, p);
          for (let i = 0; i < p; i++) {
            for (let j = 0; j < p; j++) {
              let s = 0;
              for (let k = 0; k < p; k++) s += a[i * p + k]! * inv[k * p + j]!;
              expect(s).toBeCloseTo(i === j ? 1 : 0, 8);
              expect(inv[i * p + j]).toBe(inv[j * p + i]);
            }
          }
        },
      ),
    );
  });

  it("the diagonal-only inverse writes exactly the full inverse's diagonal", () => {
    fc.assert(
      fc.property(spdArb, ({ p, a }) => {
        const l = a.slice();
        expect(choleskyInPlace(l, p)).toBe(true);
        const full = new Float64Array(p * p);
        choleskyInverse(l, p, full);
        const diagonal = new Float64Array(p * p).fill(7);
        choleskyInverse(l, p, diagonal, true);
        for (let i = 0; i < p; i++) {
          for (let j = 0; j < p; j++) {
            expect(diagonal[i * p + j]).toBe(i === j ? full[i * p + i] : 7);
          }
        }
      }),
    );
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(choleskyInPlace(Float64Array.of(1, 2, 2, 1), 2)).toBe(false);
    expect(choleskyInPlace(Float64Array.of(0), 1)).toBe(false);
  });
});

describe('ArmPosterior', () => {
  it('refit reaches the MAP (zero gradient) and its covariance is the inverse Hessian there', () => {
    fc.assert(
      fc.property(posteriorArb, ({ p, variances, observations }) => {
        const arm = new ArmPosterior();
        arm.grow(variances);
        arm.refit(observations);
        const { mean, covariance } = arm.snapshot();
        const g = logPosteriorGradient(mean, variances, observations);
        for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-6);
        const h = new Float64Array(p * p);
        for (let i = 0; i < p; i++) h[i * p + i] = 1 / variances[i]!;
        for (const o of observations) {
          const x = dense(o.features, p);
          let z = o.offset;
          for (let i = 0; i < p; i++) z += mean[i]! * x[i]!;
          const w = sigmoid(z) * (1 - sigmoid(z));
          for (let i = 0; i < p; i++)
            for (let j = 0; j < p; j++) h[i * p + j]! += w * x[i]! * x[j]!;
        }
        for (let i = 0; i < p; i++) {
          for (let j = 0; j < p; j++) {
            let s = 0;
            for (let k = 0; k < p; k++) s += h[i * p + k]! * covariance[k * p + j]!;
            expect(s).toBeCloseTo(i === j ? 1 : 0, 6);
          }
        }
      }),
    );
  });

  it("refit 'diagonal' gives the same weights and variances as a full refit; logit is predict's mean", () => {
    fc.assert(
      fc.property(posteriorArb, ({ p, variances, observations }) => {
        const full = new ArmPosterior();
        full.grow(variances);
        full.refit(observations);
        const diagonal = new ArmPosterior();
        diagonal.grow(variances);
        diagonal.refit(observations, 'diagonal');
        for (let i = 0; i < p; i++) {
          expect(diagonal.weight(i)).toBe(full.weight(i));
          expect(diagonal.variance(i)).toBe(full.variance(i));
        }
        for (const o of observations) {
          expect(diagonal.logit(o.features, o.offset)).toBe(
            full.predict(o.features, o.offset).mean,
          );
        }
      }),
    );
  });

  it('update is one Newton step of the log posterior from N(m, Σ), written independently', () => {
    fc.assert(
      fc.property(posteriorArb, ({ p, variances, observations }) => {
        fc.pre(observations.length >= 2);
        const arm = new ArmPosterior();
        arm.grow(variances);
        arm.refit(observations.slice(1));
        const before = arm.snapshot();
        const o = observations[0]!;
        arm.update(o);
        const after = arm.snapshot();
        // Σ' = (Σ⁻¹ + h φφᵀ)⁻¹ and m' = m + Σ'φ(y − p), p and h at the prior mean m.
        const x = dense(o.features, p);
        let z = o.offset;
        for (let i = 0; i < p; i++) z += before.mean[i]! * x[i]!;
        const prob = sigmoid(z);
        const precision = inverse(before.covariance, p);
        for (let i = 0; i < p; i++)
          for (let j = 0; j < p; j++) precision[i * p + j]! += prob * (1 - prob) * x[i]! * x[j]!;
        const sigma = inverse(precision, p);
        for (let i = 0; i < p; i++) {
          let s = 0;
          for (let j = 0; j < p; j++) s += sigma[i * p + j]! * x[j]!;
          expect(after.mean[i]).toBeCloseTo(before.mean[i]! + s * (o.y - prob), 7);
          for (let j = 0; j < p; j++)
            expect(after.covariance[i * p + j]).toBeCloseTo(sigma[i * p + j]!, 7);
        }
      }),
    );
  });

  it('predict is the dense mean φ·m + offset and variance φᵀΣφ ≥ 0; growing adds prior-only features', () => {
    fc.assert(
      fc.property(
        posteriorArb,
        fc.double({ min: 0.1, max: 4, noNaN: true }),
        ({ p, variances, observations }, extra) => {
          const arm = new ArmPosterior();
          arm.grow(variances);
          arm.refit(observations);
          const { mean, covariance } = arm.snapshot();
          for (const o of observations) {
            const x = dense(o.features, p);
            let m = o.offset;
            let v = 0;
            for (let i = 0; i < p; i++) {
              m += mean[i]! * x[i]!;
              for (let j = 0; j < p; j++) v += x[i]! * covariance[i * p + j]! * x[j]!;
            }
            const got = arm.predict(o.features, o.offset);
            expect(got.mean).toBeCloseTo(m, 10);
            expect(got.variance).toBeCloseTo(v, 10);
            expect(got.variance).toBeGreaterThanOrEqual(0);
          }
          arm.grow([extra]);
          const grown = arm.predict({ index: [p], value: [1] }, 0);
          expect(grown).toEqual({ mean: 0, variance: extra });
        },
      ),
    );
  });

  it('the same observations in the same order give the same bits', () => {
    fc.assert(
      fc.property(posteriorArb, ({ variances, observations }) => {
        const run = () => {
          const arm = new ArmPosterior();
          arm.grow(variances);
          arm.refit(observations.slice(0, 5));
          for (const o of observations.slice(5)) arm.update(o);
          return arm.snapshot();
        };
        expect(run()).toEqual(run());
      }),
    );
  });
});

describe('the difficulty slope', () => {
  it('fitSlope is the MAP in β: the derivative of the log posterior vanishes there', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            base: fc.double({ min: -2, max: 2, noNaN: true }),
            difficulty: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
            y: fc.constantFrom<0 | 1>(0, 1),
          }),
          { maxLength: 60 },
        ),
        fc.double({ min: 0.5, max: 10, noNaN: true }),
        (rows, sd) => {
          const { slope, variance } = fitSlope(rows, 0, sd);
          let g = -slope / (sd * sd);
          let c = 1 / (sd * sd);
          for (const r of rows) {
            const q = sigmoid(r.base - slope * r.difficulty);
            g += (q - r.y) * r.difficulty;
            c += q * (1 - q) * r.difficulty * r.difficulty;
          }
          expect(Math.abs(g)).toBeLessThan(1e-7);
          expect(variance).toBeCloseTo(1 / c, 12);
        },
      ),
    );
  });

  it('recovers a slope from data drawn with it', () => {
    const rng = createRng(3);
    const rows = Array.from({ length: 4000 }, () => {
      const difficulty = rng.uniform() - 0.5;
      const base = rng.normal(0, 0.5);
      return {
        base,
        difficulty,
        y: (rng.bernoulli(sigmoid(base - 2 * difficulty)) ? 1 : 0) as 0 | 1,
      };
    });
    const { slope, variance } = fitSlope(rows, 0, 10);
    expect(Math.abs(slope - 2)).toBeLessThan(4 * Math.sqrt(variance));
  });
});

describe('probabilities', () => {
  it('the predictive probability lies between σ(mean) and 1/2 and is σ(mean) at variance 0', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (m, v) => {
          const p = predictiveProbability(m, v);
          expect(predictiveProbability(m, 0)).toBe(sigmoid(m));
          const lo = Math.min(0.5, sigmoid(m));
          const hi = Math.max(0.5, sigmoid(m));
          expect(p).toBeGreaterThanOrEqual(lo - 1e-15);
          expect(p).toBeLessThanOrEqual(hi + 1e-15);
        },
      ),
    );
  });

  it('a Platt map with a > 0 keeps the order of probabilities', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        (a, b, p, q) => {
          fc.pre(p < q);
          expect(applyPlatt({ a, b }, p)).toBeLessThanOrEqual(applyPlatt({ a, b }, q));
        },
      ),
    );
  });

  it('fitPlatt recovers a miscalibration it is shown and leaves calibrated predictions near the identity', () => {
    const rng = createRng(11);
    const calibrated: { p: number; y: 0 | 1 }[] = [];
    const over: { p: number; y: 0 | 1 }[] = [];
    for (let i = 0; i < 5000; i++) {
      const p = 0.05 + 0.9 * rng.uniform();
      calibrated.push({ p, y: rng.bernoulli(p) ? 1 : 0 });
      // Overconfident by 0.7 logits: the truth is σ(logit(p) − 0.7).
      over.push({ p, y: rng.bernoulli(sigmoid(Math.log(p / (1 - p)) - 0.7)) ? 1 : 0 });
    }
    const identity = fitPlatt(calibrated);
    expect(Math.abs(identity.a - 1)).toBeLessThan(0.1);
    expect(Math.abs(identity.b)).toBeLessThan(0.1);
    const fixed = fitPlatt(over);
    expect(Math.abs(fixed.b + 0.7)).toBeLessThan(0.15);
    expect(fitPlatt([])).toEqual({ a: 1, b: 0 });
    // Predictions that rank backwards: the constrained fit is the constant map at the base rate.
    const backwards = calibrated.map(({ p, y }) => ({ p: 1 - p, y }));
    const flat = fitPlatt(backwards);
    expect(flat.a).toBe(0);
    const rate = calibrated.filter((c) => c.y === 1).length / calibrated.length;
    expect(Math.abs(applyPlatt(flat, 0.1) - rate)).toBeLessThan(0.01);
  });
});
