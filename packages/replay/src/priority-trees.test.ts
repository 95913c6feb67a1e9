import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PriorityTrees } from './priority-trees';

const capacityArb = fc.integer({ min: 1, max: 40 });
const priorityArb = fc.oneof(
  fc.constantFrom(1, 0.5, 2),
  fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
);

/** Random writes: (slot as a fraction of the capacity, priority). */
const writesArb = fc.array(
  fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), priorityArb),
  {
    minLength: 1,
    maxLength: 200,
  },
);

function applyWrites(capacity: number, writes: [number, number][]) {
  const trees = new PriorityTrees(capacity);
  const model = new Map<number, number>();
  for (const [at, priority] of writes) {
    const slot = Math.floor(at * capacity);
    trees.set(slot, priority);
    model.set(slot, priority);
  }
  return { trees, model };
}

describe('PriorityTrees', () => {
  it('the sum-tree total equals the sum of the priorities after any sequence of writes', () => {
    fc.assert(
      fc.property(capacityArb, writesArb, (capacity, writes) => {
        const { trees, model } = applyWrites(capacity, writes);
        let sum = 0;
        for (const p of model.values()) sum += p;
        expect(Math.abs(trees.total - sum)).toBeLessThanOrEqual(sum * 1e-12);
        for (const [slot, p] of model) expect(trees.get(slot)).toBe(p);
      }),
    );
  });

  it('the min-tree root is the smallest priority held', () => {
    fc.assert(
      fc.property(capacityArb, writesArb, (capacity, writes) => {
        const { trees, model } = applyWrites(capacity, writes);
        expect(trees.min).toBe(Math.min(...model.values()));
      }),
    );
    expect(new PriorityTrees(5).min).toBe(Number.POSITIVE_INFINITY);
  });

  it('the trees are a function of the leaves: write order does not change a bit', () => {
    fc.assert(
      fc.property(capacityArb, writesArb, (capacity, writes) => {
        const { trees, model } = applyWrites(capacity, writes);
        const rebuilt = new PriorityTrees(capacity);
        for (const [slot, p] of [...model].reverse()) rebuilt.set(slot, p);
        expect(rebuilt.total).toBe(trees.total);
        expect(rebuilt.min).toBe(trees.min);
      }),
    );
  });

  it('find maps a mass inside [prefix(i), prefix(i) + p_i) to slot i', () => {
    fc.assert(
      fc.property(
        capacityArb,
        writesArb,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (capacity, writes, fraction) => {
          const { trees, model } = applyWrites(capacity, writes);
          const mass = fraction * trees.total;
          const slot = trees.find(mass);
          expect(model.has(slot)).toBe(true);
          let prefix = 0;
          for (let i = 0; i < slot; i++) prefix += model.get(i) ?? 0;
          const p = model.get(slot)!;
          const slack = trees.total * 1e-12;
          expect(mass).toBeGreaterThanOrEqual(prefix - slack);
          expect(mass).toBeLessThan(prefix + p + slack);
        },
      ),
    );
  });

  it('a mass at or past the total lands on the last occupied slot, never an empty one', () => {
    fc.assert(
      fc.property(
        capacityArb,
        writesArb,
        fc.double({ min: 1, max: 2, noNaN: true }),
        (capacity, writes, k) => {
          const { trees, model } = applyWrites(capacity, writes);
          expect(trees.find(trees.total * k)).toBe(Math.max(...model.keys()));
        },
      ),
    );
  });
});
