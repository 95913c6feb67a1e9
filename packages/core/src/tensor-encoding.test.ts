import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSonaError } from './errors';
import { decodeFloat32, encodeFloat32 } from './tensor-encoding';

const anyFloat32Bits = fc
  .array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 64 })
  .map((bits) => new Float32Array(Uint32Array.from(bits).buffer));

function bitsOf(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

describe('float32 tensor encoding', () => {
  it('round trips every bit pattern (-0, NaN payloads, subnormals included)', () => {
    fc.assert(
      fc.property(anyFloat32Bits, (values) => {
        expect(bitsOf(decodeFloat32(encodeFloat32(values)))).toEqual(bitsOf(values));
      }),
    );
  });

  it('encodes a view, not its whole buffer', () => {
    const backing = Float32Array.of(1, 2, 3, 4);
    const view = backing.subarray(1, 3);
    expect(Array.from(decodeFloat32(encodeFloat32(view)))).toEqual([2, 3]);
  });

  it('is little-endian IEEE-754 (pinned bytes)', () => {
    expect(encodeFloat32(Float32Array.of(1, -0))).toBe('AACAPwAAAIA=');
  });

  it('accepts exactly padded base64 (the same strings as the grouped definition)', () => {
    const grouped = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
    const text = fc.string({
      unit: fc.constantFrom('A', 'b', '0', '+', '/', '=', '*'),
      maxLength: 16,
    });
    fc.assert(
      fc.property(text, (t) => {
        const accepted = (() => {
          try {
            decodeFloat32(t);
            return true;
          } catch {
            return false;
          }
        })();
        // the decoder also needs whole float32 values: a multiple of 4 bytes
        const bytes = grouped.test(t) ? Buffer.from(t, 'base64').length : -1;
        expect(accepted).toBe(grouped.test(t) && bytes % 4 === 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects text that is not a float32 tensor, and a wrong length', () => {
    for (const bad of ['***', 'AAA', 'AACAPw=', 'AACAPwAAAIA', 'A===', '====', 'AA=A']) {
      expect(() => decodeFloat32(bad)).toThrow();
    }
    let caught: unknown;
    try {
      decodeFloat32('AACAPwAAAIA=', 3);
    } catch (error) {
      caught = error;
    }
    expect(isSonaError(caught, 'DIM_MISMATCH')).toBe(true);
  });
});
