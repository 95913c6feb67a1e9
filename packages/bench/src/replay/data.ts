import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { SonaError, TASK_TYPES, type TaskType } from '@sona/core';
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
  /** The engine's task type the label maps to (see `typeMap`). */
  readonly type: TaskType;
  readonly embeddedFrom: EmbeddingSource;
  readonly embedding: Float32Array;
  /** The arms logged for this task (at least one trial each), in the dataset's arm order. */
  readonly arms: readonly ReplayArmLog[];
}

export interface MalformedLine {
  readonly line: number;
  readonly reason: string;
}

export interface TypeAssignment {
  /** The label in the data; null for tasks without one. */
  readonly label: string | null;
  readonly type: TaskType;
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
  readonly typeMap: readonly TypeAssignment[];
}

export interface ReplayParseOptions {
  /** Skip malformed lines (counted and listed) instead of failing with DATA_MALFORMED. */
  readonly skipMalformed?: boolean;
}

/** How many malformed lines an error message or a result lists. */
const LISTED_LINES = 100;
const LINES_IN_MESSAGE = 8;

/**
 * The type rule: without a type field every task is `code_completion` (one type, a label only).
 * With one, if every task's label is already one of the engine's four task types it is kept;
 * otherwise the distinct labels, sorted (tasks without a label as the label null, last), take
 * TASK_TYPES[i mod 4] in that order: `code_completion`, `bug_fix`, `refactor`, `test_gen`.
 */
export function assignTypes(
  labels: readonly (string | null)[],
  hasTypeField: boolean,
): Map<string | null, TaskType> {
  const distinct = [...new Set(labels)];
  const map = new Map<string | null, TaskType>();
  if (!hasTypeField) {
    for (const label of distinct) map.set(label, TASK_TYPES[0]);
    return map;
  }
  if (distinct.every((l) => l !== null && (TASK_TYPES as readonly string[]).includes(l))) {
    for (const label of distinct) map.set(label, label as TaskType);
    return map;
  }
  const sorted = distinct.sort((a, b) =>
    a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0,
  );
  sorted.forEach((label, i) => {
    map.set(label, TASK_TYPES[i % TASK_TYPES.length]!);
  });
  return map;
}

/** The exact string embedded for a task with neither text nor embedding. */
export function idEmbeddingText(id: string, label: string | null): string {
  return label === null ? id : `${label} ${id}`;
}

interface RawRow {
  readonly line: number;
  readonly row: unknown;
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
 * Parses JSON lines into a replay dataset. Blank lines are ignored. A line that is not a JSON
 * object, or whose task, arm, outcome, cost, text, embedding or type has the wrong kind of value,
 * is malformed; so is a row that gives its task another type, text or embedding than an earlier
 * row of the same task. Malformed lines fail the parse (DATA_MALFORMED, with line numbers) unless
 * `skipMalformed`. Rows whose outcome is null or absent are skipped and counted, as are rows
 * without a cost when a cost field is mapped. A mapped path that resolves in no row at all is a
 * FIELD_MAPPING error; no usable row, or fewer than two tasks, is NO_USABLE_ROWS.
 */
export function parseReplayData(
  content: string,
  fields: FieldMapping,
  source: ReplaySource,
  options: ReplayParseOptions = {},
): ReplayDataset {
  const mapping = checkFieldMapping(fields);
  const paths = new Map<FieldName, readonly string[]>();
  for (const [name, path] of Object.entries(mapping) as [FieldName, string][]) {
    paths.set(name, parseFieldPath(path, name));
  }
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const lines = text.split('\n');
  const malformed: MalformedLine[] = [];
  const rows: RawRow[] = [];
  let nonBlank = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (raw.trim() === '') continue;
    nonBlank++;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (error) {
      malformed.push({ line: i + 1, reason: `not valid JSON (${(error as Error).message})` });
      continue;
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      malformed.push({ line: i + 1, reason: `${show(row)} is not a JSON object` });
      continue;
    }
    rows.push({ line: i + 1, row });
  }
  if (rows.length > 0) {
    for (const [name, segments] of paths) {
      if (!rows.some((r) => resolvePath(r.row, segments).found)) {
        throw new SonaError(
          'FIELD_MAPPING',
          `${source.name}: --field ${name}=${mapping[name]} resolves in none of its ${rows.length} rows ` +
            `(in the first row, ${pathHint(rows[0]!.row, segments)})`,
          { path: name, details: { field: name, fieldPath: mapping[name] } },
        );
      }
    }
  }

  let noOutcome = 0;
  let noCost = 0;
  let rowsUsed = 0;
  const drafts = new Map<string, TaskDraft>();
  const read = <T>(row: unknown, name: FieldName, reader: (v: unknown) => Read<T>): Read<T> => {
    const segments = paths.get(name);
    if (segments === undefined) return { kind: 'none' };
    const resolved = resolvePath(row, segments);
    return resolved.found ? reader(resolved.value) : { kind: 'none' };
  };
  const fieldText = (name: FieldName) => `${name} (${mapping[name]})`;
  let embeddingDim: number | null = null;
  let embeddingDimLine = 0;

