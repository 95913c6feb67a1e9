import { createRng } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogisticModel } from '../experiment/logistic';
import { mean, studentTCdf, studentTQuantile, tInterval } from '../experiment/stats';
import { makeConflictingTasks, type TaskOptions } from '../experiment/tasks';

describe('experiment statistics', () => {
  it('Student-t quantiles match published table values', () => {
    // Two-sided 95% critical values for df = 1, 2, 9, 30 (any t table).
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.3027, 4);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.2622, 4);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0423, 4);
  });

  it('the t CDF is symmetric and increasing', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -20, max: 20, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 60 }),
        (t, step, df) => {
          expect(studentTCdf(t, df) + studentTCdf(-t, df)).toBeCloseTo(1, 12);
          expect(studentTCdf(t + step, df)).toBeGreaterThanOrEqual(studentTCdf(t, df));
        },
      ),
    );
  });

  it('the interval is centred on the mean and collapses for identical values', () => {
    const interval = tInterval([0.5, 0.7, 0.6]);
    expect(interval.mean).toBeCloseTo(0.6, 12);
    expect(interval.mean - interval.low).toBeCloseTo(interval.high - interval.mean, 12);
    expect(tInterval([0.3, 0.3, 0.3])).toEqual({ mean: 0.3, low: 0.3, high: 0.3 });
    expect(mean([1, 2, 3, 6])).toBe(3);
  });
});

describe('experiment model and data', () => {
  const small: TaskOptions = {
    privateDim: 3,
    sharedDim: 2,
    sharpness: 4,
    sharedScaleB: 0.5,
    trainSize: 40,
    testSize: 10,
  };

  it('the log-loss gradient equals a central finite difference', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1000 }), fc.nat({ max: 39 }), (seed, row) => {
        const tasks = makeConflictingTasks(createRng(seed), small);
        const data = tasks.a.train;
        const one = {
          inputs: data.inputs.slice(row * data.dim, (row + 1) * data.dim),
          labels: data.labels.slice(row, row + 1),
          n: 1,
          dim: data.dim,
        };
        const model = new LogisticModel(data.dim);
        const rng = createRng(seed).fork('weights');
        for (let j = 0; j < model.params.length; j++) model.params[j] = rng.normal(0, 0.5);
        const grad = model.exampleGradient(one, 0, new Float32Array(model.params.length));
        const h = 2 ** -10;
        for (let j = 0; j < model.params.length; j++) {
          const saved = model.params[j]!;
          model.params[j] = saved + h;
          const up = model.loss(one);
          model.params[j] = saved - h;
          const down = model.loss(one);
          model.params[j] = saved;
          expect(Math.abs(grad[j]! - (up - down) / (2 * h))).toBeLessThan(1e-4);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('tasks are reproducible and keep the other task’s private block at zero', () => {
    const first = makeConflictingTasks(createRng(5), small);
    const again = makeConflictingTasks(createRng(5), small);
    expect(again.a.train.inputs).toEqual(first.a.train.inputs);
    expect(again.b.test.labels).toEqual(first.b.test.labels);
    const k = small.privateDim;
    for (let row = 0; row < small.trainSize; row++) {
      const a = first.a.train.inputs.subarray(row * first.dim, (row + 1) * first.dim);
      const b = first.b.train.inputs.subarray(row * first.dim, (row + 1) * first.dim);
      expect(Array.from(a.subarray(k, 2 * k))).toEqual([0, 0, 0]);
      expect(Array.from(b.subarray(0, k))).toEqual([0, 0, 0]);
    }
  });
});
