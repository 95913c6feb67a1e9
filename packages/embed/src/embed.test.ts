import { isSonaError } from '@sona/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { embedText, features, fnv1a32, tokenize } from './embed';

const text = fc.string({ maxLength: 200 });
const dim = fc.integer({ min: 1, max: 512 });

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

function norm(a: Float32Array): number {
  return Math.sqrt(cosine(a, a));
}

describe('embedText', () => {
  it('is deterministic', () => {
    fc.assert(
      fc.property(text, dim, (t, d) => {
        expect(embedText(t, { dim: d })).toEqual(embedText(t, { dim: d }));
      }),
    );
  });

  it('has unit norm, or is zero (no tokens, or signed collisions that cancel exactly)', () => {
    fc.assert(
      fc.property(text, dim, (t, d) => {
        const v = embedText(t, { dim: d });
        expect(v.length).toBe(d);
        const n = norm(v);
        if (tokenize(t).length === 0) expect(n).toBe(0);
        expect(n === 0 || Math.abs(n - 1) < 1e-6).toBe(true);
      }),
    );
  });

  it('does not cancel to zero at the default dim for ordinary text', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,12}( [a-z]{1,12}){0,8}$/), (t) => {
        expect(Math.abs(norm(embedText(t)) - 1)).toBeLessThan(1e-6);
      }),
    );
  });

  it('ignores case, width variants and punctuation between words', () => {
    expect(embedText('Fix the NULL pointer, please!')).toEqual(
      embedText('fix  the null pointer please'),
    );
    expect(embedText('ＡＢＣ')).toEqual(embedText('abc')); // NFKC folds full-width letters
  });

  it('places texts that share words closer than texts that share none', () => {
    const a = embedText('fix off by one error in pagination loop');
    const b = embedText('fix off by one error in the pagination helper');
    const c = embedText('write unit tests for the csv parser module');
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c) + 0.3);
  });

  it('is pinned: documented features and hash give the same vector everywhere', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect([...features('Ab cd').keys()]).toEqual([
      'w:ab',
      'b:ab cd',
      'c:<ab',
      'c:ab>',
      'c:<ab>',
      'w:cd',
      'c:<cd',
      'c:cd>',
      'c:<cd>',
    ]);
    const v = embedText('Ab cd', { dim: 8 });
    expect(Array.from(v, (x) => Math.round(x * 1e6) / 1e6)).toMatchInlineSnapshot(`
      [
        0,
        0.447214,
        0,
        0,
        0,
        0,
        0,
        -0.894427,
      ]
    `);
  });

  it('counts repeated features sublinearly (1 + ln c)', () => {
    const once = embedText('zq', { dim: 4096 });
    const thrice = embedText('zq zq zq', { dim: 4096 });
    // the same features, scaled by 1 + ln 3 apart from the two new bigrams; direction stays close
    expect(cosine(once, thrice)).toBeGreaterThan(0.9);
  });

  it('rejects a non-string text and a bad dim with a SonaError', () => {
    for (const call of [
      () => embedText(42 as unknown as string),
      () => embedText('x', { dim: 0 }),
      () => embedText('x', { dim: 1.5 }),
    ]) {
      let caught: unknown;
      try {
        call();
      } catch (error) {
        caught = error;
      }
      expect(isSonaError(caught)).toBe(true);
    }
  });
});
