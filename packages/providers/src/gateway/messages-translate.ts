// Anthropic's Messages API (`POST /v1/messages`) on accounts that do not speak it: the request is translated into an
// OpenAI chat request for the account's own upstream (OpenAI, OpenAI-compatible, Azure OpenAI, the mock — and Gemini,
// through its chat translation), and the chat answer or stream back into an Anthropic Message or its events. What maps
// (docs/gateway.md, "Translation"): system (text or blocks) → a system message; text and image blocks (base64 or URL);
// tool_use blocks → tool calls, tool_result blocks → tool messages; tools, tool_choice and disable_parallel_tool_use;
// max_tokens, temperature, top_p, stop_sequences, metadata.user_id. Thinking blocks and server tools are dropped.
import { randomBytes } from 'node:crypto';
import { ProviderError } from '../errors.js';
import type { ProviderKind, TokenUsage } from '../provider.js';
import { SseSplitter } from './sse.js';
import { argumentsObject, isObject, jsonBytes, type Obj } from './translate.js';
import type { GatewayAnswer, GatewayRequest, GatewayStream, GatewayUpstream } from './types.js';
import { chatUsageOf } from './usage.js';

const encoder = new TextEncoder();

function blockText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((b) => (isObject(b) && b.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('');
}

function imagePart(block: Obj): Obj | null {
  const source = isObject(block.source) ? block.source : null;
  if (!source) return null;
  if (source.type === 'base64' && typeof source.data === 'string') return { type: 'image_url', image_url: { url: `data:${String(source.media_type ?? 'image/png')};base64,${source.data}` } };
  if (source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
  return null;
}

/** An Anthropic Messages request as an OpenAI chat request for an account of `kind`. */
export function chatBodyOfMessages(body: Obj, kind: ProviderKind): Obj {
  const messages: Obj[] = [];
  const system = blockText(body.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObject(m)) continue;
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : Array.isArray(m.content) ? m.content.filter(isObject) : [];
    if (m.role === 'assistant') {
      const text = blocks.map((b) => (b.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('');
      const calls = blocks.filter((b) => b.type === 'tool_use').map((b) => ({ id: String(b.id ?? ''), type: 'function', function: { name: String(b.name ?? ''), arguments: JSON.stringify(b.input ?? {}) } }));
      messages.push({ role: 'assistant', content: text === '' && calls.length ? null : text, ...(calls.length ? { tool_calls: calls } : {}) });
      continue;
    }
    // Tool results first (they answer the previous assistant turn), then what the user added.
    for (const b of blocks) {
      if (b.type !== 'tool_result') continue;
      const content = typeof b.content === 'string' ? b.content : blockText(b.content);
      messages.push({ role: 'tool', tool_call_id: String(b.tool_use_id ?? ''), content: b.is_error === true ? `Error: ${content}` : content });
    }
    const parts: Obj[] = [];
    for (const b of blocks) {
      if (b.type === 'text' && typeof b.text === 'string') parts.push({ type: 'text', text: b.text });
      else if (b.type === 'image') {
        const image = imagePart(b);
        if (image) parts.push(image);
      }
    }
    if (!parts.length) continue;
    messages.push({ role: 'user', content: parts.every((p) => p.type === 'text') ? parts.map((p) => p.text).join('\n') : parts });
  }
  const chat: Obj = { model: body.model, messages };
  const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : undefined;
  if (maxTokens !== undefined) chat[kind === 'openai' ? 'max_completion_tokens' : 'max_tokens'] = maxTokens;
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length) chat.stop = body.stop_sequences;
  if (isObject(body.metadata) && typeof body.metadata.user_id === 'string') chat.user = body.metadata.user_id;
  const tools = Array.isArray(body.tools) ? body.tools.filter((t): t is Obj => isObject(t) && typeof t.name === 'string' && isObject(t.input_schema)) : [];
  if (tools.length) {
    chat.tools = tools.map((t) => ({ type: 'function', function: { name: t.name, ...(typeof t.description === 'string' ? { description: t.description } : {}), parameters: t.input_schema } }));
    const choice = isObject(body.tool_choice) ? body.tool_choice : null;
    if (choice?.type === 'any') chat.tool_choice = 'required';
    else if (choice?.type === 'none') chat.tool_choice = 'none';
    else if (choice?.type === 'tool' && typeof choice.name === 'string') chat.tool_choice = { type: 'function', function: { name: choice.name } };
    else if (choice?.type === 'auto') chat.tool_choice = 'auto';
    if (choice?.disable_parallel_tool_use === true && kind !== 'mock') chat.parallel_tool_calls = false;
  }
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return chat;
}

/** finish_reason as Anthropic's stop_reason. */
function stopReasonOf(finish: unknown): string {
  if (finish === 'length') return 'max_tokens';
  if (finish === 'tool_calls' || finish === 'function_call') return 'tool_use';
  if (finish === 'content_filter') return 'refusal';
  return 'end_turn';
}

/** Anthropic's usage from the shared model: its input_tokens leave cache reads and writes out. */
export function anthropicUsageFields(u: TokenUsage | null): Obj {
  const read = u?.cachedInputTokens ?? 0;
  const write = u?.cacheWriteInputTokens ?? 0;
  return { input_tokens: Math.max(0, (u?.inputTokens ?? 0) - read - write), output_tokens: u?.outputTokens ?? 0, cache_read_input_tokens: read, cache_creation_input_tokens: write };
}

const messageId = (id: unknown) => `msg_${typeof id === 'string' && id !== '' ? id.replace(/^(chatcmpl-|msg_)/, '') : randomBytes(12).toString('hex')}`;

/** An OpenAI chat completion as an Anthropic Message. */
export function messageOfChat(json: unknown, model: string, usage: TokenUsage | null): Obj {
  const answer = isObject(json) ? json : {};
  const choice = Array.isArray(answer.choices) && isObject(answer.choices[0]) ? answer.choices[0] : {};
  const message = isObject(choice.message) ? choice.message : {};
  const content: Obj[] = [];
  if (typeof message.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
  for (const call of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
    if (!isObject(call) || !isObject(call.function)) continue;
    content.push({ type: 'tool_use', id: String(call.id ?? `toolu_${randomBytes(8).toString('hex')}`), name: String(call.function.name ?? ''), input: argumentsObject(call.function.arguments) });
  }
  return {
    id: messageId(answer.id),
    type: 'message',
    role: 'assistant',
    model: typeof answer.model === 'string' && answer.model !== '' ? answer.model : model,
    content,
    stop_reason: stopReasonOf(choice.finish_reason),
    stop_sequence: null,
    usage: anthropicUsageFields(usage),
  };
}

const event = (type: string, data: Obj) => encoder.encode(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);

/** An OpenAI chat stream (SSE bytes, usage chunk included) as Anthropic's stream events. */
async function* messageEventsOfChat(chunks: AsyncIterable<Uint8Array>, model: string): AsyncGenerator<Uint8Array> {
  const splitter = new SseSplitter();
  let started = false;
  let open: { index: number; kind: 'text' | 'tool' } | null = null;
  let blocks = 0;
  let finish: unknown = null;
  let usage: TokenUsage | null = null;
  let ended = false;
  const toolBlocks = new Map<number, number>();
  const start = function* (id: unknown, answerModel: unknown) {
    if (started) return;
    started = true;
    const message = { id: messageId(id), type: 'message', role: 'assistant', model: typeof answerModel === 'string' && answerModel ? answerModel : model, content: [], stop_reason: null, stop_sequence: null, usage: anthropicUsageFields(null) };
    yield event('message_start', { message });
  };
  const close = function* () {
    if (open === null) return;
    yield event('content_block_stop', { index: open.index });
    open = null;
  };
  const handle = function* (data: string): Generator<Uint8Array> {
    if (data === '[DONE]') {
      ended = true;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      // Not JSON (a comment a server sent as data): nothing to translate.
      return;
    }
    if (!isObject(chunk)) return;
    if (isObject(chunk.error)) throw new ProviderError('provider_unavailable', { requestSent: true });
    yield* start(chunk.id, chunk.model);
    if (isObject(chunk.usage)) usage = chatUsageOf(chunk.usage) ?? usage;
    for (const c of Array.isArray(chunk.choices) ? chunk.choices : []) {
      if (!isObject(c)) continue;
      const delta = isObject(c.delta) ? c.delta : {};
      if (typeof delta.content === 'string' && delta.content !== '') {
        if (open?.kind !== 'text') {
          yield* close();
          open = { index: blocks++, kind: 'text' };
          yield event('content_block_start', { index: open.index, content_block: { type: 'text', text: '' } });
        }
        yield event('content_block_delta', { index: open.index, delta: { type: 'text_delta', text: delta.content } });
      }
      for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
        if (!isObject(call)) continue;
        const at = typeof call.index === 'number' ? call.index : 0;
        const fn = isObject(call.function) ? call.function : {};
        if (!toolBlocks.has(at)) {
          yield* close();
          const index = blocks++;
          toolBlocks.set(at, index);
          open = { index, kind: 'tool' };
          yield event('content_block_start', { index, content_block: { type: 'tool_use', id: String(call.id ?? `toolu_${randomBytes(8).toString('hex')}`), name: String(fn.name ?? ''), input: {} } });
        }
        if (typeof fn.arguments === 'string' && fn.arguments !== '') yield event('content_block_delta', { index: toolBlocks.get(at), delta: { type: 'input_json_delta', partial_json: fn.arguments } });
      }
      if (c.finish_reason !== null && c.finish_reason !== undefined) finish = c.finish_reason;
    }
  };
  for await (const bytes of chunks) for (const e of splitter.push(bytes)) if (e.data !== null) yield* handle(e.data);
  for (const e of splitter.end()) if (e.data !== null) yield* handle(e.data);
  if (!ended || !started) throw new ProviderError('provider_unavailable', { requestSent: true });
  yield* close();
  yield event('message_delta', { delta: { stop_reason: stopReasonOf(finish), stop_sequence: null }, usage: anthropicUsageFields(usage) });
  yield event('message_stop', {});
}

/**
 * An upstream that also serves `messages` by translating to its chat completions: Anthropic clients on OpenAI,
 * OpenAI-compatible, Azure, Gemini and mock accounts. Every other endpoint goes straight through.
 */
export class MessagesViaChatUpstream implements GatewayUpstream {
  constructor(private readonly inner: GatewayUpstream) {}

  get kind() {
    return this.inner.kind;
  }

  async call(request: GatewayRequest): Promise<GatewayAnswer | GatewayStream> {
    if (request.endpoint !== 'messages') return this.inner.call(request);
    const body = chatBodyOfMessages(request.body, this.inner.kind);
    const model = String(request.body.model);
    const answer = await this.inner.call({ ...request, endpoint: 'chat.completions', body });
    if (answer.kind === 'json') {
      const usage = answer.usage ?? chatUsageOf(isObject(answer.json) ? answer.json.usage : null);
      const json = messageOfChat(answer.json, model, usage);
      return { ...answer, body: jsonBytes(json), json, usage };
    }
    return { ...answer, chunks: messageEventsOfChat(answer.chunks, model) };
  }
}
