import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCheckpoint } from './checkpoint';
import { saveCheckpoint, serializeCheckpoint } from './io';
import { bundleForChildProcess } from './test-bundle';
import { seededState } from './test-fixtures';

let cli: string;
let dir: string;

function run(...args: string[]) {
  const child = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

beforeAll(async () => {
  cli = await bundleForChildProcess(fileURLToPath(new URL('./cli.ts', import.meta.url)), 'cli');
  dir = await mkdtemp(join(tmpdir(), 'sona-checkpoint-cli-'));
  await saveCheckpoint(
    join(dir, 'a.json'),
    createCheckpoint(seededState(1, { dim: 8, patterns: 3, replayItems: 2 })),
  );
  await saveCheckpoint(
    join(dir, 'b.json'),
    createCheckpoint(seededState(2, { dim: 8, patterns: 5, replayItems: 2 })),
  );
}, 60_000);

describe('sona-checkpoint as a real process', () => {
  it('smoke', async () => {
    const r = run('verify', 'a.json', 'b.json', '--json');
    console.log(r);
    const t = run('verify', 'a.json', 'b.json');
    console.log(t.stdout, t.stderr);
    console.log(run('list').stdout);
    console.log(run('compare', 'a.json', 'b.json').stdout);
    expect(serializeCheckpoint).toBeDefined();
    expect(readFile).toBeDefined();
    expect(writeFile).toBeDefined();
  });
});
