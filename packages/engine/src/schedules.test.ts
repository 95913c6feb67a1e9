import { BUCKETS, createRng, TASK_TYPES, type Task } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chiSquareTest } from '../../../tools/testing/chi-square';
import { bucketsFor, DDA_BAND, pickTask, usableSignals } from './curriculum';
import { DDA, type DdaState, ddaAfter, initialDda } from './dda';
import {
  argmax,
  initialLearningRate,
  LEARNING_RATE,
  nextLearningRate,
  softmax,
  temperatureAt,
  trendFactor,
} from './schedules';
import { VERSION_CONFIGS } from './versions';

const outcomes = fc.array(fc.boolean(), { maxLength: 300 });
const epochsArb = fc.integer({ min: 1, max: 30 });

describe('DDA', () => {
  it('keeps the target on the 0.05 grid within [0.1, 0.9] and the window under 20', () => {
    fc.assert(
      fc.property(outcomes, (seq) => {
        let state = initialDda();
        for (const success of seq) {
          state = ddaAfter(state, success);
          expect(state.difficulty).toBeGreaterThanOrEqual(DDA.min);
          expect(state.difficulty).toBeLessThanOrEqual(DDA.max);
          expect(Math.abs(state.difficulty * 20 - Math.round(state.difficulty * 20))).toBeLessThan(
            1e-9,
          );
          expect(state.outcomes.length).toBeLessThan(DDA.window);
        }
      }),
    );
  });

  it('moves only after a full window: up above 70%, down below 50%, else stays', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
        fc.integer({ min: 2, max: 18 }),
        (window, start) => {
          const before: DdaState = { difficulty: start / 20, outcomes: [] };
          let state: DdaState = before;
          for (let i = 0; i < 19; i++) {
            state = ddaAfter(state, window[i]!);
            expect(state.difficulty).toBe(before.difficulty);
          }
          state = ddaAfter(state, window[19]!);
          const rate = window.filter(Boolean).length / 20;
          const expected =
            rate > 0.7
              ? Math.min(0.9, before.difficulty + 0.05)
              : rate < 0.5
                ? Math.max(0.1, before.difficulty - 0.05)
                : before.difficulty;
          expect(state.difficulty).toBeCloseTo(expected, 12);
          expect(state.outcomes).toEqual([]);
        },
      ),
    );
  });
});

const taskArb = (i: number) =>
  fc
    .record({
      type: fc.constantFrom(...TASK_TYPES),
      bucket: fc.constantFrom(...BUCKETS),
      difficulty: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map((t): Task => ({ ...t, id: `t${i}`, embedding: new Float32Array(2) }));
const tasksArb = fc
  .integer({ min: 1, max: 40 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => taskArb(i))));

describe('curriculum', () => {
  it('opens buckets in order and never closes one', () => {
    fc.assert(
      fc.property(epochsArb, (epochs) => {
        let previous = 0;
        for (let e = 0; e < epochs; e++) {
          const open = bucketsFor(e, epochs);
          expect(open[0]).toBe('easy');
          expect(open.length).toBeGreaterThanOrEqual(previous);
          previous = open.length;
        }
        expect(bucketsFor(epochs - 1, epochs)).toContain('hard');
        if (epochs >= 3) expect(bucketsFor(0, epochs)).toEqual(['easy']);
      }),
    );
  });

  it('picks a candidate from an allowed bucket whenever one exists', () => {
    fc.assert(
      fc.property(tasksArb, epochsArb, fc.nat(), fc.nat(), (tasks, epochs, e, seed) => {
        const epoch = e % epochs;
        const picked = pickTask(
          tasks,
          { curriculum: true, dda: false, epoch, epochs, targetDifficulty: 0.5 },
          createRng(seed),
        );
        expect(tasks).toContain(picked);
        const allowed = bucketsFor(epoch, epochs);
        if (tasks.some((t) => allowed.includes(t.bucket!)))
          expect(allowed).toContain(picked.bucket);
      }),
    );
  });

  it('falls back to uniform when a candidate lacks its bucket (curriculum) or difficulty (DDA)', () => {
    fc.assert(
      fc.property(
        tasksArb,
        fc.nat(),
        fc.boolean(),
        fc.boolean(),
        fc.nat(),
        (tasks, which, dropBucket, dda, seed) => {
          const i = which % tasks.length;
          const { bucket, difficulty, ...rest } = tasks[i]!;
          const stripped = [...tasks];
          stripped[i] = dropBucket ? { ...rest, difficulty } : { ...rest, bucket };
          fc.pre(dropBucket || dda);
          const options = { curriculum: true, dda, epoch: 0, epochs: 4, targetDifficulty: 0.5 };
          const uniform = { ...options, curriculum: !dropBucket, dda: dda && dropBucket };
          expect(pickTask(stripped, options, createRng(seed))).toBe(
            pickTask(stripped, uniform, createRng(seed)),
          );
          const signals = usableSignals(stripped);
          expect(signals).toEqual({ buckets: !dropBucket, difficulty: dropBucket });
        },
      ),
    );
  });

  it('with DDA picks within the band of the target when it can, else the nearest', () => {
    fc.assert(
      fc.property(
        tasksArb,
        fc.double({ min: 0.1, max: 0.9, noNaN: true }),
        fc.nat(),
        (tasks, target, seed) => {
          const picked = pickTask(
            tasks,
            { curriculum: false, dda: true, epoch: 0, epochs: 1, targetDifficulty: target },
            createRng(seed),
          );
          const nearest = Math.min(...tasks.map((t) => Math.abs(t.difficulty! - target)));
          if (nearest <= DDA_BAND)
            expect(Math.abs(picked.difficulty! - target)).toBeLessThanOrEqual(DDA_BAND);
          else expect(Math.abs(picked.difficulty! - target)).toBe(nearest);
        },
      ),
    );
  });

  it('draws uniformly among eligible tasks (chi-square, fixed seed)', () => {
    const tasks: Task[] = Array.from({ length: 5 }, (_, i) => ({
      id: `t${i}`,
      type: 'bug_fix',
      bucket: 'easy',
      difficulty: 0.5,
      embedding: new Float32Array(1),
    }));
    const rng = createRng(3);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const t = pickTask(
        tasks,
        { curriculum: true, dda: true, epoch: 0, epochs: 3, targetDifficulty: 0.5 },
        rng,
      );
      counts[Number(t.id.slice(1))]++;
    }
    expect(chiSquareTest(counts, new Array(5).fill(0.2)).pValue).toBeGreaterThan(0.001);
  });
});

