import { createRng, type Trajectory } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chiSquareTest } from '../../../tools/testing/chi-square';
import { expectSonaError, sonaErrorCode } from '../../../tools/testing/sona-error';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { PrioritizedReplay, type PrioritizedReplayState } from './prioritized-replay';
import { makeTrajectory, tdErrorArb, trajectoryArb } from './test-support';

const optionsArb = fc.record({
  capacity: fc.integer({ min: 1, max: 12 }),
  alpha: fc.constantFrom(0, 0.6, 1),
  beta0: fc.constantFrom(0.4, 0, 1),
  betaStep: fc.constantFrom(0.001, 0.25),
  epsilon: fc.constantFrom(0.01, 0.5),
});

/** A plain re-statement of the PER rules the class must follow. */
class Model {
  priorities: number[] = [];
  maxPriority = 1;
  nextSlot = 0;
  sampleCalls = 0;
  /** Items added so far (each item is its own number). */
  added = 0;
  constructor(
    readonly o: {
      capacity: number;
      alpha: number;
      beta0: number;
      betaStep: number;
      epsilon: number;
    },
  ) {}
  priorityOf(td: number) {
    return (Math.abs(td) + this.o.epsilon) ** this.o.alpha;
  }
  set(slot: number, p: number) {
    this.priorities[slot] = p;
    this.maxPriority = Math.max(this.maxPriority, p);
  }
  beta() {
    return Math.min(1, this.o.beta0 + this.o.betaStep * this.sampleCalls);
  }
}

type Real = PrioritizedReplay<number>;

/** The model's invariants hold of the real memory after every command. */
function checkAgainstModel(model: Model, replay: Real) {
  expect(replay.size).toBe(model.priorities.length);
  let sum = 0;
  for (let i = 0; i < replay.size; i++) {
    expect(replay.priority(i)).toBe(model.priorities[i]);
    sum += model.priorities[i]!;
  }
  expect(Math.abs(replay.totalPriority - sum)).toBeLessThanOrEqual(sum * 1e-12);
  expect(replay.maxPriority).toBe(model.maxPriority);
  expect(replay.beta).toBe(model.beta());
}

/** add(item, tdError?): the next slot, priority from the TD error or the running maximum. */
class AddCommand implements fc.Command<Model, Real> {
  constructor(readonly tdError: number | undefined) {}
  check(): boolean {
    return true;
  }
  run(model: Model, replay: Real): void {
    const p = this.tdError === undefined ? model.maxPriority : model.priorityOf(this.tdError);
    const slot = replay.add(model.added++, this.tdError);
    expect(slot).toBe(model.nextSlot);
    model.set(slot, p);
    model.nextSlot = (slot + 1) % model.o.capacity;
    checkAgainstModel(model, replay);
  }
  toString(): string {
    return `add(${this.tdError})`;
  }
}

/** updatePriorities(indices, tdErrors): positions given as fractions of the size. */
class UpdateCommand implements fc.Command<Model, Real> {
  constructor(readonly picks: readonly [number, number][]) {}
  check(model: Readonly<Model>): boolean {
    return model.priorities.length > 0;
  }
  run(model: Model, replay: Real): void {
    const indices = this.picks.map(([at]) => Math.floor(at * replay.size));
    const tds = this.picks.map(([, td]) => td);
    replay.updatePriorities(indices, Float64Array.from(tds));
    indices.forEach((slot, i) => {
      model.set(slot, model.priorityOf(tds[i]!));
    });
    checkAgainstModel(model, replay);
  }
  toString(): string {
    return `update(${JSON.stringify(this.picks)})`;
  }
}

/** sample(batchSize, rng): weights (min p / p)^β, then β moves one step. */
class SampleCommand implements fc.Command<Model, Real> {
  constructor(
    readonly batchSize: number,
    readonly seed: number,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.priorities.length > 0;
  }
  run(model: Model, replay: Real): void {
    const beta = model.beta();
    const minP = Math.min(...model.priorities);
    const batch = replay.sample(this.batchSize, createRng(this.seed));
    model.sampleCalls++;
    batch.indices.forEach((slot, k) => {
      const p = model.priorities[slot]!;
      expect(batch.items[k]).toBe(replay.get(slot));
      expect(batch.weights[k]).toBe(Math.fround((minP / p) ** beta));
      expect(batch.weights[k]).toBeLessThanOrEqual(1);
    });
    checkAgainstModel(model, replay);
  }
  toString(): string {
    return `sample(${this.batchSize}, seed ${this.seed})`;
  }
}

