import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { norm64, writeUnit } from './unit-vector';

const float32Arb = fc.float32Array({
  minLength: 1,
  maxLength: 20,
  noNaN: true,
  noDefaultInfinity: true,
});

describe('unit vectors in float64', () => {
  it('norm64 is the float64 Euclidean norm, 0 only for the zero vector, subnormals included', () => {
    fc.assert(
      fc.property(float32Arb, (v) => {
        const expected = Math.hypot(...v);
        const actual = norm64(v);
        expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected * 1e-14);
        expect(actual === 0).toBe(v.every((x) => x === 0));
      }),
    );
    expect(norm64(Float32Array.of(1.401298464324817e-45))).toBe(1.401298464324817e-45);
  });

  it('writeUnit writes a vector of norm 1 (to float32 rounding) in the same direction', () => {
    fc.assert(
      fc.property(float32Arb, (v) => {
        fc.pre(v.some((x) => x !== 0));
        const out = new Float32Array(v.length);
        writeUnit(v, out);
        expect(Math.abs(norm64(out) - 1)).toBeLessThan(1e-6);
        out.forEach((x, i) => {
          // Same sign, unless the component is too small to survive the division.
          expect(x * v[i]!).toBeGreaterThanOrEqual(0);
          expect(Math.abs(x - v[i]! / norm64(v))).toBeLessThanOrEqual(2 ** -24);
        });
      }),
    );
  });
});
