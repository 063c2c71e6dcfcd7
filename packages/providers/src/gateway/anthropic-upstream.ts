// The gateway's upstream for `anthropic` accounts: an OpenAI chat request translated into the Messages API on the
// official SDK (the run adapter's client: no SDK retries, no environment, the outbound guard), and its answer — or its
// stream of events — translated back into OpenAI's chat format. What maps (docs/gateway.md, "Translation"):
// system/developer messages → `system`; user text and images (https or data URLs); assistant tool calls → tool_use
// blocks; tool results → tool_result blocks; tools, tool_choice and parallel_tool_calls; response_format json_schema →
// the run adapter's forced output tool (its input is the answer's content); max_tokens (what the call was held for),
// stop, user → metadata.user_id. Back: text, tool calls (streamed as OpenAI tool_call deltas),
// finish_reason, and usage whose prompt counts cache reads and writes (so both are priced at their own rates).
import type { CacheControlEphemeral, ContentBlockParam, Message, MessageCreateParamsNonStreaming, MessageParam, RawMessageStreamEvent, TextBlockParam, Tool, ToolChoice } from '@anthropic-ai/sdk/resources/messages';
import { classifyAnthropicError } from '../anthropic/anthropic-errors.js';
import { type AnthropicClientSettings, anthropicUsageOf, createAnthropicClient } from '../anthropic/anthropic-provider.js';
import { anthropicOutputToolOf, outputFromToolInput } from '../anthropic/anthropic-structured-output.js';
import { type CallTrace, newCallTrace } from '../call-trace.js';
import { ProviderError } from '../errors.js';
import type { TokenUsage } from '../provider.js';
import { parseAnthropicRateLimitHeaders, readHeader } from '../rate-limit-headers.js';
import { gatewayPromptOf } from './prompt.js';
import { argumentsObject, ChatChunkWriter, type ChatToolCall, chatCompletionOf, dataUrlOf, gatewayTranslationProblem, isObject, jsonBytes, type Obj, plainText, stopSequencesOf } from './translate.js';
import { chunksOf } from './openai-upstream.js';
import type { GatewayAnswer, GatewayRequest, GatewayStream, GatewayUpstream } from './types.js';
import { usageOfAnswer } from './usage.js';

