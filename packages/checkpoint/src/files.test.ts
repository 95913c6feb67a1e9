import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSonaError } from '@sona/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpoint } from './checkpoint';
import {
  MAX_TEXT_BYTES,
  readRegularFile,
  removeStaleTemps,
  STALE_TEMP_AGE_MS,
  writeFileAtomic,
} from './files';
import {
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
  serializeCheckpoint,
  verifyCheckpoint,
} from './io';
import { seededState } from './test-fixtures';

let dir: string;
let counter = 0;
const checkpoint = createCheckpoint(seededState(5, { dim: 4, patterns: 1, replayItems: 1 }));
const text = serializeCheckpoint(checkpoint);
const unix = process.platform !== 'win32';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sona-checkpoint-files-'));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

async function fresh(): Promise<string> {
  const sub = join(dir, `case-${counter++}`);
  await mkdir(sub);
  return sub;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isSonaError(error)) return { code: error.code, message: error.message };
    return { message: `not a SonaError: ${String(error)}` };
  }
  return { message: 'did not throw' };
}

/** A file of `size` bytes that takes no disk space (a hole), made with truncate(1). */
async function sparse(size: number): Promise<string> {
  const path = join(await fresh(), 'big.json');
  execFileSync('truncate', ['-s', String(size), path]);
  return path;
}

