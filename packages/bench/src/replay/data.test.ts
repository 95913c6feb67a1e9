import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSonaError, type SonaError } from '@sona/core';
import { embedText } from '@sona/embed';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { HYBRID_FIELDS, hybridLogPath } from '../test-support/shared-data';
import {
  DEFAULT_MAX_DATA_BYTES,
  describeSource,
  idEmbeddingText,
  loadReplayData,
  parseReplayData,
  UNLABELLED_TYPE,
} from './data';
import type { FieldMapping } from './fields';

const FIELDS: FieldMapping = { task: 't', arm: 'a', success: 'ok' };

function parse(lines: readonly unknown[], fields: FieldMapping = FIELDS, skipMalformed = false) {
  const content = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  return parseReplayData(content, fields, describeSource('log.jsonl', content), { skipMalformed });
}

function errorOf(run: () => unknown): SonaError {
  try {
    run();
  } catch (error) {
    if (isSonaError(error)) return error;
    throw error;
  }
  throw new Error('expected a SonaError');
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('parsing a replay log', () => {
  it('groups rows by task and arm: repeated rows are trials, null outcomes are skipped and counted', () => {
    const data = parse([
      { t: 'b', a: 'x', ok: true },
      { t: 'a', a: 'y', ok: 0 },
      '',
      { t: 'a', a: 'x', ok: 1 },
      { t: 'a', a: 'x', ok: 0.25 },
      { t: 'a', a: 'x', ok: null },
      { t: 'b', a: 'x', ok: 0.75 },
      { t: 'b', a: 'y' },
      '   ',
    ]);
    expect(data.tasks.map((t) => t.id)).toEqual(['a', 'b']);
    expect(data.arms).toEqual(['x', 'y']);
    expect(data.rowsUsed).toBe(5);
    expect(data.rowsSkipped).toBe(2);
    expect(data.skipped).toEqual({ noOutcome: 2, noCost: 0, malformed: 0 });
    const [a, b] = data.tasks;
    expect(a!.arms.map((l) => l.arm)).toEqual(['x', 'y']);
    expect(a!.arms[0]!.trials.map((t) => [t.line, t.value, t.success])).toEqual([
      [4, 1, true],
      [5, 0.25, false],
    ]);
    expect(a!.arms[0]!.successRate).toBe(0.5);
    expect(b!.arms.map((l) => l.arm)).toEqual(['x']); // b logged y only without an outcome
    expect(b!.arms[0]!.successRate).toBe(1);
    expect(data.hasCost).toBe(false);
    expect(a!.arms[0]!.meanCost).toBeNull();
  });

  it('reports every malformed line with its number and reason, or skips them when asked', () => {
    const lines = [
      { t: 'a', a: 'x', ok: true },
      '{"t": "a", "a": "x", "ok": tru',
      '[1, 2]',
      { t: 'a', a: 'x', ok: 'yes' },
      { a: 'x', ok: true },
      { t: 'b', a: {}, ok: true },
      { t: 'b', a: 'x', ok: 1.5 },
      { t: 'b', a: 'x', ok: false },
    ];
    const error = errorOf(() => parse(lines));
    expect(error.code).toBe('DATA_MALFORMED');
    expect(error.message).toMatch(/^log\.jsonl: 6 malformed lines: line 2: not valid JSON/);
    expect(error.message).toContain('line 3: [1,2] is not a JSON object');
    expect(error.message).toContain('line 4: success (ok): "yes" is not an outcome');
    expect(error.message).toContain('line 5: task (t) is missing');
    expect(error.message).toContain('line 6: arm (a) {} is not a string or a number');
    expect(error.message).toContain('line 7: success (ok): 1.5 is not an outcome');
    expect(error.message).toContain('--skip-malformed');
    expect((error.details!.lines as unknown[]).length).toBe(6);

    const skipped = parse(lines, FIELDS, true);
    expect(skipped.rowsUsed).toBe(2);
    expect(skipped.skipped.malformed).toBe(6);
    expect(skipped.rowsSkipped).toBe(6);
    expect(skipped.malformedLines.map((m) => m.line)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('keeps a task’s type, text and embedding consistent across its rows', () => {
    const fields: FieldMapping = { ...FIELDS, type: 'k', text: 'q', embedding: 'e' };
    const base = { t: 'a', a: 'x', ok: true, k: 'A', q: 'fix it', e: [1, 0] };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ k: 'B' }, /line 2: task "a": type "B" differs from "A" on line 1/],
      [{ q: 'other' }, /line 2: task "a": its text differs from the text on line 1/],
      [{ e: [0, 1] }, /line 2: task "a": its embedding differs from the one on line 1/],
      [{ e: [1, 0, 0] }, /line 2: embedding \(e\) has 3 numbers, but the one on line 1 has 2/],
    ];
    for (const [change, message] of cases) {
      const rows = [base, { ...base, ...change }, { ...base, t: 'b' }];
      expect(errorOf(() => parse(rows, fields)).message).toMatch(message);
    }
    // Rows that leave a field out agree with any value.
    const ok = parse([base, { t: 'a', a: 'y', ok: false }, { ...base, t: 'b' }], fields);
    expect(ok.tasks[0]!.label).toBe('A');
  });

  it('says which path resolves nowhere, with the keys that are there (FIELD_MAPPING)', () => {
    const rows = [
      { t: 'a', a: 'x', quality: { pass: true, tests: 1 } },
      { t: 'b', a: 'x', quality: { pass: false, tests: 1 } },
    ];
    const error = errorOf(() => parse(rows, { ...FIELDS, success: 'quality.passed' }));
    expect(error.code).toBe('FIELD_MAPPING');
    expect(error.message).toBe(
      "log.jsonl: --field success=quality.passed resolves in none of its 2 rows (in the first row, 'quality' has keys: pass, tests)",
    );
    expect(error.path).toBe('success');
    const optional = errorOf(() =>
      parse(rows, { ...FIELDS, success: 'quality.pass', cost: 'tokens' }),
    );
    expect(optional.code).toBe('FIELD_MAPPING');
    expect(optional.message).toContain('--field cost=tokens resolves in none');
  });

  it('refuses data with no usable row or a single task (NO_USABLE_ROWS)', () => {
    expect(errorOf(() => parse([])).code).toBe('NO_USABLE_ROWS');
    expect(errorOf(() => parse(['', '  '])).code).toBe('NO_USABLE_ROWS');
    const allNull = errorOf(() =>
      parse([
        { t: 'a', a: 'x', ok: null },
        { t: 'b', a: 'x', ok: null },
      ]),
    );
    expect(allNull.code).toBe('NO_USABLE_ROWS');
    expect(allNull.message).toContain('2 non-blank lines: 2 without an outcome');
    const oneTask = errorOf(() =>
      parse([
        { t: 'a', a: 'x', ok: true },
        { t: 'a', a: 'y', ok: false },
      ]),
    );
    expect(oneTask.code).toBe('NO_USABLE_ROWS');
    expect(oneTask.message).toContain('only one task ("a")');
  });

  it('skips rows without a cost when a cost is mapped, and averages the costs of trials', () => {
    const data = parse(
      [
        { t: 'a', a: 'x', ok: true, c: 10 },
        { t: 'a', a: 'x', ok: false, c: 30 },
        { t: 'a', a: 'y', ok: true, c: null },
        { t: 'b', a: 'x', ok: true, c: 0 },
      ],
      { ...FIELDS, cost: 'c' },
    );
    expect(data.hasCost).toBe(true);
    expect(data.skipped).toEqual({ noOutcome: 0, noCost: 1, malformed: 0 });
    expect(data.tasks[0]!.arms).toHaveLength(1);
    expect(data.tasks[0]!.arms[0]!.meanCost).toBe(20);
  });

  it('embeds a task from its text, else from "<type label> <id>", else from its id', () => {
    const data = parse(
      [
        { t: 'swe/django-1', a: 'x', ok: true, k: 'B', q: 'fix the pagination bug' },
        { t: 'swe/django-2', a: 'x', ok: true, k: 'B' },
        { t: 'he/7', a: 'x', ok: true },
      ],
      { ...FIELDS, type: 'k', text: 'q' },
    );
    const [unlabelled, first, second] = data.tasks; // sorted by id: he/7, swe/django-1, swe/django-2
    expect(first!.embeddedFrom).toBe('text');
    expect(first!.embedding).toEqual(embedText('fix the pagination bug'));
    expect(second!.embeddedFrom).toBe('id');
    expect(idEmbeddingText('swe/django-2', 'B')).toBe('B swe/django-2');
    expect(second!.embedding).toEqual(embedText('B swe/django-2'));
    expect(unlabelled!.embedding).toEqual(embedText('he/7'));
    expect(data.dim).toBe(256);
  });

  it('takes embeddings from the data, and embeds the other tasks at the same dimension', () => {
    const data = parse(
      [
        { t: 'a', a: 'x', ok: true, e: [0.5, -0.5, 0.25] },
        { t: 'b', a: 'x', ok: true },
      ],
      { ...FIELDS, embedding: 'e' },
    );
    expect(data.dim).toBe(3);
    expect(data.tasks[0]!.embedding).toEqual(Float32Array.of(0.5, -0.5, 0.25));
    expect(data.tasks[1]!.embedding).toEqual(embedText('b', { dim: 3 }));
  });

  it('keeps the data’s own type labels (any string), untyped tasks as one type of their own', () => {
    const data = parse(
      [
        { t: 'a', a: 'x', ok: true, r: 'django' },
        { t: 'b', a: 'x', ok: true, r: 'astropy' },
        { t: 'c', a: 'x', ok: true },
        { t: 'd', a: 'x', ok: true, r: 7 },
      ],
      { ...FIELDS, type: 'r' },
    );
    expect(data.tasks.map((t) => [t.id, t.type, t.label])).toEqual([
      ['a', 'django', 'django'],
      ['b', 'astropy', 'astropy'],
      ['c', UNLABELLED_TYPE, null],
      ['d', '7', '7'],
    ]);
    expect(data.types).toEqual([
      { label: '7', type: '7', tasks: 1 },
      { label: 'astropy', type: 'astropy', tasks: 1 },
      { label: 'django', type: 'django', tasks: 1 },
      { label: null, type: UNLABELLED_TYPE, tasks: 1 },
    ]);
    expect(
      parse([
        { t: 'a', a: 'x', ok: true },
        { t: 'b', a: 'x', ok: true },
      ]).tasks.map((t) => t.type),
    ).toEqual([UNLABELLED_TYPE, UNLABELLED_TYPE]);
  });

  it('refuses names longer than 256 characters and embeddings longer than 65,536 numbers, naming the line', () => {
    const long = 'x'.repeat(257);
    for (const [row, fields, reason] of [
      [
        { t: long, a: 'x', ok: true },
        FIELDS,
        /line 1: task \(t\) is 257 characters long \(at most 256\)/,
      ],
      [
        { t: 'a', a: 'y'.repeat(2_000_000), ok: true },
        FIELDS,
        /line 1: arm \(a\) is 2000000 characters long/,
      ],
      [
        { t: 'a', a: 'x', ok: true, r: long },
        { ...FIELDS, type: 'r' },
        /line 1: type \(r\): is 257 characters long/,
      ],
      [
        { t: 'a', a: 'x', ok: true, e: new Array(65_537).fill(0) },
        { ...FIELDS, embedding: 'e' },
        /an embedding of 65537 numbers is longer than 65536/,
      ],
    ] as const) {
      const error = errorOf(() =>
        parse([row, { t: 'b', a: 'x', ok: true, r: 'z', e: [1] }], fields),
      );
      expect(error.code).toBe('DATA_MALFORMED');
      expect(error.message).toMatch(reason);
    }
  });

  it('ignores a byte-order mark and Windows line ends', () => {
    const content = `\uFEFF${JSON.stringify({ t: 'a', a: 'x', ok: true })}\r\n${JSON.stringify({ t: 'b', a: 'x', ok: false })}\r\n`;
    const data = parseReplayData(content, FIELDS, describeSource('crlf.jsonl', content));
    expect(data.rowsUsed).toBe(2);
  });
});

describe('loading a replay file', () => {
  it('says clearly when the file is missing or is a folder (DATA_NOT_FOUND)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sona-replay-data-'));
    dirs.push(dir);
    const missing = errorOf(() => loadReplayData(join(dir, 'nope.jsonl'), FIELDS));
    expect(missing.code).toBe('DATA_NOT_FOUND');
    expect(missing.message).toBe(
      `cannot read the replay data '${join(dir, 'nope.jsonl')}': no such file`,
    );
    const folder = errorOf(() => loadReplayData(dir, FIELDS));
    expect(folder.code).toBe('DATA_NOT_FOUND');
    expect(folder.message).toContain('it is a directory; only regular files are read');
    const file = join(dir, 'log.jsonl');
    writeFileSync(file, `${JSON.stringify({ t: 'a', a: 'x', ok: true })}\n{bad\n`);
    const malformed = errorOf(() => loadReplayData(file, FIELDS));
    expect(malformed.code).toBe('DATA_MALFORMED');
    expect(malformed.message).toMatch(/^log\.jsonl: 1 malformed line: line 2: not valid JSON/);
  });

  const hybrid = hybridLogPath('reading the hybrid-coding-eval log');
  it.skipIf(hybrid === null)(
    'reads the public hybrid-coding-eval log: counts match a direct reading of the file',
    () => {
      const path = hybrid!;
      const data = loadReplayData(path, HYBRID_FIELDS);
      const rows = readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l));
      const withOutcome = rows.filter((r) => r.quality.functional_pass !== null);
      expect(data.source.lines).toBe(rows.length);
      expect(data.rowsUsed).toBe(withOutcome.length);
      expect(data.rowsSkipped).toBe(rows.length - withOutcome.length);
      expect(data.tasks.length).toBe(new Set(withOutcome.map((r) => r.task_id)).size);
      expect(data.arms).toEqual([...new Set(withOutcome.map((r) => r.route as string))].sort());
      for (const task of data.tasks) {
        for (const log of task.arms) {
          const trials = withOutcome.filter((r) => r.task_id === task.id && r.route === log.arm);
          expect(log.trials.length).toBe(trials.length);
          expect(log.successRate).toBe(
            trials.filter((r) => r.quality.functional_pass === true).length / trials.length,
          );
          expect(log.meanCost).toBeCloseTo(
            trials.reduce((s, r) => s + r.tokens.cloud_completion, 0) / trials.length,
            9,
          );
        }
      }
      expect(data.types.map((t) => [t.label, t.type])).toEqual([
        ['A', 'A'],
        ['B', 'B'],
        ['C', 'C'],
      ]);
    },
  );
});

