import { BUCKET_MIX, BUCKETS, createRng, TASK_TYPE_MIX, TASK_TYPES } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chiSquareTest } from '../../../../tools/testing/chi-square';
import { expectSonaError } from '../../../../tools/testing/sona-error';
import { bisectIncreasing, sigmoid, simpsonRule } from './calibrate';
import { SIMULATED_WORLD_PARAMETERS } from './parameters';
import { profileSet, REFERENCE_SMALL, SWE_VERIFIED } from './profiles';
import { SimulatedWorld, STRATA } from './world';

const seedArb = fc.nat({ max: 2 ** 31 });
const worldFor = (seed: number, poolSize = 200) =>
  new SimulatedWorld({ rng: createRng(seed).fork('world'), poolSize });

describe('κ calibration', () => {
  it('bisection hits the base rate within 1e-6 for any world and base rate', () => {
    fc.assert(
      fc.property(seedArb, fc.double({ min: 0.02, max: 0.95, noNaN: true }), (seed, baseRate) => {
        const world = worldFor(seed, 12);
        const kappa = world.calibrateKappa(baseRate);
        expect(Math.abs(world.expectedRandomArmRate(kappa) - baseRate)).toBeLessThan(1e-6);
      }),
      { numRuns: 30 },
    );
  });

  it('bisectIncreasing solves monotone equations to the tolerance or to double resolution', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: 0.1, max: 4, noNaN: true }),
        (shift, slope) => {
          const f = (x: number) => sigmoid(slope * (x - shift));
          const target = 0.3;
          const { x } = bisectIncreasing(f, target, -40, 40);
          expect(Math.abs(f(x) - target)).toBeLessThan(1e-12);
        },
      ),
    );
  });

  it('refuses a target the bracket cannot reach', () => {
    expectSonaError(() => bisectIncreasing((x) => sigmoid(x), 1.2, -5, 5), 'OUT_OF_RANGE');
    expectSonaError(() => worldFor(1, 10).calibrateKappa(0), 'OUT_OF_RANGE');
  });

  it('the expected random-arm rate is increasing in κ', () => {
    fc.assert(
      fc.property(seedArb, fc.double({ min: -4, max: 4, noNaN: true }), (seed, k) => {
        const world = worldFor(seed, 12);
        expect(world.expectedRandomArmRate(k + 0.1)).toBeGreaterThan(
          world.expectedRandomArmRate(k),
        );
      }),
      { numRuns: 20 },
    );
  });

  it('the Simpson rule is exact for cubics and its weights sum to 1', () => {
    const { nodes, weights } = simpsonRule(SIMULATED_WORLD_PARAMETERS.simpsonIntervals);
    let sum = 0;
    let cubic = 0;
    nodes.forEach((x, i) => {
      sum += weights[i]!;
      cubic += weights[i]! * (4 * x ** 3 - 3 * x ** 2 + x);
    });
    expect(sum).toBeCloseTo(1, 14);
    expect(cubic).toBeCloseTo(1 - 1 + 0.5, 14);
  });

  it('the pool of a calibrated world shows its base rate (sampling error only)', () => {
    const world = worldFor(3, 4000);
    for (const profile of REFERENCE_SMALL.models) {
      const model = world.forModel(profile);
      let sum = 0;
      for (let i = 0; i < world.poolSize; i++) sum += model.randomArmRate(i);
      expect(Math.abs(sum / world.poolSize - profile.baseRate)).toBeLessThan(0.02);
    }
  });
});

describe('the simulated world', () => {
  it('follows the SPEC mixes exactly: type × bucket quotas within one task', () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 1500 }), (seed, poolSize) => {
        const world = worldFor(seed, poolSize);
        const counts = new Array(STRATA).fill(0);
        for (const s of world.strata) counts[s]++;
        TASK_TYPES.forEach((type, t) => {
          BUCKETS.forEach((bucket, b) => {
            const exact = poolSize * TASK_TYPE_MIX[type] * BUCKET_MIX[bucket];
            expect(Math.abs(counts[t * BUCKETS.length + b] - exact)).toBeLessThan(1);
          });
        });
      }),
      { numRuns: 25 },
    );
  });

  it('puts every difficulty inside its bucket range and every embedding on the unit sphere', () => {
    const world = worldFor(5, 300);
    for (const task of world.materializeTasks()) {
      const [lo, hi] = SIMULATED_WORLD_PARAMETERS.bucketRanges[task.bucket];
      expect(task.difficulty).toBeGreaterThanOrEqual(lo);
      expect(task.difficulty).toBeLessThanOrEqual(hi);
      let sq = 0;
      for (const v of task.embedding) sq += v * v;
      expect(Math.sqrt(sq)).toBeCloseTo(1, 5);
      expect(task.embedding.length).toBe(SIMULATED_WORLD_PARAMETERS.dim);
    }
  });

  it('shows learners nothing but the five task fields, frozen, with embeddings of their own', () => {
    const world = worldFor(9, 50);
    const a = world.materializeTasks();
    const b = world.materializeTasks();
    for (const task of a) {
      expect(Object.keys(task).sort()).toEqual(['bucket', 'difficulty', 'embedding', 'id', 'type']);
      expect(Object.getOwnPropertySymbols(task)).toEqual([]);
      expect(Object.getPrototypeOf(task)).toBe(Object.prototype);
      expect(Object.isFrozen(task)).toBe(true);
      expect(task.id).toMatch(/^task-\d+$/);
    }
    a[0]!.embedding.fill(0);
    expect(b[0]!.embedding.some((v) => v !== 0)).toBe(true);
    expect(world.embeddings.subarray(0, world.dim).some((v) => v !== 0)).toBe(true);
    // The world object itself exposes no cluster or effect field.
    expect(Object.keys(world).some((k) => /cluster|effect/i.test(k))).toBe(false);
  });

  it('is the same for the same seed and different for another', () => {
    const a = worldFor(1, 100);
    const b = worldFor(1, 100);
    const c = worldFor(2, 100);
    expect(a.embeddings).toEqual(b.embeddings);
    expect(a.difficulties).toEqual(b.difficulties);
    expect(a.embeddings).not.toEqual(c.embeddings);
  });

  it('tasks of one cluster are closer than tasks of different types', () => {
    const world = worldFor(4, 800);
    const tasks = world.materializeTasks();
    const model = world.forModel(REFERENCE_SMALL.models[0]!);
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    // Same best arm and same type is a proxy for "same cluster" the test can see.
    let same = 0;
    let sameCount = 0;
    let other = 0;
    let otherCount = 0;
    for (let i = 0; i < 200; i++) {
      for (let j = i + 1; j < 200; j++) {
        const s = dot(tasks[i]!.embedding, tasks[j]!.embedding);
        if (tasks[i]!.type !== tasks[j]!.type) {
          other += s;
          otherCount++;
        } else if (model.oracle(i).arm === model.oracle(j).arm) {
          same += s;
          sameCount++;
        }
      }
    }
    expect(same / sameCount).toBeGreaterThan(0.2);
    expect(Math.abs(other / otherCount)).toBeLessThan(0.05);
  });
});

