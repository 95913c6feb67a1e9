import { createRng } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chiSquareTest } from '../../../tools/testing/chi-square';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { PatternReplay } from './pattern-replay';
import { makeTrajectory, tiedQualityArb, trajectoryArb } from './test-support';
import { UniformReplay } from './uniform-replay';

describe('UniformReplay', () => {
  it('holds the last `capacity` items, the oldest overwritten first', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 40 }),
        (capacity, n) => {
          const replay = new UniformReplay<number>({ capacity });
          for (let i = 0; i < n; i++) replay.add(i);
          expect(replay.size).toBe(Math.min(n, capacity));
          const held = Array.from({ length: replay.size }, (_, i) => replay.get(i)).sort(
            (a, b) => a - b,
          );
          expect(held).toEqual(Array.from({ length: replay.size }, (_, i) => n - replay.size + i));
        },
      ),
    );
  });

  it('samples every slot with probability 1/size and weight 1 (chi-square, seed 42)', () => {
    const replay = new UniformReplay<number>({ capacity: 8 });
    for (let i = 0; i < 7; i++) replay.add(i);
    const counts = new Array<number>(7).fill(0);
    const rng = createRng(42);
    for (let b = 0; b < 2000; b++) {
      const batch = replay.sample(5, rng);
      batch.indices.forEach((i, k) => {
        counts[i]!++;
        expect(batch.items[k]).toBe(i);
      });
      expect(batch.weights.every((w) => w === 1)).toBe(true);
    }
    expect(chiSquareTest(counts, new Array(7).fill(1 / 7)).pValue).toBeGreaterThan(0.001);
  });

  it('bad input raises a SonaError and changes nothing', () => {
    const replay = new UniformReplay<number>({ capacity: 3 });
    expectSonaError(() => replay.sample(2, createRng(1)), 'EMPTY_INPUT');
    replay.add(1);
    const before = replay.state();
    expectSonaError(() => replay.add(2, Number.NaN), 'NON_FINITE');
    expectSonaError(() => replay.updatePriorities([1], [0]), 'OUT_OF_RANGE');
    expectSonaError(() => replay.updatePriorities([0], [0, 1]), 'DIM_MISMATCH');
    expect(replay.state()).toEqual(before);
    expectSonaError(
      () => UniformReplay.fromState({ ...before, nextSlot: 2 }, (v) => v as number),
      'INVALID_STATE',
    );
    expectSonaError(
      () => UniformReplay.fromState({ ...before, kind: 'pattern' } as never),
      'INVALID_STATE',
    );
  });
});

describe('PatternReplay', () => {
  it('keeps exactly the `keep` best items seen, newer first among equal qualities', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(tiedQualityArb, { maxLength: 60 }),
        (keep, qualities) => {
          const replay = new PatternReplay<{ quality: number; id: number }>({ keep });
          qualities.forEach((quality, id) => {
            replay.add({ quality, id });
          });
          const expected = qualities
            .map((quality, id) => ({ quality, id }))
            .sort((a, b) => b.quality - a.quality || b.id - a.id)
            .slice(0, keep);
          expect(replay.items()).toEqual(expected);
        },
      ),
    );
  });

  it('samples the kept items uniformly (chi-square, seed 42)', () => {
    const replay = new PatternReplay<{ quality: number }>();
    for (let i = 0; i < 30; i++) replay.add({ quality: ((i * 7) % 30) / 30 });
    const kept = replay.items();
    const counts = new Array<number>(10).fill(0);
    const rng = createRng(42);
    for (let b = 0; b < 1000; b++) {
      const batch = replay.sample(4, rng);
      batch.indices.forEach((i, k) => {
        counts[i]!++;
        expect(batch.items[k]).toBe(kept[i]);
      });
    }
    expect(chiSquareTest(counts, new Array(10).fill(0.1)).pValue).toBeGreaterThan(0.001);
  });

  it('bad input raises a SonaError and changes nothing', () => {
    const replay = new PatternReplay({ keep: 2 });
    expectSonaError(() => replay.sample(1, createRng(1)), 'EMPTY_INPUT');
    replay.add(makeTrajectory({ quality: 0.9 }));
    const before = replay.state();
    expectSonaError(() => replay.add(makeTrajectory({ quality: Number.NaN })), 'NON_FINITE');
    expectSonaError(() => replay.add(null as never), 'INVALID_ARGUMENT');
    expect(replay.state()).toEqual(before);
    const unordered = {
      ...before,
      items: [makeTrajectory({ quality: 0.1 }), makeTrajectory({ quality: 0.2 })],
    };
    expectSonaError(() => PatternReplay.fromState(unordered), 'INVALID_STATE');
    expectSonaError(() => new PatternReplay({ keep: 0 }), 'OUT_OF_RANGE');
  });
});

describeStateLaws('UniformReplay', {
  recipe: fc.array(trajectoryArb, { minLength: 1, maxLength: 20 }),
  build: (items) => {
    const replay = new UniformReplay({ capacity: 6 });
    for (const t of items) replay.add(t, t.tdError);
    return replay;
  },
  state: (replay) => replay.state(),
  fromState: (state) => UniformReplay.fromState(state),
  kind: 'uniform',
  copies: false, // it holds the caller's items, not copies of them
  continuation: {
    input: (items) => fc.tuple(fc.constant(items[0]!), fc.nat()),
    run: (replay, [next, seed]) => {
      replay.add(next);
      return replay.sample(5, createRng(seed));
    },
  },
  numRuns: 50,
});

describeStateLaws('PatternReplay', {
  recipe: fc.array(trajectoryArb, { minLength: 1, maxLength: 30 }),
  build: (items) => {
    const replay = new PatternReplay();
    for (const t of items) replay.add(t);
    return replay;
  },
  state: (replay) => replay.state(),
  fromState: (state) => PatternReplay.fromState(state),
  kind: 'pattern',
  copies: false, // it holds the caller's items, not copies of them
  continuation: {
    input: () => trajectoryArb,
    run: (replay, next) => replay.add(next),
  },
  numRuns: 50,
});
