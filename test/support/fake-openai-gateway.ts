/**
 * The fake provider's endpoints for the gateway (kept apart from fake-openai.ts, which serves them through two hooks):
 *
 * - `POST /v1/chat/completions` with `stream: true` → the same completion as server-sent `chat.completion.chunk`s: a role
 *   chunk, the content in pieces (tool calls as one `tool_calls` delta), a finish chunk, then — only with
 *   `stream_options.include_usage` — a usage chunk with `choices: []` (every chunk carries `usage: null` before it),
 *   then `data: [DONE]`. Applies to every 200 chat completion, queued or `respondWith` ones included.
 * - `POST /v1/responses` (plain and `stream: true`) → a `response` whose output text is `Fake reply to: <input>` (or a
 *   sample of `text.format`'s JSON Schema); usage ~4 characters per token (`input_tokens`, `output_tokens`); the stream
 *   sends `response.created`, `…output_text.delta` pieces and `response.completed` with the usage.
 * - `POST /v1/embeddings` → one deterministic unit vector per input (`dimensions`, default 8; `encoding_format: base64`
 *   as little-endian float32), usage `prompt_tokens` ~4 characters per token.
 *
 * A response may carry `stream: { events, intervalMs, holdOpen }` itself (e.g. from `respondWith`): raw SSE events
 * written one by one, `intervalMs` apart; `holdOpen` keeps the connection open after the last one until the client
 * hangs up (the request is then marked `aborted`) — a model that is still generating.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { countTokens } from '@vaultrun/providers';

/** A streamed answer: each entry is one whole SSE event (`data: …\n\n`, optionally with an `event:` line). */
export interface FakeStream {
  events: string[];
  /** Wait this long before each event after the first (default 0). */
  intervalMs?: number;
  /** After the last event, keep the connection open until the client closes it. */
  holdOpen?: boolean;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
// The same token count as the mock provider and Vaultrun's estimates (one token model for every fake).
const tokens = countTokens;
export const sseEvent = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

/** Text cut in a few pieces, as a model streams it. */
function pieces(text: string, size = 12): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}

/** A chat completion (as the fake answers it) as the stream OpenAI would send for it. */
export function chatStreamOf(completion: Obj, includeUsage: boolean): FakeStream {
  const base = { id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model, system_fingerprint: 'fp_fake' };
  const usageNull = includeUsage ? { usage: null } : {};
  const choice = (Array.isArray(completion.choices) ? completion.choices[0] : {}) as Obj;
  const message = (choice.message ?? {}) as Obj;
  const events = [sseEvent({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], ...usageNull })];
  if (typeof message.content === 'string' && message.content !== '') {
    for (const piece of pieces(message.content)) events.push(sseEvent({ ...base, choices: [{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }], ...usageNull }));
  }
  if (Array.isArray(message.tool_calls)) {
    const calls = message.tool_calls.map((c, index) => ({ index, ...(c as Obj) }));
    events.push(sseEvent({ ...base, choices: [{ index: 0, delta: { tool_calls: calls }, logprobs: null, finish_reason: null }], ...usageNull }));
  }
  events.push(sseEvent({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: choice.finish_reason ?? 'stop' }], ...usageNull }));
  if (includeUsage) events.push(sseEvent({ ...base, choices: [], usage: completion.usage }));
  events.push(sseEvent('[DONE]'));
  return { events };
}

/** Whether a 200 answer to a chat request should go out as a stream (the request asked for one). */
export function wantsChatStream(path: string, body: unknown, answer: { status: number; body?: unknown; stream?: FakeStream }): boolean {
  return path.split('?')[0] === '/v1/chat/completions' && isObject(body) && body.stream === true && answer.status === 200 && !answer.stream && isObject(answer.body) && answer.body.object === 'chat.completion';
}

export function includeUsageOf(body: unknown): boolean {
  return isObject(body) && isObject(body.stream_options) && body.stream_options.include_usage === true;
}

