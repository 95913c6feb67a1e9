import { type CheckpointIssue, FORBIDDEN_KEYS, issue, MAX_DEPTH } from './issues';
import { appendPath } from './path';

/**
 * A single pass over JSON text (RFC 8259) that builds no values. It tells apart what
 * `JSON.parse` lumps together as a SyntaxError: text that is simply not JSON, and text that is
 * a prefix of some JSON value (a file cut short: the usual result of an interrupted write).
 * It also rejects what `JSON.parse` accepts but a hashed checkpoint must not contain:
 * duplicate keys (RFC 8785 needs I-JSON, RFC 7493 §2.3), `__proto__`/`constructor`/`prototype`
 * keys, and nesting deeper than `maxDepth`.
 */
export function checkJsonText(text: string, maxDepth = MAX_DEPTH): CheckpointIssue | null {
  return new Scanner(text, maxDepth).run();
}

enum Expect {
  Value,
  ValueOrEnd,
  After,
  KeyOrEnd,
  Key,
  Colon,
}

interface Frame {
  readonly isObject: boolean;
  readonly keys: Set<string> | null;
  key: string;
  index: number;
}

/** Returned by the token scanners instead of an end offset. */
const TRUNCATED = -1;
const INVALID = -2;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isHex(code: number): boolean {
  return isDigit(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings must not hold raw control characters.
const STRING_STOP = /["\\\u0000-\u001f]/g;

const NON_FINITE_LITERALS = ['NaN', 'Infinity', '-Infinity'];

const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

class Scanner {
  readonly #text: string;
  readonly #maxDepth: number;
  readonly #stack: Frame[] = [];
  /** Offset of the character that made a token invalid. */
  #badAt = 0;

  constructor(text: string, maxDepth: number) {
    this.#text = text;
    this.#maxDepth = maxDepth;
  }

  run(): CheckpointIssue | null {
    const text = this.#text;
    const n = text.length;
    const stack = this.#stack;
    let expect = Expect.Value;
    let i = 0;
    for (;;) {
      while (i < n && isWhitespace(text.charCodeAt(i))) i++;
      if (i >= n) {
        if (expect === Expect.After && stack.length === 0) return null;
        return this.#truncated(n);
      }
      const c = text.charCodeAt(i);
      switch (expect) {
        case Expect.Value:
        case Expect.ValueOrEnd: {
          if (c === 0x5d && expect === Expect.ValueOrEnd) {
            stack.pop();
            i++;
            expect = Expect.After;
            break;
          }
          if (c === 0x7b || c === 0x5b) {
            if (stack.length >= this.#maxDepth) {
              return issue(
                'CHECKPOINT_SCHEMA',
                this.#path(),
                `arrays and objects are nested deeper than ${this.#maxDepth} levels`,
              );
            }
            const isObject = c === 0x7b;
            stack.push({ isObject, keys: isObject ? new Set() : null, key: '', index: 0 });
            i++;
            expect = isObject ? Expect.KeyOrEnd : Expect.ValueOrEnd;
            break;
          }
          const nonFinite = NON_FINITE_LITERALS.find((word) => text.startsWith(word, i));
          if (nonFinite !== undefined) {
            // Not JSON, but what many serialisers (Python's json among them) write for NaN and ±∞.
            return issue(
              'CHECKPOINT_BAD_NUMBER',
              this.#path(),
              `${nonFinite} is not a finite number`,
            );
          }
          const end = this.#scanScalar(i, c);
          if (end === TRUNCATED) return this.#truncated(n);
          if (end === INVALID) return this.#invalid(this.#badAt);
          i = end;
          expect = Expect.After;
          break;
        }
        case Expect.After: {
          const frame = stack[stack.length - 1];
          if (frame === undefined) return this.#invalid(i, 'unexpected data after the JSON value');
          if (c === 0x2c) {
            i++;
            if (frame.isObject) {
              expect = Expect.Key;
            } else {
              frame.index++;
              expect = Expect.Value;
            }
          } else if (c === (frame.isObject ? 0x7d : 0x5d)) {
            stack.pop();
            i++;
          } else {
            return this.#invalid(i);
          }
          break;
        }
        case Expect.KeyOrEnd:
        case Expect.Key: {
          if (c === 0x7d && expect === Expect.KeyOrEnd) {
            stack.pop();
            i++;
            expect = Expect.After;
            break;
          }
          if (c !== 0x22) return this.#invalid(i);
          const end = this.#scanString(i);
          if (end === TRUNCATED) return this.#truncated(n);
          if (end === INVALID) return this.#invalid(this.#badAt);
          const token = text.slice(i, end);
          const key = token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
          const frame = stack[stack.length - 1]!;
          frame.key = key;
          if (FORBIDDEN_KEYS.has(key)) {
            return issue(
              'CHECKPOINT_FORBIDDEN_KEY',
              this.#path(),
              `the key "${key}" is not allowed (it could reach an object prototype)`,
            );
          }
          if (frame.keys!.has(key)) {
            return issue(
              'CHECKPOINT_DUPLICATE_KEY',
              this.#path(),
              `the key "${key}" appears twice in the same object`,
            );
          }
          frame.keys!.add(key);
          i = end;
          expect = Expect.Colon;
          break;
        }
        case Expect.Colon: {
          if (c !== 0x3a) return this.#invalid(i);
          i++;
          expect = Expect.Value;
          break;
        }
      }
    }
  }

  #scanScalar(i: number, c: number): number {
    if (c === 0x22) return this.#scanString(i);
    if (c === 0x2d || isDigit(c)) return this.#scanNumber(i);
    if (c === 0x74) return this.#scanLiteral(i, 'true');
    if (c === 0x66) return this.#scanLiteral(i, 'false');
    if (c === 0x6e) return this.#scanLiteral(i, 'null');
    this.#badAt = i;
    return INVALID;
  }

  /** `i` is at the opening quote; returns the offset after the closing one. */
  #scanString(i: number): number {
    const text = this.#text;
    const n = text.length;
    let j = i + 1;
    for (;;) {
      // Jump (natively) to the next quote, backslash or control character.
      STRING_STOP.lastIndex = j;
      const stop = STRING_STOP.exec(text);
      if (stop === null) return TRUNCATED;
      j = stop.index;
      const c = text.charCodeAt(j);
      if (c === 0x22) return j + 1;
      if (c !== 0x5c) {
        this.#badAt = j;
        return INVALID;
      }
      if (j + 1 >= n) return TRUNCATED;
      const e = text.charCodeAt(j + 1);
      if (SIMPLE_ESCAPES.has(e)) {
        j += 2;
      } else if (e === 0x75) {
        for (let k = 2; k < 6; k++) {
          if (j + k >= n) return TRUNCATED;
          if (!isHex(text.charCodeAt(j + k))) {
            this.#badAt = j + k;
            return INVALID;
          }
        }
        j += 6;
      } else {
        this.#badAt = j + 1;
        return INVALID;
      }
    }
  }

  #scanNumber(i: number): number {
    const text = this.#text;
    const n = text.length;
    let j = i;
    if (text.charCodeAt(j) === 0x2d) j++;
    if (j >= n) return TRUNCATED;
    const first = text.charCodeAt(j);
    if (first === 0x30) {
      j++;
    } else if (isDigit(first)) {
      while (j < n && isDigit(text.charCodeAt(j))) j++;
    } else {
      this.#badAt = j;
      return INVALID;
    }
    if (j < n && text.charCodeAt(j) === 0x2e) {
      j++;
      if (j >= n) return TRUNCATED;
      if (!isDigit(text.charCodeAt(j))) {
        this.#badAt = j;
        return INVALID;
      }
      while (j < n && isDigit(text.charCodeAt(j))) j++;
    }
    if (j < n && (text.charCodeAt(j) | 0x20) === 0x65) {
      j++;
      if (j < n && (text.charCodeAt(j) === 0x2b || text.charCodeAt(j) === 0x2d)) j++;
      if (j >= n) return TRUNCATED;
      if (!isDigit(text.charCodeAt(j))) {
        this.#badAt = j;
        return INVALID;
      }
      while (j < n && isDigit(text.charCodeAt(j))) j++;
    }
    return j;
  }

  #scanLiteral(i: number, word: string): number {
    const text = this.#text;
    for (let k = 0; k < word.length; k++) {
      if (i + k >= text.length) return TRUNCATED;
      if (text.charCodeAt(i + k) !== word.charCodeAt(k)) {
        this.#badAt = i + k;
        return INVALID;
      }
    }
    return i + word.length;
  }

  /** Path of the value currently being read: each open container's current key or index. */
  #path(): string {
    let path = '';
    for (let d = 0; d < this.#stack.length; d++) {
      const frame = this.#stack[d]!;
      path = appendPath(path, frame.isObject ? frame.key : frame.index);
    }
    return path;
  }

  #truncated(length: number): CheckpointIssue {
    const message =
      this.#text.trim() === ''
        ? 'the file is empty'
        : `the file ends after ${length} characters, before its JSON value does`;
    return issue('CHECKPOINT_TRUNCATED', this.#path(), message);
  }

  #invalid(at: number, what?: string): CheckpointIssue {
    const before = this.#text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    const found = JSON.stringify(this.#text.charAt(at));
    const message = `${what ?? `unexpected character ${found}`} at line ${line}, column ${column} (offset ${at}): not JSON`;
    return issue('CHECKPOINT_NOT_JSON', this.#path(), message);
  }
}