describe('attempts and the oracle', () => {
  it('the oracle arm is at least as good as every arm, and success probabilities lie in (0, 1)', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const world = worldFor(seed, 60);
        const model = world.forModel(SWE_VERIFIED.models[seed % SWE_VERIFIED.models.length]!);
        for (let i = 0; i < world.poolSize; i++) {
          const { arm, rate } = model.oracle(i);
          expect(rate).toBe(model.successProbability(i, arm));
          for (let a = 0; a < world.arms.length; a++) {
            const p = model.successProbability(i, a);
            expect(p).toBeGreaterThan(0);
            expect(p).toBeLessThan(1);
            expect(p).toBeLessThanOrEqual(rate);
          }
          expect(model.randomArmRate(i)).toBeLessThanOrEqual(rate);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('the best arm is the same for every model (κ shifts all arms alike)', () => {
    const world = worldFor(8, 100);
    const small = world.forModel(REFERENCE_SMALL.models[5]!);
    const large = world.forModel(REFERENCE_SMALL.models[0]!);
    for (let i = 0; i < world.poolSize; i++) expect(small.oracle(i).arm).toBe(large.oracle(i).arm);
  });

  it('success frequencies match the hidden probability (chi-square, fixed seed)', () => {
    const world = worldFor(12, 20);
    const model = world.forModel(REFERENCE_SMALL.models[2]!);
    const rng = createRng(99);
    const draws = 20_000;
    for (const [task, arm] of [
      [0, 0],
      [7, 3],
      [19, 5],
    ] as const) {
      const p = model.successProbability(task, arm);
      let successes = 0;
      for (let d = 0; d < draws; d++) if (model.attempt(task, arm, rng).success) successes++;
      const { pValue } = chiSquareTest([successes, draws - successes], [p, 1 - p]);
      expect(pValue).toBeGreaterThan(0.001);
    }
  });

  it('qualities of successes lie in (floor, 1] and of failures in (0, floor], uniform within', () => {
    const world = worldFor(13, 20);
    const model = world.forModel(REFERENCE_SMALL.models[0]!);
    const floor = SIMULATED_WORLD_PARAMETERS.successQualityFloor;
    const rng = createRng(5);
    const bins = [new Array(5).fill(0), new Array(5).fill(0)];
    for (let d = 0; d < 20_000; d++) {
      const { success, quality } = model.attempt(d % 20, d % 6, rng);
      if (success) {
        expect(quality).toBeGreaterThan(floor);
        expect(quality).toBeLessThanOrEqual(1);
        bins[0]![Math.min(4, Math.floor(((quality - floor) / (1 - floor)) * 5))]++;
      } else {
        expect(quality).toBeGreaterThan(0);
        expect(quality).toBeLessThanOrEqual(floor);
        bins[1]![Math.min(4, Math.floor((quality / floor) * 5))]++;
      }
    }
    for (const counts of bins) {
      expect(chiSquareTest(counts, [0.2, 0.2, 0.2, 0.2, 0.2]).pValue).toBeGreaterThan(0.001);
    }
  });
});

describe('profiles', () => {
  it('reference-small is the six of the SPEC and swe-verified the fourteen of the chart', () => {
    expect(REFERENCE_SMALL.models.map((m) => m.baseRate)).toEqual([
      0.352, 0.338, 0.284, 0.246, 0.182, 0.158,
    ]);
    expect(SWE_VERIFIED.models).toHaveLength(14);
    expect(new Set(SWE_VERIFIED.models.map((m) => m.paramsB))).toEqual(new Set([3, 7, 8, 32, 70]));
  });

  it('takes a set by name or a checked set of its own', () => {
    expect(profileSet('swe-verified')).toBe(SWE_VERIFIED);
    const own = {
      name: 'mine',
      description: '',
      models: [{ name: 'm', paramsB: 2, baseRate: 0.3 }],
    };
    expect(profileSet(own)).toEqual(own);
    const bad = [
      'nope',
      { ...own, models: [] },
      { ...own, name: '' },
      { ...own, models: [own.models[0]!, own.models[0]!] },
      { ...own, models: [{ name: 'm', paramsB: 0, baseRate: 0.3 }] },
      { ...own, models: [{ name: 'm', paramsB: 2, baseRate: 1 }] },
    ];
    for (const value of bad) {
      expectSonaError(() => profileSet(value), 'INVALID_ARGUMENT');
    }
  });
});
