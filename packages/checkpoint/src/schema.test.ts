import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBase64 } from './schema';

const GROUPED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

describe('isBase64', () => {
  it('accepts exactly what the grouped RFC 4648 pattern accepts', () => {
    const text = fc.string({ maxLength: 14, unit: fc.constantFrom(...'AZaz09+/=-_ \n') });
    fc.assert(
      fc.property(text, (candidate) => {
        expect(isBase64(candidate)).toBe(GROUPED.test(candidate));
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts every encoding of bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(isBase64(Buffer.from(bytes).toString('base64'))).toBe(true);
      }),
    );
  });
});
