/**
 * A local OpenAI-compatible server for tests: point the real `openai` SDK (or a Vaultrun provider
 * account) at `fake.url` and every taxonomy error can be produced without the internet.
 *
 *   const fake = await startFakeOpenAI();
 *   createProvider({ kind: 'openai', apiKey: 'sk-proj-test', baseUrl: fake.url });
 *   ...
 *   await fake.close();
 *
 * Serves, on 127.0.0.1 and a free port:
 * - `GET  /v1/models` → `{ object: 'list', data: [{ id, object: 'model', created, owned_by }] }` (options.models).
 * - `POST /v1/chat/completions` → a `chat.completion` whose text is `Fake reply to: <last user message>`;
 *   with `response_format: { type: 'json_schema' }` the text is the plainest JSON matching the schema
 *   (`plainJsonForSchema` of @vaultrun/providers — the mock provider's sampler: "fake" strings, integers 1,
 *   numbers 1.5, true, the first enum value, one array item, every property; bounds, formats and local $refs
 *   honoured). Usage is the mock provider's model (`simulatedUsage`: o200k_base, the prompt as OpenAI counts a
 *   chat request — so it equals Vaultrun's estimate for an OpenAI model — and the reply);
 *   `options.cachedTokens` is reported as prompt_tokens_details.cached_tokens, `options.usageCost`
 *   as `usage.cost` (USD, OpenRouter style). `options.inflatePromptTokens` ({ factor, extra }, or
 *   `inflatePromptTokens()` at run time) reports ⌈count × factor⌉ + extra prompt tokens instead — a provider whose
 *   tokenizer or hidden system prompt counts more than Vaultrun's estimate.
 * - `GET  /v1/organization/costs` → OpenAI's Costs API for cost sync (admin key only: any other key, or none, gets
 *   a 401). Query: `start_time` (required, unix seconds), `end_time` (exclusive, default now), `bucket_width`
 *   (only `1d`), `limit` (1–180, default 7), `page` (the previous answer's `next_page`). Answers
 *   `{ object: 'page', data: [bucket], has_more, next_page }`, one `bucket` ({ start_time, end_time, results }) per
 *   UTC day that has an amount in `options.costs.days` / `setCosts()` — a day without one has no bucket ("not
 *   published yet"). An array of amounts gives several results in the bucket (line items); amounts are sent as
 *   given (numbers or strings, USD). A page holds min(limit, costs.maxPageSize) buckets. `costs.ignoreEndTime`
 *   also returns buckets from end_time up to now (a provider that includes the current, partial day).
 *   `costRequests()` lists the calls made to it, with their parsed query.
 * - anything else → 404 with OpenAI's "Invalid URL" error body.
 *
 * Every answer carries `content-type: application/json`, `x-request-id: req_<hex>` (also recorded on
 * the request) and, for a key, rate-limit headers: `x-ratelimit-limit-requests` (options.rateLimits.requests,
 * default 500), `x-ratelimit-remaining-requests` (limit minus the requests this key made, this one
 * included), `x-ratelimit-reset-requests: 120ms`, and `x-ratelimit-{limit,remaining,reset}-tokens`
 * (default limit 30000, remaining = limit minus this request's prompt tokens, reset `6m0s`).
 *
 * Behaviour by bearer key (the first match wins), so the real SDK meets every error:
 * | key contains | answer |
 * |---|---|
 * | `invalid`   | 401 `invalid_api_key`, message echoing the key (first 10 chars + `****` + last 4) like OpenAI |
 * | `quota`     | 429 `insufficient_quota` |
 * | `ratelimit` | 429 `rate_limit_exceeded`, `retry-after: 2`, `x-ratelimit-reset-requests: 2s`, remaining 0 |
 * | `nomodel`   | 404 `model_not_found` |
 * | `toolong`   | 400 `context_length_exceeded` |
 * | `broken`    | 500 `server_error` |
 * | anything else, or no key | success (set `requireKey` to answer a missing key with OpenAI's 401) |
 *
 * Programmatic overrides, checked before the key rules: `enqueue(...responses)` queues one-shot answers
 * (e.g. "429 with retry-after 1, then the normal answer"); `respondWith(fn)` answers every request for
 * which `fn` returns a response (return undefined to fall through). `openAIError()` builds OpenAI's
 * error body.
 *
 * Timing: `setLatency(ms)` (or options.latencyMs, or a response's own `latencyMs`) holds each call
 * open before answering. A client that disconnects meanwhile gets no answer and its request is marked
 * `aborted: true`. `inFlight(key?)` / `maxInFlight(key?)` count calls being held, per key or in total.
 * `requests` lists every call in arrival order (recorded when its body has been read); `reset()`
 * clears requests, counters, overrides and restores the initial latency; `close()` drops every connection.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CountedMessage, estimatePromptTokens, plainJsonForSchema, simulatedUsage } from '@vaultrun/providers';
// The gateway's endpoints (streaming, /v1/responses, /v1/embeddings) live apart, wired in by two hooks below.
import { chatStreamOf, type FakeStream, gatewayEndpointAnswer, includeUsageOf, wantsChatStream, writeFakeStream } from './fake-openai-gateway.js';

export interface FakeRequest {
  method: string;
  /** Path and query, e.g. '/v1/chat/completions'. */
  path: string;
  /** The query string's parameters (the last value wins for a repeated one). */
  query: Record<string, string>;
  /** The raw Authorization header, or null. */
  authorization: string | null;
  /** The bearer key, or null without one. */
  key: string | null;
  /** Parsed JSON body, or null. */
  body: unknown;
  /** When its body had been read (ms since the epoch). */
  receivedAt: number;
  /** The status sent, or null while held / when aborted. */
  status: number | null;
  /** The client closed the connection before an answer was sent. */
  aborted: boolean;
  /** The x-request-id this request was (or will be) answered with. */
  requestId: string;
}

