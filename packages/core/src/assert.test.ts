import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError, sonaErrorCode } from '../../../tools/testing/sona-error';
import { assertAllFinite, assertFloat32Array, assertInteger, firstNonFinite } from './assert';
import { SonaError } from './errors';

describe('argument checks', () => {
  it('firstNonFinite finds exactly the first NaN or infinity', () => {
    const special = fc.constantFrom(Number.NaN, Infinity, -Infinity);
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true })),
        fc.nat(),
        special,
        (values, at, bad) => {
          expect(firstNonFinite(values)).toBe(-1);
          const i = values.length === 0 ? 0 : at % values.length;
          const withBad = [...values.slice(0, i), bad, ...values.slice(i)];
          expect(firstNonFinite(withBad)).toBe(i);
        },
      ),
    );
  });

  it('names the problem with a stable code', () => {
    expectSonaError(() => assertFloat32Array([1, 2], 'x'), 'INVALID_ARGUMENT');
    expectSonaError(() => assertFloat32Array(new Float64Array(2), 'x'), 'INVALID_ARGUMENT');
    expectSonaError(() => assertFloat32Array(new Float32Array(2), 'x', 3), 'DIM_MISMATCH');
    expect(sonaErrorCode(() => assertFloat32Array(new Float32Array(3), 'x', 3))).toBe('none');
    expectSonaError(() => assertAllFinite(Float32Array.of(1, Number.NaN), 'x'), 'NON_FINITE');
    expectSonaError(() => assertInteger(1.5, 'k'), 'INVALID_ARGUMENT');
    expectSonaError(() => assertInteger(9, 'k', 0, 5), 'OUT_OF_RANGE');
  });

  it('SonaError carries code, path and serialises without a stack', () => {
    const error = new SonaError('DIM_MISMATCH', 'a and b differ', { path: 'a' });
    expect(error).toBeInstanceOf(Error);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: 'DIM_MISMATCH',
      message: 'a and b differ',
      path: 'a',
    });
  });
});
