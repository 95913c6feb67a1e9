import { isSonaError } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../tools/testing/sona-error';
import { canonicalHash, canonicalJson, computeStateHash } from './hash';
import { cleanJsonValue } from './test-fixtures';

/** The IEEE-754 double with the given 64-bit pattern (hex). */
function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('RFC 8785 published examples', () => {
  it('serialises the §3.2.2 sample (literals, numbers, string escapes) as the RFC prints it', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts property names by UTF-16 code units as in §3.2.3', () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh",' +
        ' "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",' +
        ' "\\u00f6": "Latin Small Letter O With Diaeresis"}',
    );
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
        '"\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('serialises the Appendix B number %s as %s', (hex, expected) => {
    expect(canonicalJson([double(hex)])).toBe(`[${expected}]`);
  });

  it.each([
    ['7fffffffffffffff', 'NaN'],
    ['7ff0000000000000', 'Infinity'],
  ])('rejects the Appendix B non-finite %s (%s)', (hex) => {
    expectSonaError(() => canonicalJson([double(hex)]), 'CHECKPOINT_BAD_NUMBER');
  });
});

describe('canonicalJson', () => {
  it('rejects lone surrogates, as RFC 8785 §3.2.2.2 requires', () => {
    expectSonaError(() => canonicalJson({ s: '\ud800' }), 'CHECKPOINT_SCHEMA');
  });

  it('is invariant under key order and whitespace (any JSON value without refused keys, any re-spelling)', () => {
    fc.assert(
      fc.property(cleanJsonValue, (value) => {
        const reordered = JSON.parse(JSON.stringify(value, null, 3));
        expect(canonicalJson(reordered)).toBe(canonicalJson(value));
      }),
    );
  });

  it('refuses the hostile keys a checkpoint may not contain', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expectSonaError(
        () => canonicalJson(JSON.parse(`{"a":{"${key}":1}}`)),
        'CHECKPOINT_FORBIDDEN_KEY',
      );
    }
  });

  it('is itself valid JSON that parses back to an equal value (deep equality up to -0)', () => {
    fc.assert(
      fc.property(cleanJsonValue, (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

describe('canonicalJson on values JCS cannot represent', () => {
  it('throws instead of hashing something else', () => {
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
    ];
    for (const value of bad) expect(() => canonicalJson(value)).toThrow();
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
});

describe('canonicalHash', () => {
  it('is SHA-256 over the canonical UTF-8 text', () => {
    // SHA-256 of the two bytes "{}" is a fixed, well-known digest.
    expect(canonicalHash({})).toBe(
      '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
    expect(canonicalHash({ b: 1, a: 2 })).toBe(canonicalHash({ a: 2, b: 1 }));
    expect(canonicalHash({ a: 1 })).not.toBe(canonicalHash({ a: 2 }));
  });
});

describe('computeStateHash', () => {
  it('ignores stateHash and signature and nothing else', () => {
    const base = { version: 1, a: [1, 2] };
    const hash = computeStateHash(base);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(computeStateHash({ ...base, stateHash: 'x', signature: { y: 1 } })).toBe(hash);
    expect(computeStateHash({ ...base, a: [2, 1] })).not.toBe(hash);
  });

  it('is the SHA-256 of the canonical text (a fixed vector)', () => {
    // sha256('{"a":1}'), computed independently of this library.
    expect(computeStateHash({ a: 1, stateHash: 'ignored' })).toBe(
      '015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862',
    );
  });

  it('reports an own "__proto__" key instead of hashing around it', () => {
    const hostile = JSON.parse('{"a": 1, "__proto__": {"b": 2}}');
    let caught: unknown;
    try {
      computeStateHash(hostile);
    } catch (error) {
      caught = error;
    }
    expect(isSonaError(caught, 'CHECKPOINT_FORBIDDEN_KEY')).toBe(true);
  });
});
