import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggestionThreshold } from './suggest';

const word = fc.string({ unit: fc.constantFrom(...'abcde-'), maxLength: 10 });

/** Textbook Levenshtein distance by recursion over prefixes (memoised): the reference. */
function levenshtein(a: string, b: string): number {
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === 0) return j;
    if (j === 0) return i;
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const value = Math.min(
      go(i - 1, j) + 1,
      go(i, j - 1) + 1,
      go(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1),
    );
    memo.set(key, value);
    return value;
  };
  return go(a.length, b.length);
}

/** One edit of `text` at `at`: insert, delete, substitute or swap two neighbours. */
const oneEdit = fc
  .tuple(
    word,
    fc.nat(),
    fc.constantFrom('insert', 'delete', 'substitute', 'swap'),
    fc.constantFrom(...'abcdez'),
  )
  .map(([text, at, kind, char]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    let edited: string;
    if (kind === 'insert') edited = text.slice(0, i) + char + text.slice(i);
    else if (kind === 'delete') edited = text.slice(0, i) + text.slice(i + 1);
    else if (kind === 'substitute') edited = text.slice(0, i) + char + text.slice(i + 1);
    else edited = text.slice(0, i) + text.charAt(i + 1) + text.charAt(i) + text.slice(i + 2);
    return [text, edited] as const;
  });

describe('editDistance (optimal string alignment)', () => {
  it('is 0 exactly for equal strings, symmetric, and between the length difference and the longer length', () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        const d = editDistance(a, b);
        expect(d === 0).toBe(a === b);
        expect(editDistance(b, a)).toBe(d);
        expect(d).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
    );
  });

  it('is at most Levenshtein, and smaller only by counting swaps once', () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        const d = editDistance(a, b);
        const reference = levenshtein(a, b);
        expect(d).toBeLessThanOrEqual(reference);
        expect(d).toBeGreaterThanOrEqual(Math.ceil(reference / 2));
      }),
    );
  });

  it('one insertion, deletion, substitution or swap is at most one edit', () => {
    fc.assert(
      fc.property(oneEdit, ([text, edited]) => {
        expect(editDistance(text, edited)).toBe(text === edited ? 0 : 1);
      }),
    );
  });

  it('a common suffix never adds distance', () => {
    fc.assert(
      fc.property(word, word, word, (a, b, suffix) => {
        expect(editDistance(a + suffix, b + suffix)).toBeLessThanOrEqual(editDistance(a, b));
      }),
    );
  });

  it('pins a few values', () => {
    expect(editDistance('json', 'jsno')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ca', 'abc')).toBe(3); // OSA never edits a swapped pair again
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('didYouMean', () => {
  it('suggests only a candidate, and only a near one or the single one the input begins', () => {
    fc.assert(
      fc.property(word, fc.array(word, { maxLength: 6 }), (input, candidates) => {
        const guess = didYouMean(input, candidates);
        if (guess === undefined) return;
        expect(candidates).toContain(guess);
        const near = editDistance(input, guess) <= suggestionThreshold(input.length);
        const onlyExtension =
          input !== '' && candidates.filter((c) => c.startsWith(input)).length === 1;
        expect(near || (onlyExtension && guess.startsWith(input))).toBe(true);
      }),
    );
  });

  it('a candidate one edit away is always found, and nothing nearer is passed over', () => {
    fc.assert(
      fc.property(oneEdit, fc.array(word, { maxLength: 5 }), ([meant, typed], others) => {
        const candidates = [...others, meant];
        const guess = didYouMean(typed, candidates);
        expect(guess).toBeDefined();
        const best = Math.min(...candidates.map((c) => editDistance(typed, c)));
        expect(editDistance(typed, guess!)).toBe(best);
      }),
    );
  });

  it('suggests the flags people mistype', () => {
    const flags = ['json', 'key', 'max-bytes', 'out', 'force'];
    expect(didYouMean('jsn', flags)).toBe('json');
    expect(didYouMean('JSON', flags)).toBe('json');
    expect(didYouMean('max-byte', flags)).toBe('max-bytes');
    expect(didYouMean('max', flags)).toBe('max-bytes');
    expect(didYouMean('frobnicate', flags)).toBeUndefined();
    expect(didYouMean('verfy', ['verify', 'list', 'compare', 'sign', 'keygen'])).toBe('verify');
  });
});