/** The Messages API request for an OpenAI chat body, and the output tool it forces for a json_schema format (if any). */
export function anthropicParamsOfChat(body: Obj, maxOutputTokens: number): { params: MessageCreateParamsNonStreaming; outputSchema: Record<string, unknown> | null; outputTool: string | null } {
  const system: TextBlockParam[] = [];
  const turns: MessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    if (!blocks.length) return;
    const last = turns[turns.length - 1];
    // The Messages API alternates roles: consecutive turns of one role (tool results, then a user note) are joined.
    if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObject(m)) continue;
    if (m.role === 'system' || m.role === 'developer') {
      // Parts marked with Anthropic's cache_control (LiteLLM's convention) keep their mark: prompt caching works.
      if (Array.isArray(m.content)) {
        for (const b of userBlocks(m.content)) if (b.type === 'text') system.push(b);
      } else if (typeof m.content === 'string' && m.content !== '') {
        system.push({ type: 'text', text: m.content });
      }
    } else if (m.role === 'assistant') {
      const blocks: ContentBlockParam[] = [];
      const text = plainText(m.content);
      if (text) blocks.push({ type: 'text', text });
      for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
        if (!isObject(call) || !isObject(call.function)) continue;
        blocks.push({ type: 'tool_use', id: String(call.id ?? ''), name: String(call.function.name ?? ''), input: argumentsObject(call.function.arguments) });
      }
      push('assistant', blocks);
    } else if (m.role === 'tool' || m.role === 'function') {
      push('user', [{ type: 'tool_result', tool_use_id: String(m.tool_call_id ?? ''), content: plainText(m.content) }]);
    } else {
      push('user', userBlocks(m.content));
    }
  }
  const params: MessageCreateParamsNonStreaming = { model: String(body.model), max_tokens: maxOutputTokens, messages: turns };
  if (system.length) params.system = system.some((b) => b.cache_control) ? system : system.map((b) => b.text).join('\n\n');
  // No temperature or top_p: the Messages API of the current models takes neither (as the run adapter): dropped.
  const stop = stopSequencesOf(body.stop);
  if (stop) params.stop_sequences = stop;
  if (typeof body.user === 'string' && body.user !== '') params.metadata = { user_id: body.user };

  const format = isObject(body.response_format) ? body.response_format : null;
  const schema = format?.type === 'json_schema' ? gatewayPromptOf('chat.completions', body).jsonSchema : null;
  if (schema) {
    const tool = anthropicOutputToolOf(schema);
    params.tools = [tool];
    params.tool_choice = { type: 'tool', name: tool.name };
    return { params, outputSchema: schema.schema, outputTool: tool.name };
  }
  if (format?.type === 'json_object') {
    const instruction = 'Answer with one JSON object and nothing else.';
    params.system = Array.isArray(params.system) ? [...params.system, { type: 'text', text: instruction }] : [params.system, instruction].filter(Boolean).join('\n\n');
  }
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : [];
  if (tools.length) {
    params.tools = tools.map((t): Tool => {
      const fn = t.function as Obj;
      const schemaOf = isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} };
      return {
        name: String(fn.name),
        ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
        input_schema: { ...schemaOf, type: 'object' },
        ...(isObject(t.cache_control) ? { cache_control: t.cache_control as unknown as CacheControlEphemeral } : {}),
      };
    });
    const choice = toolChoiceOf(body.tool_choice, body.parallel_tool_calls === false);
    if (choice) params.tool_choice = choice;
  }
  return { params, outputSchema: null, outputTool: null };
}

function toolChoiceOf(choice: unknown, noParallel: boolean): ToolChoice | null {
  const parallel = noParallel ? { disable_parallel_tool_use: true } : {};
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...parallel };
  if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') return { type: 'tool', name: choice.function.name, ...parallel };
  return choice === 'auto' || noParallel ? { type: 'auto', ...parallel } : null;
}

/** A part's `cache_control` (Anthropic's prompt-caching mark, as OpenAI clients pass it through LiteLLM-style proxies). */
const cacheMark = (part: Obj): { cache_control?: CacheControlEphemeral } => (isObject(part.cache_control) ? { cache_control: part.cache_control as unknown as CacheControlEphemeral } : {});

function userBlocks(content: unknown): ContentBlockParam[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: ContentBlockParam[] = [];
  for (const part of Array.isArray(content) ? content : []) {
    if (typeof part === 'string') blocks.push({ type: 'text', text: part });
    else if (isObject(part) && part.type === 'text' && typeof part.text === 'string') blocks.push({ type: 'text', text: part.text, ...cacheMark(part) });
    else if (isObject(part) && part.type === 'image_url' && isObject(part.image_url) && typeof part.image_url.url === 'string') {
      const data = dataUrlOf(part.image_url.url);
      blocks.push(
        data
          ? { type: 'image', source: { type: 'base64', media_type: data.mediaType as 'image/png', data: data.data }, ...cacheMark(part) }
          : { type: 'image', source: { type: 'url', url: part.image_url.url }, ...cacheMark(part) },
      );
    }
  }
  return blocks;
}

