import type { SonaErrorCode } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { describeStateLaws } from '../../../tools/testing/state-laws';
import { EWC_DECAY, Ewc, type EwcState } from './ewc';
import { EWC_LAMBDA, ewcLambda } from './lambda';

// ---------- small arbitraries ----------

const sizeArb = fc.integer({ min: 1, max: 24 });
const lambdaArb = fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 2000, noNaN: true }));
const decayArb = fc.oneof(fc.constant(EWC_DECAY), fc.double({ min: 0, max: 0.999, noNaN: true }));

function float32Vector(size: number, magnitude = 100): fc.Arbitrary<Float32Array> {
  return fc.float32Array({
    minLength: size,
    maxLength: size,
    min: Math.fround(-magnitude),
    max: Math.fround(magnitude),
    noNaN: true,
    noDefaultInfinity: true,
  });
}

/** Values on a 1/1024 grid in [-8, 8]: θ ± 2^-10 stays exact in float32. */
function gridVector(size: number): fc.Arbitrary<Float32Array> {
  return fc
    .array(fc.integer({ min: -8192, max: 8192 }), { minLength: size, maxLength: size })
    .map((ints) => Float32Array.from(ints, (k) => k / 1024));
}

/** An Ewc of a random size with a Fisher estimate built from random gradients, consolidated. */
const setupArb = sizeArb.chain((size) =>
  fc.record({
    size: fc.constant(size),
    lambda: lambdaArb,
    decay: decayArb,
    grads: fc.array(float32Vector(size, 10), { minLength: 1, maxLength: 6 }),
    anchor: float32Vector(size),
    params: float32Vector(size),
  }),
);

function build(setup: {
  size: number;
  lambda: number;
  decay: number;
  grads: Float32Array[];
  anchor: Float32Array;
}): Ewc {
  const ewc = new Ewc({ size: setup.size, lambda: setup.lambda, decay: setup.decay });
  for (const g of setup.grads) ewc.updateFisher(g);
  ewc.consolidate(setup.anchor);
  return ewc;
}

function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

function stateBits(state: EwcState): unknown {
  return { ...state, fisher: bits(state.fisher), anchor: bits(state.anchor) };
}

/** (λ/2)·Σ F(θ−θ*)² in float64, written independently of the class. */
function referencePenalty(
  lambda: number,
  fisher: Float32Array,
  anchor: ArrayLike<number>,
  params: ArrayLike<number>,
): number {
  let sum = 0;
  for (let i = 0; i < fisher.length; i++) sum += fisher[i]! * (params[i]! - anchor[i]!) ** 2;
  return (lambda / 2) * sum;
}

// ---------- laws ----------

describe('Fisher update', () => {
  it('equals F ← decay·F + (1 − decay)·g², in float64 rounded once to float32, bit for bit', () => {
    fc.assert(
      fc.property(setupArb, ({ size, decay, grads }) => {
        const ewc = new Ewc({ size, lambda: 1, decay });
        const expected = new Float64Array(size);
        for (const g of grads) {
          ewc.updateFisher(g);
          for (let i = 0; i < size; i++) {
            expected[i] = Math.fround(decay * expected[i]! + (1 - decay) * g[i]! * g[i]!);
          }
        }
        expect(bits(ewc.fisher())).toEqual(bits(Float32Array.from(expected)));
      }),
    );
  });

  it('default decay is the SPEC value 0.92 (weight 0.08 on g²)', () => {
    const ewc = new Ewc({ size: 1, lambda: 1 });
    expect(ewc.decay).toBe(0.92);
    ewc.updateFisher(Float32Array.of(2));
    expect(ewc.fisher()[0]).toBe(Math.fround(0.08 * 4));
    ewc.updateFisher(Float32Array.of(0));
    expect(ewc.fisher()[0]).toBe(Math.fround(0.92 * Math.fround(0.08 * 4)));
  });

  it('is never negative, whatever the gradients', () => {
    fc.assert(
      fc.property(setupArb, (setup) => {
        expect(
          build(setup)
            .fisher()
            .every((f) => f >= 0),
        ).toBe(true);
      }),
    );
  });
});

