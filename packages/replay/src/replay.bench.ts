/**
 * `npx nx run replay:bench`: throughput of prioritized replay at capacity 10,000 sampling
 * batches of 32 with the priority update of every sampled item, against a naive O(n)
 * proportional sampler measured in the same run. Not a test: nothing here asserts.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createRng, type Rng } from '@sona/core';
import { PrioritizedReplay } from './prioritized-replay';
import { TrajectoryBuffer } from './trajectory-buffer';

const CAPACITY = 10_000;
const BATCH = 32;
const ALPHA = 0.6;
const EPSILON = 0.01;

/**
 * Runs `step` (which handles `itemsPerStep` items) in 9 timed rounds of about `seconds / 9`
 * each; returns the median rate in items/s (robust to a neighbour's burst on a shared machine).
 */
function throughput(step: () => void, itemsPerStep: number, seconds: number): number {
  for (let i = 0; i < 200; i++) step(); // warm-up
  const rates: number[] = [];
  for (let round = 0; round < 9; round++) {
    let steps = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < (seconds * 1000) / 9) {
      for (let i = 0; i < 20; i++) step();
      steps += 20;
      elapsed = performance.now() - start;
    }
    rates.push((steps * itemsPerStep) / (elapsed / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[4]!;
}

/** A batch of fresh TD errors, reused round-robin so the bench measures replay, not the RNG. */
function tdErrorPool(rng: Rng, size: number): Float64Array {
  const pool = new Float64Array(size);
  for (let i = 0; i < size; i++) pool[i] = 2 * rng.uniform() - 1;
  return pool;
}

/**
 * The baseline: the same proportional sampling (stratified segments, IS weights, running max)
 * done the obvious way, one linear scan over the priorities per draw and one for the minimum.
 */
class NaivePrioritizedReplay {
  readonly priorities = new Float64Array(CAPACITY);
  size = 0;
  beta = 0.4;
  add(tdError: number) {
    this.priorities[this.size++] = (Math.abs(tdError) + EPSILON) ** ALPHA;
  }
  sample(batchSize: number, rng: Rng) {
    const p = this.priorities;
    let total = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.size; i++) {
      total += p[i]!;
      if (p[i]! < min) min = p[i]!;
    }
    const indices = new Int32Array(batchSize);
    const weights = new Float32Array(batchSize);
    const segment = total / batchSize;
    for (let k = 0; k < batchSize; k++) {
      const mass = (k + rng.uniform()) * segment;
      let cumulative = 0;
      let i = 0;
      while (i < this.size - 1 && cumulative + p[i]! <= mass) cumulative += p[i++]!;
      indices[k] = i;
      weights[k] = (min / p[i]!) ** this.beta;
    }
    this.beta = Math.min(1, this.beta + 0.001);
    return { indices, weights };
  }
  updatePriorities(indices: Int32Array, tdErrors: Float64Array, offset: number) {
    for (let k = 0; k < indices.length; k++) {
      this.priorities[indices[k]!] = (Math.abs(tdErrors[offset + k]!) + EPSILON) ** ALPHA;
    }
  }
}

function main() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 2);
  const rng = createRng(2024);
  const pool = tdErrorPool(rng.fork('td'), 1 << 16);

  const per = new PrioritizedReplay<number>({ capacity: CAPACITY });
  const naive = new NaivePrioritizedReplay();
  for (let i = 0; i < CAPACITY; i++) {
    per.add(i, pool[i]!);
    naive.add(pool[i]!);
  }

  let cursor = 0;
  const tdBatch = new Float64Array(BATCH);
  const perRng = rng.fork('per');
  const perRate = throughput(
    () => {
      const { indices } = per.sample(BATCH, perRng);
      for (let k = 0; k < BATCH; k++) tdBatch[k] = pool[(cursor + k) & 0xffff]!;
      cursor = (cursor + BATCH) & 0xffff;
      per.updatePriorities(indices, tdBatch);
    },
    BATCH,
    seconds,
  );

  const naiveRng = rng.fork('naive');
  const naiveRate = throughput(
    () => {
      const { indices } = naive.sample(BATCH, naiveRng);
      naive.updatePriorities(indices, pool, cursor);
      cursor = (cursor + BATCH) & 0x7fff;
    },
    BATCH,
    seconds / 2,
  );

  const trajectories = Array.from({ length: 4096 }, (_, i) => ({
    taskId: `t${i}`,
    type: 'bug_fix' as const,
    difficulty: 0.5,
    embedding: new Float32Array(256),
    arm: 'a',
    success: i % 2 === 0,
    quality: pool[i]! * 0.5 + 0.5,
    confidence: 0.5,
    tdError: 0,
    epoch: 0,
  }));
  const buffer = new TrajectoryBuffer();
  let next = 0;
  const bufferRate = throughput(
    () => {
      buffer.push(trajectories[next++ & 4095]!);
    },
    1,
    seconds / 2,
  );

  const [load1] = loadavg();
  console.log(
    `@sona/replay bench (node ${process.version}, ${cpus().length} CPUs, load average ${load1!.toFixed(2)})`,
  );
  console.log(
    'Figures taken on a shared machine under load (median of 9 rounds); compare the ratios, not the absolutes.',
  );
  console.log('');
  console.log(`PER capacity ${CAPACITY}, batches of ${BATCH}, sample + updatePriorities per batch`);
  console.log(
    `  sum-tree PER           ${fmt(perRate)} items/s   (target >= 1.00 M items/s: ${perRate >= 1e6 ? 'met' : 'NOT met'})`,
  );
  console.log(`  naive O(n) baseline    ${fmt(naiveRate)} items/s`);
  console.log(`  ratio                  ${(perRate / naiveRate).toFixed(1)}x`);
  console.log('');
  console.log(
    `TrajectoryBuffer capacity 10000, keep 80%, push incl. pruning: ${fmt(bufferRate)} pushes/s`,
  );
}

function fmt(rate: number): string {
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)} M` : `${(rate / 1e3).toFixed(1)} k`;
}

main();
