import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@sona/core';
import { describe, expect, it } from 'vitest';
import { bundleForChildProcess } from '../../../tools/testing/bundle';
import { createCheckpoint } from './checkpoint';
import { STALE_TEMP_AGE_MS } from './files';
import { saveCheckpoint, verifyCheckpoint } from './io';
import { seededState } from './test-fixtures';

const KILLS = 20;
const LARGEST_DELAY_MS = 200;

function waitForExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

describe('saveCheckpoint under SIGKILL', () => {
  it('never leaves a partial or invalid target, whenever the writer is killed', async () => {
    const child = await bundleForChildProcess(
      fileURLToPath(new URL('./save-crash-child.ts', import.meta.url)),
      'save-crash-child',
    );
    const dir = await mkdtemp(join(tmpdir(), 'sona-checkpoint-crash-'));
    const target = join(dir, 'run.json');
    const size = { dim: 256, patterns: 100, replayItems: 1000 };
    const initial = createCheckpoint(seededState(10, size));
    const a = createCheckpoint(seededState(11, size));
    const b = createCheckpoint(seededState(12, size));
    const valid = new Set([initial.stateHash, a.stateHash, b.stateHash]);
    const sources = await mkdtemp(join(tmpdir(), 'sona-checkpoint-crash-sources-'));
    await saveCheckpoint(join(sources, 'a.json'), a);
    await saveCheckpoint(join(sources, 'b.json'), b);
    await saveCheckpoint(target, initial);

    const schedule = createRng(20_260_101);
    let interruptedWrites = 0;
    let completedSaves = 0;
    const seen = new Set<string>();
    for (let kill = 0; kill < KILLS; kill++) {
      const writer = spawn(
        process.execPath,
        [child, target, join(sources, 'a.json'), join(sources, 'b.json')],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let output = '';
      await new Promise<void>((resolve, reject) => {
        writer.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.startsWith('ready\n')) resolve();
        });
        writer.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
      });
      await new Promise((resolve) => setTimeout(resolve, schedule.uniform() * LARGEST_DELAY_MS));
      writer.kill('SIGKILL');
      await waitForExit(writer);
      completedSaves += output.split('saved\n').length - 1;

      const result = await verifyCheckpoint(target);
      expect(result.errors).toEqual([]);
      expect(valid.has(result.stateHash!)).toBe(true);
      const leftovers = (await readdir(dir)).filter((name) => name !== 'run.json');
      for (const name of leftovers) expect(name).toMatch(/^\.run\.json\.\d+\.\d+\.tmp$/);
      if (leftovers.some((name) => !seen.has(name))) interruptedWrites++;
      for (const name of leftovers) seen.add(name);
    }
    // The killed writers' temporary files are removed by the next save once they are stale.
    const stale = new Date(Date.now() - 2 * STALE_TEMP_AGE_MS);
    for (const name of seen) await utimes(join(dir, name), stale, stale).catch(() => undefined);
    await saveCheckpoint(target, initial);
    expect(await readdir(dir)).toEqual(['run.json']);
    // The schedule must have hit both: kills in the middle of a write, and saves that completed.
    expect(interruptedWrites).toBeGreaterThan(0);
    expect(completedSaves).toBeGreaterThan(0);
    for (const temporary of [dir, sources, dirname(child)]) {
      await rm(temporary, { recursive: true, force: true });
    }
    console.log(
      `${KILLS} kills: ${interruptedWrites} interrupted a write, ${completedSaves} saves completed`,
    );
  }, 120_000);
});
