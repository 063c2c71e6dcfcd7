// `anthropic` accounts: the Messages API through the official SDK (@anthropic-ai/sdk). System prompts go in `system`,
// a JSON Schema output through a forced tool (anthropic-structured-output.ts), usage with its cache reads and writes,
// limits from anthropic-ratelimit-* headers. No SDK retries: Vaultrun classifies and retries itself.
import Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { ANTHROPIC_DEFAULT_BASE_URL, normalizeBaseUrl } from '../base-url.js';
import { type CallTrace, firstByteMsOf, newCallTrace, tracingFetch } from '../call-trace.js';
import { ProviderError } from '../errors.js';
import { type OutboundPolicy, PUBLIC_ONLY } from '../outbound.js';
import type { ChatMessage, ChatRequest, ChatResult, LlmProvider, ModelList, ProviderConnection, TokenUsage } from '../provider.js';
import { parseAnthropicRateLimitHeaders, readHeader } from '../rate-limit-headers.js';
import { classifyAnthropicError } from './anthropic-errors.js';
import { anthropicOutputToolOf, outputFromToolInput } from './anthropic-structured-output.js';

export const ANTHROPIC_DEFAULT_TIMEOUT_MS = 60_000;
/** A runaway cursor (a server that always says has_more) stops listing models here. */
const MAX_MODEL_PAGES = 20;
const MODELS_PAGE_SIZE = 1000;

export interface AnthropicClientSettings {
  apiKey: string;
  /** The API root without /v1 (default https://api.anthropic.com). */
  baseUrl: string;
  timeoutMs: number;
  outbound: OutboundPolicy;
}

/**
 * The SDK client for one exchange, recorded on `trace`. Every option that the SDK would otherwise read from the
 * environment or a credentials file (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, profiles, ANTHROPIC_LOG, OpenTelemetry
 * settings) is given explicitly, so only the stored key goes, only to the account's endpoint, and nothing is logged
 * or traced. A gateway translator reuses this (and classifyAnthropicError) for its Anthropic targets.
 */
export function createAnthropicClient(settings: AnthropicClientSettings, trace: CallTrace): Anthropic {
  return new Anthropic({
    apiKey: settings.apiKey,
    baseURL: settings.baseUrl,
    timeout: settings.timeoutMs,
    // Vaultrun classifies and retries itself (account cooldowns, attempt budgets): one call, one request.
    maxRetries: 0,
    fetch: tracingFetch(settings.outbound, trace),
    webhookKey: null,
    logLevel: 'off',
    // No spans: a span may carry prompts and outputs, and trace headers would go to the provider.
    openTelemetry: false,
  });
}

/** Anthropic's base URL is the API root: a pasted …/v1 is dropped (the SDK appends /v1/… itself). */
export function anthropicBaseUrl(baseUrl: string | null | undefined): string {
  return baseUrl ? normalizeBaseUrl(baseUrl).replace(/\/v1$/, '') : ANTHROPIC_DEFAULT_BASE_URL;
}

/** Messages as the Messages API takes them: system text apart, consecutive turns of one role joined. */
export function anthropicMessagesOf(messages: readonly ChatMessage[]): { system: string | null; messages: MessageParam[] } {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const turns: MessageParam[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const last = turns[turns.length - 1];
    if (last && last.role === m.role && typeof last.content === 'string') last.content = `${last.content}\n\n${m.content}`;
    else turns.push({ role: m.role, content: m.content });
  }
  return { system: system.length ? system.join('\n\n') : null, messages: turns };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}

/**
 * Anthropic's usage on the shared model: its `input_tokens` leaves out the cache, so the prompt is input + cache
 * reads + cache writes; reads are the cached part, writes the part priced at the cache-write price.
 */
export function anthropicUsageOf(usage: unknown): TokenUsage | null {
  if (typeof usage !== 'object' || usage === null) return null;
  const u = usage as { input_tokens?: unknown; output_tokens?: unknown; cache_read_input_tokens?: unknown; cache_creation_input_tokens?: unknown };
  if (typeof u.input_tokens !== 'number' && typeof u.output_tokens !== 'number') return null;
  const read = count(u.cache_read_input_tokens);
  const write = count(u.cache_creation_input_tokens);
  return { inputTokens: count(u.input_tokens) + read + write, outputTokens: count(u.output_tokens), cachedInputTokens: read, cacheWriteInputTokens: write };
}

/** stop_reason in the shared vocabulary (`stop`, `length`); others pass as Anthropic names them. */
function finishReasonOf(stopReason: string | null | undefined): string | null {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'tool_use':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    default:
      return stopReason ?? null;
  }
}

export class AnthropicProvider implements LlmProvider {
  readonly kind = 'anthropic' as const;
  // Private fields: the key never shows up in util.inspect, JSON.stringify or a spread of this object.
  readonly #settings: AnthropicClientSettings;

  constructor(settings: AnthropicClientSettings) {
    this.#settings = settings;
  }

  get baseUrl(): string {
    return this.#settings.baseUrl;
  }

