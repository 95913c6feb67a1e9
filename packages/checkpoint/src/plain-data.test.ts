import type { SonaErrorCode } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { canonicalJson } from './hash';
import { decodePlainData, encodePlainData, inspectJsonValue, type PlainData } from './plain-data';
import { bitEqual, plainDataArbitrary } from './test-fixtures';

function sparse(): unknown[] {
  const array = [1, 2, 3];
  delete array[1];
  return array;
}

describe('encodePlainData / decodePlainData', () => {
  it('round-trip any plain data bit-exactly, through JSON text too', () => {
    fc.assert(
      fc.property(plainDataArbitrary, (data) => {
        const json = encodePlainData(data);
        expect(inspectJsonValue(json)).toEqual([]);
        const text = canonicalJson(json);
        expect(bitEqual(decodePlainData(JSON.parse(text)), data)).toBe(true);
      }),
    );
  });

  it('keep -0, NaN-free subnormals and every float32 bit pattern of a tensor', () => {
    const tensor = new Float32Array([-0, 1e-45, -3.4028234663852886e38, 0.1]);
    const back = decodePlainData(JSON.parse(JSON.stringify(encodePlainData({ t: tensor, z: -0 }))));
    expect(bitEqual(back, { t: tensor, z: -0 })).toBe(true);
  });

  it('give fresh tensors: decoding twice does not share memory', () => {
    const json = encodePlainData({ t: new Float32Array([1, 2]) });
    const a = decodePlainData(json) as { t: Float32Array };
    const b = decodePlainData(json) as { t: Float32Array };
    a.t[0] = 5;
    expect(b.t[0]).toBe(1);
  });

  it.each<[string, unknown, SonaErrorCode]>([
    ['undefined', { a: undefined }, 'INVALID_ARGUMENT'],
    ['a function', { a: () => 1 }, 'INVALID_ARGUMENT'],
    ['a Map', { a: new Map() }, 'INVALID_ARGUMENT'],
    ['a Float64Array', { a: new Float64Array(2) }, 'INVALID_ARGUMENT'],
    ['a class instance', { a: new Date(0) }, 'INVALID_ARGUMENT'],
    ['a bigint', { a: 1n }, 'INVALID_ARGUMENT'],
    ['a reserved $ key', { $f32: 'AAAA' }, 'INVALID_ARGUMENT'],
    ['a constructor key', { constructor: 1 }, 'INVALID_ARGUMENT'],
    ['a lone surrogate', ['\ud800'], 'INVALID_ARGUMENT'],
    ['a sparse array', sparse(), 'INVALID_ARGUMENT'],
    ['NaN', { a: Number.NaN }, 'NON_FINITE'],
    ['Infinity', [Number.POSITIVE_INFINITY], 'NON_FINITE'],
  ])('encoding rejects %s', (_, value, expected) => {
    expectSonaError(() => encodePlainData(value as PlainData), expected);
  });

  it('encoding rejects cycles instead of recursing forever', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectSonaError(() => encodePlainData(cyclic as PlainData), 'INVALID_ARGUMENT');
  });

  it.each<[string, string, SonaErrorCode]>([
    ['an unknown tag', '{"$f64": "AAAA"}', 'CHECKPOINT_SCHEMA'],
    ['a tag with extra keys', '{"$f32": "", "b": 1}', 'CHECKPOINT_SCHEMA'],
    ['a tensor that is not base64', '{"$f32": "@@"}', 'CHECKPOINT_SCHEMA'],
    ['a tensor of 3 bytes', '{"$f32": "AAAA"}', 'CHECKPOINT_SCHEMA'],
    ['a tensor holding NaN', '{"$f32": "AADAfw=="}', 'CHECKPOINT_BAD_NUMBER'],
    ['a forbidden key', '{"a": {"__proto__": {"polluted": true}}}', 'CHECKPOINT_FORBIDDEN_KEY'],
  ])('decoding rejects %s', (_, text, expected) => {
    expectSonaError(() => decodePlainData(JSON.parse(text)), expected);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
