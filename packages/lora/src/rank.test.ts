import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sonaErrorCode } from '../../../tools/testing/sona-error';
import { rankForParams } from './rank';

describe('rankForParams', () => {
  it('follows the SPEC thresholds: < 2B → 1, < 5B → 2, else 4', () => {
    expect(rankForParams(0.5)).toBe(1);
    expect(rankForParams(1.9999)).toBe(1);
    expect(rankForParams(2)).toBe(2);
    expect(rankForParams(4.9999)).toBe(2);
    expect(rankForParams(5)).toBe(4);
    expect(rankForParams(70)).toBe(4);
  });

  it('gives the reference model profiles their ranks', () => {
    const profiles: [number, number][] = [
      [7, 4], // Qwen2.5-Coder-7B, CodeLlama-7B
      [3.8, 2], // Phi-3-mini-4k
      [3, 2], // StarCoder2-3B
      [1.5, 1], // Qwen2.5-Coder-1.5B
      [1.3, 1], // DeepSeek-Coder-1.3B
    ];
    for (const [billions, rank] of profiles) expect(rankForParams(billions)).toBe(rank);
  });

  it('never decreases as the model grows', () => {
    const size = fc.double({ min: 1e-6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(size, size, (a, b) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        expect(rankForParams(small)).toBeLessThanOrEqual(rankForParams(large));
      }),
    );
  });

  it('rejects sizes that are not positive finite numbers', () => {
    const code = (value: unknown) => sonaErrorCode(() => rankForParams(value as number));
    expect(code(0)).toBe('OUT_OF_RANGE');
    expect(code(-3)).toBe('OUT_OF_RANGE');
    expect(code(Number.NaN)).toBe('NON_FINITE');
    expect(code(Infinity)).toBe('NON_FINITE');
    expect(code('7')).toBe('INVALID_ARGUMENT');
  });
});
