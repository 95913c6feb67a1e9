/**
 * File access for hostile paths: only regular files are read (checked with fstat on the opened
 * descriptor, opened non-blocking so a FIFO cannot hang the open), reads are bounded and
 * chunked, and only regular files are replaced, atomically, keeping their permission bits.
 */

import { constants as bufferConstants } from 'node:buffer';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, link, lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SonaError } from '@sona/core';

/**
 * The longest text this Node.js can hold as one string (2^29 − 24 UTF-16 units on 64-bit Node
 * 20). A file of more bytes than this cannot be read as text whatever the limit says.
 */
export const MAX_TEXT_BYTES = bufferConstants.MAX_STRING_LENGTH;

/** Bytes asked for per read: well below the 2^31 − 1 a single read of Node can take. */
export const READ_CHUNK_BYTES = 64 * 1024 * 1024;

/** What a path is when it is not a regular file, for messages. */
export function fileKind(info: Stats): string {
  if (info.isFile()) return 'a regular file';
  if (info.isDirectory()) return 'a directory';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

function errnoWhy(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (code === 'ENXIO') return 'it is a socket or a device, not a regular file';
  return cause instanceof Error ? cause.message : String(cause);
}

export type ReadResult =
  | { readonly bytes: Buffer; readonly problem?: undefined }
  | {
      readonly bytes?: undefined;
      readonly problem: 'unreadable' | 'too-large';
      readonly message: string;
    };

/**
 * The bytes of the regular file at `path`, never more than `maxBytes` of them: the size is
 * checked with fstat on the open descriptor before reading (against `maxBytes` and, when
 * `asText`, `MAX_TEXT_BYTES`), and reading stops past the limit if the file grew meanwhile.
 */
export async function readRegularFile(
  path: string,
  maxBytes: number,
  { asText = true, chunkBytes = READ_CHUNK_BYTES }: { asText?: boolean; chunkBytes?: number } = {},
): Promise<ReadResult> {
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (cause) {
    return { problem: 'unreadable', message: `cannot read ${path}: ${errnoWhy(cause)}` };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      return {
        problem: 'unreadable',
        message: `cannot read ${path}: it is ${fileKind(info)}, not a regular file`,
      };
    }
    const ceiling = asText ? Math.min(maxBytes, MAX_TEXT_BYTES) : maxBytes;
    const tooLarge = (size: string): ReadResult => ({
      problem: 'too-large',
      message:
        ceiling < maxBytes
          ? `${path} is ${size} bytes, more than ${MAX_TEXT_BYTES}, the longest text Node.js can hold (a larger maxBytes cannot help)`
          : `${path} is ${size} bytes, more than maxBytes = ${maxBytes}`,
    });
    if (info.size > ceiling) return tooLarge(String(info.size));
    const limit = ceiling + 1;
    const chunks: Buffer[] = [];
    let total = 0;
    // The first read asks for the whole file and one byte more, to see that it did not grow.
    let wanted = info.size + 1;
    while (total < limit) {
      const chunk = Buffer.allocUnsafe(Math.min(wanted, limit - total, chunkBytes));
      let filled = 0;
      while (filled < chunk.length) {
        const { bytesRead } = await handle.read(chunk, filled, chunk.length - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      chunks.push(chunk.subarray(0, filled));
      total += filled;
      if (filled < chunk.length) break;
      wanted = Math.max(wanted - filled, 64 * 1024);
    }
    if (total > ceiling) return tooLarge(`more than ${ceiling}`);
    return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total) };
  } catch (cause) {
    return { problem: 'unreadable', message: `cannot read ${path}: ${errnoWhy(cause)}` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** A temporary file of a save is `.<name>.<pid>.<n>.tmp` beside its target. */
function tempPattern(target: string): RegExp {
  const name = basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${name}\\.(\\d{1,10})\\.\\d+\\.tmp$`);
}

/**
 * How old a dead writer's temporary file must be before a later save removes it. A process id
 * that is not running here might still be a live writer in another PID namespace (a container
 * sharing the directory) or on another host; such a writer keeps writing, so its file stays
 * fresh.
 */
export const STALE_TEMP_AGE_MS = 60_000;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (cause) {
    // EPERM: it runs, as another user.
    return (cause as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the temporary files that killed saves to `target` left: those whose writer's pid is
 * not running (and not this process) and that nobody has written to for `STALE_TEMP_AGE_MS`.
 * Best effort: anything it cannot read or remove stays. Returns the names it removed.
 */
export async function removeStaleTemps(target: string, now = Date.now()): Promise<string[]> {
  const dir = dirname(target);
  const pattern = tempPattern(target);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid > 0x7fffffff || pid === process.pid) continue;
    if (isRunning(pid)) continue;
    const path = join(dir, name);
    try {
      const info = await lstat(path);
      if (!info.isFile() || now - info.mtimeMs < STALE_TEMP_AGE_MS) continue;
      await unlink(path);
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

let tempCounter = 0;

async function createTemp(target: string, mode: number) {
  const dir = dirname(target);
  for (let attempt = 0; ; attempt++) {
    const path = join(dir, `.${basename(target)}.${process.pid}.${tempCounter++}.tmp`);
    try {
      return { path, handle: await open(path, 'wx', mode) };
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
 * What is at `target` (the resolved `path`, which messages name) about to be written: nothing
 * (`null`) or a regular file (its permission bits). Anything else is refused with `CHECKPOINT_IO`, before anything is written: a symbolic
 * link (the message says what to do), a FIFO, a device, a directory, a socket.
 */
async function writeTargetMode(path: string, target: string): Promise<number | null> {
  let info: Stats;
  try {
    info = await lstat(target);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SonaError('CHECKPOINT_IO', `cannot write ${path}: ${errnoWhy(cause)}`, { cause });
  }
  if (info.isFile()) return info.mode & 0o777;
  if (info.isSymbolicLink()) {
    throw new SonaError(
      'CHECKPOINT_IO',
      `cannot write ${path}: it is a symbolic link, and a save replaces only regular files; give the path of the file it points to (realpath ${path}) to replace that file, or remove the link first`,
    );
  }
  throw new SonaError(
    'CHECKPOINT_IO',
    `cannot write ${path}: it is ${fileKind(info)}, and a save replaces only regular files`,
  );
}

/**
 * Puts `temp` at `target` only if nothing is there: a hard link fails with EEXIST if something
 * is. Where the file system has no hard links, a rename after an lstat (a narrow race).
 */
async function linkOrRenameNew(temp: string, target: string): Promise<void> {
  try {
    await link(temp, target);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') {
      throw cause;
    }
    const there = await lstat(target).then(
      () => true,
      () => false,
    );
    if (there) throw Object.assign(new Error('EEXIST'), { code: 'EEXIST' });
    await rename(temp, target);
    return;
  }
  await unlink(temp);
}

export interface AtomicWriteOptions {
  /** Permission bits for the file (the umask applies); default: the replaced file's, or 0644. */
  readonly mode?: number;
  /** Fail with "already exists" rather than replace an existing file. */
  readonly exclusive?: boolean;
}

/**
 * Writes `data` to `path` so that a crash at any moment leaves either the previous file or the
 * new one: a temporary file in the same directory (`.<name>.<pid>.<n>.tmp`) is written,
 * fsynced and renamed over the target (linked, when `exclusive`), then the directory is fsynced.
 * The target must be absent or a regular file; a replaced file keeps its permission bits.
 * Stale temporary files of dead writers are removed first. Throws `CHECKPOINT_IO`.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const target = resolve(path);
  const existingMode = await writeTargetMode(path, target);
  if (existingMode !== null && options.exclusive) {
    throw new SonaError('CHECKPOINT_IO', `cannot write ${path}: it already exists`);
  }
  await removeStaleTemps(target);
  let temp: { path: string; handle: FileHandle } | undefined;
  try {
    const keep = options.mode === undefined && existingMode !== null;
    temp = await createTemp(target, keep ? 0o600 : (options.mode ?? 0o644));
    if (keep) await temp.handle.chmod(existingMode);
    await temp.handle.writeFile(data);
    await temp.handle.sync();
    await temp.handle.close();
    if (options.exclusive) {
      await linkOrRenameNew(temp.path, target);
    } else {
      await rename(temp.path, target);
    }
    temp = undefined;
    await syncDirectory(dirname(target));
  } catch (cause) {
    if (temp !== undefined) {
      await temp.handle.close().catch(() => undefined);
      await unlink(temp.path).catch(() => undefined);
    }
    const why =
      (cause as NodeJS.ErrnoException).code === 'EEXIST' ? 'it already exists' : errnoWhy(cause);
    throw new SonaError('CHECKPOINT_IO', `cannot write ${path}: ${why}`, { cause });
  }
}
