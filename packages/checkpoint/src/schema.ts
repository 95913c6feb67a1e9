import { MAX_TASK_TYPE_LENGTH, VERSIONS } from '@sona/core';
import { z } from 'zod';
import { type CheckpointIssue, issue } from './issues';
import { formatPath } from './path';

/**
 * RFC 4648 base64 with padding (what `encodeFloat32` writes): base64 characters, at most two
 * `=` at the end, a length that is a multiple of 4. Equivalent to the grouped pattern
 * `^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$`, but a single character
 * class scans megabytes of tensor text several times faster.
 */
const BASE64_CHARACTERS = /^[A-Za-z0-9+/]*={0,2}$/;
export const isBase64 = (text: string) => text.length % 4 === 0 && BASE64_CHARACTERS.test(text);
/**
 * The one base64 spelling of a 64-byte Ed25519 signature: 86 characters and `==`, the last
 * character's unused low bits zero (`Buffer.from` would accept 16 spellings of the same bytes,
 * so two different files would carry "one" signature).
 */
export function isSignatureBase64(text: string): boolean {
  if (text.length !== 88 || !isBase64(text)) return false;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 64 && bytes.toString('base64') === text;
}
export const STATE_HASH_PATTERN = /^[0-9a-f]{64}$/;
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

const tensor = z.string().refine(isBase64, 'must be a base64 float32 tensor');
const count = z.int().min(0);
const positiveInt = z.int().min(1);

const loraAdapter = z.strictObject({
  dim: positiveInt,
  rank: positiveInt,
  alpha: z.number(),
  A: tensor,
  B: tensor,
});

/** A task type label, as `isTaskType` of @sona/core accepts it. */
const label = z.string().min(1).max(MAX_TASK_TYPE_LENGTH);

/** Most heads a multi-head adapter has (as `MAX_HEADS` of @sona/lora). */
export const MAX_CHECKPOINT_HEADS = 64;

const trajectoryCounts = z.strictObject({
  total: count,
  successes: count,
  meanQuality: z.number(),
});

const epochMetrics = z
  .object({ epoch: count, successRate: z.number().min(0).max(1), meanQuality: z.number() })
  .catchall(z.number());

/**
 * The structure of a format-1 or format-2 checkpoint. What differs between the two (the head
 * names and their order, the task types of `byType`) and values that need the tensors decoded
 * (shapes, Fisher signs, quality ranges, finite weights) are checked afterwards, each with its
 * own code.
 */
export const checkpointSchema = z.strictObject({
  version: z.union([z.literal(1), z.literal(2)]),
  model: z.strictObject({
    name: z.string().min(1).max(256),
    sizeBillions: z.number().positive().nullable(),
  }),
  config: z.object({ sonaVersion: z.enum(VERSIONS), seed: count }).catchall(z.unknown()),
  loraWeights: loraAdapter.nullable(),
  multiHeadLoRA: z
    .strictObject({
      shared: loraAdapter,
      heads: z.record(label, loraAdapter),
      headOrder: z.array(label).max(MAX_CHECKPOINT_HEADS).optional(),
    })
    .nullable(),
  trajectoryStats: z.strictObject({
    total: count,
    successes: count,
    meanQuality: z.number(),
    byType: z.record(label, trajectoryCounts),
  }),
  ewcState: z
    .strictObject({ lambda: z.number().min(0), fisher: tensor, anchor: tensor })
    .nullable(),
  patternCentroids: z.strictObject({ count, dim: count, data: tensor }),
  patternQualities: tensor,
  improvementHistory: z.array(epochMetrics),
  engine: z.unknown(),
  stateHash: z.string().regex(STATE_HASH_PATTERN, 'must be 64 lowercase hex digits (SHA-256)'),
  signature: z
    .strictObject({
      algorithm: z.literal('Ed25519'),
      keyId: z.string().regex(KEY_ID_PATTERN, 'must be 16 lowercase hex digits'),
      value: z
        .string()
        .refine(isSignatureBase64, 'must be the canonical base64 of 64 bytes (88 characters)'),
    })
    .optional(),
});

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = Object.hasOwn(value, key) ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return value;
}

/** A short, safe description of a value from a hostile document (never calls its methods). */
function shown(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

/** Runs the schema; a number slot holding a non-number (or a non-finite one) is BAD_NUMBER. */
export function schemaIssues(doc: unknown): CheckpointIssue[] {
  const result = checkpointSchema.safeParse(doc);
  if (result.success) return [];
  return result.error.issues.map((zodIssue) => {
    const path = formatPath(zodIssue.path);
    if (zodIssue.code === 'invalid_type') {
      const actual = valueAt(doc, zodIssue.path);
      const wantsNumber = zodIssue.expected === 'number' || zodIssue.expected === 'int';
      if (wantsNumber && (typeof actual !== 'number' || !Number.isFinite(actual))) {
        return issue('CHECKPOINT_BAD_NUMBER', path, `expected a number, found ${shown(actual)}`);
      }
      if (actual === undefined) return issue('CHECKPOINT_SCHEMA', path, 'required field missing');
    }
    if (zodIssue.code === 'unrecognized_keys') {
      return issue('CHECKPOINT_SCHEMA', path, `unknown field(s): ${zodIssue.keys.join(', ')}`);
    }
    return issue('CHECKPOINT_SCHEMA', path, zodIssue.message);
  });
}
