import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { SonaError } from '@sona/core';
import { DEFAULT_DIM, embedText } from '@sona/embed';
import {
  checkFieldMapping,
  type FieldMapping,
  type FieldName,
  parseFieldPath,
  pathHint,
  resolvePath,
} from './fields';
import {
  type LoggedOutcome,
  type Read,
  readCost,
  readEmbedding,
  readLabel,
  readName,
  readOutcome,
  readText,
  show,
} from './values';

/** One logged attempt: what the row said. */
export interface ReplayTrial {
  /** 1-based line number in the source. */
  readonly line: number;
  /** The logged outcome in [0, 1]. */
  readonly value: number;
  /** value ≥ 0.5. */
  readonly success: boolean;
  /** null when no cost field is mapped. */
  readonly cost: number | null;
}

/** Every logged trial of one arm on one task. */
export interface ReplayArmLog {
  readonly arm: string;
  readonly trials: readonly ReplayTrial[];
  /** Share of the trials that succeeded: the exact expected success of choosing this arm. */
  readonly successRate: number;
  /** Mean cost of the trials (null without a cost field). */
  readonly meanCost: number | null;
}

export type EmbeddingSource = 'embedding' | 'text' | 'id';

export interface ReplayTask {
  readonly id: string;
  /** The type label from the data (null: none). */
  readonly label: string | null;
  /** The task type the learner sees: the label itself, or `UNLABELLED_TYPE` without one. */
  readonly type: string;
  readonly embeddedFrom: EmbeddingSource;
  readonly embedding: Float32Array;
  /** The arms logged for this task (at least one trial each), in the dataset's arm order. */
  readonly arms: readonly ReplayArmLog[];
}

export interface MalformedLine {
  readonly line: number;
  readonly reason: string;
}

/** How many tasks carry each type. */
export interface TypeCount {
  /** The label in the data; null for tasks without one. */
  readonly label: string | null;
  readonly type: string;
  readonly tasks: number;
}

export interface ReplaySource {
  /** File name without folders (or the name given to `parseReplayData`). */
  readonly name: string;
  /** SHA-256 (hex) of the file's bytes. */
  readonly sha256: string;
  readonly bytes: number;
  /** Lines in the file, blank ones included. */
  readonly lines: number;
}

/** A replay log, parsed and grouped: plain data (safe to send to worker threads). */
export interface ReplayDataset {
  readonly source: ReplaySource;
  readonly fields: FieldMapping;
  /** Every arm with at least one trial, sorted. */
  readonly arms: readonly string[];
  /** Tasks with at least one trial, sorted by id. */
  readonly tasks: readonly ReplayTask[];
  readonly dim: number;
  readonly hasCost: boolean;
  /** Rows that gave a trial. */
  readonly rowsUsed: number;
  /** Rows left out: no outcome, no cost (when a cost is mapped), or malformed (when skipped). */
  readonly rowsSkipped: number;
  readonly skipped: {
    readonly noOutcome: number;
    readonly noCost: number;
    readonly malformed: number;
  };
  /** The malformed lines that were skipped (the first 100). */
  readonly malformedLines: readonly MalformedLine[];
  /** The task types, sorted by label (tasks without one last). */
  readonly types: readonly TypeCount[];
  /** Set when the dataset was restricted to some arms (`restrictArms`). */
  readonly restriction: {
    readonly arms: readonly string[];
    /** Tasks left out because they logged none of those arms. */
    readonly tasksDropped: number;
    /** Rows of the arms left out. */
    readonly rowsDropped: number;
  } | null;
}

export interface ReplayParseOptions {
  /** Skip malformed lines (counted and listed) instead of failing with DATA_MALFORMED. */
  readonly skipMalformed?: boolean;
}

export interface ReplayLoadOptions extends ReplayParseOptions {
  /** Largest file read, in bytes (default `DEFAULT_MAX_DATA_BYTES`, 256 MiB). */
  readonly maxBytes?: number;
}

/** Largest replay file read unless `maxBytes` says otherwise: 256 MiB. */
export const DEFAULT_MAX_DATA_BYTES = 256 * 1024 * 1024;

/** The type of tasks without a label (and of every task when no type field is mapped). */
export const UNLABELLED_TYPE = 'untyped';

/** Longest line read (bytes): longer lines are malformed, never decoded. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** How many malformed lines an error message or a result lists. */
const LISTED_LINES = 100;
const LINES_IN_MESSAGE = 8;

/** The exact string embedded for a task with neither text nor embedding. */
export function idEmbeddingText(id: string, label: string | null): string {
  return label === null ? id : `${label} ${id}`;
}