export interface FakeResponse {
  status: number;
  /** Sent as server-sent events instead of `body` (see fake-openai-gateway.ts). */
  stream?: FakeStream;
  /** Sent as JSON unless it is a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Overrides the server's latency for this answer. */
  latencyMs?: number;
}

export type FakeResponder = (request: FakeRequest) => FakeResponse | undefined | Promise<FakeResponse | undefined>;

export interface FakeOpenAIOptions {
  latencyMs?: number;
  models?: string[];
  /** Adds `usage.cost` (USD) to every completion, as OpenRouter does. */
  usageCost?: number | string | null;
  /** Reported as usage.prompt_tokens_details.cached_tokens (capped at the prompt tokens). */
  cachedTokens?: number;
  /** Answer a request without an Authorization header with OpenAI's 401 (default: serve it, like Ollama). */
  requireKey?: boolean;
  /** Report ⌈prompt tokens × factor⌉ + extra (default factor 1, extra 0): a provider that counts more than estimated. */
  inflatePromptTokens?: PromptInflation | null;
  rateLimits?: { requests?: number; tokens?: number };
  /** The organization Costs API (GET /v1/organization/costs). */
  costs?: FakeCostsOptions;
}

/** USD as OpenAI sends it: a JSON number or a decimal string. */
export type FakeCostAmount = number | string;

export interface FakeCostsOptions {
  /** The admin key the Costs API accepts (default: any bearer key starting with `sk-admin-`). */
  adminKey?: string;
  /** USD billed per UTC day ('YYYY-MM-DD'); an array gives one result per entry. Days absent have no bucket. */
  days?: Record<string, FakeCostAmount | FakeCostAmount[]>;
  /** The server's page size: a request's `limit` is honoured up to it (default 180). */
  maxPageSize?: number;
  /** Also return buckets at or after `end_time` up to now (the current, partial day). */
  ignoreEndTime?: boolean;
}

export interface PromptInflation {
  factor?: number;
  extra?: number;
}

export interface FakeOpenAI {
  /** Base URL ending in /v1. */
  url: string;
  requests: FakeRequest[];
  inFlight(key?: string | null): number;
  maxInFlight(key?: string | null): number;
  reset(): void;
  setLatency(ms: number): void;
  respondWith(responder: FakeResponder | null): void;
  /** The assistant text of successful chat completions (usage still counted); null or undefined: the default answer. */
  replyWith(reply: ((body: { messages?: { role?: string; content?: unknown }[] }) => string | undefined) | null): void;
  enqueue(...responses: FakeResponse[]): void;
  /** Reports inflated prompt tokens from now on (null: honest counts again); reset() restores options.inflatePromptTokens. */
  inflatePromptTokens(inflation: PromptInflation | null): void;
  /** Replaces the Costs API's configuration (days, page size, …); reset() restores options.costs. */
  setCosts(costs: FakeCostsOptions): void;
  /** Requests made to GET /v1/organization/costs, in arrival order. */
  costRequests(): FakeRequest[];
  /** Resolves once `predicate()` holds (polled every 5 ms); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** OpenAI's error body: `{ error: { message, type, param: null, code } }`. */
export function openAIError(status: number, code: string | null, message: string, options: { type?: string; headers?: Record<string, string> } = {}): FakeResponse {
  return {
    status,
    body: { error: { message, type: options.type ?? 'invalid_request_error', param: null, code } },
    headers: options.headers,
  };
}

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'o4-mini'];
const COSTS_PATH = '/v1/organization/costs';
const DAY_SECONDS = 86_400;

