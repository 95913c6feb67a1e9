import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectSonaError } from '../../../../tools/testing/sona-error';
import {
  checkFieldMapping,
  parseFieldPath,
  parseFieldSpecs,
  pathHint,
  resolvePath,
} from './fields';
import {
  readCost,
  readEmbedding,
  readLabel,
  readName,
  readOutcome,
  SUCCESS_THRESHOLD,
} from './values';

// A key: letters, digits, '_' and '-', never containing the '.' separator.
const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}$/);
const jsonLeaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
);

/** Nests a value under a path: objects for keys, arrays (with filler) for numeric segments. */
function build(segments: readonly (string | number)[], leaf: unknown, filler: unknown): unknown {
  if (segments.length === 0) return leaf;
  const [head, ...rest] = segments;
  const inner = build(rest, leaf, filler);
  if (typeof head === 'number') {
    const array: unknown[] = Array.from({ length: head }, () => filler);
    array.push(inner);
    return array;
  }
  return { sibling: filler, [head!]: inner }; // the path's key wins if it is 'sibling'
}

const segment = fc.oneof(key, fc.integer({ min: 0, max: 3 }));

describe('dotted field paths', () => {
  it('round trip: a value nested under a path is what the path resolves to', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), jsonLeaf, (path, leaf) => {
        const row = build(path, leaf, 'filler');
        const segments = parseFieldPath(path.join('.'));
        expect(resolvePath(row, segments)).toEqual({ found: true, value: leaf });
      }),
    );
  });

  it('a path one step past a leaf, or through a missing key or index, is not found', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), jsonLeaf, (path, leaf) => {
        const row = build(path, leaf, 'filler');
        const joined = path.join('.');
        // resolvePath never steps into a scalar (not even a string's characters).
        expect(resolvePath(row, parseFieldPath(`${joined}.deeper`)).found).toBe(false);
        expect(resolvePath(row, parseFieldPath(`absent_key.${joined}`)).found).toBe(false);
      }),
    );
    expect(resolvePath({ a: [1, 2] }, ['a', '2'])).toEqual({ found: false });
    expect(resolvePath({ a: [1, 2] }, ['a', '01'])).toEqual({ found: false });
    expect(resolvePath({ a: [1, 2] }, ['a', 'length'])).toEqual({ found: false });
  });

  it('finds a present null (no outcome) but not an absent key', () => {
    expect(resolvePath({ q: { pass: null } }, ['q', 'pass'])).toEqual({ found: true, value: null });
    expect(resolvePath({ q: {} }, ['q', 'pass'])).toEqual({ found: false });
  });

  it('never reaches a prototype: constructor, __proto__ and toString resolve to nothing', () => {
    const row = JSON.parse('{"a": {"b": 1}}');
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(resolvePath(row, [name]).found).toBe(false);
      expect(resolvePath(row, ['a', name]).found).toBe(false);
    }
    // A JSON "__proto__" key is an own property and is found.
    expect(resolvePath(JSON.parse('{"__proto__": 5}'), ['__proto__'])).toEqual({
      found: true,
      value: 5,
    });
  });

  it('rejects empty paths and empty segments with FIELD_MAPPING', () => {
    for (const bad of ['', '.', 'a.', '.a', 'a..b']) {
      expectSonaError(() => parseFieldPath(bad), 'FIELD_MAPPING');
    }
    expect(parseFieldPath('quality.functional_pass')).toEqual(['quality', 'functional_pass']);
  });

  it('describes where a path stops resolving', () => {
    const row = { quality: { functional_pass: true, tests_passed: 1 } };
    expect(pathHint(row, ['quality', 'functional_passs'])).toBe(
      "'quality' has keys: functional_pass, tests_passed",
    );
    expect(pathHint(row, ['qualty'])).toBe('the top level has keys: quality');
    expect(pathHint(row, ['quality', 'tests_passed', 'x'])).toBe(
      "'quality.tests_passed' holds a number",
    );
  });
});

describe('field mappings', () => {
  it('parses NAME=PATH specs in field order', () => {
    expect(
      parseFieldSpecs([
        'success=quality.functional_pass',
        'task=task_id',
        'cost=tokens.cloud_completion',
        'arm=route',
      ]),
    ).toEqual({
      task: 'task_id',
      arm: 'route',
      success: 'quality.functional_pass',
      cost: 'tokens.cloud_completion',
    });
  });

  it('refuses unknown, repeated, malformed and missing fields with FIELD_MAPPING', () => {
    const required = ['task=t', 'arm=a', 'success=s'];
    const cases: string[][] = [
      [...required, 'colour=x'],
      [...required, 'task=other'],
      [...required, 'cost'],
      [...required, '=x'],
      [...required, 'cost='],
      [...required, 'cost=a..b'],
      ['task=t', 'arm=a'],
      [],
    ];
    for (const specs of cases) expectSonaError(() => parseFieldSpecs(specs), 'FIELD_MAPPING');
    expectSonaError(() => checkFieldMapping({ task: 't', arm: 'a', success: 5 }), 'FIELD_MAPPING');
    expectSonaError(() => checkFieldMapping(null), 'FIELD_MAPPING');
  });
});

describe('reading logged values', () => {
  it('an outcome in [0, 1] is kept, and counts as a success exactly when ≥ 0.5', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (x) => {
        const read = readOutcome(x);
        expect(read).toEqual({
          kind: 'value',
          value: { value: x, success: x >= SUCCESS_THRESHOLD },
        });
      }),
    );
    expect(readOutcome(true)).toEqual({ kind: 'value', value: { value: 1, success: true } });
    expect(readOutcome(false)).toEqual({ kind: 'value', value: { value: 0, success: false } });
    expect(readOutcome(0.5)).toEqual({ kind: 'value', value: { value: 0.5, success: true } });
    expect(readOutcome(null)).toEqual({ kind: 'none' });
  });

  it('anything else is not an outcome: numbers outside [0, 1], strings, objects', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noNaN: true }).filter((x) => x < 0 || x > 1),
          fc.string(),
          fc.array(fc.boolean()),
          fc.constant({}),
        ),
        (value) => {
          expect(readOutcome(value).kind).toBe('bad');
        },
      ),
    );
  });

  it('costs are finite numbers ≥ 0; names are non-empty strings or finite numbers', () => {
    expect(readCost(12)).toEqual({ kind: 'value', value: 12 });
    expect(Object.is((readCost(-0) as { value: number }).value, 0)).toBe(true);
    for (const bad of [-1, '12', true, [], {}]) expect(readCost(bad).kind).toBe('bad');
    expect(readCost(null).kind).toBe('none');
    expect(readName(7)).toEqual({ kind: 'value', value: '7' });
    expect(readName('R1')).toEqual({ kind: 'value', value: 'R1' });
    for (const bad of ['', true, {}, []]) expect(readName(bad).kind).toBe('bad');
    expect(readLabel(false)).toEqual({ kind: 'value', value: 'false' });
    expect(readLabel({}).kind).toBe('bad');
  });

  it('embeddings are non-empty arrays of finite numbers that fit float32', () => {
    expect(readEmbedding([1, 0.5])).toEqual({ kind: 'value', value: Float32Array.of(1, 0.5) });
    for (const bad of [[], [1, 'x'], [1e300], 'abc', {}]) {
      expect(readEmbedding(bad).kind).toBe('bad');
    }
  });
});
