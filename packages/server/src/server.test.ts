import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { loadCheckpoint } from '@sona/checkpoint';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningServer } from './http';
import { bundleWorker, call, embeddingFor, start, tempDir } from './test-helpers';

let temp: ReturnType<typeof tempDir>;
let server: RunningServer | undefined;

beforeEach(() => {
  temp = tempDir();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  temp.remove();
});

async function choose(
  url: string,
  task: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  const reply = await call(url, 'POST', '/v1/choose', { task, ...extra });
  expect(reply.status, reply.text).toBe(200);
  return reply.body as {
    decision_id: string;
    arm: string;
    confidence: number;
    scores: Record<string, number>;
  };
}

describe('the full loop', () => {
  it('chooses, records outcomes, reports stats, ends epochs and lists models', async () => {
    server = await start(temp.dir);
    const { url } = server;
    expect((await call(url, 'GET', '/healthz')).body).toMatchObject({ ok: true });

    const first = await choose(url, { text: 'fix the failing parser test', type: 'bug_fix' });
    expect(['fast', 'careful', 'tools']).toContain(first.arm);
    expect(Object.keys(first.scores).sort()).toEqual(['careful', 'fast', 'tools']);
    expect(first.confidence).toBeGreaterThanOrEqual(0);
    expect(first.confidence).toBeLessThanOrEqual(1);
    expect(first.decision_id).toMatch(/^[0-9a-f-]{36}$/);

    const ok = await call(url, 'POST', '/v1/outcome', {
      decision_id: first.decision_id,
      success: true,
      quality: 0.9,
      cost: 0.25,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true });

    const second = await choose(
      url,
      { embedding: embeddingFor(1, 64), id: 'task-2' },
      { arms: ['careful'] },
    );
    expect(second.arm).toBe('careful');
    await call(url, 'POST', '/v1/outcome', { decision_id: second.decision_id, success: false });

    const stats = (await call(url, 'GET', '/v1/stats')).body;
    expect(stats.decisions).toBe(2);
    expect(stats.outcomes).toBe(2);
    expect(stats.awaitingOutcome).toBe(0);
    expect(stats.arms.careful.outcomes).toBeGreaterThanOrEqual(1);
    expect(stats.arms[first.arm].successes).toBeGreaterThanOrEqual(1);
    expect(stats.engine.experience).toBe(2);
    expect(typeof stats.version).toBe('string');

    const epoch = await call(url, 'POST', '/v1/epoch');
    expect(epoch.body).toMatchObject({ ok: true, epoch: 1, attempts: 2, success_rate: 0.5 });
    expect((await call(url, 'GET', '/v1/stats')).body.engine.epoch).toBe(1);

    const models = (await call(url, 'GET', '/v1/models')).body;
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(['sona']);
  });

  it('commits every decision and outcome to SQLite before answering', async () => {
    server = await start(temp.dir);
    const d = await choose(server.url, { text: 'write the tests' });
    const db = new Database(join(temp.dir, 'sona.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT arm FROM decisions WHERE id = ?').get(d.decision_id)).toEqual({
        arm: d.arm,
      });
      await call(server.url, 'POST', '/v1/outcome', { decision_id: d.decision_id, success: true });
      expect(
        db.prepare('SELECT success FROM outcomes WHERE decision_id = ?').get(d.decision_id),
      ).toEqual({
        success: 1,
      });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('ends an epoch after every N outcomes', async () => {
    server = await start(temp.dir, { epochEvery: 3 });
    const replies = [];
    for (let i = 0; i < 7; i++) {
      const d = await choose(server.url, { embedding: embeddingFor(i, 64) });
      replies.push(
        (
          await call(server.url, 'POST', '/v1/outcome', {
            decision_id: d.decision_id,
            success: i % 2 === 0,
          })
        ).body,
      );
    }
    expect(replies.filter((r) => r.epoch_ended === true)).toHaveLength(2);
    const stats = (await call(server.url, 'GET', '/v1/stats')).body;
    expect(stats.epochs).toBe(2);
    expect(stats.engine.epoch).toBe(2);
  });

  it('restarts from its checkpoint and journal to the same engine state', async () => {
    server = await start(temp.dir, { epochEvery: 4, checkpointEvery: 5 });
    for (let i = 0; i < 12; i++) {
      const d = await choose(server.url, {
        embedding: embeddingFor(i, 64),
        type: i % 2 ? 'a' : 'b',
      });
      await call(server.url, 'POST', '/v1/outcome', {
        decision_id: d.decision_id,
        success: i % 3 === 0,
      });
    }
    const before = server.service.stateHash();
    await server.close();
    server = await start(temp.dir, { epochEvery: 4, checkpointEvery: 5 });
    expect(server.service.restored.checkpointSeq).not.toBeNull();
    expect(server.service.stateHash()).toBe(before);
    const stats = (await call(server.url, 'GET', '/v1/stats')).body;
    expect(stats.outcomes).toBe(12);
    expect(stats.epochs).toBe(3);
  });

  it('falls back to the checkpoint before a damaged one and replays the journal from there', async () => {
    server = await start(temp.dir);
    for (let i = 0; i < 6; i++) {
      const d = await choose(server.url, { embedding: embeddingFor(i, 64) });
      await call(server.url, 'POST', '/v1/outcome', {
        decision_id: d.decision_id,
        success: i % 2 === 0,
      });
      if (i === 2) await call(server.url, 'POST', '/v1/checkpoint');
    }
    const before = server.service.stateHash();
    const last = await server.service.checkpoint();
    await server.close();
    server = undefined;
    writeFileSync(last.file, '{"version": 1, "truncated');
    server = await start(temp.dir);
    expect(server.service.restored).toEqual({ checkpointSeq: 6, replayed: 6 });
    expect(server.service.stateHash()).toBe(before);
  });

  it('writes checkpoints from a worker thread with the same stateHash as on the event loop', async () => {
    const worker = await bundleWorker();
    server = await start(temp.dir, { checkpointWorker: worker, epochEvery: 3 });
    expect(server.service.checkpointsOffThread).toBe(true);
    for (let i = 0; i < 8; i++) {
      const d = await choose(server.url, { embedding: embeddingFor(i, 64), type: `t${i % 2}` });
      await call(server.url, 'POST', '/v1/outcome', {
        decision_id: d.decision_id,
        success: i % 3 === 0,
      });
    }
    const written = (await call(server.url, 'POST', '/v1/checkpoint')).body;
    expect(written.state_hash).toBe(server.service.stateHash());
    const loaded = await loadCheckpoint(server.service.stats().lastCheckpoint!.file);
    expect(loaded.stateHash).toBe(written.state_hash);
    await server.close();
    server = await start(temp.dir, { checkpointWorker: false, epochEvery: 3 });
    expect(server.service.restored).toEqual({ checkpointSeq: written.seq, replayed: 0 });
    expect(server.service.stateHash()).toBe(written.state_hash);
  });

  it('refuses a journal made with other settings', async () => {
    server = await start(temp.dir);
    await server.close();
    server = undefined;
    await expect(start(temp.dir, { arms: ['x', 'y'] })).rejects.toThrow(/created with arms/);
    await expect(start(temp.dir, { seed: 8 })).rejects.toThrow(/created with seed/);
  });
});

describe('outcomes', () => {
  it('is 404 for an unknown decision and 409 for a second outcome', async () => {
    server = await start(temp.dir);
    const unknown = await call(server.url, 'POST', '/v1/outcome', {
      decision_id: 'nope',
      success: true,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.param).toBe('decision_id');
    const d = await choose(server.url, { text: 'refactor the module' });
    expect(
      (await call(server.url, 'POST', '/v1/outcome', { decision_id: d.decision_id, success: true }))
        .status,
    ).toBe(200);
    const again = await call(server.url, 'POST', '/v1/outcome', {
      decision_id: d.decision_id,
      success: false,
    });
    expect(again.status).toBe(409);
    expect((await call(server.url, 'GET', '/v1/stats')).body.outcomes).toBe(1);
  });
});

describe('bad input is a 400 naming the field, and changes nothing', () => {
  const cases: [string, string, unknown, string][] = [
    ['malformed JSON', '/v1/choose', '{"task": {', 'body'],
    ['JSON NaN', '/v1/choose', '{"task": {"embedding": [NaN]}}', 'body'],
    ['an empty body', '/v1/choose', '', 'body'],
    ['a body that is not an object', '/v1/choose', [1, 2], 'body'],
    ['a missing task', '/v1/choose', {}, 'task'],
    ['an unknown field', '/v1/choose', { task: { text: 'x' }, arm: 'fast' }, 'arm'],
    ['an unknown task field', '/v1/choose', { task: { text: 'x', prompt: 'y' } }, 'task.prompt'],
    ['both text and embedding', '/v1/choose', { task: { text: 'x', embedding: [1] } }, 'task'],
    ['neither text nor embedding', '/v1/choose', { task: { type: 'bug_fix' } }, 'task'],
    ['text that is not a string', '/v1/choose', { task: { text: 42 } }, 'task.text'],
    ['text with no words', '/v1/choose', { task: { text: '  ?! ' } }, 'task.text'],
    ['the wrong dimension', '/v1/choose', { task: { embedding: [1, 2, 3] } }, 'task.embedding'],
    [
      '"NaN" in the embedding',
      '/v1/choose',
      { task: { embedding: ['NaN', ...embeddingFor(0, 63)] } },
      'task.embedding[0]',
    ],
    [
      'null in the embedding',
      '/v1/choose',
      { task: { embedding: [...embeddingFor(0, 63), null] } },
      'task.embedding[63]',
    ],
    [
      'a float32 overflow',
      '/v1/choose',
      { task: { embedding: [1e39, ...embeddingFor(0, 63)] } },
      'task.embedding[0]',
    ],
    [
      '1e400 (Infinity)',
      '/v1/choose',
      `{"task":{"embedding":[1e400${',0.5'.repeat(63)}]}}`,
      'task.embedding[0]',
    ],
    [
      'a zero embedding',
      '/v1/choose',
      { task: { embedding: new Array(64).fill(0) } },
      'task.embedding',
    ],
    ['an empty type', '/v1/choose', { task: { text: 'x', type: '' } }, 'task.type'],
    ['a bad task id', '/v1/choose', { task: { text: 'x', id: 5 } }, 'task.id'],
    ['an unknown arm', '/v1/choose', { task: { text: 'x' }, arms: ['fast', 'gpt-9'] }, 'arms[1]'],
    ['an empty arm list', '/v1/choose', { task: { text: 'x' }, arms: [] }, 'arms'],
    ['a repeated arm', '/v1/choose', { task: { text: 'x' }, arms: ['fast', 'fast'] }, 'arms[1]'],
    ['a missing decision_id', '/v1/outcome', { success: true }, 'decision_id'],
    ['a non-boolean success', '/v1/outcome', { decision_id: 'd', success: 'yes' }, 'success'],
    [
      'a quality above 1',
      '/v1/outcome',
      { decision_id: 'd', success: true, quality: 1.5 },
      'quality',
    ],
    ['a negative cost', '/v1/outcome', { decision_id: 'd', success: true, cost: -1 }, 'cost'],
    [
      'an unknown outcome field',
      '/v1/outcome',
      { decision_id: 'd', success: true, reward: 1 },
      'reward',
    ],
  ];
  it.each(cases)('%s', async (_name, path, body, field) => {
    server ??= await start(temp.dir);
    const reply = await call(server.url, 'POST', path, body);
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.param).toBe(field);
    expect(reply.body.error.message).toContain(field === 'body' ? 'body' : field);
    const stats = (await call(server.url, 'GET', '/v1/stats')).body;
    expect(stats.seq).toBe(0);
    expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('answers 404 for an unknown path and 405 for a wrong method', async () => {
    server = await start(temp.dir);
    expect((await call(server.url, 'GET', '/v2/choose')).status).toBe(404);
    const wrong = await call(server.url, 'GET', '/v1/choose');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await call(server.url, 'POST', '/v1/chat/completions', { messages: [] })).status).toBe(
      404,
    );
  });
});

describe('limits', () => {
  it('refuses a body over the limit with 413 (declared or streamed)', async () => {
    server = await start(temp.dir, { maxBodyBytes: 1000 });
    const big = JSON.stringify({ task: { text: 'word '.repeat(400) } });
    const declared = await call(server.url, 'POST', '/v1/choose', big);
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('body_too_large');

    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server!.url}/v1/choose`,
        { method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(100));
      req.end();
    });
    expect(streamed).toBe(413);
    expect((await call(server.url, 'GET', '/v1/stats')).body.seq).toBe(0);
    expect((await choose(server.url, { text: 'small' })).arm).toBeTypeOf('string');
  });
});

describe('auth', () => {
  it('needs the bearer token on every request when a token is set', async () => {
    const tokenFile = join(temp.dir, 'token');
    writeFileSync(tokenFile, 's3cret-token\n');
    server = await start(temp.dir, { token: 's3cret-token' });
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'Basic s3cret-token' },
      { authorization: 'Bearer s3cret-token-and-more' },
    ]) {
      const reply = await call(server.url, 'POST', '/v1/choose', { task: { text: 'x' } }, headers);
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe('Bearer');
      expect((await call(server.url, 'GET', '/healthz', undefined, headers)).status).toBe(401);
    }
    const good = { authorization: 'Bearer s3cret-token' };
    expect((await call(server.url, 'GET', '/healthz', undefined, good)).status).toBe(200);
    expect(
      (await call(server.url, 'POST', '/v1/choose', { task: { text: 'x' } }, good)).status,
    ).toBe(200);
    expect((await call(server.url, 'GET', '/v1/stats', undefined, good)).body.decisions).toBe(1);
  });
});

describe('concurrency', () => {
  it('serves 100 clients at once with no lost or doubled outcome', async () => {
    server = await start(temp.dir, { epochEvery: 25 });
    const url = server.url;
    const clients = Array.from({ length: 100 }, async (_, i) => {
      const d = await choose(url, { embedding: embeddingFor(i, 64), type: `t${i % 4}` });
      // Each client reports its outcome twice at once: exactly one is accepted.
      const [a, b] = await Promise.all([
        call(url, 'POST', '/v1/outcome', { decision_id: d.decision_id, success: i % 2 === 0 }),
        call(url, 'POST', '/v1/outcome', { decision_id: d.decision_id, success: i % 2 === 0 }),
      ]);
      return { id: d.decision_id, statuses: [a.status, b.status].sort() };
    });
    const results = await Promise.all(clients);
    for (const r of results) expect(r.statuses).toEqual([200, 409]);
    const stats = (await call(url, 'GET', '/v1/stats')).body;
    expect(stats.decisions).toBe(100);
    expect(stats.outcomes).toBe(100);
    expect(stats.epochs).toBe(4);
    const db = new Database(join(temp.dir, 'sona.db'), { readonly: true });
    try {
      const ids = (
        db.prepare('SELECT decision_id FROM outcomes').all() as { decision_id: string }[]
      )
        .map((r) => r.decision_id)
        .sort();
      expect(ids).toEqual(results.map((r) => r.id).sort());
    } finally {
      db.close();
    }
  });
});