describe.runIf(unix)('reading: sizes are bounded by fstat before a byte is read', () => {
  it.each([2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5])(
    'a %d-byte file with maxBytes raised past it is CHECKPOINT_TOO_LARGE, never an abort',
    async (size) => {
      const path = await sparse(size);
      const maxBytes = 2 ** 33;
      const result = await verifyCheckpoint(path, { maxBytes });
      expect(result.errors).toEqual([
        {
          code: 'CHECKPOINT_TOO_LARGE',
          path: '',
          message: expect.stringContaining('the longest text Node.js can hold'),
        },
      ]);
      expect((await rejection(loadCheckpoint(path, { maxBytes }))).code).toBe(
        'CHECKPOINT_TOO_LARGE',
      );
      const [listed] = await listCheckpoints(join(path, '..'), { maxBytes });
      expect(listed!.result.errors[0]!.code).toBe('CHECKPOINT_TOO_LARGE');
      expect(listed!.bytes).toBe(size);
    },
  );

  it('a valid checkpoint over 512 MiB (longer than any string) is too large, not "not valid UTF-8"', async () => {
    const path = join(await fresh(), 'padded.json');
    const out = createWriteStream(path);
    out.write(text);
    const spaces = Buffer.alloc(16 << 20, 0x20);
    while (out.bytesWritten + out.writableLength <= MAX_TEXT_BYTES) {
      if (!out.write(spaces)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const size = (await stat(path)).size;
    expect(size).toBeGreaterThan(MAX_TEXT_BYTES);
    expect(size).toBeGreaterThan(512 * 2 ** 20);
    try {
      const result = await verifyCheckpoint(path, { maxBytes: 2 ** 32 });
      expect(result.errors.map((e) => e.code)).toEqual(['CHECKPOINT_TOO_LARGE']);
    } finally {
      await rm(path);
    }
  }, 120_000);

  it('reads in chunks: any chunk size gives the same bytes, and maxBytes is exact', async () => {
    const sub = await fresh();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 1, max: 17 }),
        async (bytes, chunkBytes) => {
          const path = join(sub, `bytes-${n++}`);
          await writeFile(path, bytes);
          const whole = await readRegularFile(path, bytes.length, { chunkBytes });
          expect(whole.problem).toBeUndefined();
          expect(Buffer.compare(whole.bytes!, Buffer.from(bytes))).toBe(0);
          if (bytes.length > 0) {
            const short = await readRegularFile(path, bytes.length - 1, { chunkBytes });
            expect(short.problem).toBe('too-large');
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe.runIf(unix)('reading: only regular files, and nothing can block the open', () => {
  it('a FIFO, a character device (even behind a symlink) and a directory are CHECKPOINT_IO', async () => {
    const sub = await fresh();
    const fifo = join(sub, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const zero = join(sub, 'zero.json');
    await symlink('/dev/zero', zero);
    for (const [path, kind] of [
      [fifo, 'a FIFO'],
      [zero, 'a character device'],
      ['/dev/null', 'a character device'],
      [sub, 'a directory'],
    ] as const) {
      const result = await verifyCheckpoint(path, { maxBytes: 2 ** 40 });
      expect(result.errors).toEqual([
        { code: 'CHECKPOINT_IO', path: '', message: expect.stringContaining(kind) },
      ]);
    }
  });
});

describe.runIf(unix)('saving: only regular files are replaced', () => {
  /** The directory holds only `expected` (no temporary file left behind). */
  async function onlyEntries(sub: string, expected: string[]) {
    expect((await readdir(sub)).sort()).toEqual(expected.sort());
  }

  it('a FIFO target is refused before anything is written, and never blocks', async () => {
    const sub = await fresh();
    const fifo = join(sub, 'run.json');
    execFileSync('mkfifo', [fifo]);
    const refused = await rejection(saveCheckpoint(fifo, checkpoint));
    expect(refused).toEqual({ code: 'CHECKPOINT_IO', message: expect.stringContaining('a FIFO') });
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    await onlyEntries(sub, ['run.json']);
  });

  it('a character device target is refused and stays a device', async () => {
    const sub = await fresh();
    let device = '/dev/null';
    // As root a regression would replace the real /dev/null: use a null device node of our own.
    if (process.getuid?.() === 0) {
      device = join(sub, 'null.json');
      execFileSync('mknod', [device, 'c', '1', '3']);
    }
    const refused = await rejection(saveCheckpoint(device, checkpoint));
    expect(refused).toEqual({
      code: 'CHECKPOINT_IO',
      message: expect.stringContaining('a character device'),
    });
    expect((await lstat(device)).isCharacterDevice()).toBe(true);
    if (device !== '/dev/null') await onlyEntries(sub, ['null.json']);
  });

  it('a symlink target is refused with what to do, and neither the link nor its file changes', async () => {
    const sub = await fresh();
    await writeFile(join(sub, 'real.json'), 'previous');
    await symlink('real.json', join(sub, 'latest.json'));
    const refused = await rejection(saveCheckpoint(join(sub, 'latest.json'), checkpoint));
    expect(refused.code).toBe('CHECKPOINT_IO');
    expect(refused.message).toContain('is a symbolic link');
    expect(refused.message).toContain('realpath');
    expect(refused.message).toContain('remove the link');
    expect(await readlink(join(sub, 'latest.json'))).toBe('real.json');
    expect(await readFile(join(sub, 'real.json'), 'utf8')).toBe('previous');
    await onlyEntries(sub, ['latest.json', 'real.json']);
    // A dangling link is refused too: the save never creates a file where a link points.
    await symlink('nowhere.json', join(sub, 'dangling.json'));
    expect((await rejection(saveCheckpoint(join(sub, 'dangling.json'), checkpoint))).code).toBe(
      'CHECKPOINT_IO',
    );
    await onlyEntries(sub, ['dangling.json', 'latest.json', 'real.json']);
  });

  it('a directory target is refused', async () => {
    const sub = await fresh();
    await mkdir(join(sub, 'run.json'));
    expect(await rejection(saveCheckpoint(join(sub, 'run.json'), checkpoint))).toEqual({
      code: 'CHECKPOINT_IO',
      message: expect.stringContaining('a directory'),
    });
  });

  it.each([0o600, 0o640, 0o604, 0o755])(
    'replacing a file of mode %o keeps its mode',
    async (mode) => {
      const sub = await fresh();
      const path = join(sub, 'run.json');
      await writeFile(path, 'previous');
      await chmod(path, mode);
      await saveCheckpoint(path, checkpoint);
      expect((await stat(path)).mode & 0o777).toBe(mode);
      expect(await readFile(path, 'utf8')).toBe(text);
    },
  );

  it('a new file gets 0644 less the umask; exclusive writes never replace', async () => {
    const sub = await fresh();
    const path = join(sub, 'new.json');
    await saveCheckpoint(path, checkpoint);
    expect((await stat(path)).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(await rejection(writeFileAtomic(path, 'x', { exclusive: true }))).toEqual({
      code: 'CHECKPOINT_IO',
      message: expect.stringContaining('already exists'),
    });
    expect(await readFile(path, 'utf8')).toBe(text);
    await writeFileAtomic(join(sub, 'secret'), 'k', { mode: 0o600, exclusive: true });
    expect((await stat(join(sub, 'secret'))).mode & 0o777).toBe(0o600);
  });
});

describe.runIf(unix)('stale temporary files of dead writers', () => {
  function deadPid(): number {
    for (;;) {
      const child = spawnSync(process.execPath, ['-e', '']);
      const pid = child.pid!;
      try {
        process.kill(pid, 0);
      } catch {
        return pid; // ESRCH: nobody has this pid now
      }
    }
  }

  it('later saves to the same path remove them; live writers, fresh files and other targets stay', async () => {
    const sub = await fresh();
    const dead = deadPid();
    const live = process.ppid;
    const old = new Date(Date.now() - 2 * STALE_TEMP_AGE_MS);
    const names = {
      stale: `.run.json.${dead}.0.tmp`,
      staleToo: `.run.json.${dead}.17.tmp`,
      fresh: `.run.json.${dead}.1.tmp`,
      live: `.run.json.${live}.0.tmp`,
      own: `.run.json.${process.pid}.99.tmp`,
      otherTarget: `.other.json.${dead}.0.tmp`,
      notATemp: `.run.json.${dead}.0.tmp.keep`,
    };
    for (const [key, name] of Object.entries(names)) {
      await writeFile(join(sub, name), 'partial');
      if (key !== 'fresh') await utimes(join(sub, name), old, old);
    }
    await saveCheckpoint(join(sub, 'run.json'), checkpoint);
    const left = new Set(await readdir(sub));
    expect(left.has(names.stale)).toBe(false);
    expect(left.has(names.staleToo)).toBe(false);
    for (const kept of ['fresh', 'live', 'own', 'otherTarget', 'notATemp'] as const) {
      expect(left.has(names[kept])).toBe(true);
    }
    expect(left.has('run.json')).toBe(true);
    expect(await removeStaleTemps(join(sub, 'run.json'))).toEqual([]);
    expect(
      await removeStaleTemps(join(sub, 'run.json'), Date.now() + 2 * STALE_TEMP_AGE_MS),
    ).toEqual([names.fresh]);
  });
});