describe('temperature', () => {
  it('runs from start at the first epoch to end at the last, never rising', () => {
    for (const version of ['v1', 'v2', 'v3'] as const) {
      const schedule = VERSION_CONFIGS[version].temperature;
      fc.assert(
        fc.property(fc.integer({ min: 2, max: 30 }), (epochs) => {
          expect(temperatureAt(schedule, 0, epochs)).toBeCloseTo(schedule.start, 12);
          expect(temperatureAt(schedule, epochs - 1, epochs)).toBeCloseTo(schedule.end, 12);
          for (let e = 1; e < epochs; e++) {
            expect(temperatureAt(schedule, e, epochs)).toBeLessThanOrEqual(
              temperatureAt(schedule, e - 1, epochs),
            );
          }
        }),
      );
    }
    expect(VERSION_CONFIGS.v2.temperature.end).toBe(0.44);
    expect(VERSION_CONFIGS.v3.temperature.end).toBe(0.28);
  });

  it('softmax is a distribution that preserves order and sharpens as the temperature falls', () => {
    const scores = fc
      .array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 10 })
      .map((s) => Float32Array.from(s));
    fc.assert(
      fc.property(scores, fc.double({ min: 0.05, max: 2, noNaN: true }), (s, t) => {
        const p = softmax(s, t);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        const best = argmax(s);
        for (let i = 0; i < s.length; i++) {
          if (s[i]! < s[best]!) expect(p[i]!).toBeLessThanOrEqual(p[best]!);
          if (s[i]! < s[best]! - 1e-3) expect(p[i]!).toBeLessThan(p[best]!);
        }
        expect(softmax(s, t / 2)[best]!).toBeGreaterThanOrEqual(p[best]! - 1e-12);
      }),
    );
  });
});

describe('learning rate', () => {
  const trends = fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: 60 });

  it('stays within [0.1×, 3×] base for every kind and trend sequence', () => {
    fc.assert(
      fc.property(
        trends,
        fc.constantFrom('fixed' as const, 'momentum' as const, 'meta' as const),
        (seq, kind) => {
          let state = initialLearningRate();
          for (const trend of seq) {
            state = nextLearningRate(kind, state, trend);
            expect(state.rate).toBeGreaterThanOrEqual(LEARNING_RATE.base * 0.1 - 1e-18);
            expect(state.rate).toBeLessThanOrEqual(LEARNING_RATE.base * 3 + 1e-18);
            if (kind === 'fixed') expect(state.rate).toBe(LEARNING_RATE.base);
          }
        },
      ),
    );
  });

  it('meta multiplies by 1.2 above +0.05, by 0.7 below −0.02, else keeps the rate', () => {
    expect(trendFactor(0.051)).toBe(1.2);
    expect(trendFactor(0.05)).toBe(1);
    expect(trendFactor(-0.02)).toBe(1);
    expect(trendFactor(-0.021)).toBe(0.7);
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), (trend) => {
        const next = nextLearningRate('meta', initialLearningRate(), trend);
        expect(next.rate).toBeCloseTo(LEARNING_RATE.base * trendFactor(trend), 15);
      }),
    );
  });

  it('momentum follows v ← 0.9v + 0.1(target − rate), rate ← rate + v', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.0002, max: 0.0029, noNaN: true }),
        fc.double({ min: -0.0005, max: 0.0005, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (rate, velocity, trend) => {
          const next = nextLearningRate('momentum', { rate, velocity }, trend);
          const target = Math.min(0.003, Math.max(0.0001, rate * trendFactor(trend)));
          const v = 0.9 * velocity + 0.1 * (target - rate);
          expect(next.velocity).toBeCloseTo(v, 15);
          expect(next.rate).toBeCloseTo(Math.min(0.003, Math.max(0.0001, rate + v)), 15);
        },
      ),
    );
  });
});
