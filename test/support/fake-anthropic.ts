/**
 * A local Anthropic API for tests: point the real `@anthropic-ai/sdk` (or a Vaultrun `anthropic` account) at
 * `fake.url` — the API root, without /v1, as the SDK wants it — and every taxonomy error can be produced offline.
 *
 * Serves (the key is read from `x-api-key` or `Authorization: Bearer`, which this SDK version sends):
 * - `GET  /v1/models?limit&after_id` → `{ data: [{ type: 'model', id, display_name, created_at }], has_more, first_id,
 *   last_id }` over `options.models` (default claude-haiku-4-5, claude-sonnet-4-5, claude-opus-4-5), pages of
 *   min(limit, options.modelsPageSize).
 * - `POST /v1/messages` → a Message whose text is `Fake reply to: <last user message>`; with a forced tool
 *   (`tool_choice: { type: 'tool', name }`, or `{ type: 'any' }`: the first tool) a `tool_use` block whose input is the plainest JSON valid against the tool's
 *   input_schema (`plainJsonForSchema`, like the OpenAI fake). Usage is the mock's token model over the system text and
 *   messages (`simulatedUsage`); `options.cacheReadTokens` / `cacheWriteTokens` are reported as cache reads / writes
 *   (and left out of input_tokens, as Anthropic does). With `stream: true` the same answer as Anthropic's SSE events
 *   (message_start, content_block_start/delta/stop, message_delta with usage, message_stop). A model not in the list
 *   gets Anthropic's 404.
 * - `POST /v1/messages/count_tokens` → `{ input_tokens }`: the token model's count of the system text and messages.
 * - `GET  /v1/organizations/cost_report` → the Admin API cost report for cost sync (admin key `sk-ant-admin…` only):
 *   `starting_at` (required, RFC 3339), `ending_at` (exclusive), `bucket_width` (only `1d`), `limit` (1–31, default 7),
 *   `page`. One bucket per UTC day with an amount in `costs.days` (amounts in cents, as Anthropic sends them: decimal
 *   strings); days without one have no bucket. `costRequests()` lists these calls.
 *
 * Every answer carries `request-id` and, for a keyed request, `anthropic-ratelimit-requests-{limit,remaining,reset}`
 * and `anthropic-ratelimit-tokens-{limit,remaining,reset}` (resets as RFC 3339 times; limits from options.rateLimits,
 * default 50 requests and 40,000 tokens).
 *
 * Errors with Anthropic's body (`{ type: 'error', error: { type, message }, request_id }`) by key:
 * | key contains | answer |
 * |---|---|
 * | `invalid`    | 401 authentication_error "invalid x-api-key" (echoing the key's tail, to prove it is never passed on) |
 * | `forbidden`  | 403 permission_error |
 * | `credit`     | 400 invalid_request_error "Your credit balance is too low…" |
 * | `ratelimit`  | 429 rate_limit_error, `retry-after: 2`, requests remaining 0 |
 * | `nomodel`    | 404 not_found_error "model: <model>" |
 * | `toolong`    | 400 invalid_request_error "prompt is too long: …" |
 * | `overloaded` | 529 overloaded_error |
 * | `broken`     | 500 api_error |
 * | `refusal`    | 200 with stop_reason `refusal` |
 * | `midstream`  | a stream that begins, then ends with an `overloaded_error` error event (no message_delta) |
 */
import { randomBytes } from 'node:crypto';
import { type CountedMessage, estimatePromptTokens, plainJsonForSchema, simulatedUsage } from '@vaultrun/providers';
import { type FakeHttpRequest, type FakeHttpResponse, type FakeHttpServer, type FakeSseEvent, startFakeHttp, streamPieces } from './fake-http.js';

export interface FakeAnthropicOptions {
  models?: string[];
  modelsPageSize?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  rateLimits?: { requests?: number; tokens?: number };
  costs?: FakeAnthropicCosts;
  latencyMs?: number;
}