describe('penalty', () => {
  it('is zero at the anchor', () => {
    fc.assert(
      fc.property(setupArb, (setup) => {
        expect(build(setup).penalty(setup.anchor)).toBe(0);
      }),
    );
  });

  it('is never negative', () => {
    fc.assert(
      fc.property(setupArb, (setup) => {
        expect(build(setup).penalty(setup.params)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('equals (λ/2)·Σ F(θ − θ*)² computed independently', () => {
    fc.assert(
      fc.property(setupArb, (setup) => {
        const ewc = build(setup);
        const expected = referencePenalty(setup.lambda, ewc.fisher(), setup.anchor, setup.params);
        expect(Math.abs(ewc.penalty(setup.params) - expected)).toBeLessThanOrEqual(
          1e-12 * Math.abs(expected),
        );
      }),
    );
  });

  it('is 0 before the first consolidate, even with a Fisher estimate', () => {
    fc.assert(
      fc.property(setupArb, ({ size, lambda, grads, params }) => {
        const ewc = new Ewc({ size, lambda });
        for (const g of grads) ewc.updateFisher(g);
        expect(ewc.consolidated).toBe(false);
        expect(ewc.anchor()).toBeNull();
        expect(ewc.penalty(params)).toBe(0);
      }),
    );
  });
});

describe('penalty gradient', () => {
  it('equals the central finite difference of the penalty', () => {
    const arb = sizeArb.chain((size) =>
      fc.record({
        size: fc.constant(size),
        lambda: lambdaArb,
        decay: decayArb,
        grads: fc.array(float32Vector(size, 10), { minLength: 1, maxLength: 4 }),
        anchor: gridVector(size),
        params: gridVector(size),
      }),
    );
    const h = 2 ** -10;
    fc.assert(
      fc.property(arb, (setup) => {
        const ewc = build(setup);
        const grad = new Float32Array(setup.size);
        ewc.addGradient(setup.params, grad);
        for (let i = 0; i < setup.size; i++) {
          const plus = setup.params.slice();
          const minus = setup.params.slice();
          plus[i] = plus[i]! + h;
          minus[i] = minus[i]! - h;
          const fd = (ewc.penalty(plus) - ewc.penalty(minus)) / (2 * h);
          // The penalty is quadratic, so the central difference is exact up to float64
          // rounding; the gradient itself is rounded to float32.
          const tolerance = 2 ** -22 * Math.abs(fd) + 1e-9 * ewc.penalty(plus) + 1e-30;
          expect(Math.abs(grad[i]! - fd)).toBeLessThanOrEqual(tolerance);
        }
      }),
    );
  });

  it('adds λ·F·(θ − θ*) to grad in place, in float64 rounded once to float32', () => {
    fc.assert(
      fc.property(setupArb, fc.integer({ min: 0, max: 1000 }), (setup, gradSeed) => {
        const ewc = build(setup);
        const fisher = ewc.fisher();
        const grad = Float32Array.from(setup.params, (_, i) => ((i * 7 + gradSeed) % 13) - 6);
        const expected = Float32Array.from(
          grad,
          (g, i) => g + setup.lambda * fisher[i]! * (setup.params[i]! - setup.anchor[i]!),
        );
        ewc.addGradient(setup.params, grad);
        expect(bits(grad)).toEqual(bits(expected));
      }),
    );
  });

  it('leaves grad bit-identical before the first consolidate', () => {
    fc.assert(
      fc.property(setupArb, ({ size, lambda, grads, params }) => {
        const ewc = new Ewc({ size, lambda });
        for (const g of grads) ewc.updateFisher(g);
        const grad = grads[0]!.slice();
        ewc.addGradient(params, grad);
        expect(bits(grad)).toEqual(bits(grads[0]!));
      }),
    );
  });
});

describe('λ scales penalty and gradient linearly', () => {
  it('exactly for a power-of-two factor', () => {
    fc.assert(
      fc.property(setupArb, fc.integer({ min: -4, max: 4 }), (setup, k) => {
        const factor = 2 ** k;
        const base = build(setup);
        const scaled = build({ ...setup, lambda: setup.lambda * factor });
        expect(scaled.penalty(setup.params)).toBe(factor * base.penalty(setup.params));
        const g1 = new Float32Array(setup.size);
        const g2 = new Float32Array(setup.size);
        base.addGradient(setup.params, g1);
        scaled.addGradient(setup.params, g2);
        // float32 keeps exact powers of two unless the value under- or overflows.
        for (let i = 0; i < setup.size; i++) {
          if (Math.abs(g1[i]!) > 1e-30) expect(g2[i]).toBe(Math.fround(factor * g1[i]!));
        }
      }),
    );
  });

  it('to rounding for any factor', () => {
    fc.assert(
      fc.property(setupArb, fc.double({ min: 1e-3, max: 50, noNaN: true }), (setup, factor) => {
        const base = build(setup);
        const scaled = build({ ...setup, lambda: setup.lambda * factor });
        const p1 = base.penalty(setup.params);
        expect(Math.abs(scaled.penalty(setup.params) - factor * p1)).toBeLessThanOrEqual(
          1e-12 * factor * p1,
        );
        const g1 = new Float32Array(setup.size);
        const g2 = new Float32Array(setup.size);
        base.addGradient(setup.params, g1);
        scaled.addGradient(setup.params, g2);
        for (let i = 0; i < setup.size; i++) {
          expect(Math.abs(g2[i]! - factor * g1[i]!)).toBeLessThanOrEqual(
            2 ** -22 * Math.abs(factor * g1[i]!) + 1e-37,
          );
        }
      }),
    );
  });
});

describe('consolidation', () => {
  it('moves the anchor to a copy of θ', () => {
    fc.assert(
      fc.property(setupArb, (setup) => {
        const ewc = build(setup);
        const params = setup.params.slice();
        ewc.consolidate(params);
        params.fill(1234);
        expect(bits(ewc.anchor()!)).toEqual(bits(setup.params));
        expect(ewc.penalty(setup.params)).toBe(0);
      }),
    );
  });
});

describeStateLaws('Ewc', {
  // Consolidated or not: before the first consolidate there is no anchor, and that is state too.
  recipe: fc.tuple(setupArb, fc.boolean()),
  build: ([setup, consolidated]) => {
    if (consolidated) return build(setup);
    const ewc = new Ewc({ size: setup.size, lambda: setup.lambda, decay: setup.decay });
    for (const g of setup.grads) ewc.updateFisher(g);
    return ewc;
  },
  state: (ewc) => ewc.state(),
  fromState: (state) => Ewc.fromState(state),
  kind: 'ewc',
  continuation: {
    input: ([setup]) => fc.constant(setup),
    run: (ewc, setup) => {
      ewc.updateFisher(setup.params);
      const before = ewc.penalty(setup.params);
      ewc.consolidate(setup.anchor);
      return [before, ewc.penalty(setup.params)];
    },
  },
});

describe('state', () => {
  it('reads a state written before the kind tag, and refuses another tag', () => {
    const ewc = new Ewc({ size: 3, lambda: 400 });
    ewc.updateFisher(Float32Array.of(1, 2, 3));
    ewc.consolidate(Float32Array.of(1, 1, 1));
    const { kind: _kind, ...untagged } = ewc.state();
    expect(Ewc.fromState(untagged).state()).toEqual(ewc.state());
    expect(() =>
      Ewc.fromState({ ...ewc.state(), kind: 'micro-lora' } as unknown as EwcState),
    ).toThrow(/kind is micro-lora, expected ewc/);
  });

  it('keeps the unconsolidated flag through a round trip', () => {
    const ewc = new Ewc({ size: 3, lambda: 400 });
    ewc.updateFisher(Float32Array.of(1, 2, 3));
    const restored = Ewc.fromState(ewc.state());
    expect(restored.consolidated).toBe(false);
    expect(restored.penalty(Float32Array.of(5, 5, 5))).toBe(0);
  });

  it('rejects corrupt state with a named code', () => {
    const good = new Ewc({ size: 2, lambda: 1 }).state();
    expectSonaError(
      () => Ewc.fromState({ ...good, fisher: Float32Array.of(1, -1) }),
      'OUT_OF_RANGE',
    );
    expectSonaError(() => Ewc.fromState({ ...good, fisher: new Float32Array(3) }), 'DIM_MISMATCH');
    expectSonaError(
      () => Ewc.fromState({ ...good, anchor: Float32Array.of(0, Number.NaN) }),
      'NON_FINITE',
    );
    expectSonaError(
      () => Ewc.fromState({ ...good, consolidated: 'yes' as unknown as boolean }),
      'INVALID_ARGUMENT',
    );
    expectSonaError(() => Ewc.fromState({ ...good, lambda: -1 }), 'OUT_OF_RANGE');
    expectSonaError(() => Ewc.fromState(null as unknown as EwcState), 'INVALID_ARGUMENT');
  });
});

describe('grown', () => {
  it('keeps Fisher and anchor, adds Fisher 0 and the given anchor for new parameters: penalty and gradient unchanged on the old ones', () => {
    fc.assert(
      fc.property(
        setupArb.chain((setup) =>
          fc.record({
            setup: fc.constant(setup),
            extra: fc
              .integer({ min: 0, max: 8 })
              .chain((n) => fc.record({ tail: float32Vector(n), moved: float32Vector(n) })),
          }),
        ),
        ({ setup, extra }) => {
          const ewc = build(setup);
          const before = stateBits(ewc.state());
          const size = setup.size + extra.tail.length;
          const grown = ewc.grown(size, extra.tail);
          expect(stateBits(ewc.state())).toEqual(before);
          const state = grown.state();
          expect(state.size).toBe(size);
          expect(bits(state.fisher.subarray(0, setup.size))).toEqual(bits(ewc.fisher()));
          expect(Array.from(state.fisher.subarray(setup.size))).toEqual(
            Array.from(extra.tail, () => 0),
          );
          expect(bits(state.anchor.subarray(setup.size))).toEqual(bits(extra.tail));
          // New parameters carry no penalty wherever they move.
          const params = new Float32Array(size);
          params.set(setup.params);
          params.set(extra.moved, setup.size);
          expect(grown.penalty(params)).toBe(ewc.penalty(setup.params));
        },
      ),
    );
  });

  it('refuses a smaller size or a tail of the wrong length, changing nothing', () => {
    const ewc = new Ewc({ size: 4, lambda: 1 });
    expectSonaError(() => ewc.grown(3, new Float32Array(0)), 'OUT_OF_RANGE');
    expectSonaError(() => ewc.grown(6, new Float32Array(1)), 'DIM_MISMATCH');
    expectSonaError(() => ewc.grown(5, Float32Array.of(Number.NaN)), 'NON_FINITE');
    expect(ewc.size).toBe(4);
  });
});

describe('bad input', () => {
  it('rejects bad options with a named code', () => {
    expectSonaError(() => new Ewc({ size: 0, lambda: 1 }), 'OUT_OF_RANGE');
    expectSonaError(() => new Ewc({ size: 1.5, lambda: 1 }), 'INVALID_ARGUMENT');
    expectSonaError(() => new Ewc({ size: 2, lambda: Number.NaN }), 'NON_FINITE');
    expectSonaError(() => new Ewc({ size: 2, lambda: -3 }), 'OUT_OF_RANGE');
    expectSonaError(() => new Ewc({ size: 2, lambda: 1, decay: 1 }), 'OUT_OF_RANGE');
    expectSonaError(() => new Ewc({ size: 2, lambda: 1, decay: -0.1 }), 'OUT_OF_RANGE');
    expectSonaError(
      () => new Ewc(undefined as unknown as { size: number; lambda: number }),
      'INVALID_ARGUMENT',
    );
  });

  it('a failed call leaves the Ewc and the caller’s gradient bit-identical', () => {
    const badVector = (size: number) =>
      fc.oneof(
        fc.constant({
          value: new Float32Array(size + 1) as unknown,
          code: 'DIM_MISMATCH' as SonaErrorCode,
        }),
        fc.constant({
          value: Array.from({ length: size }, () => 0) as unknown,
          code: 'INVALID_ARGUMENT' as SonaErrorCode,
        }),
        fc
          .tuple(fc.nat(size - 1), fc.constantFrom(Number.NaN, Infinity, -Infinity))
          .map(([at, bad]) => {
            const v = new Float32Array(size);
            v[at] = bad;
            return { value: v as unknown, code: 'NON_FINITE' as SonaErrorCode };
          }),
      );
    const arb = setupArb.chain((setup) =>
      fc.record({
        setup: fc.constant(setup),
        bad: badVector(setup.size),
        method: fc.constantFrom(
          'updateFisher',
          'consolidate',
          'penalty',
          'addGradient.params',
          'addGradient.grad',
        ),
      }),
    );
    fc.assert(
      fc.property(arb, ({ setup, bad, method }) => {
        const ewc = build(setup);
        const before = stateBits(ewc.state());
        const grad = setup.params.slice();
        const bad32 = bad.value as Float32Array;
        const call = {
          updateFisher: () => ewc.updateFisher(bad32),
          consolidate: () => ewc.consolidate(bad32),
          penalty: () => ewc.penalty(bad32),
          'addGradient.params': () => ewc.addGradient(bad32, grad),
          'addGradient.grad': () => ewc.addGradient(setup.params, bad32),
        }[method];
        expectSonaError(call, bad.code);
        expect(stateBits(ewc.state())).toEqual(before);
        expect(bits(grad)).toEqual(bits(setup.params));
      }),
    );
  });

  it('refuses a Fisher update or gradient that would overflow float32, changing nothing', () => {
    const ewc = new Ewc({ size: 2, lambda: 1e30 });
    ewc.updateFisher(Float32Array.of(1, 1));
    const before = stateBits(ewc.state());
    expectSonaError(() => ewc.updateFisher(Float32Array.of(1, 1e20)), 'NON_FINITE');
    expect(stateBits(ewc.state())).toEqual(before);
    ewc.consolidate(Float32Array.of(0, 0));
    const grad = Float32Array.of(1, 2);
    expectSonaError(() => ewc.addGradient(Float32Array.of(0, 1e30), grad), 'NON_FINITE');
    expect(Array.from(grad)).toEqual([1, 2]);
  });
});

describe('λ per version', () => {
  it('is the SPEC table: v1 1000, v2 500, v3 400', () => {
    expect(EWC_LAMBDA).toEqual({ v1: 1000, v2: 500, v3: 400 });
    expect(ewcLambda('v3')).toBe(400);
    expectSonaError(() => ewcLambda('v4' as 'v1'), 'INVALID_ARGUMENT');
    expect(Object.isFrozen(EWC_LAMBDA)).toBe(true);
  });
});

describe('updateFisherAndAddGradient', () => {
  it('equals updateFisher then addGradient, bit for bit, before and after consolidation', () => {
    const vector = (n: number) =>
      fc
        .array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n })
        .map((v) => Float32Array.from(v));
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 40 })
          .chain((n) => fc.tuple(vector(n), vector(n), vector(n), vector(n))),
        fc.boolean(),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        ([params, anchor, grad, warmup], consolidate, lambda) => {
          const make = () => {
            const ewc = new Ewc({ size: params.length, lambda });
            ewc.updateFisher(warmup);
            if (consolidate) ewc.consolidate(anchor);
            return ewc;
          };
          const separate = make();
          const g1 = grad.slice();
          separate.updateFisher(g1);
          separate.addGradient(params, g1);
          const fused = make();
          const g2 = grad.slice();
          fused.updateFisherAndAddGradient(params, g2);
          expect(Array.from(new Uint32Array(g2.buffer))).toEqual(
            Array.from(new Uint32Array(g1.buffer)),
          );
          expect(Array.from(new Uint32Array(fused.fisher().slice().buffer))).toEqual(
            Array.from(new Uint32Array(separate.fisher().slice().buffer)),
          );
        },
      ),
    );
  });

  it('refuses NaN and leaves the Fisher estimate and the gradient unchanged', () => {
    const ewc = new Ewc({ size: 3, lambda: 400 });
    ewc.consolidate(new Float32Array(3));
    const grad = Float32Array.of(1, Number.NaN, 2);
    const before = ewc.fisher().slice();
    expect(() => ewc.updateFisherAndAddGradient(new Float32Array(3), grad)).toThrow();
    expect(Array.from(ewc.fisher())).toEqual(Array.from(before));
    expect(grad[0]).toBe(1);
    expect(() =>
      ewc.updateFisherAndAddGradient(Float32Array.of(0, Number.NaN, 0), new Float32Array(3)),
    ).toThrow();
  });
});
