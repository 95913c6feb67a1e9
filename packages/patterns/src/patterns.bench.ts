/**
 * `npx nx run patterns:bench`: k-means++ on 10,000 × 256 into 150 clusters, `match` over 150
 * patterns, and the contrastive loss, each next to a plain baseline measured in the same run.
 * Not a test: nothing here asserts. `BENCH_QUICK=1` skips the slow k-means baseline.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createRng, type Rng, TASK_TYPES, type Trajectory } from '@sona/core';
import { backend, l2sqMany } from '@sona/simd';
import { ContrastiveMemory } from './contrastive-memory';
import { kmeans } from './kmeans';
import { PatternBank } from './pattern-bank';
import { writeUnit } from './unit-vector';

const N = 10_000;
const DIM = 256;
const K = 150;
const LATENT = 60;

/** Rows drawn around `LATENT` random directions (the shape of task embeddings in a run). */
function mixture(rng: Rng, n: number): Float32Array {
  const centres = Float64Array.from({ length: LATENT * DIM }, () => rng.normal());
  const data = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const c = rng.int(LATENT);
    for (let d = 0; d < DIM; d++) data[i * DIM + d] = centres[c * DIM + d]! + rng.normal(0, 0.6);
  }
  return data;
}

/**
 * Baseline: the same k-means++ seeding and Lloyd steps with no bounds, every row compared with
 * every centroid at every step (the textbook algorithm on the same kernels).
 */
function plainKMeans(
  data: Float32Array,
  n: number,
  k: number,
  rng: Rng,
  maxIter: number,
  tol: number,
) {
  const points = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    writeUnit(data.subarray(i * DIM, (i + 1) * DIM), points.subarray(i * DIM, (i + 1) * DIM));
  }
  const centroids = new Float32Array(k * DIM);
  const nearest = new Float64Array(n);
  let seed = rng.int(n);
  for (let j = 0; j < k; j++) {
    if (j > 0) seed = rng.choice(nearest);
    centroids.set(points.subarray(seed * DIM, (seed + 1) * DIM), j * DIM);
    const d = l2sqMany(centroids.subarray(j * DIM, (j + 1) * DIM), points, DIM);
    for (let i = 0; i < n; i++) nearest[i] = j === 0 ? d[i]! : Math.min(nearest[i]!, d[i]!);
    nearest[seed] = 0;
  }
  const assignments = new Int32Array(n);
  const distances = new Float32Array(k);
  let previous = Number.POSITIVE_INFINITY;
  let iterations = 0;
  for (;;) {
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      l2sqMany(points.subarray(i * DIM, (i + 1) * DIM), centroids, DIM, distances);
      let best = 0;
      for (let c = 1; c < k; c++) if (distances[c]! < distances[best]!) best = c;
      assignments[i] = best;
      inertia += distances[best]!;
    }
    if (iterations === maxIter || (iterations > 0 && previous - inertia <= tol * previous)) break;
    previous = inertia;
    iterations++;
    const sums = new Float64Array(k * DIM);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < DIM; d++) sums[assignments[i]! * DIM + d]! += points[i * DIM + d]!;
    }
    for (let c = 0; c < k; c++) {
      let squares = 0;
      for (let d = 0; d < DIM; d++) squares += sums[c * DIM + d]! ** 2;
      if (squares > 0) {
        const length = Math.sqrt(squares);
        for (let d = 0; d < DIM; d++) centroids[c * DIM + d] = sums[c * DIM + d]! / length;
      }
    }
  }
  return iterations;
}

/** Baseline match: a plain loop computing every cosine in float64, then a sort. */
function plainMatch(query: Float32Array, centroids: Float32Array, count: number, topK: number) {
  const scored: { id: number; similarity: number }[] = [];
  for (let p = 0; p < count; p++) {
    let dot = 0;
    let qq = 0;
    let cc = 0;
    for (let d = 0; d < DIM; d++) {
      const q = query[d]!;
      const c = centroids[p * DIM + d]!;
      dot += q * c;
      qq += q * q;
      cc += c * c;
    }
    const similarity = dot / Math.sqrt(qq * cc);
    if (similarity >= 0.5) scored.push({ id: p, similarity });
  }
  scored.sort((a, b) => b.similarity - a.similarity || a.id - b.id);
  return scored.slice(0, topK);
}

/** Median time per call in microseconds over `rounds` rounds of `calls` calls. */
function microsPerCall(fn: (i: number) => void, calls: number, rounds: number): number {
  for (let i = 0; i < calls; i++) fn(i); // warm-up
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) fn(i);
    samples.push(((performance.now() - start) * 1000) / calls);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

function trajectoriesFrom(data: Float32Array, rng: Rng): Trajectory[] {
  return Array.from({ length: N }, (_, i) => {
    const success = rng.bernoulli(0.5);
    return {
      taskId: `t${i}`,
      type: TASK_TYPES[i % 4]!,
      difficulty: 0.5,
      embedding: data.subarray(i * DIM, (i + 1) * DIM),
      arm: `arm-${rng.int(6)}`,
      success,
      quality: success ? 0.5 + 0.5 * rng.uniform() : 0.3 * rng.uniform(),
      confidence: 0.5,
      tdError: (success ? 1 : 0) - 0.5,
      epoch: 0,
    };
  });
}

