/**
 * The core of the local provider fakes other than OpenAI's (fake-anthropic.ts, fake-gemini.ts, fake-azure-openai.ts):
 * a `node:http` server on 127.0.0.1 (port 0) that records every request, answers through the fake's own routes, and
 * offers the same test controls as fake-openai.ts — `enqueue(...responses)` (one-shot answers, first), `respondWith(fn)`
 * (answers when fn returns one), `setLatency(ms)` (held calls; a client that disconnects is recorded `aborted`),
 * `requests`, `waitFor(predicate)`, `reset()`, `close()`. A response may be Server-Sent Events (`sse`), written one
 * event at a time, as the providers stream.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHttpRequest {
  method: string;
  /** Path and query, e.g. '/v1/messages'. */
  path: string;
  /** The path without its query. */
  pathname: string;
  /** The query string's parameters (the last value wins for a repeated one). */
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The credential the fake read from the request (its provider's header), or null. */
  key: string | null;
  /** Parsed JSON body, or the raw text, or null. */
  body: unknown;
  receivedAt: number;
  /** The status sent, or null while held / when aborted. */
  status: number | null;
  aborted: boolean;
  requestId: string;
}

export interface FakeSseEvent {
  /** The `event:` line (Anthropic names its events; Gemini sends data lines only). */
  event?: string;
  data: unknown;
  /** `data` is written as it is (a string such as OpenAI's `[DONE]`), not as JSON. */
  raw?: boolean;
}

export interface FakeHttpResponse {
  status: number;
  /** Sent as JSON unless it is a string. Ignored when `sse` is set. */
  body?: unknown;
  headers?: Record<string, string>;
  latencyMs?: number;
  /** Stream these events as text/event-stream instead of a body. */
  sse?: FakeSseEvent[];
}

export type FakeHttpResponder = (request: FakeHttpRequest) => FakeHttpResponse | undefined | Promise<FakeHttpResponse | undefined>;

export interface FakeHttpServer {
  /** http://127.0.0.1:<port> (no path). */
  origin: string;
  requests: FakeHttpRequest[];
  reset(): void;
  setLatency(ms: number): void;
  respondWith(responder: FakeHttpResponder | null): void;
  enqueue(...responses: FakeHttpResponse[]): void;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface FakeHttpOptions {
  /** The credential of a request, from the provider's own header. */
  keyOf(headers: Record<string, string>, query: Record<string, string>): string | null;
  /** The fake's answer when no override applies. */
  route(request: FakeHttpRequest): FakeHttpResponse | Promise<FakeHttpResponse>;
  /** Headers every answer carries (request ids, rate-limit headers), computed per request. */
  headersFor?(request: FakeHttpRequest): Record<string, string>;
  latencyMs?: number;
  /** Called on reset(), for the fake's own state. */
  onReset?(): void;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFakeHttp(options: FakeHttpOptions): Promise<FakeHttpServer> {
  let latencyMs = options.latencyMs ?? 0;
  let responder: FakeHttpResponder | null = null;
  const queue: FakeHttpResponse[] = [];
  const requests: FakeHttpRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw === '' ? null : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    const query = Object.fromEntries(url.searchParams.entries());
    const request: FakeHttpRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      pathname: url.pathname,
      query,
      headers,
      key: options.keyOf(headers, query),
      body,
      receivedAt: Date.now(),
      status: null,
      aborted: false,
      requestId: `req_${randomBytes(12).toString('hex')}`,
    };
    requests.push(request);
    let holdTimer: NodeJS.Timeout | undefined;
    let releaseHold: (() => void) | undefined;
    res.on('close', () => {
      if (!res.writableFinished) {
        request.aborted = true;
        if (holdTimer) clearTimeout(holdTimer);
        releaseHold?.();
      }
    });

    const answer = queue.shift() ?? (responder ? await responder(request) : undefined) ?? (await options.route(request));
    const wait = answer.latencyMs ?? latencyMs;
    if (wait > 0 && !request.aborted) {
      await new Promise<void>((resolve) => {
        releaseHold = resolve;
        holdTimer = setTimeout(resolve, wait);
      });
    }
    if (request.aborted || res.destroyed) return;
    const common = { ...(options.headersFor?.(request) ?? {}), ...(answer.headers ?? {}) };
    request.status = answer.status;
    if (answer.sse) {
      res.writeHead(answer.status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...common });
      for (const event of answer.sse) {
        res.write(`${event.event ? `event: ${event.event}\n` : ''}data: ${event.raw ? String(event.data) : JSON.stringify(event.data)}\n\n`);
      }
      res.end();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json', ...common });
    res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {}));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'fake server failure' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    reset() {
      requests.length = 0;
      queue.length = 0;
      responder = null;
      latencyMs = options.latencyMs ?? 0;
      options.onReset?.();
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    respondWith(fn) {
      responder = fn;
    },
    enqueue(...responses) {
      queue.push(...responses);
    },
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error('fake server: condition not met in time');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Splits a text into a few pieces, as a provider streams it (whitespace kept). */
export function streamPieces(text: string): string[] {
  const pieces = text.match(/\S+\s*|\s+/g) ?? [];
  return pieces.length ? pieces : [''];
}
