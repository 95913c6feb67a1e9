import { createRng, type SonaErrorCode, TASK_TYPES } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { bits, learningRate, type Shape, shape, vectorOf } from '../test/arbitraries';
import { expectGradientsMatch } from '../test/gradient-check';
import { blocks64, forward64, forwardMagnitude64 } from '../test/reference64';
import { MicroLoRA } from './micro-lora';
import { HEAD_WEIGHT, MultiHeadLoRA, type MultiHeadLoRAState } from './multi-head-lora';

const typesArb = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), {
  minLength: 1,
  maxLength: 5,
});

const setupArb = fc.tuple(shape, typesArb).chain(([s, types]) =>
  fc.record({
    shape: fc.constant(s),
    types: fc.constant(types),
    type: fc.constantFrom(...types),
    weights: vectorOf((1 + types.length) * 2 * s.rank * s.dim, 1),
    x: vectorOf(s.dim),
    w: vectorOf(s.dim),
  }),
);

function create(s: Shape, types: readonly string[], weights?: Float32Array): MultiHeadLoRA {
  const lora = new MultiHeadLoRA({ ...s, types, rng: createRng(s.seed) });
  if (weights) lora.parameters().set(weights);
  return lora;
}

function stateBits(state: MultiHeadLoRAState) {
  return {
    ...state,
    weights: bits(state.weights),
    momentum: bits(state.momentum),
    gradients: bits(state.gradients),
  };
}

describe('MultiHeadLoRA layout and initialisation', () => {
  it('is the identity for every head when new', () => {
    fc.assert(
      fc.property(setupArb, ({ shape: s, types, x }) => {
        const lora = create(s, types);
        for (const type of types) {
          const y = lora.forward(x, type);
          for (let i = 0; i < x.length; i++) expect(y[i] === x[i]).toBe(true);
        }
      }),
    );
  });

  it('lays out shared then heads in types order, A drawn in that order from the Rng', () => {
    fc.assert(
      fc.property(setupArb, ({ shape: s, types }) => {
        const lora = create(s, types);
        const block = 2 * s.rank * s.dim;
        const rng = createRng(s.seed);
        const sd = 1 / Math.sqrt(s.dim);
        expect(lora.size).toBe((1 + types.length) * block);
        expect(lora.blockSize).toBe(block);
        for (let b = 0; b <= types.length; b++) {
          if (b > 0) expect(lora.headOffset(types[b - 1]!)).toBe(b * block);
          const a = lora.parameters().subarray(b * block, b * block + block / 2);
          const expected = Float32Array.from({ length: block / 2 }, () => rng.normal(0, sd));
          expect(bits(a)).toEqual(bits(expected));
          const bt = lora.parameters().subarray(b * block + block / 2, (b + 1) * block);
          expect(bt.every((v) => v === 0)).toBe(true);
        }
      }),
    );
  });

  it('defaults to the four task types of @sona/core', () => {
    const lora = new MultiHeadLoRA({ dim: 8, rank: 2, rng: createRng(1) });
    expect(lora.types).toEqual([...TASK_TYPES]);
  });
});

describe('MultiHeadLoRA forward', () => {
  it('equals x + s·B_s(A_s x) + 0.5·s·B_h(A_h x) in float64, to float32 rounding', () => {
    fc.assert(
      fc.property(setupArb, ({ shape: s, types, type, weights, x }) => {
        const lora = create(s, types, weights);
        const head = 1 + types.indexOf(type);
        const blocks = blocks64(
          weights,
          s.dim,
          s.rank,
          [0, head],
          [lora.scale, HEAD_WEIGHT * lora.scale],
        );
        const expected = forward64(blocks, x);
        const magnitude = forwardMagnitude64(blocks, x);
        const y = lora.forward(x, type);
        for (let i = 0; i < s.dim; i++) {
          expect(Math.abs(y[i]! - expected[i]!)).toBeLessThanOrEqual(1e-5 * magnitude[i]! + 1e-30);
        }
      }),
    );
  });

  it('with zero heads computes exactly its shared adapter as a MicroLoRA', () => {
    fc.assert(
      fc.property(setupArb, ({ shape: s, types, type, weights, x }) => {
        const block = 2 * s.rank * s.dim;
        const lora = create(s, types, weights);
        lora.parameters().fill(0, block);
        const micro = new MicroLoRA({ ...s, rng: createRng(0) });
        micro.parameters().set(weights.subarray(0, block));
        const y = lora.forward(x, type);
        const expected = micro.forward(x);
        for (let i = 0; i < s.dim; i++) expect(y[i] === expected[i]).toBe(true);
      }),
    );
  });
});