interface TaskDraft {
  readonly id: string;
  label: string | null;
  labelLine: number;
  text: string | null;
  textLine: number;
  embedding: Float32Array | null;
  embeddingLine: number;
  readonly trials: Map<string, ReplayTrial[]>;
}

function sameVector(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Turns JSON lines into a replay dataset, one line at a time (`line`, then `finish`), so a large
 * file is never held whole. Blank lines are ignored. A line that is not a JSON object, or whose
 * task, arm, outcome, cost, text, embedding or type has the wrong kind of value, is malformed; so
 * is a row that gives its task another type, text or embedding than an earlier row of the same
 * task, and a line that is not valid UTF-8 (`invalidLine`). Malformed lines fail `finish`
 * (DATA_MALFORMED, with line numbers) unless `skipMalformed`. Rows whose outcome is null or
 * absent are skipped and counted, as are rows without a cost when a cost field is mapped. A mapped
 * path that resolves in no row at all is a FIELD_MAPPING error; no usable row, or fewer than two
 * tasks, is NO_USABLE_ROWS.
 */
export class ReplayParser {
  readonly #mapping: FieldMapping;
  readonly #paths = new Map<FieldName, readonly string[]>();
  readonly #resolved = new Set<FieldName>();
  readonly #options: ReplayParseOptions;
  readonly #malformed: MalformedLine[] = [];
  readonly #drafts = new Map<string, TaskDraft>();
  #firstRow: unknown;
  #rows = 0;
  #nonBlank = 0;
  #noOutcome = 0;
  #noCost = 0;
  #rowsUsed = 0;
  #embeddingDim: number | null = null;
  #embeddingDimLine = 0;

  constructor(fields: FieldMapping, options: ReplayParseOptions = {}) {
    this.#mapping = checkFieldMapping(fields);
    for (const [name, path] of Object.entries(this.#mapping) as [FieldName, string][]) {
      this.#paths.set(name, parseFieldPath(path, name));
    }
    this.#options = options;
  }

  /** A line whose bytes could not be decoded. */
  invalidLine(line: number, reason: string): void {
    this.#nonBlank++;
    this.#malformed.push({ line, reason });
  }

  /** One line of text (without its line break; a trailing \r is dropped). */
  line(line: number, rawText: string): void {
    const raw = rawText.endsWith('\r') ? rawText.slice(0, -1) : rawText;
    if (raw.trim() === '') return;
    this.#nonBlank++;
    const bad = (reason: string) => {
      this.#malformed.push({ line, reason });
    };
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (error) {
      bad(`not valid JSON (${(error as Error).message})`);
      return;
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      bad(`${show(row)} is not a JSON object`);
      return;
    }
    if (this.#rows === 0) this.#firstRow = row;
    this.#rows++;
    const read = <T>(name: FieldName, reader: (v: unknown) => Read<T>): Read<T> => {
      const segments = this.#paths.get(name);
      if (segments === undefined) return { kind: 'none' };
      const resolved = resolvePath(row, segments);
      if (!resolved.found) return { kind: 'none' };
      this.#resolved.add(name);
      return reader(resolved.value);
    };
    const fieldText = (name: FieldName) => `${name} (${this.#mapping[name]})`;
    // Every mapped field is read, so that `resolved` knows which paths occur at all.
    const task = read('task', readName);
    const arm = read('arm', readName);
    const outcome: Read<LoggedOutcome> = read('success', readOutcome);
    const costRead = read('cost', readCost);
    const label = read('type', readLabel);
    const taskText = read('text', readText);
    const embedding = read('embedding', readEmbedding);
    if (task.kind !== 'value') {
      bad(`${fieldText('task')} ${task.kind === 'bad' ? task.reason : 'is missing'}`);
      return;
    }
    if (arm.kind !== 'value') {
      bad(`${fieldText('arm')} ${arm.kind === 'bad' ? arm.reason : 'is missing'}`);
      return;
    }
    if (outcome.kind === 'bad') {
      bad(`${fieldText('success')}: ${outcome.reason}`);
      return;
    }
    if (outcome.kind === 'none') {
      this.#noOutcome++;
      return;
    }
    let cost: number | null = null;
    if (this.#paths.has('cost')) {
      if (costRead.kind === 'bad') {
        bad(`${fieldText('cost')}: ${costRead.reason}`);
        return;
      }
      if (costRead.kind === 'none') {
        this.#noCost++;
        return;
      }
      cost = costRead.value;
    }
    for (const [name, r] of [
      ['type', label],
      ['text', taskText],
      ['embedding', embedding],
    ] as const) {
      if (r.kind === 'bad') {
        bad(`${fieldText(name)}: ${r.reason}`);
        return;
      }
    }
    if (embedding.kind === 'value') {
      if (this.#embeddingDim === null) {
        this.#embeddingDim = embedding.value.length;
        this.#embeddingDimLine = line;
      } else if (embedding.value.length !== this.#embeddingDim) {
        bad(
          `${fieldText('embedding')} has ${embedding.value.length} numbers, but the one on line ` +
            `${this.#embeddingDimLine} has ${this.#embeddingDim}`,
        );
        return;
      }
    }
    let draft = this.#drafts.get(task.value);
    const isNew = draft === undefined;
    draft ??= {
      id: task.value,
      label: null,
      labelLine: 0,
      text: null,
      textLine: 0,
      embedding: null,
      embeddingLine: 0,
      trials: new Map(),
    };
    // A task's type, text and embedding must agree across its rows.
    if (label.kind === 'value' && draft.label !== null && draft.label !== label.value) {
      bad(
        `task ${show(task.value)}: type ${show(label.value)} differs from ${show(draft.label)} on line ${draft.labelLine}`,
      );
      return;
    }
    if (taskText.kind === 'value' && draft.text !== null && draft.text !== taskText.value) {
      bad(`task ${show(task.value)}: its text differs from the text on line ${draft.textLine}`);
      return;
    }
    if (
      embedding.kind === 'value' &&
      draft.embedding !== null &&
      !sameVector(draft.embedding, embedding.value)
    ) {
      bad(
        `task ${show(task.value)}: its embedding differs from the one on line ${draft.embeddingLine}`,
      );
      return;
    }
    if (isNew) this.#drafts.set(task.value, draft);
    if (label.kind === 'value' && draft.label === null) {
      draft.label = label.value;
      draft.labelLine = line;
    }
    if (taskText.kind === 'value' && draft.text === null) {
      draft.text = taskText.value;
      draft.textLine = line;
    }
    if (embedding.kind === 'value' && draft.embedding === null) {
      draft.embedding = embedding.value;
      draft.embeddingLine = line;
    }
    const trials = draft.trials.get(arm.value) ?? [];
    trials.push({ line, value: outcome.value.value, success: outcome.value.success, cost });
    draft.trials.set(arm.value, trials);
    this.#rowsUsed++;
  }

  /** The dataset, or the first problem: FIELD_MAPPING, DATA_MALFORMED, NO_USABLE_ROWS. */
  finish(source: ReplaySource): ReplayDataset {
    if (this.#rows > 0) {
      for (const [name, segments] of this.#paths) {
        if (!this.#resolved.has(name)) {
          throw new SonaError(
            'FIELD_MAPPING',
            `${source.name}: --field ${name}=${this.#mapping[name]} resolves in none of its ${this.#rows} rows ` +
              `(in the first row, ${pathHint(this.#firstRow, segments)})`,
            { path: name, details: { field: name, fieldPath: this.#mapping[name] } },
          );
        }
      }
    }
    const malformed = this.#malformed.sort((a, b) => a.line - b.line);
    if (malformed.length > 0 && this.#options.skipMalformed !== true) {
      const shown = malformed
        .slice(0, LINES_IN_MESSAGE)
        .map((m) => `line ${m.line}: ${m.reason}`)
        .join('; ');
      const more =
        malformed.length > LINES_IN_MESSAGE
          ? `; and ${malformed.length - LINES_IN_MESSAGE} more`
          : '';
      throw new SonaError(
        'DATA_MALFORMED',
        `${source.name}: ${malformed.length} malformed line${malformed.length === 1 ? '' : 's'}: ${shown}${more}. ` +
          'Fix them, or skip them with skipMalformed (--skip-malformed): they are then counted and listed in the result',
        { details: { lines: malformed.slice(0, LISTED_LINES) } },
      );
    }
    const summary =
      `${this.#nonBlank} non-blank line${this.#nonBlank === 1 ? '' : 's'}: ${this.#noOutcome} without an outcome, ` +
      `${this.#noCost} without a cost, ${malformed.length} malformed`;
    if (this.#rowsUsed === 0) {
      throw new SonaError('NO_USABLE_ROWS', `${source.name} has no usable row (${summary})`);
    }
    if (this.#drafts.size < 2) {
      throw new SonaError(
        'NO_USABLE_ROWS',
        `${source.name} has usable rows for only one task (${show([...this.#drafts.keys()][0])}); ` +
          'cross-validation over tasks needs at least two',
      );
    }
    const drafts = [...this.#drafts.values()];
    const arms = [...new Set(drafts.flatMap((d) => [...d.trials.keys()]))].sort(byCodeUnits);
    const ordered = drafts.sort((a, b) => byCodeUnits(a.id, b.id));
    const dim = this.#embeddingDim ?? DEFAULT_DIM;
    const tasks: ReplayTask[] = ordered.map((draft) => {
      const embeddedFrom: EmbeddingSource =
        draft.embedding !== null ? 'embedding' : draft.text !== null ? 'text' : 'id';
      const embedding =
        draft.embedding ?? embedText(draft.text ?? idEmbeddingText(draft.id, draft.label), { dim });
      return {
        id: draft.id,
        label: draft.label,
        type: draft.label ?? UNLABELLED_TYPE,
        embeddedFrom,
        embedding,
        arms: arms
          .filter((arm) => draft.trials.has(arm))
          .map((arm) => armLog(arm, draft.trials.get(arm)!)),
      };
    });
    return {
      source,
      fields: this.#mapping,
      arms,
      tasks,
      dim,
      hasCost: this.#paths.has('cost'),
      rowsUsed: this.#rowsUsed,
      rowsSkipped: this.#noOutcome + this.#noCost + malformed.length,
      skipped: { noOutcome: this.#noOutcome, noCost: this.#noCost, malformed: malformed.length },
      malformedLines: malformed.slice(0, LISTED_LINES),
      types: typeCounts(tasks),
      restriction: null,
    };
  }
}

function typeCounts(tasks: readonly ReplayTask[]): TypeCount[] {
  const counts = new Map<string | null, number>();
  for (const t of tasks) counts.set(t.label, (counts.get(t.label) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : byCodeUnits(a, b)))
    .map(([label, n]) => ({ label, type: label ?? UNLABELLED_TYPE, tasks: n }));
}

function armLog(arm: string, trials: readonly ReplayTrial[]): ReplayArmLog {
  let successes = 0;
  let cost = 0;
  for (const t of trials) {
    if (t.success) successes++;
    cost += t.cost ?? 0;
  }
  const hasCost = trials[0]!.cost !== null;
  return {
    arm,
    trials,
    successRate: successes / trials.length,
    meanCost: hasCost ? cost / trials.length : null,
  };
}

/**
 * Parses JSON lines held in a string (see `ReplayParser` for the rules). A string is already
 * text, so it cannot be invalid UTF-8; `loadReplayData` reads a file's bytes strictly.
 */
export function parseReplayData(
  content: string,
  fields: FieldMapping,
  source: ReplaySource,
  options: ReplayParseOptions = {},
): ReplayDataset {
  const parser = new ReplayParser(fields, options);
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) parser.line(i + 1, lines[i]!);
  return parser.finish(source);
}

function notFound(file: string, reason: string, cause?: unknown): SonaError {
  return new SonaError('DATA_NOT_FOUND', `cannot read the replay data '${file}': ${reason}`, {
    path: file,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Reads and parses a JSON-lines file, streamed line by line (never held whole). Only a regular
 * file is read: it is opened without blocking (so a FIFO cannot hang the open) and checked with
 * fstat on the opened descriptor (so a path swapped after a check cannot slip in); a directory, a
 * FIFO, a device or a socket is DATA_NOT_FOUND, as is a missing or unreadable file. A file larger
 * than `maxBytes` (default 256 MiB) is DATA_TOO_LARGE, before anything is parsed and also if it
 * grows while read. Bytes are decoded as strict UTF-8: a line that is not valid UTF-8 is malformed
 * (its line number reported), never decoded with replacement characters. A line longer than
 * `MAX_LINE_BYTES` is malformed too. See `ReplayParser` for everything else.
 */
export function loadReplayData(
  file: string,
  fields: FieldMapping,
  options: ReplayLoadOptions = {},
): ReplayDataset {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DATA_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new SonaError('OUT_OF_RANGE', `maxBytes must be a whole number ≥ 1, got ${maxBytes}`, {
      path: 'maxBytes',
    });
  }
  const parser = new ReplayParser(fields, options);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw notFound(
      file,
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory, not a file'
            : (error as Error).message,
      error,
    );
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const what = stat.isDirectory()
        ? 'a directory'
        : stat.isFIFO()
          ? 'a FIFO (named pipe)'
          : stat.isCharacterDevice() || stat.isBlockDevice()
            ? 'a device'
            : stat.isSocket()
              ? 'a socket'
              : 'not a regular file';
      throw notFound(file, `it is ${what}; only regular files are read`);
    }
    const tooLarge = (bytes: number) =>
      new SonaError(
        'DATA_TOO_LARGE',
        `the replay data '${file}' has ${bytes} bytes, more than the limit of ${maxBytes}; ` +
          'raise it with maxBytes (--max-bytes) if the file is meant to be this large',
        { path: file, details: { bytes, maxBytes } },
      );
    if (stat.size > maxBytes) throw tooLarge(stat.size);
    const source = streamLines(fd, maxBytes, tooLarge, parser);
    return parser.finish({ ...source, name: basename(file) });
  } catch (error) {
    if (error instanceof SonaError) throw error;
    throw notFound(file, (error as Error).message, error);
  } finally {
    closeSync(fd);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const CHUNK = 1 << 20;

/** Feeds a descriptor's lines to the parser; returns the source figures (name left to the caller). */
function streamLines(
  fd: number,
  maxBytes: number,
  tooLarge: (bytes: number) => SonaError,
  parser: ReplayParser,
): Omit<ReplaySource, 'name'> {
  const hash: Hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(CHUNK);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let total = 0;
  let line = 0;
  const emit = (bytes: Buffer) => {
    line++;
    if (overlong) {
      parser.invalidLine(line, `longer than ${MAX_LINE_BYTES} bytes`);
      return;
    }
    let body = bytes;
    if (line === 1 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf)
      body = body.subarray(3);
    let text: string;
    try {
      text = decoder.decode(body);
    } catch {
      parser.invalidLine(line, 'not valid UTF-8');
      return;
    }
    parser.line(line, text);
  };
  for (;;) {
    const n = readSync(fd, chunk, 0, CHUNK, null);
    if (n === 0) break;
    total += n;
    if (total > maxBytes) throw tooLarge(total);
    const data = chunk.subarray(0, n);
    hash.update(data);
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      const end = nl < 0 ? n : nl;
      if (!overlong) {
        pendingBytes += end - start;
        if (pendingBytes > MAX_LINE_BYTES) {
          overlong = true;
          pending = [];
        } else {
          pending.push(Buffer.from(data.subarray(start, end)));
        }
      }
      if (nl < 0) break;
      emit(Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
      overlong = false;
      start = nl + 1;
    }
  }
  if (pendingBytes > 0 || overlong) emit(Buffer.concat(pending));
  return { sha256: hash.digest('hex'), bytes: total, lines: line };
}

/** A source description: name, SHA-256 of the bytes, size and line count. */
export function describeSource(name: string, content: string | Uint8Array): ReplaySource {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  return {
    name,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    lines: text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0),
  };
}

/**
 * The dataset restricted to some of its arms (`--arms`): the other arms' trials are left out,
 * and so are tasks that logged none of the kept arms (counted). An arm the data does not have is
 * an INVALID_ARGUMENT error naming the arms it does have.
 */
export function restrictArms(dataset: ReplayDataset, arms: readonly string[]): ReplayDataset {
  if (arms.length === 0) {
    throw new SonaError('INVALID_ARGUMENT', 'restrict to at least one arm', { path: 'arms' });
  }
  const keep = new Set(arms);
  if (keep.size !== arms.length) {
    throw new SonaError('INVALID_ARGUMENT', 'an arm is listed twice in --arms', { path: 'arms' });
  }
  const unknown = arms.filter((a) => !dataset.arms.includes(a));
  if (unknown.length > 0) {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `--arms: ${unknown.map((a) => show(a)).join(', ')} not in the data (its arms: ${dataset.arms.map((a) => show(a)).join(', ')})`,
      { path: 'arms' },
    );
  }
  let rowsDropped = 0;
  const tasks: ReplayTask[] = [];
  for (const task of dataset.tasks) {
    const logs = task.arms.filter((l) => keep.has(l.arm));
    for (const l of task.arms) if (!keep.has(l.arm)) rowsDropped += l.trials.length;
    if (logs.length > 0) tasks.push({ ...task, arms: logs });
  }
  if (tasks.length < 2) {
    throw new SonaError(
      'NO_USABLE_ROWS',
      `restricted to ${arms.join(', ')}, the data has ${tasks.length} task${tasks.length === 1 ? '' : 's'}; cross-validation needs at least two`,
    );
  }
  const rowsUsed = tasks.reduce((n, t) => n + t.arms.reduce((m, l) => m + l.trials.length, 0), 0);
  return {
    ...dataset,
    arms: dataset.arms.filter((a) => keep.has(a)),
    tasks,
    rowsUsed,
    types: typeCounts(tasks),
    restriction: {
      arms: dataset.arms.filter((a) => keep.has(a)),
      tasksDropped: dataset.tasks.length - tasks.length,
      rowsDropped,
    },
  };
}
