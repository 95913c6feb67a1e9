import { type Arm, MAX_TASK_TYPE_LENGTH } from '@sona/core';
import { embedText } from '@sona/embed';
import type { ChooseInput, OutcomeInput } from './service';

/** A request that cannot be served as sent: its HTTP status, the field at fault and why. */
export class RequestError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  readonly code: string;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'RequestError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export function badField(field: string, message: string): RequestError {
  return new RequestError(400, 'invalid_field', `${field} ${message}`, field);
}

/** Longest task text embedded (in UTF-16 code units). */
export const MAX_TEXT_LENGTH = 1_000_000;
/** Longest task id or decision id accepted. */
export const MAX_ID_LENGTH = 256;

type Json = Record<string, unknown>;

export function requireObject(value: unknown, field: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badField(field, `must be a JSON object, got ${kindOf(value)}`);
  }
  return value as Json;
}

function onlyKeys(object: Json, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      const field = prefix === '' ? key : `${prefix}.${key}`;
      throw badField(field, `is not a known field (known: ${allowed.join(', ')})`);
    }
  }
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  return `${typeof value} ${String(value)}`;
}

function optionalString(object: Json, key: string, field: string, max: number): string | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw badField(field, `must be a string of 1 to ${max} characters, got ${kindOf(value)}`);
  }
  return value;
}

/** The arms a choice may take: known, distinct arms, at least one. */
export function parseArms(value: unknown, known: readonly Arm[], field: string): Arm[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw badField(field, 'must be a non-empty array of arm names');
  }
  const seen = new Set<string>();
  value.forEach((arm, i) => {
    if (typeof arm !== 'string' || !known.includes(arm)) {
      throw badField(
        `${field}[${i}]`,
        `is not a known arm (${typeof arm === 'string' ? JSON.stringify(arm.slice(0, 64)) : kindOf(arm)}; the arms are ${known.join(', ')})`,
      );
    }
    if (seen.has(arm)) throw badField(`${field}[${i}]`, `repeats the arm ${arm}`);
    seen.add(arm);
  });
  return [...seen];
}

/** A task's embedding: from `text` (embedded with @sona/embed) or given, of the engine's length. */
export function embeddingOf(task: Json, dim: number, prefix: string): Float32Array {
  const hasText = task.text !== undefined;
  const hasEmbedding = task.embedding !== undefined;
  if (hasText === hasEmbedding) {
    throw badField(prefix, 'needs exactly one of text and embedding');
  }
  if (hasText) {
    const text = task.text;
    if (typeof text !== 'string' || text.length > MAX_TEXT_LENGTH) {
      throw badField(`${prefix}.text`, `must be a string of at most ${MAX_TEXT_LENGTH} characters`);
    }
    const embedding = embedText(text, { dim });
    if (!embedding.some((x) => x !== 0)) {
      throw badField(`${prefix}.text`, 'has no words or numbers to embed');
    }
    return embedding;
  }
  const values = task.embedding;
  const field = `${prefix}.embedding`;
  if (!Array.isArray(values))
    throw badField(field, `must be an array of numbers, got ${kindOf(values)}`);
  if (values.length !== dim) {
    throw badField(
      field,
      `must have ${dim} numbers (the engine's dimension), got ${values.length}`,
    );
  }
  const embedding = new Float32Array(dim);
  let largest = 0;
  for (let i = 0; i < dim; i++) {
    const x = values[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw badField(`${field}[${i}]`, `must be a finite number, got ${kindOf(x)}`);
    }
    embedding[i] = x;
    if (!Number.isFinite(embedding[i]!)) {
      throw badField(`${field}[${i}]`, `is too large for a 32-bit float (${x})`);
    }
    largest = Math.max(largest, Math.abs(embedding[i]!));
  }
  if (!(largest >= 1e-20)) throw badField(field, 'is zero (or too small to have a direction)');
  return embedding;
}

export function parseType(value: unknown, field: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TASK_TYPE_LENGTH) {
    throw badField(field, `must be a label of 1 to ${MAX_TASK_TYPE_LENGTH} characters`);
  }
  return value;
}

/** `POST /v1/choose`: `{ task: { id?, text? | embedding?, type? }, arms? }`. */
export function parseChoose(
  body: unknown,
  dim: number,
  arms: readonly Arm[],
  defaultType: string,
): ChooseInput {
  const object = requireObject(body, 'body');
  onlyKeys(object, ['task', 'arms'], '');
  if (object.task === undefined) throw badField('task', 'is required');
  const task = requireObject(object.task, 'task');
  onlyKeys(task, ['id', 'text', 'embedding', 'type'], 'task');
  const taskId = optionalString(task, 'id', 'task.id', MAX_ID_LENGTH);
  const embedding = embeddingOf(task, dim, 'task');
  const type = parseType(task.type, 'task.type', defaultType);
  const allowed = object.arms === undefined ? undefined : parseArms(object.arms, arms, 'arms');
  return {
    ...(taskId === undefined ? {} : { taskId }),
    type,
    embedding,
    ...(allowed === undefined ? {} : { arms: allowed }),
  };
}

/** `POST /v1/outcome`: `{ decision_id, success, quality?, cost? }`. */
export function parseOutcome(body: unknown): OutcomeInput {
  const object = requireObject(body, 'body');
  onlyKeys(object, ['decision_id', 'success', 'quality', 'cost'], '');
  const id = object.decision_id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw badField('decision_id', `must be the decision_id /v1/choose returned, got ${kindOf(id)}`);
  }
  if (typeof object.success !== 'boolean') {
    throw badField('success', `must be true or false, got ${kindOf(object.success)}`);
  }
  const quality = object.quality;
  if (
    quality !== undefined &&
    (typeof quality !== 'number' || !Number.isFinite(quality) || quality < 0 || quality > 1)
  ) {
    throw badField('quality', `must be a number from 0 to 1, got ${kindOf(quality)}`);
  }
  const cost = object.cost;
  if (cost !== undefined && (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0)) {
    throw badField('cost', `must be a finite number of at least 0, got ${kindOf(cost)}`);
  }
  return {
    decisionId: id,
    success: object.success,
    ...(quality === undefined ? {} : { quality }),
    ...(cost === undefined ? {} : { cost }),
  };
}

/** The text SONA routes a chat request by: every message's role and text content, in order. */
export function chatText(body: Json): string {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badField('messages', 'must be a non-empty array of chat messages');
  }
  const parts: string[] = [];
  messages.forEach((m, i) => {
    const message = requireObject(m, `messages[${i}]`);
    const content = message.content;
    if (typeof content === 'string') parts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part !== null && typeof part === 'object' && typeof part.text === 'string') {
          parts.push(part.text);
        }
      }
    } else if (content !== null && content !== undefined) {
      throw badField(`messages[${i}].content`, 'must be a string or an array of content parts');
    }
  });
  const text = parts.join('\n');
  if (text.length > MAX_TEXT_LENGTH) {
    throw badField('messages', `hold more than ${MAX_TEXT_LENGTH} characters of text`);
  }
  return text;
}