describe('hostile replay files', () => {
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sona-replay-hostile-'));
    dirs.push(dir);
    return dir;
  };
  const row = (t: string, ok = true) => JSON.stringify({ t, a: 'x', ok });

  it('refuses a FIFO at once (opened without blocking, checked with fstat), never hangs', () => {
    const dir = fresh();
    const fifo = join(dir, 'pipe.jsonl');
    execFileSync('mkfifo', [fifo]);
    const error = errorOf(() => loadReplayData(fifo, FIELDS));
    expect(error.code).toBe('DATA_NOT_FOUND');
    expect(error.message).toContain('it is a FIFO (named pipe); only regular files are read');
  });

  it('refuses a device, also behind a symlink (no read of /dev/zero)', () => {
    const dir = fresh();
    const link = join(dir, 'zero.jsonl');
    symlinkSync('/dev/zero', link);
    const error = errorOf(() => loadReplayData(link, FIELDS));
    expect(error.code).toBe('DATA_NOT_FOUND');
    expect(error.message).toContain('it is a device; only regular files are read');
  });

  it('refuses a file over the size limit before reading it (a sparse file), and the limit is raisable', () => {
    const dir = fresh();
    const big = join(dir, 'big.jsonl');
    writeFileSync(big, '');
    truncateSync(big, DEFAULT_MAX_DATA_BYTES + 1);
    const error = errorOf(() => loadReplayData(big, FIELDS));
    expect(error.code).toBe('DATA_TOO_LARGE');
    expect(error.message).toContain(
      `${DEFAULT_MAX_DATA_BYTES + 1} bytes, more than the limit of ${DEFAULT_MAX_DATA_BYTES}`,
    );
    expect(error.message).toContain('--max-bytes');
    const small = join(dir, 'small.jsonl');
    writeFileSync(small, `${row('a')}\n${row('b')}\n`);
    expect(errorOf(() => loadReplayData(small, FIELDS, { maxBytes: 10 })).code).toBe(
      'DATA_TOO_LARGE',
    );
    expect(loadReplayData(small, FIELDS, { maxBytes: 1000 }).tasks).toHaveLength(2);
  });

  it('decodes strictly: invalid UTF-8 is a malformed line with its number, never merged tasks', () => {
    const dir = fresh();
    const file = join(dir, 'bytes.jsonl');
    const bad = (byte: number) =>
      Buffer.concat([
        Buffer.from('{"t":"x'),
        Buffer.of(byte),
        Buffer.from('","a":"x","ok":true}\n'),
      ]);
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(`${row('a')}\n`),
        bad(0xff),
        bad(0xfe),
        Buffer.from(`${row('b')}\n`),
      ]),
    );
    const error = errorOf(() => loadReplayData(file, FIELDS));
    expect(error.code).toBe('DATA_MALFORMED');
    expect(error.message).toContain('line 2: not valid UTF-8; line 3: not valid UTF-8');
    const skipped = loadReplayData(file, FIELDS, { skipMalformed: true });
    expect(skipped.tasks.map((t) => t.id)).toEqual(['a', 'b']);
    expect(skipped.malformedLines.map((m) => m.line)).toEqual([2, 3]);
  });

  it('streams: line numbers, hash and byte count match the file across read chunks', () => {
    const dir = fresh();
    const file = join(dir, 'many.jsonl');
    // More than one 1 MiB read chunk, with multi-byte characters straddling chunk edges.
    const lines = Array.from({ length: 12_000 }, (_, i) =>
      JSON.stringify({
        t: `task-${i % 400}-ü`,
        a: `arm-${i % 3}`,
        ok: i % 5 === 0,
        pad: 'é'.repeat(40),
      }),
    );
    const content = `${lines.join('\n')}\n`;
    writeFileSync(file, content);
    const data = loadReplayData(file, FIELDS);
    expect(data.source).toEqual({ ...describeSource('many.jsonl', content) });
    expect(data.rowsUsed).toBe(12_000);
    expect(data.tasks).toHaveLength(400);
    expect(data.tasks[0]!.id).toBe('task-0-ü');
  });

  it('agrees with the in-memory parser on any small file (fuzzed lines, seeded under CI)', () => {
    const dir = fresh();
    const lineArb = fc.oneof(
      fc
        .record({
          t: fc.constantFrom('a', 'b', 'c'),
          a: fc.constantFrom('x', 'y'),
          ok: fc.oneof(fc.boolean(), fc.constant(null), fc.double()),
        })
        .map((r) => JSON.stringify(r)),
      fc.string({ maxLength: 20 }).filter((s) => !s.includes('\n')),
    );
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 30 }), (lines) => {
        const content = lines.join('\n');
        const file = join(dir, 'fuzz.jsonl');
        writeFileSync(file, content);
        const viaFile = (() => {
          try {
            return loadReplayData(file, FIELDS, { skipMalformed: true });
          } catch (error) {
            return (error as SonaError).code;
          }
        })();
        const inMemory = (() => {
          try {
            return parseReplayData(content, FIELDS, describeSource('fuzz.jsonl', content), {
              skipMalformed: true,
            });
          } catch (error) {
            return (error as SonaError).code;
          }
        })();
        expect(viaFile).toEqual(inMemory);
      }),
      { numRuns: 60 },
    );
  });
});
