import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSonaError, type SonaError } from '@sona/core';
import { version as PACKAGE_VERSION } from '../package.json';
import { type ServerSettings, withDefaults } from './config';
import { forwardChat, type Upstream } from './proxy';
import { ServiceError, type ServiceOptions, SonaService } from './service';
import { parseChoose, parseOutcome, RequestError } from './validate';

export interface ServerOptions extends ServiceOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Largest request body accepted, in bytes (413 beyond). */
  readonly maxBodyBytes: number;
  /** OpenAI-compatible routes; when given they are the arms. */
  readonly upstreams: readonly Upstream[];
  /** How long to wait for an upstream's response headers (504 beyond). */
  readonly upstreamTimeoutMs: number;
  /** The task type of a task that names none. */
  readonly defaultType: string;
}

export interface RunningServer {
  /** `http://host:port`, the port the server really listens on. */
  readonly url: string;
  readonly port: number;
  readonly service: SonaService;
  readonly server: Server;
  /**
   * Stops taking connections, lets the requests in flight finish (at most `graceMs`), then
   * commits, writes a final checkpoint and closes the journal.
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

/** The package version, reported by `/v1/stats`, `/healthz` and `--version`. */
export const SERVER_VERSION: string = PACKAGE_VERSION;

/** Starts the service (restoring it from its journal) and the HTTP server in front of it. */
export async function startServer(settings: ServerSettings): Promise<RunningServer> {
  const options = withDefaults(settings);
  const service = await SonaService.open(options);
  const tokenDigest = options.token === undefined ? null : digest(options.token);
  let inFlight = 0;
  let draining = false;
  const idle: (() => void)[] = [];

  const server = createServer((req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0) for (const wake of idle.splice(0)) wake();
    });
    handle(req, res).catch((error: unknown) => sendError(res, error));
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (draining) res.setHeader('connection', 'close');
    if (tokenDigest !== null && !authorized(req.headers.authorization, tokenDigest)) {
      res.setHeader('www-authenticate', 'Bearer');
      throw new RequestError(401, 'unauthorized', 'a valid Authorization: Bearer token is needed');
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/'; // split gives at least one part
    const method = req.method ?? 'GET';
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /healthz': {
        const failure = service.failure;
        return sendJson(res, failure === null ? 200 : 503, {
          ok: failure === null,
          version: SERVER_VERSION,
          ...(failure === null ? {} : { error: failure.message }),
        });
      }
      case 'GET /v1/stats':
        return sendJson(res, 200, { version: SERVER_VERSION, ...service.stats() });
      case 'POST /v1/choose': {
        const input = parseChoose(
          await readJson(req, options.maxBodyBytes),
          service.engine.dim,
          service.engine.arms,
          options.defaultType,
        );
        const result = service.choose(input);
        await service.durable();
        return sendJson(res, 200, {
          decision_id: result.decisionId,
          arm: result.arm,
          confidence: result.confidence,
          scores: result.scores,
        });
      }
      case 'POST /v1/outcome': {
        const input = parseOutcome(await readJson(req, options.maxBodyBytes));
        const { epochEnded } = service.outcome(input);
        await service.durable();
        return sendJson(res, 200, { ok: true, ...(epochEnded ? { epoch_ended: true } : {}) });
      }
      case 'POST /v1/epoch': {
        await readJson(req, options.maxBodyBytes, true);
        const summary = service.endEpoch();
        await service.durable();
        return sendJson(res, 200, {
          ok: true,
          epoch: summary.epoch,
          attempts: summary.attempts,
          success_rate: summary.successRate,
        });
      }
      case 'POST /v1/checkpoint': {
        await readJson(req, options.maxBodyBytes, true);
        const info = await service.checkpoint();
        return sendJson(res, 200, { ok: true, seq: info.seq, state_hash: info.stateHash });
      }
      case 'GET /v1/models':
        return sendJson(res, 200, {
          object: 'list',
          data: [
            { id: 'sona', object: 'model', created: 0, owned_by: 'sona' },
            ...options.upstreams.map((u) => ({
              id: u.name,
              object: 'model',
              created: 0,
              owned_by: 'sona-route',
            })),
          ],
        });
      case 'POST /v1/chat/completions': {
        if (options.upstreams.length === 0) {
          throw new RequestError(
            404,
            'not_found',
            'no upstream routes are configured (start sona-serve with --upstream NAME=URL)',
          );
        }
        const body = await readJson(req, options.maxBodyBytes);
        return forwardChat(req, res, body, {
          service,
          upstreams: options.upstreams,
          timeoutMs: options.upstreamTimeoutMs,
          defaultType: options.defaultType,
        });
      }
      default: {
        const known = KNOWN_PATHS.get(path);
        if (known !== undefined) {
          res.setHeader('allow', known);
          throw new RequestError(405, 'method_not_allowed', `${path} takes ${known} only`);
        }
        throw new RequestError(404, 'not_found', `no such endpoint ${method} ${path}`);
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | null = null;
  const close = ({ graceMs = 10_000 }: { readonly graceMs?: number } = {}): Promise<void> => {
    if (closing !== null) return closing;
    draining = true;
    closing = (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => idle.push(resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await stopped;
      await service.close();
    })();
    return closing;
  };

  return { url: `http://${host}:${address.port}`, port: address.port, service, server, close };
}

/** The SonaError codes that mean the request's data was bad (400); any other is the server's. */
const BAD_INPUT_CODES: ReadonlySet<string> = new Set([
  'INVALID_ARGUMENT',
  'DIM_MISMATCH',
  'NON_FINITE',
  'OUT_OF_RANGE',
]);

const KNOWN_PATHS = new Map([
  ['/healthz', 'GET'],
  ['/v1/stats', 'GET'],
  ['/v1/models', 'GET'],
  ['/v1/choose', 'POST'],
  ['/v1/outcome', 'POST'],
  ['/v1/epoch', 'POST'],
  ['/v1/checkpoint', 'POST'],
  ['/v1/chat/completions', 'POST'],
]);

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares the bearer token in constant time (both sides hashed to the same length first). */
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = header === undefined ? null : /^Bearer ([^\s]+)\s*$/i.exec(header);
  const given = digest(match === null ? '' : match[1]!);
  return timingSafeEqual(given, expected) && match !== null;
}

