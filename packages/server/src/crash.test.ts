import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from './http';
import {
  bundleCli,
  type Child,
  call,
  embeddingFor,
  spawnCli,
  start,
  tempDir,
} from './test-helpers';

// The built CLI as a real process, killed with SIGKILL in the middle of a burst of outcomes.
let cli: string;
let temp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  cli = await bundleCli();
  temp = tempDir();
});

afterAll(() => {
  temp.remove();
  rmSync(dirname(cli), { recursive: true, force: true });
});

const DIM = 32;
const args = (db: string) => [
  '--arms',
  'fast,careful,tools',
  '--db',
  db,
  '--port',
  '0',
  '--dim',
  String(DIM),
  '--seed',
  '11',
  '--epochs',
  '10',
  '--epoch-every',
  '15',
  '--checkpoint-every',
  '20',
  '--sync',
  'full',
];

type Entry =
  | {
      kind: 'choose';
      seq: number;
      id: string;
      taskId: string;
      type: string;
      embedding: number[];
      arm: string;
    }
  | { kind: 'outcome'; seq: number; id: string; success: boolean; quality: number | null }
  | { kind: 'epoch'; seq: number };

type DecisionRow = {
  seq: number;
  id: string;
  task_id: string;
  type: string;
  embedding: Buffer;
  arm: string;
};
type OutcomeRow = { seq: number; decision_id: string; success: number; quality: number | null };

/** The journal in order, read straight from SQLite. */
function journal(db: string): Entry[] {
  const sqlite = new Database(db, { readonly: true });
  try {
    const decisions = (sqlite.prepare('SELECT * FROM decisions').all() as DecisionRow[]).map(
      (d): Entry => ({
        kind: 'choose',
        seq: d.seq,
        id: d.id,
        taskId: d.task_id,
        type: d.type,
        embedding: Array.from(new Float32Array(new Uint8Array(d.embedding).buffer)),
        arm: d.arm,
      }),
    );
    const outcomes = (sqlite.prepare('SELECT * FROM outcomes').all() as OutcomeRow[]).map(
      (o): Entry => ({
        kind: 'outcome',
        seq: o.seq,
        id: o.decision_id,
        success: o.success === 1,
        quality: o.quality,
      }),
    );
    const epochs = (sqlite.prepare('SELECT seq FROM epochs').all() as { seq: number }[]).map(
      (e): Entry => ({ kind: 'epoch', seq: e.seq }),
    );
    return [...decisions, ...outcomes, ...epochs].sort((a, b) => a.seq - b.seq);
  } finally {
    sqlite.close();
  }
}

