import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkJsonText } from './json-text';
import { cleanJsonValue, cleanKey } from './test-fixtures';

const code = (text: string) => checkJsonText(text)?.code ?? null;

const cleanJson = cleanJsonValue;

describe('checkJsonText', () => {
  it('accepts whatever JSON.stringify writes, compact or indented', () => {
    fc.assert(
      fc.property(cleanJson, fc.nat({ max: 4 }), (value, indent) => {
        expect(checkJsonText(JSON.stringify(value, null, indent))).toBeNull();
      }),
    );
  });

  it('calls every proper prefix of an object or array truncated', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.array(cleanJson), fc.dictionary(cleanKey, cleanJson)),
        fc.nat(),
        (value, cut) => {
          const text = JSON.stringify(value);
          const prefix = text.slice(0, cut % text.length);
          expect(code(prefix)).toBe('CHECKPOINT_TRUNCATED');
        },
      ),
    );
  });

  it('agrees with JSON.parse on random edits of JSON text: it never accepts what JSON.parse rejects', () => {
    const edit = fc.record({
      at: fc.nat(),
      remove: fc.nat({ max: 3 }),
      insert: fc.string({ maxLength: 3, unit: fc.constantFrom(...'{}[]",:0-1.eE tfnu\\a') }),
    });
    fc.assert(
      fc.property(cleanJson, edit, (value, { at, remove, insert }) => {
        const text = JSON.stringify(value, null, 1);
        const position = at % (text.length + 1);
        const edited = text.slice(0, position) + insert + text.slice(position + remove);
        let parses = true;
        try {
          JSON.parse(edited);
        } catch {
          parses = false;
        }
        const found = code(edited);
        // Problems are reported in document order, so a duplicate key may come before a syntax error.
        if (parses) expect([null, 'CHECKPOINT_DUPLICATE_KEY']).toContain(found);
        else expect(found).not.toBeNull();
        if (found === 'CHECKPOINT_NOT_JSON' || found === 'CHECKPOINT_TRUNCATED')
          expect(parses).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['', 'CHECKPOINT_TRUNCATED'],
    ['  \n', 'CHECKPOINT_TRUNCATED'],
    ['{"a":', 'CHECKPOINT_TRUNCATED'],
    ['{"a": tr', 'CHECKPOINT_TRUNCATED'],
    ['{"a": "\\u12', 'CHECKPOINT_TRUNCATED'],
    ['[1e', 'CHECKPOINT_TRUNCATED'],
    ['[-', 'CHECKPOINT_TRUNCATED'],
    ['hello', 'CHECKPOINT_NOT_JSON'],
    ['{"a": trux}', 'CHECKPOINT_NOT_JSON'],
    ['[1,]', 'CHECKPOINT_NOT_JSON'],
    ['{"a":1,}', 'CHECKPOINT_NOT_JSON'],
    ['{"a":1} x', 'CHECKPOINT_NOT_JSON'],
    ['[01]', 'CHECKPOINT_NOT_JSON'],
    ['["\\x"]', 'CHECKPOINT_NOT_JSON'],
    ['["a\tb"]', 'CHECKPOINT_NOT_JSON'],
    ["{'a': 1}", 'CHECKPOINT_NOT_JSON'],
    ['\ufeff{}', 'CHECKPOINT_NOT_JSON'],
    ['{"a": NaN}', 'CHECKPOINT_BAD_NUMBER'],
    ['{"a": -Infinity}', 'CHECKPOINT_BAD_NUMBER'],
    ['[Infinity]', 'CHECKPOINT_BAD_NUMBER'],
    ['{"a": {"__proto__": {}}}', 'CHECKPOINT_FORBIDDEN_KEY'],
    ['{"constructor": 1}', 'CHECKPOINT_FORBIDDEN_KEY'],
    ['[{"prototype": 1}]', 'CHECKPOINT_FORBIDDEN_KEY'],
    ['{"\\u005f_proto__": 1}', 'CHECKPOINT_FORBIDDEN_KEY'],
    ['{"a": 1, "a": 2}', 'CHECKPOINT_DUPLICATE_KEY'],
    ['{"a": 1, "\\u0061": 2}', 'CHECKPOINT_DUPLICATE_KEY'],
    ['{"a": [], "b": {}, "c": ""}', null],
  ])('%j → %s', (text, expected) => {
    expect(code(text)).toBe(expected);
  });

  it('names where the problem is', () => {
    expect(checkJsonText('{"config": {"list": [1, {"__proto__": 1}]}}')?.path).toBe(
      'config.list[1].__proto__',
    );
    expect(checkJsonText('{"a": {"b": NaN}}')?.path).toBe('a.b');
  });

  it('refuses nesting deeper than the limit without recursing (no stack overflow on 10^6 levels)', () => {
    expect(code(`${'['.repeat(64)}${']'.repeat(64)}`)).toBeNull();
    expect(code(`${'['.repeat(65)}${']'.repeat(65)}`)).toBe('CHECKPOINT_SCHEMA');
    expect(code('['.repeat(1_000_000))).toBe('CHECKPOINT_SCHEMA');
  });
});