/**
 * Reads a JSON body of at most `max` bytes: 413 beyond (without reading the rest), 400 for
 * anything that is not UTF-8 JSON. `optional` accepts an empty body (as `{}`).
 */
export async function readJson(
  req: IncomingMessage,
  max: number,
  optional = false,
): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooLarge(max);
    chunks.push(chunk);
  }
  if (size === 0) {
    if (optional) return {};
    throw new RequestError(
      400,
      'invalid_json',
      'the request body is empty: send a JSON object',
      'body',
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
  } catch {
    throw new RequestError(400, 'invalid_json', 'the request body is not UTF-8', 'body');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new RequestError(400, 'invalid_json', `the request body is not JSON: ${why}`, 'body');
  }
}

function tooLarge(max: number): RequestError {
  return new RequestError(
    413,
    'body_too_large',
    `the request body is larger than ${max} bytes`,
    'body',
  );
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Maps any failure to a JSON error (OpenAI's shape: `{ error: { message, type, code, param } }`). */
export function sendError(res: ServerResponse, error: unknown): void {
  let status = 500;
  let code = 'internal_error';
  let message = 'internal error';
  let field: string | undefined;
  if (error instanceof RequestError || error instanceof ServiceError) {
    status = error.status;
    code = error instanceof RequestError ? error.code : status === 404 ? 'not_found' : 'conflict';
    message = error.message;
    field = error.field;
  } else if (isSonaError(error)) {
    const e = error as SonaError;
    message = e.message;
    if (BAD_INPUT_CODES.has(e.code)) {
      // The engine's own checks of a task that passed ours.
      status = 400;
      code = 'invalid_field';
      field = e.path === undefined ? undefined : e.path.replace(/^options\./, '');
    } else {
      // A journal failure (INVALID_STATE) or anything else of the server's own: not the client's.
      status = 503;
      code = 'unavailable';
    }
  } else if (error instanceof Error) {
    message = `internal error: ${error.message}`;
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (status === 413) res.setHeader('connection', 'close');
  sendJson(res, status, {
    error: { message, type: code, code, ...(field === undefined ? {} : { param: field }) },
  });
}