const commandsArb = fc.commands(
  [
    fc.option(tdErrorArb, { nil: undefined }).map((td) => new AddCommand(td)),
    fc
      .array(fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), tdErrorArb), {
        maxLength: 6,
      })
      .map((picks) => new UpdateCommand(picks)),
    fc
      .tuple(fc.integer({ min: 1, max: 8 }), fc.nat())
      .map(([batchSize, seed]) => new SampleCommand(batchSize, seed)),
  ],
  { maxCommands: 60 },
);

describe('PrioritizedReplay', () => {
  it('matches the PER rules after any sequence of adds, updates and samples (sum-tree total, max priority, weights, β)', () => {
    fc.assert(
      fc.property(optionsArb, commandsArb, (options, commands) => {
        fc.modelRun(
          () => ({ model: new Model(options), real: new PrioritizedReplay<number>(options) }),
          commands,
        );
      }),
    );
  });

  it('a new item without a TD error gets the running maximum priority, 1 at first', () => {
    const replay = new PrioritizedReplay<string>({ capacity: 4 });
    expect(replay.add('a')).toBe(0);
    expect(replay.priority(0)).toBe(1);
    replay.updatePriorities([0], [0]);
    expect(replay.priority(0)).toBeCloseTo(0.01 ** 0.6, 15);
    expect(replay.maxPriority).toBe(1); // the running maximum never falls
    replay.add('b', 0.9);
    expect(replay.priority(1)).toBe((0.9 + 0.01) ** 0.6);
    replay.updatePriorities([1], [-3]);
    replay.add('c');
    expect(replay.priority(2)).toBe(3.01 ** 0.6);
  });

  it('when full, add overwrites the oldest slot', () => {
    const replay = new PrioritizedReplay<string>({ capacity: 3 });
    for (const item of ['a', 'b', 'c', 'd', 'e']) replay.add(item);
    expect([0, 1, 2].map((i) => replay.get(i))).toEqual(['d', 'e', 'c']);
    expect(replay.size).toBe(3);
  });

  it('β grows by betaStep per sample call and stops at 1', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer({ min: 0, max: 40 }),
        (beta0, betaStep, calls) => {
          const replay = new PrioritizedReplay<number>({ capacity: 2, beta0, betaStep });
          replay.add(1);
          const rng = createRng(1);
          let previous = replay.beta;
          expect(previous).toBe(beta0);
          for (let i = 0; i < calls; i++) {
            replay.sample(1, rng);
            expect(replay.beta).toBe(Math.min(1, beta0 + betaStep * (i + 1)));
            expect(replay.beta).toBeGreaterThanOrEqual(previous);
            previous = replay.beta;
          }
        },
      ),
    );
    const replay = new PrioritizedReplay<number>();
    replay.add(1);
    const rng = createRng(2);
    for (let i = 0; i < 600; i++) replay.sample(1, rng);
    expect(replay.beta).toBe(1); // 0.4 + 600 × 0.001 passes 1: capped
  });

  it('weights never exceed 1 and the item with the smallest priority has weight exactly 1', () => {
    fc.assert(
      fc.property(fc.array(tdErrorArb, { minLength: 1, maxLength: 30 }), fc.nat(), (tds, seed) => {
        const replay = new PrioritizedReplay<number>({ capacity: 64, beta0: 0.7 });
        tds.forEach((td, i) => {
          replay.add(i, td);
        });
        // Segments at most half the smallest priority: every item's interval holds a whole
        // segment, so the batch is certain to include an item of the smallest priority.
        const batchSize = Math.ceil((2 * replay.totalPriority) / replay.minPriority) + 1;
        const batch = replay.sample(batchSize, createRng(seed));
        let largest = 0;
        batch.weights.forEach((w, k) => {
          expect(w).toBeGreaterThan(0);
          expect(w).toBeLessThanOrEqual(1);
          largest = Math.max(largest, w);
          if (replay.priority(batch.indices[k]!) === replay.minPriority) expect(w).toBe(1);
        });
        expect(largest).toBe(1);
      }),
    );
  });

  it('stratified sampling: draw k of a batch follows P(i) restricted to segment k (chi-square, seed 42)', () => {
    const tds = [0.9, 0.05, 0.4, -0.7, 0, 0.2, -0.1, 1, 0.33, -0.5];
    const replay = new PrioritizedReplay<number>({ capacity: tds.length });
    tds.forEach((td, i) => {
      replay.add(i, td);
    });
    const priorities = tds.map((_, i) => replay.priority(i));
    const total = priorities.reduce((a, b) => a + b, 0);
    const batchSize = 4;
    const batches = 6000;
    const counts = Array.from({ length: batchSize }, () => new Array<number>(tds.length).fill(0));
    const rng = createRng(42);
    for (let b = 0; b < batches; b++) {
      const { indices } = replay.sample(batchSize, rng);
      indices.forEach((slot, k) => {
        counts[k]![slot]!++;
      });
    }
    const segment = total / batchSize;
    for (let k = 0; k < batchSize; k++) {
      // q_k(i) = |[prefix_i, prefix_i + p_i) ∩ [k·S, (k+1)·S)| / S
      let prefix = 0;
      const expected = priorities.map((p) => {
        const overlap = Math.max(
          0,
          Math.min(prefix + p, (k + 1) * segment) - Math.max(prefix, k * segment),
        );
        prefix += p;
        return overlap / segment;
      });
      const { pValue } = chiSquareTest(counts[k]!, expected);
      expect(pValue).toBeGreaterThan(0.001);
    }
    // Pooled over the batch positions the frequencies are P(i) itself.
    const pooled = priorities.map((_, i) => counts.reduce((sum, c) => sum + c[i]!, 0));
    expect(
      chiSquareTest(
        pooled,
        priorities.map((p) => p / total),
      ).pValue,
    ).toBeGreaterThan(0.001);
  });

  it('the chi-square check has power: uniform expectations are rejected for skewed priorities', () => {
    const replay = new PrioritizedReplay<number>({ capacity: 4 });
    [1, 0, 0, 0].forEach((td, i) => {
      replay.add(i, td);
    });
    const counts = [0, 0, 0, 0];
    const rng = createRng(42);
    for (let b = 0; b < 2000; b++) counts[replay.sample(1, rng).indices[0]!]!++;
    expect(chiSquareTest(counts, [0.25, 0.25, 0.25, 0.25]).pValue).toBeLessThan(1e-6);
  });

  it('the same seed gives the same batches', () => {
    fc.assert(
      fc.property(fc.array(tdErrorArb, { minLength: 1, maxLength: 20 }), fc.nat(), (tds, seed) => {
        const a = new PrioritizedReplay<number>({ capacity: 16 });
        const b = new PrioritizedReplay<number>({ capacity: 16 });
        tds.forEach((td, i) => {
          a.add(i, td);
          b.add(i, td);
        });
        const x = a.sample(8, createRng(seed));
        const y = b.sample(8, createRng(seed));
        expect(x.indices).toEqual(y.indices);
        expect(x.weights).toEqual(y.weights);
      }),
    );
  });

  it('fromState rejects a broken state with a clear code', () => {
    const replay = new PrioritizedReplay({ capacity: 4 });
    replay.add(makeTrajectory(), 0.5);
    const good = replay.state();
    const broken = (patch: Partial<Record<keyof PrioritizedReplayState<Trajectory>, unknown>>) =>
      sonaErrorCode(() =>
        PrioritizedReplay.fromState({ ...good, ...patch } as PrioritizedReplayState<Trajectory>),
      );
    expect(sonaErrorCode(() => PrioritizedReplay.fromState(good))).toBe('none');
    expect(broken({ kind: 'uniform' })).toBe('INVALID_STATE');
    expect(broken({ priorities: [] })).toBe('INVALID_STATE');
    expect(broken({ priorities: [Number.NaN] })).toBe('NON_FINITE');
    expect(broken({ priorities: [-1] })).toBe('OUT_OF_RANGE');
    expect(broken({ priorities: [5] })).toBe('INVALID_STATE'); // above maxPriority
    expect(broken({ maxPriority: 0.5 })).toBe('INVALID_STATE');
    expect(broken({ nextSlot: 3 })).toBe('INVALID_STATE');
    expect(broken({ sampleCalls: -1 })).toBe('OUT_OF_RANGE');
    expect(broken({ alpha: 2 })).toBe('OUT_OF_RANGE');
    expect(broken({ items: [{ ...makeTrajectory(), quality: 2 }] })).toBe('OUT_OF_RANGE');
    expect(broken({ items: 'x' })).toBe('INVALID_ARGUMENT');
    expectSonaError(() => PrioritizedReplay.fromState(null as never), 'INVALID_ARGUMENT');
  });

  it('bad input raises a SonaError and leaves the memory exactly as it was', () => {
    const replay = new PrioritizedReplay<number>({ capacity: 4 });
    const rng = createRng(3);
    expectSonaError(() => replay.sample(1, rng), 'EMPTY_INPUT');
    [0.1, 0.2, 0.3].forEach((td, i) => {
      replay.add(i, td);
    });
    const before = structuredClone(replay.state());
    expectSonaError(() => replay.add(9, Number.NaN), 'NON_FINITE');
    expectSonaError(
      () => new PrioritizedReplay<number>({ alpha: 1, capacity: 4 }).add(9, 1e308),
      'OUT_OF_RANGE',
    );
    expectSonaError(() => replay.sample(0, rng), 'OUT_OF_RANGE');
    expectSonaError(() => replay.sample(1.5, rng), 'INVALID_ARGUMENT');
    expectSonaError(() => replay.sample(1, {} as never), 'INVALID_ARGUMENT');
    expectSonaError(() => replay.updatePriorities([0, 1], [0.5]), 'DIM_MISMATCH');
    expectSonaError(() => replay.updatePriorities([0, 3], [0.5, 0.5]), 'OUT_OF_RANGE');
    expectSonaError(() => replay.updatePriorities([0, 1], [0.5, Number.NaN]), 'NON_FINITE');
    expectSonaError(() => replay.updatePriorities(null as never, []), 'INVALID_ARGUMENT');
    expect(replay.state()).toEqual(before);
    expectSonaError(() => new PrioritizedReplay({ capacity: 0 }), 'OUT_OF_RANGE');
    expectSonaError(() => new PrioritizedReplay({ alpha: -0.1 }), 'OUT_OF_RANGE');
    expectSonaError(() => new PrioritizedReplay({ epsilon: 0 }), 'OUT_OF_RANGE');
    expectSonaError(() => new PrioritizedReplay({ beta0: Number.NaN }), 'NON_FINITE');
  });
});