export interface FakeAnthropicCosts {
  /** Cents billed per UTC day ('YYYY-MM-DD'), as decimal strings (or numbers); an array gives one result each. */
  days?: Record<string, string | number | (string | number)[]>;
  /** The server's page size (default 31). */
  maxPageSize?: number;
}

export interface FakeAnthropic extends Omit<FakeHttpServer, 'origin'> {
  /** The API root (no /v1), for the SDK's baseURL and a Vaultrun account's base URL. */
  url: string;
  setCosts(costs: FakeAnthropicCosts): void;
  costRequests(): FakeHttpRequest[];
  /** The assistant text of answers (null: the default). */
  replyWith(reply: ((body: MessagesBody) => string | undefined) | null): void;
}

interface MessagesBody {
  model?: string;
  max_tokens?: number;
  system?: string | { text?: string }[];
  messages?: { role?: string; content?: unknown }[];
  tools?: { name?: string; input_schema?: Record<string, unknown> }[];
  tool_choice?: { type?: string; name?: string };
  stream?: boolean;
}

const DEFAULT_MODELS = ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-5'];
const DAY_SECONDS = 86_400;

export function anthropicError(status: number, type: string, message: string, headers?: Record<string, string>): FakeHttpResponse {
  return { status, body: { type: 'error', error: { type, message }, request_id: `req_${randomBytes(8).toString('hex')}` }, headers };
}

const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((c: { text?: unknown }) => (typeof c?.text === 'string' ? c.text : '')).join('') : '';