describe('kill -9 in the middle of a burst of outcomes', () => {
  it('loses no acknowledged outcome, and the restarted learner equals one that never stopped', async () => {
    const db = join(temp.dir, 'crash.db');
    let child: Child = await spawnCli(cli, args(db));
    const acknowledged: string[] = [];
    const open: { id: string; i: number }[] = [];
    let killed = false;
    let refused = '';
    // One client, one request at a time: the journal's order is the order of the requests.
    let i = 0;
    const burst = async () => {
      for (; i < 100_000 && !killed; i++) {
        const d = await call(child.url, 'POST', '/v1/choose', {
          task: { embedding: embeddingFor(i, DIM), type: `type-${i % 3}` },
        });
        if (d.status !== 200) {
          refused = `${d.status} ${d.text}`;
          return;
        }
        open.push({ id: d.body.decision_id, i });
        if (i % 2 === 0) {
          const next = open.shift()!;
          const o = await call(child.url, 'POST', '/v1/outcome', {
            decision_id: next.id,
            success: next.i % 3 !== 0,
            ...(next.i % 5 === 0 ? { quality: 0.5 } : {}),
          });
          if (o.status === 200) acknowledged.push(next.id);
        }
      }
    };
    let ended = false;
    const running = burst()
      .catch(() => undefined)
      .finally(() => {
        ended = true;
      });
    // Killed while requests are in flight, once enough outcomes were acknowledged.
    while (acknowledged.length < 70) {
      if (ended) throw new Error(`the burst stopped early: ${refused} ${child.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.process.kill('SIGKILL');
    killed = true;
    expect(await child.exited).toBe('SIGKILL');
    await running;
    expect(acknowledged.length).toBeGreaterThan(20);

    child = await spawnCli(cli, args(db));
    try {
      // Every acknowledged outcome is there: reporting it again is a conflict.
      for (const id of acknowledged) {
        const again = await call(child.url, 'POST', '/v1/outcome', {
          decision_id: id,
          success: true,
        });
        expect(again.status, id).toBe(409);
      }
      // The burst goes on after the restart, then the state is compared.
      for (let j = 0; j < 10; j++) {
        const d = await call(child.url, 'POST', '/v1/choose', {
          task: { embedding: embeddingFor(1000 + j, DIM) },
        });
        await call(child.url, 'POST', '/v1/outcome', {
          decision_id: d.body.decision_id,
          success: j % 2 === 0,
        });
      }
      const restartedHash = (await call(child.url, 'POST', '/v1/checkpoint')).body.state_hash;
      const restartedStats = (await call(child.url, 'GET', '/v1/stats')).body;
      expect(restartedStats.restored.checkpointSeq).toBeGreaterThan(0);
      expect(restartedStats.outcomes).toBeGreaterThanOrEqual(acknowledged.length + 10);

      // The uninterrupted run: a fresh server given the journal's requests in the journal's order.
      const entries = journal(db);
      const reference = tempDir();
      let uninterrupted: RunningServer | undefined;
      try {
        uninterrupted = await start(reference.dir, {
          arms: ['fast', 'careful', 'tools'],
          dim: DIM,
          seed: 11,
          epochs: 10,
          epochEvery: 0,
          modelName: 'sona-serve',
        });
        const ids = new Map<string, string>();
        for (const e of entries) {
          if (e.kind === 'choose') {
            const d = await call(uninterrupted.url, 'POST', '/v1/choose', {
              task: { id: e.taskId, embedding: e.embedding, type: e.type },
            });
            expect(d.body.arm).toBe(e.arm);
            ids.set(e.id, d.body.decision_id);
          } else if (e.kind === 'outcome') {
            const o = await call(uninterrupted.url, 'POST', '/v1/outcome', {
              decision_id: ids.get(e.id),
              success: e.success,
              ...(e.quality === null ? {} : { quality: e.quality }),
            });
            expect(o.status).toBe(200);
          } else {
            expect((await call(uninterrupted.url, 'POST', '/v1/epoch')).status).toBe(200);
          }
        }
        const referenceHash = (await call(uninterrupted.url, 'POST', '/v1/checkpoint')).body
          .state_hash;
        expect(restartedHash).toBe(referenceHash);
        const stats = (await call(uninterrupted.url, 'GET', '/v1/stats')).body;
        expect(stats.outcomes).toBe(restartedStats.outcomes);
        expect(stats.engine).toEqual(restartedStats.engine);
      } finally {
        await uninterrupted?.close();
        reference.remove();
      }
    } finally {
      child.process.kill('SIGTERM');
      expect(await child.exited).toBe(0);
    }
  });

  it('drains on SIGTERM, checkpoints, and restarts from that checkpoint with nothing to replay', async () => {
    const db = join(temp.dir, 'term.db');
    const child = await spawnCli(cli, args(db));
    const pending = [];
    for (let i = 0; i < 5; i++) {
      const d = await call(child.url, 'POST', '/v1/choose', { task: { text: `task ${i} parser` } });
      pending.push(
        call(child.url, 'POST', '/v1/outcome', { decision_id: d.body.decision_id, success: true }),
      );
    }
    const replies = await Promise.all(pending);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    child.process.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.stderr()).toMatch(/stopped \(checkpoint 10\)/);
    const again = await spawnCli(cli, args(db));
    try {
      const stats = (await call(again.url, 'GET', '/v1/stats')).body;
      expect(stats.restored).toEqual({ checkpointSeq: 10, replayed: 0 });
      expect(stats.outcomes).toBe(5);
    } finally {
      again.process.kill('SIGINT');
      expect(await again.exited).toBe(0);
    }
  });
});
