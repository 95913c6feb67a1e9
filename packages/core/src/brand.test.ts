import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertRng } from './assert';
import { CONTRACT_VERSION, RNG_BRAND, SONA_ERROR_BRAND } from './brand';
import { isSonaError, SonaError } from './errors';
import { createRng, Rng } from './rng';

// What another copy of @sona/core (the other build, another version) makes: objects whose
// prototype carries the brand under the same global symbol, from a class that is not ours.
function foreignInstance(key: symbol, version: number, fields: object = {}): object {
  const prototype = Object.defineProperty({}, key, { value: version });
  return Object.assign(Object.create(prototype), fields);
}

describe('brands', () => {
  it('live under global symbols, so every copy of the package agrees on them', () => {
    expect(RNG_BRAND).toBe(Symbol.for('@sona/core/Rng'));
    expect(SONA_ERROR_BRAND).toBe(Symbol.for('@sona/core/SonaError'));
  });

  it('instanceof and isSonaError accept a branded instance of another copy', () => {
    const rng = foreignInstance(RNG_BRAND, CONTRACT_VERSION);
    expect(rng instanceof Rng).toBe(true);
    expect(assertRng(rng)).toBe(rng);
    const error = foreignInstance(SONA_ERROR_BRAND, CONTRACT_VERSION, { code: 'USAGE' });
    expect(error instanceof SonaError).toBe(true);
    expect(isSonaError(error)).toBe(true);
    expect(isSonaError(error, 'USAGE')).toBe(true);
    expect(isSonaError(error, 'EMPTY_INPUT')).toBe(false);
  });

  it('refuse another contract version, look-alikes and the other brand', () => {
    expect(foreignInstance(RNG_BRAND, CONTRACT_VERSION + 1) instanceof Rng).toBe(false);
    const lookAlike = { uniform: () => 0.5, int: () => 0, fork: () => lookAlike };
    expect(lookAlike instanceof Rng).toBe(false);
    expect(() => assertRng(lookAlike)).toThrow(/rng must be an Rng/);
    expect(new SonaError('USAGE', 'x') instanceof Rng).toBe(false);
    expect(createRng(1) instanceof SonaError).toBe(false);
    expect(isSonaError(Object.assign(new Error('x'), { code: 'USAGE' }))).toBe(false);
  });

  it('nothing but an Rng or a SonaError carries them', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (value) => {
        expect(value instanceof Rng).toBe(false);
        expect(value instanceof SonaError).toBe(false);
        expect(isSonaError(value)).toBe(false);
      }),
    );
    expect(createRng(7).fork('x') instanceof Rng).toBe(true);
    expect(Rng.fromState(createRng(7).state()) instanceof Rng).toBe(true);
    expect(new SonaError('USAGE', 'x') instanceof Error).toBe(true);
  });

  it('instanceof a subclass keeps the prototype check', () => {
    class UsageError extends SonaError {}
    const base = new SonaError('USAGE', 'x');
    const sub = new UsageError('USAGE', 'y');
    expect(sub instanceof SonaError).toBe(true);
    expect(isSonaError(sub, 'USAGE')).toBe(true);
    expect(sub instanceof UsageError).toBe(true);
    expect(base instanceof UsageError).toBe(false);
    expect(foreignInstance(SONA_ERROR_BRAND, CONTRACT_VERSION) instanceof UsageError).toBe(false);
  });
});