/** The system text and messages as the token model counts them. */
function countedMessages(body: MessagesBody): CountedMessage[] {
  const system = typeof body.system === 'string' ? body.system : Array.isArray(body.system) ? body.system.map((b) => b.text ?? '').join('') : '';
  const messages = (body.messages ?? []).map((m) => ({ role: typeof m.role === 'string' ? m.role : '', content: textOf(m.content) }));
  return system ? [{ role: 'system', content: system }, ...messages] : messages;
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const models = options.models ?? DEFAULT_MODELS;
  const requestLimit = options.rateLimits?.requests ?? 50;
  const tokenLimit = options.rateLimits?.tokens ?? 40_000;
  let costs: FakeAnthropicCosts = { ...(options.costs ?? {}) };
  let reply: ((body: MessagesBody) => string | undefined) | null = null;
  const requestsByKey = new Map<string, number>();

  function errorForKey(request: FakeHttpRequest): FakeHttpResponse | undefined {
    const key = request.key;
    if (key === null) return anthropicError(401, 'authentication_error', 'x-api-key header is required');
    if (key.includes('invalid')) return anthropicError(401, 'authentication_error', `invalid x-api-key (…${key.slice(-6)})`);
    if (key.includes('forbidden')) return anthropicError(403, 'permission_error', 'Your API key does not have permission to use the specified resource.');
    if (key.includes('credit')) {
      return anthropicError(400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.');
    }
    if (key.includes('ratelimit')) {
      return anthropicError(429, 'rate_limit_error', 'This request would exceed the rate limit for your organization of 50 requests per minute.', {
        'retry-after': '2',
        'anthropic-ratelimit-requests-remaining': '0',
      });
    }
    if (key.includes('nomodel')) return anthropicError(404, 'not_found_error', `model: ${String((request.body as MessagesBody | null)?.model ?? 'unknown')}`);
    if (key.includes('toolong')) return anthropicError(400, 'invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum');
    if (key.includes('overloaded')) return anthropicError(529, 'overloaded_error', 'Overloaded');
    if (key.includes('broken')) return anthropicError(500, 'api_error', 'Internal server error');
    return undefined;
  }

  function modelsPage(request: FakeHttpRequest): FakeHttpResponse {
    const limit = Math.min(Number(request.query.limit ?? 20) || 20, options.modelsPageSize ?? 1000);
    const start = request.query.after_id ? models.indexOf(request.query.after_id) + 1 : 0;
    const page = models.slice(start, start + limit);
    return {
      status: 200,
      body: {
        data: page.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' })),
        has_more: start + limit < models.length,
        first_id: page[0] ?? null,
        last_id: page[page.length - 1] ?? null,
      },
    };
  }

  function costReport(request: FakeHttpRequest): FakeHttpResponse {
    if (!request.key?.startsWith('sk-ant-admin')) return anthropicError(401, 'authentication_error', 'This endpoint requires an Admin API key (sk-ant-admin…).');
    const q = request.query;
    const start = q.starting_at ? Date.parse(q.starting_at) / 1000 : Number.NaN;
    if (!Number.isFinite(start)) return anthropicError(400, 'invalid_request_error', 'starting_at: Field required');
    if (q.bucket_width !== undefined && q.bucket_width !== '1d') return anthropicError(400, 'invalid_request_error', "bucket_width: must be '1d'");
    const limit = q.limit === undefined ? 7 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 31) return anthropicError(400, 'invalid_request_error', 'limit: must be between 1 and 31');
    const end = q.ending_at ? Date.parse(q.ending_at) / 1000 : Date.now() / 1000;
    const buckets: { starting_at: string; ending_at: string; results: unknown[] }[] = [];
    for (let day = Math.floor(start / DAY_SECONDS) * DAY_SECONDS; day < end; day += DAY_SECONDS) {
      const amounts = costs.days?.[new Date(day * 1000).toISOString().slice(0, 10)];
      if (amounts === undefined) continue;
      buckets.push({
        starting_at: new Date(day * 1000).toISOString().replace('.000Z', 'Z'),
        ending_at: new Date((day + DAY_SECONDS) * 1000).toISOString().replace('.000Z', 'Z'),
        results: (Array.isArray(amounts) ? amounts : [amounts]).map((amount) => ({
          currency: 'USD',
          amount,
          workspace_id: null,
          description: null,
          cost_type: null,
          context_window: null,
          model: null,
          service_tier: null,
          token_type: null,
        })),
      });
    }
    const offset = q.page ? Number(Buffer.from(q.page, 'base64url').toString('utf8').replace('page_', '')) : 0;
    const size = Math.min(limit, costs.maxPageSize ?? 31);
    const hasMore = offset + size < buckets.length;
    return { status: 200, body: { data: buckets.slice(offset, offset + size), has_more: hasMore, next_page: hasMore ? Buffer.from(`page_${offset + size}`).toString('base64url') : null } };
  }

  function message(request: FakeHttpRequest): FakeHttpResponse {
    const body = (request.body ?? {}) as MessagesBody;
    const model = body.model ?? '';
    if (!models.includes(model)) return anthropicError(404, 'not_found_error', `model: ${model}`);
    if (typeof body.max_tokens !== 'number') return anthropicError(400, 'invalid_request_error', 'max_tokens: Field required');
    const counted = countedMessages(body);
    // `tool` forces the named tool, `any` the first one (what an OpenAI client's tool_choice 'required' becomes).
    const forced = body.tool_choice?.type === 'tool' ? body.tools?.find((t) => t.name === body.tool_choice?.name) : body.tool_choice?.type === 'any' ? body.tools?.[0] : undefined;
    const lastUser = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
    const refusal = request.key?.includes('refusal') ?? false;
    const input = forced ? plainJsonForSchema(forced.input_schema ?? {}) : undefined;
    const text = refusal ? '' : forced ? JSON.stringify(input) : (reply?.(body) ?? `Fake reply to: ${textOf(lastUser?.content)}`);
    const toolsText = body.tools ? JSON.stringify(body.tools) : '';
    const usage = simulatedUsage(counted, text, estimatePromptTokens(counted) + (toolsText ? estimatePromptTokens([{ role: 'tools', content: toolsText }]) : 0));
    const cacheRead = Math.min(options.cacheReadTokens ?? 0, usage.inputTokens);
    const cacheWrite = Math.min(options.cacheWriteTokens ?? 0, usage.inputTokens - cacheRead);
    const usageBody = {
      input_tokens: usage.inputTokens - cacheRead - cacheWrite,
      output_tokens: usage.outputTokens,
      cache_read_input_tokens: cacheRead,
      cache_creation_input_tokens: cacheWrite,
      cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
      service_tier: 'standard',
    };
    const id = `msg_${randomBytes(12).toString('hex')}`;
    const stopReason = refusal ? 'refusal' : forced ? 'tool_use' : 'end_turn';
    const content = refusal ? [] : forced ? [{ type: 'tool_use', id: `toolu_${randomBytes(8).toString('hex')}`, name: forced.name, input }] : [{ type: 'text', text, citations: null }];
    if (!body.stream) {
      return { status: 200, body: { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage: usageBody } };
    }
    const events: FakeSseEvent[] = [
      { event: 'message_start', data: { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usageBody, output_tokens: 1 } } } },
    ];
    if (forced) {
      events.push({ event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { ...content[0], input: {} } } });
      for (const piece of streamPieces(text)) events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: piece } } });
      events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } });
    } else if (!refusal) {
      events.push({ event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } } });
      events.push({ event: 'ping', data: { type: 'ping' } });
      for (const piece of streamPieces(text)) events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } } });
      events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } });
    }
    if (request.key?.includes('midstream')) {
      // Overloaded after the answer began: Anthropic's error event, and the stream ends there.
      events.push({ event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
      return { status: 200, sse: events };
    }
    events.push({ event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.outputTokens } } });
    events.push({ event: 'message_stop', data: { type: 'message_stop' } });
    return { status: 200, sse: events };
  }

  const server = await startFakeHttp({
    latencyMs: options.latencyMs,
    keyOf: (headers) => headers['x-api-key'] ?? headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1] ?? null,
    headersFor(request) {
      const headers: Record<string, string> = { 'request-id': request.requestId };
      if (request.key === null) return headers;
      const made = (requestsByKey.get(request.key) ?? 0) + 1;
      requestsByKey.set(request.key, made);
      const prompt = Array.isArray((request.body as MessagesBody | null)?.messages) ? estimatePromptTokens(countedMessages(request.body as MessagesBody)) : 0;
      const inAMinute = new Date(Math.ceil(Date.now() / 60_000) * 60_000).toISOString().replace('.000Z', 'Z');
      return {
        ...headers,
        'anthropic-ratelimit-requests-limit': String(requestLimit),
        'anthropic-ratelimit-requests-remaining': String(Math.max(0, requestLimit - made)),
        'anthropic-ratelimit-requests-reset': inAMinute,
        'anthropic-ratelimit-tokens-limit': String(tokenLimit),
        'anthropic-ratelimit-tokens-remaining': String(Math.max(0, tokenLimit - prompt)),
        'anthropic-ratelimit-tokens-reset': inAMinute,
      };
    },
    route(request) {
      if (request.method === 'GET' && request.pathname === '/v1/organizations/cost_report') return costReport(request);
      const failure = errorForKey(request);
      if (failure) return failure;
      if (request.method === 'GET' && request.pathname === '/v1/models') return modelsPage(request);
      if (request.method === 'POST' && request.pathname === '/v1/messages') return message(request);
      if (request.method === 'POST' && request.pathname === '/v1/messages/count_tokens') {
        const body = (request.body ?? {}) as MessagesBody;
        if (!models.includes(body.model ?? '')) return anthropicError(404, 'not_found_error', `model: ${body.model ?? ''}`);
        return { status: 200, body: { input_tokens: estimatePromptTokens(countedMessages(body)) } };
      }
      return anthropicError(404, 'not_found_error', 'Not Found');
    },
    onReset() {
      costs = { ...(options.costs ?? {}) };
      reply = null;
      requestsByKey.clear();
    },
  });
  const { origin, ...rest } = server;
  return {
    ...rest,
    url: origin,
    setCosts(next) {
      costs = { ...next };
    },
    costRequests: () => server.requests.filter((r) => r.pathname === '/v1/organizations/cost_report'),
    replyWith(fn) {
      reply = fn;
    },
  };
}
