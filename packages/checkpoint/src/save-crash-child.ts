/**
 * Child process of save-crash.test.ts: saves two large checkpoints (read from the given files)
 * over the target, one after the other, until it is killed. Prints "ready" once, then "saved"
 * after each completed save.
 */
import { readFile } from 'node:fs/promises';
import { parseCheckpoint } from './checkpoint';
import { saveCheckpoint } from './io';

const [target, fileA, fileB] = process.argv.slice(2) as [string, string, string];
const checkpoints = [
  parseCheckpoint(await readFile(fileA, 'utf8')),
  parseCheckpoint(await readFile(fileB, 'utf8')),
];
process.stdout.write('ready\n');
for (let n = 0; ; n++) {
  await saveCheckpoint(target, checkpoints[n % 2]!);
  process.stdout.write('saved\n');
}