function parseQuery(path: string): Record<string, string> {
  return Object.fromEntries(new URL(path, 'http://fake.invalid').searchParams.entries());
}

/** OpenAI's Costs API over the configured days (see the header comment). */
function costsPage(request: FakeRequest, costs: FakeCostsOptions): FakeResponse {
  const key = request.key;
  const admitted = key !== null && (costs.adminKey !== undefined ? key === costs.adminKey : key.startsWith('sk-admin-'));
  if (!admitted) {
    return openAIError(401, null, 'You have insufficient permissions for this operation. This endpoint requires an admin key (Missing scopes: api.usage.read).', { type: 'invalid_request_error' });
  }
  const q = request.query;
  const int = (name: string) => (q[name] !== undefined && /^\d+$/.test(q[name]) ? Number(q[name]) : undefined);
  const start = int('start_time');
  if (start === undefined) return openAIError(400, 'invalid_request_error', 'start_time is required and must be an integer (unix seconds).');
  if (q.end_time !== undefined && int('end_time') === undefined) return openAIError(400, 'invalid_request_error', 'end_time must be an integer (unix seconds).');
  if (q.bucket_width !== undefined && q.bucket_width !== '1d') return openAIError(400, 'invalid_request_error', "bucket_width must be '1d'.");
  const limit = q.limit === undefined ? 7 : int('limit');
  if (limit === undefined || limit < 1 || limit > 180) return openAIError(400, 'invalid_request_error', 'limit must be between 1 and 180.');
  const now = Math.floor(Date.now() / 1000);
  const end = costs.ignoreEndTime || q.end_time === undefined ? now : int('end_time')!;

  const buckets: { object: 'bucket'; start_time: number; end_time: number; results: unknown[] }[] = [];
  for (let day = Math.floor(start / DAY_SECONDS) * DAY_SECONDS; day < end; day += DAY_SECONDS) {
    const amounts = costs.days?.[new Date(day * 1000).toISOString().slice(0, 10)];
    if (amounts === undefined) continue;
    buckets.push({
      object: 'bucket',
      start_time: day,
      end_time: day + DAY_SECONDS,
      results: (Array.isArray(amounts) ? amounts : [amounts]).map((value) => ({
        object: 'organization.costs.result',
        amount: { value, currency: 'usd' },
        line_item: null,
        project_id: null,
        organization_id: 'org-fake',
      })),
    });
  }
  let offset = 0;
  if (q.page !== undefined) {
    const m = /^page_(\d+)$/.exec(Buffer.from(q.page, 'base64url').toString('utf8'));
    if (!m) return openAIError(400, 'invalid_request_error', 'Invalid page cursor.');
    offset = Number(m[1]);
  }
  const size = Math.min(limit, costs.maxPageSize ?? 180);
  const data = buckets.slice(offset, offset + size);
  const hasMore = offset + size < buckets.length;
  return {
    status: 200,
    body: { object: 'page', data, has_more: hasMore, next_page: hasMore ? Buffer.from(`page_${offset + size}`).toString('base64url') : null },
  };
}

/** The chat messages of a request body as the token model counts them (structured content as its JSON); null: none. */
function messagesOf(body: unknown): CountedMessage[] | null {
  const messages = (body as { messages?: { role?: unknown; content?: unknown }[] } | null)?.messages;
  if (!Array.isArray(messages)) return null;
  return messages.map((m) => ({ role: typeof m?.role === 'string' ? m.role : '', content: typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '') }));
}