/** stop_reason as OpenAI's finish_reason. */
export function finishReasonOfStop(stop: string | null | undefined, forcedOutput: boolean): string {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return forcedOutput ? 'stop' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export class AnthropicGatewayUpstream implements GatewayUpstream {
  readonly kind = 'anthropic' as const;
  // Private: the key (in the settings) never shows up in util.inspect, JSON.stringify or a spread.
  readonly #settings: AnthropicClientSettings;

  constructor(settings: AnthropicClientSettings) {
    this.#settings = settings;
  }

  async call(request: GatewayRequest): Promise<GatewayAnswer | GatewayStream> {
    const problem = gatewayTranslationProblem('anthropic', request.endpoint, request.body);
    if (problem) throw new ProviderError('provider_rejected', { requestSent: false });
    if (request.endpoint === 'messages') return this.#forward(request);
    const { params, outputSchema, outputTool } = anthropicParamsOfChat(request.body, request.maxOutputTokens);
    const trace = newCallTrace();
    const client = createAnthropicClient(this.#settings, trace);
    const options = { signal: request.signal, timeout: this.#settings.timeoutMs, maxRetries: 0 };
    if (!request.stream) {
      let message: Message;
      try {
        message = await client.messages.create(params, options);
      } catch (err) {
        throw classifyAnthropicError(err, trace.fetchStarted ? {} : { requestSent: false });
      }
      const usage = anthropicUsageOf(message.usage);
      const { text, toolCalls } = contentOf(message.content, outputSchema, outputTool);
      const json = chatCompletionOf({ id: message.id, model: message.model || params.model, text, toolCalls, finishReason: finishReasonOfStop(message.stop_reason, outputTool !== null), usage });
      return { kind: 'json', body: jsonBytes(json), json, usage, reportedCostMicroUsd: null, ...meta(trace, message.id) };
    }
    let events: AsyncIterable<RawMessageStreamEvent>;
    try {
      events = await client.messages.create({ ...params, stream: true }, options);
    } catch (err) {
      throw classifyAnthropicError(err, trace.fetchStarted ? {} : { requestSent: false });
    }
    return { kind: 'stream', chunks: chatChunksOf(events, params.model, outputTool), readsReportedCost: false, ...meta(trace, null) };
  }

  async countMessageTokens(body: Record<string, unknown>, signal: AbortSignal): Promise<number> {
    const trace = newCallTrace();
    let answer: unknown;
    try {
      answer = await createAnthropicClient(this.#settings, trace).post('/v1/messages/count_tokens', { body, signal, timeout: this.#settings.timeoutMs, maxRetries: 0 });
    } catch (err) {
      throw classifyAnthropicError(err, trace.fetchStarted ? {} : { requestSent: false });
    }
    const count = isObject(answer) ? answer.input_tokens : undefined;
    if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) throw new ProviderError('provider_rejected', { providerRequestId: readHeader(trace.headers, 'request-id') });
    return Math.round(count);
  }

  /** `POST /v1/messages` from an Anthropic client: its body forwarded as it is (only `model` and max_tokens set by the gateway), the answer's bytes back. */
  async #forward(request: GatewayRequest): Promise<GatewayAnswer | GatewayStream> {
    const trace = newCallTrace();
    const client = createAnthropicClient(this.#settings, trace);
    let response: Response;
    try {
      response = await client.post('/v1/messages', { body: request.body, stream: request.stream, signal: request.signal, timeout: this.#settings.timeoutMs, maxRetries: 0 }).asResponse();
    } catch (err) {
      throw classifyAnthropicError(err, trace.fetchStarted ? {} : { requestSent: false });
    }
    const m = meta(trace, null);
    if (request.stream) {
      if (!response.body) throw new ProviderError('provider_unavailable', { httpStatus: response.status, providerRequestId: m.providerRequestId });
      return { kind: 'stream', chunks: chunksOf(response.body), readsReportedCost: false, ...m };
    }
    let body: Uint8Array;
    let json: unknown;
    try {
      body = new Uint8Array(await response.arrayBuffer());
      json = JSON.parse(new TextDecoder().decode(body));
    } catch (err) {
      throw err instanceof SyntaxError ? new ProviderError('provider_rejected', { httpStatus: response.status, providerRequestId: m.providerRequestId }) : classifyAnthropicError(err);
    }
    return { kind: 'json', body, json, usage: usageOfAnswer('messages', json), reportedCostMicroUsd: null, ...m };
  }
}

function meta(trace: CallTrace, fallbackId: string | null) {
  return {
    providerRequestId: readHeader(trace.headers, 'request-id') ?? fallbackId,
    rateLimits: parseAnthropicRateLimitHeaders(trace.headers, trace.headersAtWallClock ?? new Date()),
    headersMs: (trace.headersAt ?? performance.now()) - trace.startedAt,
  };
}

function contentOf(blocks: Message['content'], outputSchema: Record<string, unknown> | null, outputTool: string | null): { text: string | null; toolCalls: ChatToolCall[] } {
  let text = '';
  const toolCalls: ChatToolCall[] = [];
  for (const b of Array.isArray(blocks) ? blocks : []) {
    if (b.type === 'text') text += b.text;
    else if (b.type === 'tool_use' && outputTool !== null && b.name === outputTool && outputSchema) text += outputFromToolInput(outputSchema, b.input);
    else if (b.type === 'tool_use') toolCalls.push({ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) });
  }
  return { text: text === '' && toolCalls.length ? null : text, toolCalls };
}

/**
 * The Messages API's events as OpenAI chat chunks: the role first, text deltas as content, each tool_use block as a
 * tool call (id and name first, then its input's JSON as argument deltas), stop_reason as the finish chunk, then the
 * usage chunk (always: the gateway strips it for a client that did not ask) and [DONE]. A forced output tool's input
 * streams as content. Anthropic's error events (overloaded mid-stream) make the SDK throw: a ProviderError here.
 */
async function* chatChunksOf(events: AsyncIterable<RawMessageStreamEvent>, model: string, outputTool: string | null): AsyncGenerator<Uint8Array> {
  const out = new ChatChunkWriter('', model);
  let started = false;
  let usage: TokenUsage | null = null;
  let rawUsage: Obj = {};
  let finish: string | null = null;
  // Anthropic's block index → the OpenAI tool call index (tool calls are numbered apart from text blocks).
  const toolIndex = new Map<number, number>();
  const outputBlocks = new Set<number>();
  try {
    for await (const event of events) {
      switch (event.type) {
        case 'message_start':
          out.id = event.message.id;
          out.model = event.message.model || model;
          rawUsage = { ...event.message.usage };
          usage = anthropicUsageOf(rawUsage);
          started = true;
          yield out.delta({ role: 'assistant', content: '' });
          break;
        case 'content_block_start': {
          const block = event.content_block;
          if (block.type === 'tool_use' && outputTool !== null && block.name === outputTool) outputBlocks.add(event.index);
          else if (block.type === 'tool_use') {
            const index = toolIndex.size;
            toolIndex.set(event.index, index);
            yield out.delta({ tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] });
          } else if (block.type === 'text' && block.text) yield out.delta({ content: block.text });
          break;
        }
        case 'content_block_delta': {
          const d = event.delta;
          if (d.type === 'text_delta') yield out.delta({ content: d.text });
          else if (d.type === 'input_json_delta' && outputBlocks.has(event.index)) yield out.delta({ content: d.partial_json });
          else if (d.type === 'input_json_delta' && toolIndex.has(event.index)) yield out.delta({ tool_calls: [{ index: toolIndex.get(event.index), function: { arguments: d.partial_json } }] });
          break;
        }
        case 'message_delta':
          // The final counts: output tokens, and (on newer API versions) the prompt's, cache included.
          rawUsage = { ...rawUsage, ...Object.fromEntries(Object.entries(event.usage ?? {}).filter(([, v]) => v !== null && v !== undefined)) };
          usage = anthropicUsageOf(rawUsage);
          finish = finishReasonOfStop(event.delta.stop_reason, outputTool !== null);
          break;
        default:
          break;
      }
    }
  } catch (err) {
    throw classifyAnthropicError(err);
  }
  if (!started || finish === null) throw new ProviderError('provider_unavailable', { requestSent: true });
  yield out.delta({}, finish);
  if (usage) yield out.usage(usage);
  yield out.done();
}
