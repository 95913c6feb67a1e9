import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from './http';
import { call, start, tempDir } from './test-helpers';

// Any JSON at all, sent to the endpoints that take a body: always a 4xx with a JSON error that
// names a field, never a 5xx, and nothing is journaled.
let temp: ReturnType<typeof tempDir>;
let server: RunningServer;

beforeAll(async () => {
  temp = tempDir();
  server = await start(temp.dir);
});

afterAll(async () => {
  await server.close();
  temp.remove();
});

const task = fc.record(
  {
    id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    text: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    embedding: fc.oneof(
      fc.array(fc.oneof(fc.double(), fc.string(), fc.constant(null)), { maxLength: 70 }),
      fc.jsonValue(),
    ),
    type: fc.oneof(fc.string(), fc.integer()),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

describe('hostile bodies', () => {
  it('a choose body that is not a valid task is refused with 400 and a field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue(), fc.record({ task, arms: fc.jsonValue() }, { requiredKeys: [] })),
        async (body) => {
          const reply = await call(server.url, 'POST', '/v1/choose', body);
          if (reply.status === 200) {
            // A valid task slipped through: it must be a real decision.
            expect(typeof reply.body.decision_id).toBe('string');
            return;
          }
          expect(reply.status).toBe(400);
          expect(typeof reply.body.error.param).toBe('string');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('an outcome body is 400, 404 or 409, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              decision_id: fc.oneof(fc.string(), fc.jsonValue()),
              success: fc.jsonValue(),
              quality: fc.jsonValue(),
              cost: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
        ),
        async (body) => {
          const reply = await call(server.url, 'POST', '/v1/outcome', body);
          expect([400, 404]).toContain(reply.status);
          expect(typeof reply.body.error.message).toBe('string');
        },
      ),
      { numRuns: 150 },
    );
    expect((await call(server.url, 'GET', '/v1/stats')).body.outcomes).toBe(0);
    expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
  });
});