  /** "List the available models": every page of GET /v1/models (read raw, so a wrong base URL's answer is seen as such). */
  async listModels(signal?: AbortSignal): Promise<ModelList> {
    const trace = newCallTrace();
    const client = this.#client(trace);
    const ids: unknown[] = [];
    let malformed = false;
    let afterId: string | null = null;
    try {
      for (let page = 0; page < MAX_MODEL_PAGES; page++) {
        const body: unknown = await client.get('/v1/models', {
          query: { limit: MODELS_PAGE_SIZE, ...(afterId ? { after_id: afterId } : {}) },
          ...(signal ? { signal } : {}),
          timeout: this.#settings.timeoutMs,
        });
        const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
        if (!Array.isArray(data)) {
          malformed = true;
          break;
        }
        ids.push(...data.map((m: unknown) => (typeof m === 'object' && m !== null ? (m as { id?: unknown }).id : undefined)));
        const { has_more: hasMore, last_id: lastId } = body as { has_more?: unknown; last_id?: unknown };
        if (hasMore !== true || typeof lastId !== 'string' || lastId === '' || lastId === afterId) break;
        afterId = lastId;
      }
    } catch (err) {
      throw classifyAnthropicError(err, trace.fetchStarted ? {} : { requestSent: false });
    }
    const valid = ids.filter((id): id is string => typeof id === 'string' && id !== '');
    return {
      models: [...new Set(valid)].sort(),
      malformed: malformed || valid.length < ids.length,
      rateLimits: parseAnthropicRateLimitHeaders(trace.headers, trace.headersAtWallClock ?? new Date()),
      providerRequestId: readHeader(trace.headers, 'request-id'),
    };
  }

  async complete(request: ChatRequest): Promise<ChatResult> {
    const trace = newCallTrace();
    const body = this.#bodyOf(request);
    let message: Message;
    try {
      message = await this.#client(trace).messages.create(body, { ...(request.signal ? { signal: request.signal } : {}), timeout: this.#settings.timeoutMs });
    } catch (err) {
      throw classifyAnthropicError(err, trace.fetchStarted ? {} : { requestSent: false });
    }
    return this.#resultOf(request, message, trace, performance.now());
  }

  /**
   * The same call, streamed (Server-Sent Events): yields the answer's text as it arrives, then returns the complete
   * result, usage included. Runs do not stream; the gateway does. A structured output arrives whole at the end (its
   * JSON is the tool call's input).
   */
  async *stream(request: ChatRequest): AsyncGenerator<string, ChatResult, undefined> {
    const trace = newCallTrace();
    const body = this.#bodyOf(request);
    let message: Message;
    try {
      const stream = this.#client(trace).messages.stream(body, { ...(request.signal ? { signal: request.signal } : {}), timeout: this.#settings.timeoutMs });
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') yield event.delta.text;
      }
      message = await stream.finalMessage();
    } catch (err) {
      throw classifyAnthropicError(err, trace.fetchStarted ? {} : { requestSent: false });
    }
    return this.#resultOf(request, message, trace, performance.now());
  }

  #bodyOf(request: ChatRequest): MessageCreateParamsNonStreaming {
    const { system, messages } = anthropicMessagesOf(request.messages);
    const body: MessageCreateParamsNonStreaming = { model: request.model, max_tokens: request.maxOutputTokens, messages };
    if (system !== null) body.system = system;
    // No temperature: the Messages API of the current models takes none (the SDK's parameters have no such field).
    if (request.jsonSchema) {
      // The budget estimate counts this same tool (tokens.ts): what is held is what is sent.
      const tool = anthropicOutputToolOf(request.jsonSchema);
      body.tools = [tool];
      body.tool_choice = { type: 'tool', name: tool.name };
    }
    return body;
  }

  #resultOf(request: ChatRequest, message: Message, trace: CallTrace, finishedAt: number): ChatResult {
    const providerRequestId = readHeader(trace.headers, 'request-id') ?? (typeof message.id === 'string' ? message.id : null);
    // A refusal (Claude's safety classifiers stopped the answer) is no answer: a clear error instead of an empty text.
    if (message.stop_reason === 'refusal') throw new ProviderError('content_blocked', { httpStatus: trace.status ?? 200, providerRequestId });
    const blocks = Array.isArray(message.content) ? message.content : [];
    let text: string;
    if (request.jsonSchema) {
      const call = blocks.find((b) => b.type === 'tool_use');
      text = call && call.type === 'tool_use' ? outputFromToolInput(request.jsonSchema.schema, call.input) : '';
    } else {
      text = blocks.map((b) => (b.type === 'text' ? b.text : '')).join('');
    }
    return {
      text,
      model: typeof message.model === 'string' && message.model !== '' ? message.model : request.model,
      usage: anthropicUsageOf(message.usage),
      providerRequestId,
      latencyMs: Math.round(finishedAt - trace.startedAt),
      firstByteMs: firstByteMsOf(trace),
      // Anthropic reports tokens, not money: costs are priced here and verified by cost sync.
      reportedCostMicroUsd: null,
      rateLimits: parseAnthropicRateLimitHeaders(trace.headers, trace.headersAtWallClock ?? new Date()),
      finishReason: finishReasonOf(message.stop_reason),
    };
  }

  #client(trace: CallTrace): Anthropic {
    return createAnthropicClient(this.#settings, trace);
  }
}

export function createAnthropicProvider(connection: ProviderConnection): LlmProvider {
  if (!connection.apiKey) throw new TypeError('An anthropic connection needs an API key');
  return new AnthropicProvider({
    apiKey: connection.apiKey,
    baseUrl: anthropicBaseUrl(connection.baseUrl),
    timeoutMs: connection.timeoutMs ?? ANTHROPIC_DEFAULT_TIMEOUT_MS,
    outbound: connection.outbound ?? PUBLIC_ONLY,
  });
}