describe('MultiHeadLoRA gradients', () => {
  it('for the shared block, the chosen head and x equal central finite differences', () => {
    fc.assert(
      fc.property(setupArb, ({ shape: s, types, type, weights, x, w }) => {
        const lora = create(s, types, weights);
        const dx = lora.backward(x, type, w);
        const half = s.rank * s.dim;
        const head = 1 + types.indexOf(type);
        const grads = lora.gradients();
        expectGradientsMatch({
          blocks: blocks64(weights, s.dim, s.rank, [0, head], [lora.scale, 0.5 * lora.scale]),
          x,
          w,
          gradA: [grads.subarray(0, half), grads.subarray(2 * half * head, 2 * half * head + half)],
          gradBt: [
            grads.subarray(half, 2 * half),
            grads.subarray(2 * half * head + half, 2 * half * (head + 1)),
          ],
          gradX: dx,
        });
      }),
      { numRuns: 60 },
    );
  });

  it('never reach the other heads', () => {
    fc.assert(
      fc.property(setupArb, ({ shape: s, types, type, weights, x, w }) => {
        const lora = create(s, types, weights);
        lora.backward(x, type, w);
        const block = 2 * s.rank * s.dim;
        for (const other of types) {
          if (other === type) continue;
          const at = lora.headOffset(other);
          expect(bits(lora.gradients().subarray(at, at + block))).toEqual(
            bits(new Float32Array(block)),
          );
        }
      }),
    );
  });
});

describe('MultiHeadLoRA step', () => {
  it('leaves heads that got no gradient bit-identical, momentum included, over any sequence', () => {
    const arb = setupArb.chain((setup) =>
      fc.tuple(
        fc.constant(setup),
        fc.array(
          fc.tuple(
            fc.constantFrom(...setup.types),
            vectorOf(setup.shape.dim),
            vectorOf(setup.shape.dim),
            learningRate,
          ),
          { minLength: 1, maxLength: 6 },
        ),
      ),
    );
    fc.assert(
      fc.property(arb, ([{ shape: s, types, weights }, steps]) => {
        const lora = create(s, types, weights);
        const block = 2 * s.rank * s.dim;
        for (const [type, x, w, lr] of steps) {
          const before = lora.state();
          lora.backward(x, type, w);
          lora.step(lr);
          for (const other of types) {
            if (other === type) continue;
            const at = lora.headOffset(other);
            const slice = (v: Float32Array) => bits(v.subarray(at, at + block));
            expect(slice(lora.parameters())).toEqual(slice(before.weights));
            expect(slice(lora.momentum())).toEqual(slice(before.momentum));
          }
        }
      }),
    );
  });

  it('moves the chosen head once it has a gradient', () => {
    const lora = new MultiHeadLoRA({ dim: 4, rank: 1, types: ['a', 'b'], rng: createRng(5) });
    const before = lora.parameters().slice();
    lora.backward(Float32Array.of(1, 2, 3, 4), 'b', Float32Array.of(1, -1, 1, -1));
    lora.step(0.1);
    const at = lora.headOffset('b');
    const bt = (v: Float32Array) => Array.from(v.subarray(at + 4, at + 8));
    expect(bt(lora.parameters())).not.toEqual(bt(before));
  });
});

describeStateLaws('MultiHeadLoRA', {
  recipe: setupArb.chain((setup) =>
    fc.tuple(fc.constant(setup), learningRate, fc.constantFrom(...setup.types)),
  ),
  build: ([{ shape: s, types, type, weights, x, w }, lr, next]) => {
    const lora = create(s, types, weights);
    lora.backward(x, type, w);
    lora.step(lr);
    lora.backward(w, next, x);
    return lora;
  },
  state: (lora) => lora.state(),
  fromState: (state) => MultiHeadLoRA.fromState(state),
  kind: 'multi-head-lora',
  continuation: {
    input: ([{ x }, lr, next]) => fc.constant({ x, lr, next }),
    run: (lora, { x, lr, next }) => {
      lora.step(lr);
      lora.backward(x, next, x);
      return lora.types;
    },
  },
});

