/**
 * `npx nx run server:bench`: the built `sona-serve` as its own process, durable (`--sync full`),
 * on loopback, driven by CONCURRENCY clients over keep-alive connections, each looping
 * choose → outcome. Prints pairs per second and latency percentiles for two settings: the
 * defaults (epochs and checkpoints happen during the run) and the request path alone (epochs
 * and checkpoints off). Target (issue 13): ≥ 2,000 pairs/s with p99 ≤ 20 ms.
 *
 * Environment: BENCH_SECONDS (default 10), BENCH_CONCURRENCY (default 32).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '@sona/core';
import { embedText } from '@sona/embed';
import { SonaEngine } from '@sona/engine';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const TARGET_PAIRS = 2000;
const TARGET_P99_MS = 20;
const cli = fileURLToPath(new URL('../bin/sona-serve.js', import.meta.url));

const WORDS = [
  'parser',
  'flaky',
  'test',
  'refactor',
  'module',
  'cache',
  'bug',
  'api',
  'docs',
  'types',
];
const TEXTS = Array.from({ length: 500 }, (_, i) => {
  const words = [WORDS[i % 10], WORDS[(i * 7) % 10], WORDS[(i * 3 + 1) % 10], `item${i}`];
  return `please ${words.join(' ')} in the repository`;
});
const TYPES = ['bug_fix', 'refactor', 'test_gen', 'code_completion'];

interface Server {
  url: URL;
  stop(): Promise<void>;
}

function startServer(dir: string, extra: string[]): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      cli,
      '--arms',
      'fast,careful,tools',
      '--db',
      join(dir, 'bench.db'),
      '--port',
      '0',
      '--sync',
      'full',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`sona-serve exited ${code}`)));
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (\S+)/.exec(out);
      if (m === null) return;
      child.removeAllListeners('exit');
      resolve({
        url: new URL(m[1]!),
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

function post(
  agent: Agent,
  url: URL,
  path: string,
  body: unknown,
): Promise<{ status: number; body: string }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function load(server: Server) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  const pairLatencies: number[] = [];
  let pairs = 0;
  let errors = 0;
  let measuring = false;
  let stopped = false;
  let n = 0;
  const client = async (c: number) => {
    while (!stopped) {
      const i = n++;
      const t0 = performance.now();
      const chosen = await post(agent, server.url, '/v1/choose', {
        task: { text: TEXTS[(i * 31 + c) % TEXTS.length], type: TYPES[i % TYPES.length] },
      });
      const t1 = performance.now();
      if (chosen.status !== 200) {
        errors++;
        continue;
      }
      const { decision_id } = JSON.parse(chosen.body) as { decision_id: string };
      const done = await post(agent, server.url, '/v1/outcome', {
        decision_id,
        success: i % 3 !== 0,
      });
      const t2 = performance.now();
      if (done.status !== 200) errors++;
      if (measuring) {
        latencies.push(t1 - t0, t2 - t1);
        pairLatencies.push(t2 - t0);
        pairs++;
      }
    }
  };
  const clients = Array.from({ length: CONCURRENCY }, (_, c) => client(c));
  await new Promise((resolve) => setTimeout(resolve, WARMUP_SECONDS * 1000));
  measuring = true;
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  measuring = false;
  const elapsed = (performance.now() - start) / 1000;
  stopped = true;
  await Promise.all(clients);
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  const pairSorted = Float64Array.from(pairLatencies).sort();
  return {
    pairsPerSecond: pairs / elapsed,
    requestsPerSecond: (2 * pairs) / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    pairP99: percentile(pairSorted, 99),
    errors,
  };
}

async function scenario(name: string, extra: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'sona-serve-bench-'));
  const server = await startServer(dir, extra);
  try {
    const r = await load(server);
    const ok = r.pairsPerSecond >= TARGET_PAIRS && r.p99 <= TARGET_P99_MS;
    console.log(
      `${name.padEnd(44)} ${r.pairsPerSecond.toFixed(0).padStart(6)} pairs/s  (${r.requestsPerSecond.toFixed(0)} req/s)  ` +
        `request p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(1)} ms  ` +
        `pair p99 ${r.pairP99.toFixed(2)} ms  errors ${r.errors}  ` +
        `ratio to target ${(r.pairsPerSecond / TARGET_PAIRS).toFixed(2)}x / p99 ${(r.p99 / TARGET_P99_MS).toFixed(2)}x  ${ok ? 'MET' : 'NOT MET'}`,
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ceiling: the engine alone in this process (embed, choose, record), no HTTP, no SQLite. */
function engineAlone(dim: number): number {
  const engine = new SonaEngine({
    version: 'v3',
    dim,
    arms: ['fast', 'careful', 'tools'],
    modelParamsB: 7,
    rng: Rng.seeded(0),
    epochs: 100,
  });
  const pair = (i: number) => {
    const task = {
      id: String(i),
      type: TYPES[i % TYPES.length]!,
      embedding: embedText(TEXTS[i % TEXTS.length]!, { dim }),
    };
    engine.record(task, engine.choose(task).arm, { success: i % 3 !== 0 });
  };
  let i = 0;
  const warm = performance.now() + WARMUP_SECONDS * 1000;
  while (performance.now() < warm) pair(i++);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < SECONDS * 1000) pair(i + n++);
  return n / ((performance.now() - start) / 1000);
}

console.log(
  `sona-serve bench: ${CONCURRENCY} keep-alive clients, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s measured, --sync full (fsync per group commit), ` +
    `${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (a shared machine: other work runs beside this)`,
);
console.log(
  `engine alone (v3, dim 256, no HTTP/SQLite, one thread)  ${engineAlone(256).toFixed(0)} pairs/s: the ceiling for one server process`,
);
console.log(
  `engine alone (v3, dim 64)                              ${engineAlone(64).toFixed(0)} pairs/s`,
);
await scenario('defaults (v3, dim 256, epochs + checkpoints)', []);
await scenario('request path (epochs and checkpoints off)', [
  '--epoch-every',
  '0',
  '--checkpoint-every',
  '0',
]);
await scenario('request path, v3, dim 64', [
  '--epoch-every',
  '0',
  '--checkpoint-every',
  '0',
  '--dim',
  '64',
]);
