import { decodePlainData, encodePlainData, type PlainData } from '@sona/checkpoint';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/**
 * A value with every float replaced by its bit pattern, so that `toEqual` holds exactly when two
 * states are bit-identical (-0 is not 0; a NaN payload counts).
 */
export function stateBits(value: unknown): unknown {
  if (value instanceof Float32Array) {
    return { f32: Array.from(new Uint32Array(value.buffer, value.byteOffset, value.length)) };
  }
  if (typeof value === 'number') {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value);
    return { f64: view.getBigUint64(0).toString(16) };
  }
  if (Array.isArray(value)) return value.map(stateBits);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = stateBits(inner);
    return out;
  }
  return value;
}

/** The checkpoint's text path for a state: `encodePlainData`, JSON text, `decodePlainData`. */
export function throughCheckpointText<S>(state: S): S {
  const text = JSON.stringify(encodePlainData(state as PlainData));
  return decodePlainData(JSON.parse(text)) as S;
}

/** Every Float32Array inside a state, to check that `state()` hands out copies. */
function tensorsOf(value: unknown, found: Float32Array[] = []): Float32Array[] {
  if (value instanceof Float32Array) found.push(value);
  else if (Array.isArray(value)) for (const inner of value) tensorsOf(inner, found);
  else if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) tensorsOf(inner, found);
  }
  return found;
}

export interface StateLawSubject<R, T, S, I> {
  /** Recipes (plain data) for objects in a state worth saving: trained, mid-epoch, ... */
  readonly recipe: fc.Arbitrary<R>;
  /** A fresh object from a recipe (each law builds its own, so none sees another's changes). */
  readonly build: (recipe: R) => T;
  readonly state: (subject: T) => S;
  readonly fromState: (state: S) => T;
  /** When set, `state().kind` must be this tag. */
  readonly kind?: string;
  /**
   * False for a state that hands out the items it holds by reference (a replay memory of
   * caller-owned items): the copy law then does not apply. Default true.
   */
  readonly copies?: boolean;
  /**
   * Further use after a restore: `run(subject, input)` is applied to the original and to the
   * restored copy, which must then return bit-identical values and hold bit-identical states.
   */
  readonly continuation?: {
    readonly input: (recipe: R) => fc.Arbitrary<I>;
    readonly run: (subject: T, input: I) => unknown;
  };
  readonly numRuns?: number;
}

/**
 * The persistence laws every stateful @sona class keeps, as one suite: `fromState(state())`
 * holds a bit-identical state; so does the checkpoint's text path; `state()` is a copy; the
 * restored object continues bit-identically; the state carries its `kind` tag.
 */
export function describeStateLaws<R, T, S, I = never>(
  name: string,
  subject: StateLawSubject<R, T, S, I>,
): void {
  const { recipe, build, state, fromState, kind, continuation, numRuns } = subject;
  const copies = subject.copies ?? true;
  const parameters = numRuns === undefined ? {} : { numRuns };
  describe(`${name}: state laws`, () => {
    if (kind !== undefined) {
      it(`state() is tagged kind '${kind}'`, () => {
        fc.assert(
          fc.property(recipe, (r) => {
            expect((state(build(r)) as { kind?: unknown }).kind).toBe(kind);
          }),
          parameters,
        );
      });
    }

    it('fromState(state()) holds a bit-identical state', () => {
      fc.assert(
        fc.property(recipe, (r) => {
          const saved = state(build(r));
          expect(stateBits(state(fromState(saved)))).toEqual(stateBits(saved));
        }),
        parameters,
      );
    });

    it('the state survives the checkpoint text path bit for bit', () => {
      fc.assert(
        fc.property(recipe, (r) => {
          const saved = state(build(r));
          const restored = fromState(throughCheckpointText(saved));
          expect(stateBits(state(restored))).toEqual(stateBits(saved));
        }),
        parameters,
      );
    });

    it.runIf(copies)(
      'state() is a copy: writing into its tensors leaves the object as it was',
      () => {
        fc.assert(
          fc.property(recipe, (r) => {
            const object = build(r);
            const before = stateBits(state(object));
            for (const tensor of tensorsOf(state(object))) tensor.fill(7);
            expect(stateBits(state(object))).toEqual(before);
          }),
          parameters,
        );
      },
    );

    if (continuation !== undefined) {
      it('the restored object continues bit-identically to the original', () => {
        const cases = recipe.chain((r) => fc.tuple(fc.constant(r), continuation.input(r)));
        fc.assert(
          fc.property(cases, ([r, input]) => {
            const original = build(r);
            const restored = fromState(throughCheckpointText(state(original)));
            const a = continuation.run(original, input);
            const b = continuation.run(restored, input);
            expect(stateBits(b)).toEqual(stateBits(a));
            expect(stateBits(state(restored))).toEqual(stateBits(state(original)));
          }),
          parameters,
        );
      });
    }
  });
}