function main() {
  const quick = process.env.BENCH_QUICK === '1';
  const rng = createRng(2024);
  const data = mixture(rng.fork('data'), N);
  const [load1] = loadavg();
  console.log(
    `@sona/patterns bench (node ${process.version}, simd backend ${backend()}, ${cpus().length} CPUs, load average ${load1!.toFixed(2)})`,
  );
  console.log(
    'Figures taken on a shared machine under load; compare the ratios, not the absolutes.',
  );
  console.log(`Data: ${N} × ${DIM} rows around ${LATENT} random directions (seed 2024).`);

  // k-means++ into 150 clusters, the clustering PatternBank.extract runs (cosine metric).
  let start = performance.now();
  const steps: number[] = [];
  const result = kmeans(data, N, DIM, K, {
    rng: rng.fork('kmeans'),
    metric: 'cosine',
    onIteration: () => steps.push(performance.now() - start),
  });
  const kmeansMs = performance.now() - start;
  console.log('');
  console.log(`k-means++ (cosine) ${N} × ${DIM} → ${K} clusters, tol 1e-4`);
  console.log(
    `  kmeans                 ${kmeansMs.toFixed(0)} ms, ${result.iterations} Lloyd steps (seeding + first assignment ${steps[0]!.toFixed(0)} ms)  (target <= 1000 ms: ${kmeansMs <= 1000 ? 'met' : 'NOT met'})`,
  );
  if (!quick) {
    start = performance.now();
    const plainIterations = plainKMeans(data, N, K, rng.fork('kmeans'), 100, 1e-4);
    const plainMs = performance.now() - start;
    console.log(
      `  plain Lloyd baseline   ${plainMs.toFixed(0)} ms, ${plainIterations} Lloyd steps`,
    );
    console.log(`  ratio                  ${(plainMs / kmeansMs).toFixed(2)}x`);
  }

  // match over 150 patterns.
  const centroids = result.centroids;
  const bank = PatternBank.fromState({
    kind: 'pattern-bank',
    options: {
      maxPatterns: 150,
      minPerPattern: 5,
      qualityThreshold: 0.35,
      diversity: true,
      topK: 5,
      simThreshold: 0.5,
      taskBonus: 1.2,
      maxIter: 50,
    },
    dim: DIM,
    centroids,
    qualities: Array.from({ length: K }, (_, p) => 0.5 + (p % 10) / 20),
    counts: Array.from({ length: K }, () => 8),
    types: [...TASK_TYPES].sort(),
    typeCounts: Array.from({ length: K }, (_, p) =>
      TASK_TYPES.map((_, t) => (t === p % 4 ? 8 : 0)),
    ),
    arms: ['a', 'b', 'c'],
    successes: Array.from({ length: K }, () => [3, 1, 0]),
    trials: Array.from({ length: K }, () => [4, 3, 1]),
  });
  const queries = Array.from({ length: 64 }, (_, i) =>
    data.subarray(i * 97 * DIM, (i * 97 + 1) * DIM),
  );
  let sink = 0;
  const matchUs = microsPerCall(
    (i) => {
      sink += bank.match(queries[i & 63]!, 'bug_fix').length;
    },
    2000,
    15,
  );
  const plainUs = microsPerCall(
    (i) => {
      sink += plainMatch(queries[i & 63]!, centroids, K, 5).length;
    },
    2000,
    15,
  );
  const arms = ['a', 'b', 'c'];
  const scoresUs = microsPerCall(
    (i) => {
      sink += bank.armScores(queries[i & 63]!, 'bug_fix', arms)[0]!;
    },
    2000,
    15,
  );
  console.log('');
  console.log(`match over ${K} patterns, dim ${DIM}, top-5 (median of 15 rounds)`);
  console.log(
    `  PatternBank.match      ${matchUs.toFixed(2)} µs/call  (target <= 3 µs: ${matchUs <= 3 ? 'met' : 'NOT met'})`,
  );
  console.log(`  plain-loop baseline    ${plainUs.toFixed(2)} µs/call`);
  console.log(`  ratio                  ${(plainUs / matchUs).toFixed(2)}x`);
  console.log(`  armScores (3 arms)     ${scoresUs.toFixed(2)} µs/call`);

  // Contrastive loss and gradient with full memories.
  const memory = new ContrastiveMemory();
  for (let i = 0; i < 1000; i++) memory.add(data.subarray(i * DIM, (i + 1) * DIM), i % 2 === 0);
  const gradient = new Float32Array(DIM);
  const contrastiveUs = microsPerCall(
    (i) => {
      sink += memory.lossAndGradient(queries[i & 63]!, gradient).loss;
    },
    200,
    9,
  );
  console.log('');
  console.log(
    `ContrastiveMemory 500 + 500 memories, dim ${DIM}: lossAndGradient ${contrastiveUs.toFixed(1)} µs/call`,
  );

  if (!quick) {
    const extractor = new PatternBank();
    start = performance.now();
    const summary = extractor.extract(
      trajectoriesFrom(data, rng.fork('outcomes')),
      rng.fork('extract'),
    );
    console.log(
      `PatternBank.extract from ${N} trajectories (${summary.successful} successful): ${(performance.now() - start).toFixed(0)} ms, ${summary.patterns} patterns`,
    );
  }
  if (sink === 0.123456) console.log(''); // keeps the measured calls observable
}

main();
