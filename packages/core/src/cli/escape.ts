import { SonaError } from '@sona/core';

/**
 * What a terminal could act on or that changes how other text reads: the backslash (the escape
 * character itself), C0 controls (ESC among them), DEL, C1 controls (U+0080–U+009F: U+009B is a
 * one-character CSI on some terminals), the line and paragraph separators, the bidirectional
 * formatting characters that reorder what follows them, and lone UTF-16 surrogates.
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${hex(code, 2)}` : `\\u{${hex(code, 4)}}`;
}

/**
 * Text that is safe to print on a terminal: every character listed above becomes a visible
 * escape (`\\`, `\n`, `\r`, `\t`, `\xHH` up to U+00FF, `\u{HHHH}` beyond), everything else is
 * kept. The mapping is one-to-one (`unescapeTerminal` inverts it), so two different names never
 * print alike, and text without those characters prints unchanged.
 */
export function escapeTerminal(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

const ESCAPE = /\\(?:([\\nrt])|x([0-9a-f]{2})|u\{([0-9a-f]{4})\}|)/g;
const UNNAMED: Readonly<Record<string, string>> = { '\\': '\\', n: '\n', r: '\r', t: '\t' };

/** The inverse of `escapeTerminal`; throws `INVALID_ARGUMENT` for a backslash it never writes. */
export function unescapeTerminal(text: string): string {
  return text.replace(ESCAPE, (match, named?: string, byte?: string, unit?: string) => {
    if (named !== undefined) return UNNAMED[named]!;
    const code = Number.parseInt(byte ?? unit ?? 'x', 16);
    if (Number.isNaN(code)) {
      throw new SonaError('INVALID_ARGUMENT', `not an escape escapeTerminal writes: ${match}…`);
    }
    return String.fromCharCode(code);
  });
}

/** Characters JSON.stringify leaves raw that a terminal could act on (it escapes C0 itself). */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * `JSON.stringify(value, null, indent)` with DEL, C1 controls, line separators and bidirectional
 * formatting characters written as `\uXXXX` escapes: the same JSON value, safe on a terminal.
 * (Outside strings JSON has only whitespace and punctuation, so every such character is inside
 * a string, where the escape means the same character.)
 */
export function terminalJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, null, indent);
  if (text === undefined) {
    throw new SonaError('INVALID_ARGUMENT', 'terminalJson needs a value JSON can represent');
  }
  return text.replace(JSON_UNSAFE, (char) => `\\u${hex(char.charCodeAt(0), 4)}`);
}
