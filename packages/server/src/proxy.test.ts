import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningServer } from './http';
import { call, start, tempDir } from './test-helpers';

// A small local HTTP server that speaks the chat-completions shape (there is no model here):
// it answers with which route it is, the model it was asked for and the last message, streamed
// as server-sent events when the request says `stream: true`. `/broken` answers 500, `/slow`
// never answers.
let upstream: Server;
let upstreamUrl: string;
const seen: { path: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as {
        model: string;
        stream?: boolean;
        messages: { content: string }[];
      };
      seen.push({ path: req.url ?? '', body });
      if (req.url?.startsWith('/broken')) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"boom"}}');
        return;
      }
      if (req.url?.startsWith('/slow')) return; // never answers
      const route = req.url!.split('/')[1];
      const content = `${route}:${body.model}:${body.messages.at(-1)!.content}`;
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (const piece of content.split(':')) {
          res.write(
            `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece } }] })}\n\n`,
          );
        }
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req-1' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

let temp: ReturnType<typeof tempDir>;
let server: RunningServer | undefined;

beforeEach(() => {
  temp = tempDir();
  seen.length = 0;
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  temp.remove();
});

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'sona',
  messages: [
    { role: 'system', content: 'You are a coding agent.' },
    { role: 'user', content },
  ],
  ...extra,
});

function routes() {
  return [
    { name: 'small', url: `${upstreamUrl}/small/v1`, model: 'llama-3-8b' },
    { name: 'large', url: `${upstreamUrl}/large/v1` },
  ];
}

describe('POST /v1/chat/completions', () => {
  it('routes to an upstream, returns its answer unchanged with the decision headers, and takes the outcome later', async () => {
    server = await start(temp.dir, { arms: ['small', 'large'], upstreams: routes() });
    const reply = await call(server.url, 'POST', '/v1/chat/completions', ask('fix the flaky test'));
    expect(reply.status, reply.text).toBe(200);
    const arm = reply.headers.get('x-sona-arm')!;
    const id = reply.headers.get('x-sona-decision-id')!;
    expect(['small', 'large']).toContain(arm);
    expect(reply.body.choices[0].message.content).toBe(
      `${arm}:${arm === 'small' ? 'llama-3-8b' : 'large'}:fix the flaky test`,
    );
    expect(seen[0]!.path).toBe(`/${arm}/v1/chat/completions`);
    expect(seen[0]!.body.messages).toEqual(
      ask('')
        .messages.slice(0, 1)
        .concat([{ role: 'user', content: 'fix the flaky test' }]),
    );
    const stats = (await call(server.url, 'GET', '/v1/stats')).body;
    expect(stats.decisions).toBe(1);
    const outcome = await call(server.url, 'POST', '/v1/outcome', {
      decision_id: id,
      success: true,
    });
    expect(outcome.status).toBe(200);
    expect((await call(server.url, 'GET', '/v1/stats')).body.arms[arm].successes).toBe(1);
  });

  it('streams the upstream answer through as it comes', async () => {
    server = await start(temp.dir, { arms: ['small', 'large'], upstreams: routes() });
    const reply = await call(
      server.url,
      'POST',
      '/v1/chat/completions',
      ask('stream it', { stream: true, model: 'large' }),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/event-stream');
    expect(reply.headers.get('x-sona-arm')).toBe('large');
    const pieces = reply.text
      .split('\n\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)).choices[0].delta.content);
    expect(pieces).toEqual(['large', 'large', 'stream it']);
    expect(reply.text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('lists sona and the routes as models', async () => {
    server = await start(temp.dir, { arms: ['small', 'large'], upstreams: routes() });
    const models = (await call(server.url, 'GET', '/v1/models')).body;
    expect(models.object).toBe('list');
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(['sona', 'small', 'large']);
  });

  it('is 502 when the upstream fails and 504 when it times out, and records nothing', async () => {
    server = await start(temp.dir, {
      arms: ['broken', 'slow', 'gone'],
      upstreams: [
        { name: 'broken', url: `${upstreamUrl}/broken` },
        { name: 'slow', url: `${upstreamUrl}/slow` },
        { name: 'gone', url: 'http://127.0.0.1:9/v1' },
      ],
      upstreamTimeoutMs: 300,
    });
    const broken = await call(
      server.url,
      'POST',
      '/v1/chat/completions',
      ask('x', { model: 'broken' }),
    );
    expect(broken.status).toBe(502);
    expect(broken.body.error.message).toMatch(/answered 500/);
    expect(broken.headers.get('x-sona-decision-id')).toBeNull();
    const slow = await call(
      server.url,
      'POST',
      '/v1/chat/completions',
      ask('x', { model: 'slow' }),
    );
    expect(slow.status).toBe(504);
    const gone = await call(
      server.url,
      'POST',
      '/v1/chat/completions',
      ask('x', { model: 'gone' }),
    );
    expect(gone.status).toBe(502);
    const stats = (await call(server.url, 'GET', '/v1/stats')).body;
    expect(stats.decisions).toBe(0);
    expect(stats.outcomes).toBe(0);
    expect(stats.engine.experience).toBe(0);
  });

  it('refuses bad chat requests with 400 naming the field', async () => {
    server = await start(temp.dir, { arms: ['small', 'large'], upstreams: routes() });
    const cases: [unknown, string][] = [
      [{ model: 'sona' }, 'messages'],
      [{ model: 'sona', messages: [] }, 'messages'],
      [{ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] }, 'model'],
      [{ model: 'sona', messages: [{ role: 'user', content: '?!' }] }, 'messages'],
      [{ model: 'sona', messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
      ['not json', 'body'],
    ];
    for (const [body, field] of cases) {
      const reply = await call(server.url, 'POST', '/v1/chat/completions', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.param).toBe(field);
    }
    expect(seen).toHaveLength(0);
  });
});
