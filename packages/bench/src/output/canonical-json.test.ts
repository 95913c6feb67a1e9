import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson } from './canonical-json';

// JSON values as JSON.parse would produce them (plain objects, finite numbers), without the keys
// @sona/checkpoint's canonicaliser refuses as hostile (__proto__, constructor, prototype).
const FORBIDDEN_KEY = /"(__proto__|constructor|prototype)":/;
const jsonValueArb = fc
  .jsonValue()
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
  .filter((v) => !FORBIDDEN_KEY.test(JSON.stringify(v)));
const keyArb = fc.string().filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k));

describe('canonicalJson (RFC 8785)', () => {
  it('parses back to the same value', () => {
    fc.assert(
      fc.property(jsonValueArb, (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(value);
      }),
    );
  });

  it('does not depend on the order object members were inserted in', () => {
    fc.assert(
      fc.property(fc.dictionary(keyArb, jsonValueArb), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
      }),
    );
  });

  it('is idempotent: canonical text parsed and canonicalised again is unchanged', () => {
    fc.assert(
      fc.property(jsonValueArb, (value) => {
        const once = canonicalJson(value);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
      }),
    );
  });

  it('sorts member names by UTF-16 code units and writes no whitespace', () => {
    // '\u00e9' (U+00E9) sorts after 'z'; the astral '\u{1F600}' (surrogates D83D DE00) sorts before
    // '\uFB01' (U+FB01) by code units although its code point is larger.
    const value = { z: 1, a: [true, null, 'x'], '\u00e9': 2, '\uFB01': 3, '\u{1F600}': 4, B: {} };
    expect(canonicalJson(value)).toBe(
      '{"B":{},"a":[true,null,"x"],"z":1,"\u00e9":2,"\u{1F600}":4,"\uFB01":3}',
    );
  });

  it('writes numbers in ECMAScript shortest form, -0 as 0', () => {
    expect(canonicalJson([0, -0, 1, -1.5, 1e21, 1e-7, 0.1 + 0.2, 2 ** 53, 123456789012])).toBe(
      '[0,0,1,-1.5,1e+21,1e-7,0.30000000000000004,9007199254740992,123456789012]',
    );
  });

  it('escapes strings minimally, control characters as lowercase \\u00xx', () => {
    expect(canonicalJson('a"b\\c\n\t\u0001\u001f\u007f/é€')).toBe(
      '"a\\"b\\\\c\\n\\t\\u0001\\u001f\u007f/é€"',
    );
  });

  it('rejects values that are not I-JSON instead of hashing something else', () => {
    const bad: unknown[] = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      undefined,
      { a: undefined },
      () => 1,
      10n,
      new Float32Array(2),
      new Map(),
      'lone \ud800 surrogate',
      { '\udc00': 1 },
      JSON.parse('{"__proto__": 1}'),
      { constructor: 1 },
    ];
    for (const value of bad) expect(() => canonicalJson(value)).toThrow();
  });

  it('hashes with SHA-256 over the canonical UTF-8 text', () => {
    // SHA-256 of the three bytes "{}" is a fixed, well-known digest.
    expect(canonicalHash({})).toBe(
      '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
    expect(canonicalHash({ b: 1, a: 2 })).toBe(canonicalHash({ a: 2, b: 1 }));
    expect(canonicalHash({ a: 1 })).not.toBe(canonicalHash({ a: 2 }));
  });
});