/** A request without messages (GET /v1/models) has no prompt. */
function promptTokensOf(body: unknown): number {
  const messages = messagesOf(body);
  return messages === null ? 0 : estimatePromptTokens(messages);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const models = options.models ?? DEFAULT_MODELS;
  const requestLimit = options.rateLimits?.requests ?? 500;
  const tokenLimit = options.rateLimits?.tokens ?? 30_000;
  let latencyMs = options.latencyMs ?? 0;
  let responder: FakeResponder | null = null;
  let reply: ((body: { messages?: { role?: string; content?: unknown }[] }) => string | undefined) | null = null;
  const queue: FakeResponse[] = [];
  const requests: FakeRequest[] = [];
  const current = new Map<string, number>();
  const highest = new Map<string, number>();
  let currentTotal = 0;
  let highestTotal = 0;
  const requestsByKey = new Map<string, number>();
  let costs: FakeCostsOptions = { ...(options.costs ?? {}) };
  let inflation: PromptInflation | null = options.inflatePromptTokens ?? null;
  const reportedPromptTokens = (counted: number) => (inflation ? Math.ceil(counted * (inflation.factor ?? 1)) + (inflation.extra ?? 0) : counted);

  const keyName = (key: string | null | undefined) => key ?? '';

  function enter(key: string) {
    const now = (current.get(key) ?? 0) + 1;
    current.set(key, now);
    highest.set(key, Math.max(highest.get(key) ?? 0, now));
    currentTotal += 1;
    highestTotal = Math.max(highestTotal, currentTotal);
  }
  function leave(key: string) {
    current.set(key, (current.get(key) ?? 1) - 1);
    currentTotal -= 1;
  }

  function rateLimitHeaders(request: FakeRequest): Record<string, string> {
    if (request.key === null) return {};
    const made = requestsByKey.get(request.key) ?? 0;
    return {
      'x-ratelimit-limit-requests': String(requestLimit),
      'x-ratelimit-remaining-requests': String(Math.max(0, requestLimit - made)),
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': String(tokenLimit),
      'x-ratelimit-remaining-tokens': String(Math.max(0, tokenLimit - promptTokensOf(request.body))),
      'x-ratelimit-reset-tokens': '6m0s',
    };
  }

  function errorForKey(request: FakeRequest): FakeResponse | undefined {
    const key = request.key;
    if (key === null) {
      return options.requireKey
        ? openAIError(401, null, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
        : undefined;
    }
    if (key.includes('invalid')) {
      return openAIError(
        401,
        'invalid_api_key',
        `Incorrect API key provided: ${key.slice(0, 10)}****${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      );
    }
    if (key.includes('quota')) {
      return openAIError(429, 'insufficient_quota', 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.', { type: 'insufficient_quota' });
    }
    if (key.includes('ratelimit')) {
      return openAIError(429, 'rate_limit_exceeded', 'Rate limit reached for requests. Limit: 500 / min. Please try again in 2s.', {
        type: 'requests',
        headers: { 'retry-after': '2', 'x-ratelimit-reset-requests': '2s', 'x-ratelimit-remaining-requests': '0' },
      });
    }
    if (key.includes('nomodel')) {
      const model = (request.body as { model?: unknown } | null)?.model;
      return openAIError(404, 'model_not_found', `The model \`${String(model ?? 'unknown')}\` does not exist or you do not have access to it.`);
    }
    if (key.includes('toolong')) {
      return openAIError(400, 'context_length_exceeded', "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.", { type: 'invalid_request_error' });
    }
    if (key.includes('broken')) {
      return openAIError(500, null, 'The server had an error while processing your request. Sorry about that!', { type: 'server_error' });
    }
    return undefined;
  }

  function success(request: FakeRequest): FakeResponse {
    if (request.method === 'GET' && request.path.split('?')[0] === COSTS_PATH) return costsPage(request, costs);
    if (request.method === 'GET' && request.path.split('?')[0] === '/v1/models') {
      return { status: 200, body: { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' })) } };
    }
    if (request.method === 'POST' && request.path.split('?')[0] === '/v1/chat/completions') {
      const body = (request.body ?? {}) as {
        model?: string;
        messages?: { role?: string; content?: unknown }[];
        response_format?: { type?: string; json_schema?: { schema?: unknown } };
      };
      const lastUser = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
      const schema = body.response_format?.json_schema?.schema;
      const content =
        reply?.(body) ??
        (body.response_format?.type === 'json_schema'
          ? JSON.stringify(plainJsonForSchema(typeof schema === 'object' && schema !== null ? (schema as Record<string, unknown>) : {}))
          : `Fake reply to: ${typeof lastUser?.content === 'string' ? lastUser.content : ''}`);
      const counted = simulatedUsage(messagesOf(body) ?? [], content, promptTokensOf(body));
      const promptTokens = reportedPromptTokens(counted.inputTokens);
      const completionTokens = counted.outputTokens;
      const usage: Record<string, unknown> = {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: Math.min(options.cachedTokens ?? 0, promptTokens), audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      };
      if (options.usageCost !== undefined && options.usageCost !== null) usage.cost = options.usageCost;
      return {
        status: 200,
        body: {
          id: `chatcmpl-${randomBytes(12).toString('hex')}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model ?? 'unknown',
          choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
          usage,
          service_tier: 'default',
          system_fingerprint: 'fp_fake',
        },
      };
    }
    // Gateway hook: /v1/responses and /v1/embeddings (fake-openai-gateway.ts).
    const gateway = gatewayEndpointAnswer(request, { sample: (schema) => plainJsonForSchema(typeof schema === 'object' && schema !== null ? (schema as Record<string, unknown>) : {}), inflate: reportedPromptTokens, usageCost: options.usageCost });
    if (gateway) return gateway;
    return openAIError(404, null, `Invalid URL (${request.method} ${request.path})`);
  }

  async function answerFor(request: FakeRequest): Promise<FakeResponse> {
    const queued = queue.shift();
    if (queued) return queued;
    const custom = responder ? await responder(request) : undefined;
    if (custom) return custom;
    return errorForKey(request) ?? success(request);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw === '' ? null : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const authorization = req.headers.authorization ?? null;
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1] ?? null;
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      query: parseQuery(req.url ?? '/'),
      authorization,
      key: bearer,
      body,
      receivedAt: Date.now(),
      status: null,
      aborted: false,
      requestId: `req_${randomBytes(16).toString('hex')}`,
    };
    const counterKey = keyName(bearer);
    if (bearer !== null) requestsByKey.set(bearer, (requestsByKey.get(bearer) ?? 0) + 1);
    requests.push(request);
    enter(counterKey);

    let left = false;
    const leaveOnce = () => {
      if (!left) {
        left = true;
        leave(counterKey);
      }
    };
    let holdTimer: NodeJS.Timeout | undefined;
    let releaseHold: (() => void) | undefined;
    res.on('close', () => {
      if (!res.writableFinished) {
        request.aborted = true;
        if (holdTimer) clearTimeout(holdTimer);
        releaseHold?.();
      }
      leaveOnce();
    });

    let answer = await answerFor(request);
    // Gateway hook: a chat request with `stream: true` gets its completion as server-sent events.
    if (wantsChatStream(request.path, request.body, answer)) answer = { ...answer, stream: chatStreamOf(answer.body as Record<string, unknown>, includeUsageOf(request.body)) };
    const wait = answer.latencyMs ?? latencyMs;
    if (wait > 0 && !request.aborted) {
      await new Promise<void>((resolve) => {
        releaseHold = resolve;
        holdTimer = setTimeout(resolve, wait);
      });
    }
    if (request.aborted || res.destroyed) return;

    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-request-id': request.requestId,
      'openai-processing-ms': String(wait),
      ...rateLimitHeaders(request),
      ...(answer.headers ?? {}),
    };
    request.status = answer.status;
    if (answer.stream) {
      await writeFakeStream(res, answer.status, headers, answer.stream, () => request.aborted);
      leaveOnce();
      return;
    }
    const payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
    res.writeHead(answer.status, headers);
    res.end(payload);
    leaveOnce();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'fake server failure', type: 'server_error', param: null, code: null } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    inFlight: (key) => (key === undefined ? currentTotal : (current.get(keyName(key)) ?? 0)),
    maxInFlight: (key) => (key === undefined ? highestTotal : (highest.get(keyName(key)) ?? 0)),
    reset() {
      requests.length = 0;
      queue.length = 0;
      responder = null;
      reply = null;
      latencyMs = options.latencyMs ?? 0;
      costs = { ...(options.costs ?? {}) };
      inflation = options.inflatePromptTokens ?? null;
      requestsByKey.clear();
      highest.clear();
      for (const [key, value] of current) highest.set(key, value);
      highestTotal = currentTotal;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    replyWith(fn) {
      reply = fn;
    },
    respondWith(fn) {
      responder = fn;
    },
    enqueue(...responses) {
      queue.push(...responses);
    },
    inflatePromptTokens(next) {
      inflation = next;
    },
    setCosts(next) {
      costs = { ...next };
    },
    costRequests: () => requests.filter((r) => r.method === 'GET' && r.path.split('?')[0] === COSTS_PATH),
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error('fake-openai: condition not met in time');
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