  for (const { line, row } of rows) {
    const bad = (reason: string) => malformed.push({ line, reason });
    const task = read(row, 'task', readName);
    if (task.kind !== 'value') {
      bad(`${fieldText('task')} ${task.kind === 'bad' ? task.reason : 'is missing'}`);
      continue;
    }
    const arm = read(row, 'arm', readName);
    if (arm.kind !== 'value') {
      bad(`${fieldText('arm')} ${arm.kind === 'bad' ? arm.reason : 'is missing'}`);
      continue;
    }
    const outcome: Read<LoggedOutcome> = read(row, 'success', readOutcome);
    if (outcome.kind === 'bad') {
      bad(`${fieldText('success')}: ${outcome.reason}`);
      continue;
    }
    if (outcome.kind === 'none') {
      noOutcome++;
      continue;
    }
    let cost: number | null = null;
    if (paths.has('cost')) {
      const c = read(row, 'cost', readCost);
      if (c.kind === 'bad') {
        bad(`${fieldText('cost')}: ${c.reason}`);
        continue;
      }
      if (c.kind === 'none') {
        noCost++;
        continue;
      }
      cost = c.value;
    }
    const label = read(row, 'type', readLabel);
    const taskText = read(row, 'text', readText);
    const embedding = read(row, 'embedding', readEmbedding);
    const problem = [
      ['type', label],
      ['text', taskText],
      ['embedding', embedding],
    ].find(([, r]) => (r as Read<unknown>).kind === 'bad') as
      | [FieldName, Read<unknown>]
      | undefined;
    if (problem !== undefined) {
      bad(`${fieldText(problem[0])}: ${(problem[1] as { reason: string }).reason}`);
      continue;
    }
    if (embedding.kind === 'value') {
      if (embeddingDim === null) {
        embeddingDim = embedding.value.length;
        embeddingDimLine = line;
      } else if (embedding.value.length !== embeddingDim) {
        bad(
          `${fieldText('embedding')} has ${embedding.value.length} numbers, but the one on line ` +
            `${embeddingDimLine} has ${embeddingDim}`,
        );
        continue;
      }
    }
    let draft = drafts.get(task.value);
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
        `task ${task.value}: type ${show(label.value)} differs from ${show(draft.label)} on line ${draft.labelLine}`,
      );
      continue;
    }
    if (taskText.kind === 'value' && draft.text !== null && draft.text !== taskText.value) {
      bad(`task ${task.value}: its text differs from the text on line ${draft.textLine}`);
      continue;
    }
    if (
      embedding.kind === 'value' &&
      draft.embedding !== null &&
      !sameVector(draft.embedding, embedding.value)
    ) {
      bad(`task ${task.value}: its embedding differs from the one on line ${draft.embeddingLine}`);
      continue;
    }
    if (isNew) drafts.set(task.value, draft);
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
    rowsUsed++;
  }

  malformed.sort((a, b) => a.line - b.line);
  if (malformed.length > 0 && options.skipMalformed !== true) {
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
    `${nonBlank} non-blank line${nonBlank === 1 ? '' : 's'}: ${noOutcome} without an outcome, ` +
    `${noCost} without a cost, ${malformed.length} malformed`;
  if (rowsUsed === 0) {
    throw new SonaError('NO_USABLE_ROWS', `${source.name} has no usable row (${summary})`);
  }
  if (drafts.size < 2) {
    throw new SonaError(
      'NO_USABLE_ROWS',
      `${source.name} has usable rows for only one task (${[...drafts.keys()][0]}); ` +
        'cross-validation over tasks needs at least two',
    );
  }

  const arms = [...new Set([...drafts.values()].flatMap((d) => [...d.trials.keys()]))].sort(
    byCodeUnits,
  );
  const ordered = [...drafts.values()].sort((a, b) => byCodeUnits(a.id, b.id));
  const types = assignTypes(
    ordered.map((d) => d.label),
    paths.has('type'),
  );
  const dim = embeddingDim ?? DEFAULT_DIM;
  const tasks: ReplayTask[] = ordered.map((draft) => {
    const embeddedFrom: EmbeddingSource =
      draft.embedding !== null ? 'embedding' : draft.text !== null ? 'text' : 'id';
    const embedding =
      draft.embedding ?? embedText(draft.text ?? idEmbeddingText(draft.id, draft.label), { dim });
    return {
      id: draft.id,
      label: draft.label,
      type: types.get(draft.label)!,
      embeddedFrom,
      embedding,
      arms: arms
        .filter((arm) => draft.trials.has(arm))
        .map((arm) => armLog(arm, draft.trials.get(arm)!)),
    };
  });
  const typeMap: TypeAssignment[] = [...types.entries()].map(([label, type]) => ({
    label,
    type,
    tasks: ordered.filter((d) => d.label === label).length,
  }));
  return {
    source,
    fields: mapping,
    arms,
    tasks,
    dim,
    hasCost: paths.has('cost'),
    rowsUsed,
    rowsSkipped: noOutcome + noCost + malformed.length,
    skipped: { noOutcome, noCost, malformed: malformed.length },
    malformedLines: malformed.slice(0, LISTED_LINES),
    typeMap,
  };
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
 * Reads and parses a JSON-lines file. A file that does not exist or cannot be read is
 * DATA_NOT_FOUND; see `parseReplayData` for everything else.
 */
export function loadReplayData(
  file: string,
  fields: FieldMapping,
  options: ReplayParseOptions = {},
): ReplayDataset {
  checkFieldMapping(fields);
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) {
      throw new Error('it is a directory, not a file');
    }
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : (error as Error).message;
    throw new SonaError('DATA_NOT_FOUND', `cannot read the replay data '${file}': ${reason}`, {
      path: file,
      cause: error,
    });
  }
  const content = bytes.toString('utf8');
  const source = describeSource(basename(file), bytes);
  return parseReplayData(content, fields, source, options);
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
