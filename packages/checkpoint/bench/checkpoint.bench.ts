/**
 * Throughput of the checkpoint pipeline against the least any verifier must do with the same
 * bytes, measured in the same run: `npx nx run checkpoint:bench`.
 * Figures are ratios (ours ÷ baseline); lower is better, 1.0 would cost nothing extra.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  serializeCheckpoint,
  verifyCheckpointText,
} from '../src/index';
import { seededState } from '../src/test-fixtures';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

async function time(repeats: number, run: () => unknown): Promise<number> {
  await run(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sona-checkpoint-bench-'));
  const sizes = [
    { label: 'v3, dim 384, 150 patterns, 1k replay items', replayItems: 1_000 },
    { label: 'v3, dim 384, 150 patterns, 10k replay items', replayItems: 10_000 },
  ];
  console.log(`node ${process.version}; medians of repeated runs; ratio = ours ÷ baseline`);
  for (const { label, replayItems } of sizes) {
    const state = seededState(42, { dim: 384, patterns: 150, replayItems, epochs: 12 });
    const checkpoint = createCheckpoint(state);
    const text = serializeCheckpoint(checkpoint);
    const path = join(dir, 'bench.json');
    const plainPath = join(dir, 'plain.json');
    const repeats = replayItems > 5_000 ? 5 : 15;
    const mb = (Buffer.byteLength(text) / 2 ** 20).toFixed(1);
    console.log(`\n${label}: ${mb} MiB`);
    const rows: [string, number, string, number][] = [
      [
        'createCheckpoint(state)',
        await time(repeats, () => createCheckpoint(state)),
        'JSON.stringify + SHA-256',
        await time(repeats, () => sha256(JSON.stringify(checkpoint))),
      ],
      [
        'verifyCheckpointText(text)',
        await time(repeats, () => verifyCheckpointText(text)),
        'JSON.parse + SHA-256 of the text',
        await time(repeats, () => [JSON.parse(text), sha256(text)]),
      ],
      [
        'loadCheckpoint(path)',
        await time(repeats, async () => {
          await writeFile(path, text);
          return loadCheckpoint(path);
        }),
        'readFile + JSON.parse + SHA-256',
        await time(repeats, async () => {
          await writeFile(plainPath, text);
          const read = await readFile(plainPath, 'utf8');
          return [JSON.parse(read), sha256(read)];
        }),
      ],
      [
        'saveCheckpoint(path, checkpoint)',
        await time(repeats, () => saveCheckpoint(path, checkpoint)),
        'writeFile (no fsync, not atomic)',
        await time(repeats, () => writeFile(plainPath, JSON.stringify(checkpoint, null, 2))),
      ],
    ];
    for (const [name, ours, baseline, base] of rows) {
      const ratio = (ours / base).toFixed(2);
      console.log(
        `  ${name.padEnd(34)} ${ours.toFixed(1).padStart(8)} ms   ${baseline.padEnd(34)} ${base.toFixed(1).padStart(8)} ms   ratio ${ratio}`,
      );
    }
  }
  await rm(dir, { recursive: true, force: true });
}

await main();