function inputText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (!Array.isArray(input)) return '';
  const parts: string[] = [];
  for (const item of input) {
    if (!isObject(item)) continue;
    if (typeof item.content === 'string') parts.push(item.content);
    else if (Array.isArray(item.content)) for (const c of item.content) if (isObject(c) && typeof c.text === 'string') parts.push(c.text);
  }
  return parts.join('\n');
}

/**
 * `POST /v1/responses` and `POST /v1/embeddings`, or undefined for any other request. `sample` builds JSON for a
 * schema (the fake's own sampler), `inflate` applies the fake's prompt inflation to a count.
 */
export function gatewayEndpointAnswer(
  request: { method: string; path: string; body: unknown },
  helpers: { sample: (schema: unknown) => unknown; inflate: (promptTokens: number) => number; usageCost?: number | string | null },
): { status: number; body?: unknown; stream?: FakeStream } | undefined {
  const path = request.path.split('?')[0];
  if (request.method !== 'POST' || !isObject(request.body)) return undefined;
  const body = request.body;
  if (path === '/v1/embeddings') {
    const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : [];
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 8;
    const data = inputs.map((input, index) => {
      const digest = createHash('sha256').update(JSON.stringify(input)).digest();
      const vector = Array.from({ length: dimensions }, (_, i) => digest[i % digest.length]! / 255 - 0.5);
      const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding', index, embedding };
    });
    const promptTokens = helpers.inflate(inputs.reduce((n: number, x) => n + (typeof x === 'string' ? tokens(x) : Array.isArray(x) ? x.length : 0), 0));
    return { status: 200, body: { object: 'list', data, model: body.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } } };
  }
  if (path !== '/v1/responses') return undefined;
  const format = isObject(body.text) && isObject(body.text.format) ? body.text.format : null;
  const text = format?.type === 'json_schema' ? JSON.stringify(helpers.sample(format.schema)) : `Fake reply to: ${inputText(body.input)}`;
  const inputTokens = helpers.inflate(tokens(`${typeof body.instructions === 'string' ? body.instructions : ''}${inputText(body.input)}`) + 3);
  const usage: Obj = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: tokens(text),
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + tokens(text),
  };
  if (helpers.usageCost !== undefined && helpers.usageCost !== null) usage.cost = helpers.usageCost;
  const messageId = `msg_${randomBytes(8).toString('hex')}`;
  const response = {
    id: `resp_${randomBytes(12).toString('hex')}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    error: null,
    incomplete_details: null,
    model: body.model,
    output: [{ type: 'message', id: messageId, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage,
  };
  if (body.stream !== true) return { status: 200, body: response };
  let sequence = 0;
  const event = (type: string, fields: Obj) => sseEvent({ type, sequence_number: sequence++, ...fields }, type);
  const pending = { ...response, status: 'in_progress', output: [], usage: null };
  return {
    status: 200,
    stream: {
      events: [
        event('response.created', { response: pending }),
        event('response.output_item.added', { output_index: 0, item: { ...response.output[0], status: 'in_progress', content: [] } }),
        ...pieces(text).map((delta) => event('response.output_text.delta', { item_id: messageId, output_index: 0, content_index: 0, delta, logprobs: [] })),
        event('response.output_text.done', { item_id: messageId, output_index: 0, content_index: 0, text, logprobs: [] }),
        event('response.output_item.done', { output_index: 0, item: response.output[0] }),
        event('response.completed', { response }),
      ],
    },
  };
}

/** Writes a streamed answer; resolves when it is done or the client left (then `aborted` has been set by the caller). */
export async function writeFakeStream(res: ServerResponse, status: number, headers: Record<string, string>, stream: FakeStream, isAborted: () => boolean): Promise<void> {
  res.writeHead(status, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  for (let i = 0; i < stream.events.length; i++) {
    if (i > 0 && stream.intervalMs) await new Promise((resolve) => setTimeout(resolve, stream.intervalMs));
    if (isAborted() || res.destroyed) return;
    res.write(stream.events[i]);
  }
  if (stream.holdOpen) {
    await new Promise<void>((resolve) => res.once('close', () => resolve()));
    return;
  }
  res.end();
}
