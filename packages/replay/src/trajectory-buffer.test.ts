import { type SonaErrorCode, TASK_TYPES, type Trajectory } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { makeTrajectory, trajectoryArb } from './test-support';
import { TrajectoryBuffer, type TrajectoryBufferState } from './trajectory-buffer';

const optionsArb = fc.record({
  capacity: fc.integer({ min: 1, max: 25 }),
  keepFraction: fc.constantFrom(0.8, 0, 0.5, 0.95),
});

/** The pruning rule restated: best `keep` by quality, newer first on ties, in arrival order. */
function prunedReference(held: Trajectory[], keep: number): Trajectory[] {
  return held
    .map((t, i) => ({ t, i }))
    .sort((a, b) => b.t.quality - a.t.quality || b.i - a.i)
    .slice(0, keep)
    .sort((a, b) => a.i - b.i)
    .map(({ t }) => t);
}

describe('TrajectoryBuffer', () => {
  it('when full, keeps exactly floor(capacity × keepFraction) best by quality (ties: newer) then appends', () => {
    fc.assert(
      fc.property(optionsArb, fc.array(trajectoryArb, { maxLength: 80 }), (options, pushes) => {
        const buffer = new TrajectoryBuffer(options);
        const keep = Math.floor(options.capacity * options.keepFraction);
        let reference: Trajectory[] = [];
        for (const t of pushes) {
          if (reference.length === options.capacity) {
            reference = prunedReference(reference, keep);
          }
          reference.push(t);
          buffer.push(t);
          expect(buffer.size).toBeLessThanOrEqual(options.capacity);
        }
        expect(buffer.toArray()).toEqual(reference);
        expect([...buffer]).toEqual(reference);
      }),
    );
  });

  it('the default buffer keeps 8,000 of 10,000, the best 80%', () => {
    const buffer = new TrajectoryBuffer();
    for (let i = 0; i < 10_000; i++)
      buffer.push(makeTrajectory({ quality: (i % 100) / 100, epoch: i + 1 }));
    expect(buffer.size).toBe(10_000);
    buffer.push(makeTrajectory({ quality: 0, epoch: 10_000 }));
    expect(buffer.size).toBe(8_001);
    const qualities = buffer
      .toArray()
      .slice(0, 8_000)
      .map((t) => t.quality);
    // 100 per quality level: 0.20 .. 0.99 survive whole (8,000 of them), nothing below.
    expect(Math.min(...qualities)).toBe(0.2);
    expect(buffer.at(8_000).epoch).toBe(10_000);
  });

  it('stats are the count, mean quality and success rate, overall and per task type', () => {
    fc.assert(
      fc.property(fc.array(trajectoryArb, { maxLength: 40 }), (pushes) => {
        const buffer = new TrajectoryBuffer({ capacity: 100 });
        for (const t of pushes) buffer.push(t);
        const stats = buffer.stats();
        expect(stats.count).toBe(pushes.length);
        const mean = (ts: Trajectory[], f: (t: Trajectory) => number) =>
          ts.length === 0 ? 0 : ts.reduce((s, t) => s + f(t), 0) / ts.length;
        expect(stats.meanQuality).toBeCloseTo(
          mean(pushes, (t) => t.quality),
          12,
        );
        expect(stats.successRate).toBeCloseTo(
          mean(pushes, (t) => (t.success ? 1 : 0)),
          12,
        );
        const known: readonly string[] = TASK_TYPES;
        const others = [...new Set(pushes.map((t) => t.type))].filter((t) => !known.includes(t));
        const types = [...known, ...others.sort()];
        expect(Object.keys(stats.byType)).toEqual(types);
        for (const type of types) {
          const group = pushes.filter((t) => t.type === type);
          const row = stats.byType[type];
          expect(row).toBeDefined();
          if (row === undefined) continue;
          expect(row.count).toBe(group.length);
          expect(row.meanQuality).toBeCloseTo(
            mean(group, (t) => t.quality),
            12,
          );
          expect(row.successRate).toBeCloseTo(
            mean(group, (t) => (t.success ? 1 : 0)),
            12,
          );
        }
      }),
    );
  });

  it('bad input raises a SonaError and leaves the buffer as it was', () => {
    const buffer = new TrajectoryBuffer({ capacity: 2 });
    buffer.push(makeTrajectory());
    buffer.push(makeTrajectory({ quality: 0.9 }));
    const before = buffer.state();
    const bad: [Partial<Record<keyof Trajectory, unknown>>, SonaErrorCode][] = [
      [{ quality: 1.5 }, 'OUT_OF_RANGE'],
      [{ quality: Number.NaN }, 'NON_FINITE'],
      [{ type: '' }, 'INVALID_ARGUMENT'],
      [{ type: 'x'.repeat(257) }, 'INVALID_ARGUMENT'],
      [{ difficulty: 1.5 }, 'OUT_OF_RANGE'],
      [{ embedding: [1, 2] }, 'INVALID_ARGUMENT'],
      [{ embedding: Float32Array.of(Number.NaN) }, 'NON_FINITE'],
      [{ success: 1 }, 'INVALID_ARGUMENT'],
      [{ epoch: 0 }, 'OUT_OF_RANGE'],
      [{ taskId: 3 }, 'INVALID_ARGUMENT'],
      [{ tdError: 2 }, 'OUT_OF_RANGE'],
    ];
    for (const [patch, code] of bad) {
      expectSonaError(() => buffer.push({ ...makeTrajectory(), ...patch } as Trajectory), code);
    }
    expectSonaError(() => buffer.push(null as never), 'INVALID_ARGUMENT');
    expect(buffer.state()).toEqual(before);
    expectSonaError(() => new TrajectoryBuffer({ capacity: 10, keepFraction: 1 }), 'OUT_OF_RANGE');
    expectSonaError(() => new TrajectoryBuffer({ capacity: 0 }), 'OUT_OF_RANGE');
    const tooMany = { ...before, capacity: 1, keepFraction: 0 } as TrajectoryBufferState;
    expectSonaError(() => TrajectoryBuffer.fromState(tooMany), 'INVALID_STATE');
    expectSonaError(
      () => TrajectoryBuffer.fromState({ ...before, kind: 'x' } as never),
      'INVALID_STATE',
    );
  });
});

describeStateLaws('TrajectoryBuffer', {
  recipe: fc.tuple(optionsArb, fc.array(trajectoryArb, { maxLength: 40 })),
  build: ([options, before]) => {
    const buffer = new TrajectoryBuffer(options);
    for (const t of before) buffer.push(t);
    return buffer;
  },
  state: (buffer) => buffer.state(),
  fromState: (state) => TrajectoryBuffer.fromState(state),
  kind: 'trajectory-buffer',
  continuation: {
    input: () => fc.array(trajectoryArb, { maxLength: 20 }),
    run: (buffer, after) => {
      for (const t of after) buffer.push(t);
      return buffer.stats();
    },
  },
  numRuns: 50,
});
