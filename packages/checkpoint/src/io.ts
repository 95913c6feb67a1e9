import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SonaError } from '@sona/core';
import {
  parseCheckpoint,
  requireValid,
  type VerifiedDocument,
  type VerifyOptions,
  type VerifyResult,
  verifyCheckpointValue,
  verifyText,
} from './checkpoint';
import { readRegularFile, writeFileAtomic } from './files';
import { type CheckpointIssue, issue, issuesToError } from './issues';
import { CHECKPOINT_FIELDS, type Checkpoint } from './types';

/** Largest checkpoint file read unless `maxBytes` says otherwise: 256 MiB. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export interface LoadOptions extends VerifyOptions {
  /** Files larger than this many bytes are refused before they are read. */
  readonly maxBytes?: number;
}

function checkMaxBytes(maxBytes: number): number {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `maxBytes must be a non-negative integer, got ${maxBytes}`,
    );
  }
  return maxBytes;
}

/** Reads a checkpoint file as UTF-8 text (see `readRegularFile` for the limits). */
async function readText(path: string, maxBytes: number): Promise<TextOrIssue> {
  const read = await readRegularFile(path, maxBytes);
  if (read.problem !== undefined) {
    const code = read.problem === 'too-large' ? 'CHECKPOINT_TOO_LARGE' : 'CHECKPOINT_IO';
    return { issue: issue(code, '', read.message) };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(read.bytes) };
  } catch {
    return { issue: issue('CHECKPOINT_NOT_JSON', '', `${path} is not valid UTF-8`) };
  }
}

type TextOrIssue =
  | { text: string; issue?: undefined }
  | { text?: undefined; issue: CheckpointIssue };

/** Reads, parses and fully checks a checkpoint file; throws a SonaError naming the first problem. */
export async function loadCheckpoint(path: string, options: LoadOptions = {}): Promise<Checkpoint> {
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_BYTES);
  const read = await readText(path, maxBytes);
  if (read.issue !== undefined) throw issuesToError([read.issue]);
  return parseCheckpoint(read.text, options);
}

async function verifyFile(path: string, options: LoadOptions): Promise<VerifiedDocument> {
  return (await verifyFileText(path, options)).verified;
}

async function verifyFileText(
  path: string,
  options: LoadOptions,
): Promise<{ verified: VerifiedDocument; otherJson: boolean }> {
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_BYTES);
  const read = await readText(path, maxBytes);
  if (read.issue === undefined) return verifyText(read.text, options);
  const verified: VerifiedDocument = {
    result: {
      ok: false,
      signed: false,
      level: 'invalid',
      signature: 'not-checked',
      keyId: null,
      stateHash: null,
      errors: [read.issue],
    },
    checkpoint: null,
  };
  return { verified, otherJson: false };
}

/**
 * Checks a checkpoint file (given its path) or a checkpoint object. Never throws for a bad
 * checkpoint: every problem is in `errors`. Throws only for bad options (a key that is not an
 * Ed25519 key, a bad maxBytes).
 */
export async function verifyCheckpoint(
  pathOrObject: string | Checkpoint | object,
  options: LoadOptions = {},
): Promise<VerifyResult> {
  if (typeof pathOrObject === 'string') return (await verifyFile(pathOrObject, options)).result;
  return verifyCheckpointValue(pathOrObject, options).result;
}

/** The text `saveCheckpoint` writes: indented JSON, fields in a fixed order, a final newline. */
export function serializeCheckpoint(checkpoint: Checkpoint): string {
  const ordered: Record<string, unknown> = {};
  for (const key of CHECKPOINT_FIELDS) {
    if (checkpoint[key] !== undefined) ordered[key] = checkpoint[key];
  }
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/**
 * Writes a checkpoint so that a crash at any moment leaves either the previous file or the new
 * one, never a mix (see `writeFileAtomic`): a temporary file in the same directory
 * (`.<name>.<pid>.<n>.tmp`) is fsynced, renamed over the target, and the directory is fsynced.
 * The checkpoint is fully checked first, and what is written is the copy that was checked: an
 * invalid one is never written. The target must be absent or a regular file (a symbolic link,
 * FIFO or device is refused with `CHECKPOINT_IO`); a replaced file keeps its permission bits.
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    throw new SonaError('INVALID_ARGUMENT', 'saveCheckpoint needs a file path');
  }
  const valid = requireValid(checkpoint);
  await writeFileAtomic(path, serializeCheckpoint(valid));
}

export interface CheckpointListing {
  /** Path of the file. */
  readonly file: string;
  readonly bytes: number;
  /**
   * `not-a-checkpoint` for a JSON document with none of a checkpoint's own fields (a
   * `package.json`, a JSON array); it is also `result.ok: false`. Files that are not JSON at
   * all count as (damaged) checkpoints.
   */
  readonly kind: 'checkpoint' | 'not-a-checkpoint';
  readonly result: VerifyResult;
  /** Summary of a valid checkpoint; null when the file is not one. */
  readonly summary: CheckpointSummary | null;
}

export interface CheckpointSummary {
  readonly model: string;
  readonly sonaVersion: string;
  readonly seed: number;
  readonly epochs: number;
  /** The last epoch's success rate, or null with no history. */
  readonly lastSuccessRate: number | null;
  readonly patterns: number;
  readonly trajectories: number;
}

export function summarizeCheckpoint(checkpoint: Checkpoint): CheckpointSummary {
  const history = checkpoint.improvementHistory;
  return {
    model: checkpoint.model.name,
    sonaVersion: checkpoint.config.sonaVersion,
    seed: checkpoint.config.seed,
    epochs: history.length,
    lastSuccessRate: history.length === 0 ? null : history[history.length - 1]!.successRate,
    patterns: checkpoint.patternCentroids.count,
    trajectories: checkpoint.trajectoryStats.total,
  };
}

/**
 * Every `*.json` file directly inside `dir` (sorted by name; dot files such as the temporary
 * files of an interrupted save are skipped), each verified and summarised.
 */
export async function listCheckpoints(
  dir: string,
  options: LoadOptions = {},
): Promise<CheckpointListing[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new SonaError('CHECKPOINT_IO', `cannot list ${dir}: ${message}`, { cause });
  }
  const listings: CheckpointListing[] = [];
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    const file = join(dir, name);
    let bytes = 0;
    try {
      const info = await stat(file);
      if (!info.isFile()) continue;
      bytes = info.size;
    } catch {
      // Vanished between readdir and stat: verifyFile reports it.
    }
    const { verified, otherJson } = await verifyFileText(file, options);
    const { result, checkpoint } = verified;
    listings.push({
      file,
      bytes,
      kind: otherJson ? 'not-a-checkpoint' : 'checkpoint',
      result,
      summary: checkpoint === null ? null : summarizeCheckpoint(checkpoint),
    });
  }
  return listings;
}
