import type { IncomingMessage, ServerResponse } from 'node:http';
import { embedText } from '@sona/embed';
import type { SonaService } from './service';
import { badField, chatText, parseType, RequestError, requireObject } from './validate';

/** One OpenAI-compatible route: an arm named `name`, served at `url` (its `/chat/completions`). */
export interface Upstream {
  readonly name: string;
  /** The base URL, such as `http://127.0.0.1:8000/v1`. */
  readonly url: string;
  /** The model name sent upstream; the route's name when absent. */
  readonly model?: string;
}

export interface ProxyContext {
  readonly service: SonaService;
  readonly upstreams: readonly Upstream[];
  readonly timeoutMs: number;
  readonly defaultType: string;
}

/** Response headers passed back from the upstream as they are (hop-by-hop ones are not). */
const PASSED_HEADERS = ['content-type', 'cache-control', 'openai-processing-ms', 'x-request-id'];

/**
 * `POST /v1/chat/completions`: SONA picks a route from the messages (`model: "sona"`, or a
 * route's name to pin it), forwards the request there and passes the answer back unchanged,
 * streamed or not, with `x-sona-decision-id` and `x-sona-arm`. The decision is journaled as
 * pending first (the engine's draw is spent) and opened for an outcome once the upstream
 * answered 2xx; an upstream that fails (502) or times out (504) leaves it void: no decision is
 * recorded, and its outcome is refused as unknown.
 */
export async function forwardChat(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  context: ProxyContext,
): Promise<void> {
  const { service, upstreams } = context;
  const request = requireObject(body, 'body');
  const model = request.model ?? 'sona';
  const pinned = upstreams.find((u) => u.name === model);
  if (model !== 'sona' && pinned === undefined) {
    throw badField(
      'model',
      `must be "sona" or a route (${upstreams.map((u) => u.name).join(', ')})`,
    );
  }
  const text = chatText(request);
  const embedding = embedText(text, { dim: service.engine.dim });
  if (!embedding.some((x) => x !== 0)) throw badField('messages', 'have no text to route by');
  const headerType = req.headers['x-sona-task-type'];
  const type = parseType(
    typeof headerType === 'string' ? headerType : undefined,
    'x-sona-task-type',
    context.defaultType,
  );
  const choice = service.choose(
    { type, embedding, ...(pinned === undefined ? {} : { arms: [pinned.name] }) },
    'pending',
  );
  const route = upstreams.find((u) => u.name === choice.arm)!;
  const controller = new AbortController();
  const onClientGone = () => controller.abort(new Error('the client went away'));
  res.on('close', onClientGone);
  const timer = setTimeout(() => controller.abort(new TimeoutError()), context.timeoutMs);
  let upstream: Response;
  try {
    upstream = await fetch(`${route.url.replace(/\/+$/, '')}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: typeof req.headers.accept === 'string' ? req.headers.accept : 'application/json',
      },
      body: JSON.stringify({ ...request, model: route.model ?? route.name }),
      signal: controller.signal,
    });
  } catch (error) {
    clearTimeout(timer);
    res.off('close', onClientGone);
    service.settle(choice.decisionId, false);
    await service.durable();
    if (controller.signal.reason instanceof TimeoutError) {
      throw new RequestError(
        504,
        'upstream_timeout',
        `the upstream ${route.name} did not answer within ${context.timeoutMs} ms`,
      );
    }
    throw new RequestError(
      502,
      'upstream_failed',
      `the upstream ${route.name} could not be reached: ${describeError(error)}`,
    );
  }
  clearTimeout(timer);
  if (!upstream.ok) {
    res.off('close', onClientGone);
    const detail = (await upstream.text().catch(() => '')).slice(0, 500);
    service.settle(choice.decisionId, false);
    await service.durable();
    throw new RequestError(
      502,
      'upstream_failed',
      `the upstream ${route.name} answered ${upstream.status}${detail === '' ? '' : `: ${detail}`}`,
    );
  }
  service.settle(choice.decisionId, true);
  await service.durable();
  const headers: Record<string, string> = {
    'x-sona-decision-id': choice.decisionId,
    'x-sona-arm': choice.arm,
  };
  for (const name of PASSED_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  res.writeHead(upstream.status, headers);
  try {
    if (upstream.body !== null) {
      for await (const chunk of upstream.body) {
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      }
    }
    res.end();
  } catch {
    // The upstream or the client broke off mid-stream; the decision stands (the client has its id).
    res.destroy();
  } finally {
    res.off('close', onClientGone);
  }
}

class TimeoutError extends Error {
  constructor() {
    super('timed out');
    this.name = 'TimeoutError';
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
