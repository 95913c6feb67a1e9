import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSonaError } from '../errors';
import { escapeTerminal, terminalJson, unescapeTerminal } from './escape';

/** Any UTF-16 string, lone surrogates included, weighted towards the characters that matter. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    fc.constantFrom('\\', '\u001b', '\n', '\r', '\t', '\u009b', '\u007f', '\u202e', 'x', '{', 'u'),
    fc.constantFrom('\\x1b', '\\u{202e}', '\\n', '😀', 'é'),
  ),
  maxLength: 40,
});

/** C0, DEL, C1, line/paragraph separators, bidi formatting characters. */
const UNSAFE_CHARACTER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters.
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

function hasLoneSurrogate(text: string): boolean {
  return !(text as string & { isWellFormed(): boolean }).isWellFormed();
}

describe('escapeTerminal', () => {
  it('never lets a control character, ESC, a bidi override or a lone surrogate through', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const escaped = escapeTerminal(text);
        expect(escaped).not.toMatch(UNSAFE_CHARACTER);
        expect(hasLoneSurrogate(escaped)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('is reversible, so two different texts never print alike', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(unescapeTerminal(escapeTerminal(text))).toBe(text);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        fc.pre(a !== b);
        expect(escapeTerminal(a)).not.toBe(escapeTerminal(b));
      }),
    );
  });

  it('leaves text without unsafe characters or backslashes as it is', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        fc.pre(!UNSAFE_CHARACTER.test(text) && !text.includes('\\'));
        expect(escapeTerminal(text)).toBe(text);
      }),
    );
  });

  it('writes the documented escapes', () => {
    expect(escapeTerminal('a\u001b[2Jb')).toBe('a\\x1b[2Jb');
    expect(escapeTerminal('x\ny\tz\r\\')).toBe('x\\ny\\tz\\r\\\\');
    expect(escapeTerminal('\u009b31m')).toBe('\\x9b31m');
    expect(escapeTerminal('abc\u202eexe.json')).toBe('abc\\u{202e}exe.json');
    expect(escapeTerminal('\ud800')).toBe('\\u{d800}');
    expect(escapeTerminal('😀 Qwen2.5-Coder')).toBe('😀 Qwen2.5-Coder');
  });

  it('unescapeTerminal refuses a backslash escapeTerminal never writes', () => {
    for (const bad of ['\\', 'a\\q', '\\x1', '\\u{12}', '\\u{10000}']) {
      let thrown: unknown;
      try {
        unescapeTerminal(bad);
      } catch (error) {
        thrown = error;
      }
      expect(isSonaError(thrown, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('terminalJson', () => {
  it('is the same JSON value as JSON.stringify, with nothing unsafe outside the indentation', () => {
    fc.assert(
      fc.property(fc.jsonValue(), anyText, fc.constantFrom(undefined, 2), (value, text, indent) => {
        const document = { value, text, [text]: 1 };
        const json = terminalJson(document, indent);
        expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(document)));
        expect(json.replace(/\n/g, '')).not.toMatch(UNSAFE_CHARACTER);
        expect(hasLoneSurrogate(json)).toBe(false);
      }),
    );
  });

  it('refuses what JSON cannot represent', () => {
    expect(() => terminalJson(undefined)).toThrow(/terminalJson/);
  });
});