describe('MultiHeadLoRA state', () => {
  it('rejects corrupt state with a named code', () => {
    const good = new MultiHeadLoRA({ dim: 4, rank: 1, types: ['a', 'b'], rng: createRng(1) });
    const state = good.state();
    const cases: [unknown, SonaErrorCode][] = [
      [{ ...state, types: ['a', 'a'] }, 'INVALID_ARGUMENT'],
      [{ ...state, types: [] }, 'INVALID_ARGUMENT'],
      [{ ...state, types: ['a', 'b', 'c'] }, 'DIM_MISMATCH'],
      [{ ...state, weights: state.weights.subarray(1) }, 'DIM_MISMATCH'],
      [{ ...state, kind: 'micro-lora' }, 'INVALID_ARGUMENT'],
      [{ ...state, gradients: new Float32Array(24).fill(Infinity) }, 'NON_FINITE'],
    ];
    for (const [bad, code] of cases) {
      expectSonaError(() => MultiHeadLoRA.fromState(bad as MultiHeadLoRAState), code);
    }
  });
});

describe('MultiHeadLoRA withHead', () => {
  it('keeps every existing weight, gradient and output bit for bit; the new head starts as the identity', () => {
    fc.assert(
      fc.property(setupArb, fc.integer({ min: 0, max: 1000 }), (setup, seed) => {
        const lora = create(setup.shape, setup.types, setup.weights);
        lora.backward(setup.x, setup.type, setup.w);
        const name = `new-${setup.types.length}`;
        fc.pre(!setup.types.includes(name));
        const before = stateBits(lora.state());
        const grown = lora.withHead(name, createRng(seed));
        expect(stateBits(lora.state())).toEqual(before);
        expect(grown.types).toEqual([...setup.types, name]);
        const old = lora.size;
        expect(bits(grown.parameters().subarray(0, old))).toEqual(bits(lora.parameters()));
        expect(bits(grown.gradients().subarray(0, old))).toEqual(bits(lora.gradients()));
        const tail = grown.parameters().subarray(old);
        expect(tail.subarray(setup.shape.rank * setup.shape.dim).every((v) => v === 0)).toBe(true);
        for (const type of setup.types) {
          expect(bits(grown.forward(setup.x, type))).toEqual(bits(lora.forward(setup.x, type)));
        }
        // A new head adds nothing to the shared adapter until its Bᵀ learns.
        const sharedOnly = create(setup.shape, [name]);
        sharedOnly.parameters().set(grown.parameters().subarray(0, lora.blockSize));
        expect(bits(grown.forward(setup.x, name))).toEqual(bits(sharedOnly.forward(setup.x, name)));
        // The same rng gives the same new head.
        expect(bits(lora.withHead(name, createRng(seed)).parameters())).toEqual(
          bits(grown.parameters()),
        );
      }),
    );
  });

  it('refuses a duplicate or empty name and a missing rng, changing nothing', () => {
    const lora = create({ dim: 4, rank: 2, alpha: undefined, seed: 1 }, ['a', 'b']);
    const before = stateBits(lora.state());
    expectSonaError(() => lora.withHead('a', createRng(1)), 'INVALID_ARGUMENT');
    expectSonaError(() => lora.withHead('', createRng(1)), 'INVALID_ARGUMENT');
    expectSonaError(() => lora.withHead('c', null as never), 'INVALID_ARGUMENT');
    expect(stateBits(lora.state())).toEqual(before);
  });
});

describe('MultiHeadLoRA bad input', () => {
  it('rejects bad options and unknown heads with a named code, changing nothing', () => {
    const rng = createRng(1);
    expectSonaError(
      () => new MultiHeadLoRA({ dim: 4, rank: 2, types: ['a', 'a'], rng }),
      'INVALID_ARGUMENT',
    );
    expectSonaError(
      () => new MultiHeadLoRA({ dim: 4, rank: 2, types: [''], rng }),
      'INVALID_ARGUMENT',
    );
    expectSonaError(() => new MultiHeadLoRA({ dim: 4, rank: 9, rng }), 'OUT_OF_RANGE');
    const lora = new MultiHeadLoRA({ dim: 4, rank: 2, types: ['a', 'b'], rng });
    const before = stateBits(lora.state());
    const x = Float32Array.of(1, 2, 3, 4);
    expectSonaError(() => lora.forward(x, 'c'), 'INVALID_ARGUMENT');
    expectSonaError(() => lora.backward(x, 'toString', x), 'INVALID_ARGUMENT');
    expectSonaError(
      () => lora.backward(x, 'a', Float32Array.of(1, Number.NaN, 0, 0)),
      'NON_FINITE',
    );
    expectSonaError(() => lora.backward(x, 'b', new Float32Array(3)), 'DIM_MISMATCH');
    expect(stateBits(lora.state())).toEqual(before);
  });
});