describeStateLaws('PrioritizedReplay', {
  // Added to and sampled from (β has moved), some items with a TD error and some without.
  recipe: fc.tuple(
    fc.array(fc.tuple(trajectoryArb, fc.option(tdErrorArb, { nil: undefined })), {
      minLength: 1,
      maxLength: 30,
    }),
    fc.nat(),
  ),
  build: ([before, seed]) => {
    const replay = new PrioritizedReplay({ capacity: 8, betaStep: 0.05 });
    const rng = createRng(seed);
    for (const [t, td] of before) {
      replay.add(t, td);
      replay.sample(3, rng);
    }
    return replay;
  },
  state: (replay) => replay.state(),
  fromState: (state) => PrioritizedReplay.fromState(state),
  kind: 'prioritized',
  copies: false, // it holds the caller's items, not copies of them
  continuation: {
    // β and the max priority are part of what continues.
    input: ([, seed]) =>
      fc.tuple(fc.array(fc.tuple(trajectoryArb, tdErrorArb), { maxLength: 10 }), fc.constant(seed)),
    run: (replay, [after, seed]) => {
      const rng = createRng(seed + 1);
      const batches = [];
      for (const [t, td] of after) {
        const batch = replay.sample(4, rng);
        batches.push(batch);
        replay.updatePriorities(batch.indices, [td, -td, td / 2, 0]);
        replay.add(t);
      }
      return batches;
    },
  },
  numRuns: 50,
});
