import { constants } from 'node:fs';
import { type FileHandle, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SonaError } from '@sona/core';
import {
  parseCheckpoint,
  requireValid,
  type VerifiedDocument,
  type VerifyOptions,
  type VerifyResult,
  verifyCheckpointText,
  verifyCheckpointValue,
} from './checkpoint';
import { type CheckpointIssue, issue, issuesToError } from './issues';
import type { Checkpoint } from './types';

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

function ioIssue(path: string, cause: unknown): CheckpointIssue {
  const code = (cause as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory'
          : cause instanceof Error
            ? cause.message
            : String(cause);
  return issue('CHECKPOINT_IO', '', `cannot read ${path}: ${why}`);
}

type TextOrIssue =
  | { text: string; issue?: undefined }
  | { text?: undefined; issue: CheckpointIssue };

/**
 * Reads a checkpoint file as UTF-8 text, never more than `maxBytes + 1` bytes: the size is
 * checked with fstat on the open descriptor before reading, and reading stops past the limit if
 * the file grew meanwhile. Opens non-blocking so a FIFO cannot hang the reader.
 */
async function readText(path: string, maxBytes: number): Promise<TextOrIssue> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (cause) {
    return { issue: ioIssue(path, cause) };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      return { issue: issue('CHECKPOINT_IO', '', `cannot read ${path}: not a regular file`) };
    }
    const tooLarge = (size: string) =>
      issue(
        'CHECKPOINT_TOO_LARGE',
        '',
        `${path} is ${size} bytes, more than maxBytes = ${maxBytes}`,
      );
    if (info.size > maxBytes) return { issue: tooLarge(String(info.size)) };
    const limit = maxBytes + 1;
    const chunks: Buffer[] = [];
    let total = 0;
    let chunkSize = Math.min(limit, Math.max(info.size + 1, 64 * 1024));
    while (total < limit) {
      const chunk = Buffer.allocUnsafe(Math.min(chunkSize, limit - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      chunkSize *= 2;
    }
    if (total > maxBytes) return { issue: tooLarge(`more than ${maxBytes}`) };
    const bytes = Buffer.concat(chunks, total);
    try {
      return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
    } catch (cause) {
      if (cause instanceof RangeError) {
        return {
          issue: issue('CHECKPOINT_TOO_LARGE', '', `${path} is too large to hold as one string`),
        };
      }
      return { issue: issue('CHECKPOINT_NOT_JSON', '', `${path} is not valid UTF-8`) };
    }
  } catch (cause) {
    return { issue: ioIssue(path, cause) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Reads, parses and fully checks a checkpoint file; throws a SonaError naming the first problem. */
export async function loadCheckpoint(path: string, options: LoadOptions = {}): Promise<Checkpoint> {
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_BYTES);
  const read = await readText(path, maxBytes);
  if (read.issue !== undefined) throw issuesToError([read.issue]);
  return parseCheckpoint(read.text, options);
}

async function verifyFile(path: string, options: LoadOptions): Promise<VerifiedDocument> {
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_BYTES);
  const read = await readText(path, maxBytes);
  if (read.issue === undefined) return verifyCheckpointText(read.text, options);
  return {
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

/** Field order of saved files: the SPEC's order, then the engine state, hash and signature. */
const FIELD_ORDER: readonly (keyof Checkpoint)[] = [
  'version',
  'model',
  'config',
  'loraWeights',
  'multiHeadLoRA',
  'trajectoryStats',
  'ewcState',
  'patternCentroids',
  'patternQualities',
  'improvementHistory',
  'engine',
  'stateHash',
  'signature',
];

/** The text `saveCheckpoint` writes: indented JSON, fields in a fixed order, a final newline. */
export function serializeCheckpoint(checkpoint: Checkpoint): string {
  const ordered: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) {
    if (checkpoint[key] !== undefined) ordered[key] = checkpoint[key];
  }
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

let tempCounter = 0;

async function createTemp(target: string): Promise<{ path: string; handle: FileHandle }> {
  const dir = dirname(target);
  for (let attempt = 0; ; attempt++) {
    const path = join(dir, `.${basename(target)}.${process.pid}.${tempCounter++}.tmp`);
    try {
      return { path, handle: await open(path, 'wx', 0o644) };
    } catch (cause) {
      // A stale temporary file of a crashed process with the same pid: try the next name.
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw cause;
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (cause) {
    // Some platforms (Windows) and file systems cannot fsync a directory; the rename stands.
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw cause;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes a checkpoint so that a crash at any moment leaves either the previous file or the new
 * one, never a mix: the text goes to a temporary file in the same directory
 * (`.<name>.<pid>.<n>.tmp`), is fsynced, renamed over the target, and the directory is fsynced.
 * The checkpoint is fully checked first: an invalid one is never written.
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    throw new SonaError('INVALID_ARGUMENT', 'saveCheckpoint needs a file path');
  }
  requireValid(checkpoint);
  const target = resolve(path);
  const text = serializeCheckpoint(checkpoint);
  let temp: { path: string; handle: FileHandle } | undefined;
  try {
    temp = await createTemp(target);
    await temp.handle.writeFile(text, 'utf8');
    await temp.handle.sync();
    await temp.handle.close();
    await rename(temp.path, target);
    temp = undefined;
    await syncDirectory(dirname(target));
  } catch (cause) {
    if (temp !== undefined) {
      await temp.handle.close().catch(() => undefined);
      await unlink(temp.path).catch(() => undefined);
    }
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new SonaError('CHECKPOINT_IO', `cannot write ${path}: ${message}`, { cause });
  }
}

export interface CheckpointListing {
  /** Path of the file. */
  readonly file: string;
  readonly bytes: number;
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
    const { result, checkpoint } = await verifyFile(file, options);
    listings.push({
      file,
      bytes,
      result,
      summary: checkpoint === null ? null : summarizeCheckpoint(checkpoint),
    });
  }
  return listings;
}
