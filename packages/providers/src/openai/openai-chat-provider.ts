// The adapter behind both `openai` and `openai-compatible` accounts: the official SDK, Chat
// Completions (which every OpenAI-compatible server implements), no SDK retries.
import { OpenAI } from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { classifyProviderError } from '../errors.js';
import { guardedFetch, type OutboundPolicy } from '../outbound.js';
import { usdToMicroUsd } from '../micro-usd.js';
import type { ChatRequest, ChatResult, LlmProvider, ModelList, ProviderKind, RateLimitSnapshot } from '../provider.js';
import { chatUsageOf } from '../gateway/usage.js';
import { parseRateLimitHeaders, readHeader } from '../rate-limit-headers.js';
import { responseFormatOf } from '../tokens.js';
import { jsonModeInstruction } from '../openai-compatible/presets.js';

export const DEFAULT_TIMEOUT_MS = 60_000;

export interface OpenAiChatProviderOptions {
  kind: Extract<ProviderKind, 'openai' | 'openai-compatible'>;
  /** null: send no Authorization header at all (Ollama and other local servers). */
  apiKey: string | null;
  baseUrl: string;
  timeoutMs: number;
  /** Which request field carries maxOutputTokens: OpenAI's reasoning models accept only max_completion_tokens, many compatible servers only max_tokens. */
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** Read a provider-reported `usage.cost` in USD (OpenRouter and similar gateways). */
  readReportedCost: boolean;
  /** Every request goes through the outbound guard under this policy. */
  outbound: OutboundPolicy;
  /**
   * How a JSON Schema output is asked for: OpenAI's strict `json_schema` (default), or `json_object` — JSON mode with
   * the schema in a system message, for servers that refuse json_schema (DeepSeek).
   */
  structuredOutput?: 'json_schema' | 'json_object';
  /** Ask for the call's cost in the usage (`usage: { include: true }`, OpenRouter's usage accounting). */
  requestUsageCost?: boolean;
}

/** What one HTTP exchange looked like from this side: whether it left, when headers arrived. */
interface CallTrace {
  startedAt: number;
  fetchStarted: boolean;
  headersAt: number | null;
  headersAtWallClock: Date | null;
}

// The SDK insists on a credential; for a keyless server this placeholder is set and the
// Authorization header it would produce is removed again (defaultHeaders: { Authorization: null }).
const KEYLESS_PLACEHOLDER = 'vaultrun-keyless';

export class OpenAiChatProvider implements LlmProvider {
  readonly kind: OpenAiChatProviderOptions['kind'];
  // Private fields: the key never shows up in util.inspect, JSON.stringify or a spread of this object.
  readonly #apiKey: string | null;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #maxTokensField: OpenAiChatProviderOptions['maxTokensField'];
  readonly #readReportedCost: boolean;
  readonly #outbound: OutboundPolicy;
  readonly #structuredOutput: 'json_schema' | 'json_object';
  readonly #requestUsageCost: boolean;

  constructor(options: OpenAiChatProviderOptions) {
    this.kind = options.kind;
    this.#apiKey = options.apiKey;
    this.#baseUrl = options.baseUrl;
    this.#timeoutMs = options.timeoutMs;
    this.#maxTokensField = options.maxTokensField;
    this.#readReportedCost = options.readReportedCost;
    this.#outbound = options.outbound;
    this.#structuredOutput = options.structuredOutput ?? 'json_schema';
    this.#requestUsageCost = options.requestUsageCost ?? false;
  }

  /** For logs and errors: where this provider points, never the key. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  async listModels(signal?: AbortSignal): Promise<ModelList> {
    // Read raw: a wrong base URL can answer 200 with anything, and some servers (Together) answer with a bare array.
    const { data, response, trace } = await this.#exchange(signal, (client, options) => client.get<unknown>('/models', options).withResponse());
    const entries: unknown = Array.isArray(data) ? data : typeof data === 'object' && data !== null ? (data as { data?: unknown }).data : undefined;
    const ids = Array.isArray(entries) ? entries.map((model: unknown) => (typeof model === 'object' && model !== null ? (model as { id?: unknown }).id : undefined)) : [];
    const valid = ids.filter((id): id is string => typeof id === 'string' && id !== '');
    const models = [...new Set(valid)].sort();
    const malformed = !Array.isArray(entries) || valid.length < ids.length;
    return { models, malformed, rateLimits: rateLimitsOf(response, trace), providerRequestId: readHeader(response.headers, 'x-request-id') };
  }

  async complete(request: ChatRequest): Promise<ChatResult> {
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: request.model,
      messages: request.messages.map(({ role, content }) => ({ role, content })),
    };
    body[this.#maxTokensField] = request.maxOutputTokens;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.jsonSchema && this.#structuredOutput === 'json_object') {
      // JSON mode: the schema travels as a system message no longer than the response_format the estimate counts.
      body.messages = [{ role: 'system', content: jsonModeInstruction(request.jsonSchema.schema) }, ...body.messages];
      body.response_format = { type: 'json_object' };
    } else if (request.jsonSchema) {
      // The budget estimate counts this same object (tokens.ts): what is held is what is sent.
      body.response_format = responseFormatOf(request.jsonSchema);
    }
    // OpenRouter's usage accounting: the call's cost comes back in usage.cost.
    if (this.#requestUsageCost) Object.assign(body, { usage: { include: true } });

    const { data, response, trace, finishedAt } = await this.#exchange(request.signal, (client, options) =>
      client.chat.completions.create(body, options).withResponse(),
    );
    const choice = data.choices?.[0];
    return {
      text: choice?.message?.content ?? '',
      model: typeof data.model === 'string' && data.model !== '' ? data.model : request.model,
      usage: chatUsageOf(data.usage),
      providerRequestId: readHeader(response.headers, 'x-request-id'),
      latencyMs: Math.round(finishedAt - trace.startedAt),
      firstByteMs: trace.headersAt === null ? null : Math.round(trace.headersAt - trace.startedAt),
      reportedCostMicroUsd: this.#readReportedCost ? usdToMicroUsd((data.usage as { cost?: unknown } | undefined)?.cost) : null,
      rateLimits: rateLimitsOf(response, trace),
      finishReason: choice?.finish_reason ?? null,
    };
  }

  /**
   * One provider call on a client of its own, so the fetch wrapper can time this exchange alone and
   * know whether the request ever left. Every failure leaves as a classified ProviderError.
   */
  async #exchange<T>(
    signal: AbortSignal | undefined,
    send: (client: OpenAI, options: { signal?: AbortSignal; timeout: number; maxRetries: 0 }) => Promise<{ data: T; response: Response }>,
  ): Promise<{ data: T; response: Response; trace: CallTrace; finishedAt: number }> {
    const trace: CallTrace = { startedAt: performance.now(), fetchStarted: false, headersAt: null, headersAtWallClock: null };
    try {
      const client = this.#client(trace);
      const { data, response } = await send(client, { ...(signal ? { signal } : {}), timeout: this.#timeoutMs, maxRetries: 0 });
      return { data, response, trace, finishedAt: performance.now() };
    } catch (err) {
      throw classifyProviderError(err, trace.fetchStarted ? {} : { requestSent: false });
    }
  }

  #client(trace: CallTrace): OpenAI {
    const trackingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      trace.fetchStarted = true;
      const response = await guardedFetch(this.#outbound, input, init);
      trace.headersAt = performance.now();
      trace.headersAtWallClock = new Date();
      return response;
    };
    return new OpenAI({
      apiKey: this.#apiKey ?? KEYLESS_PLACEHOLDER,
      ...(this.#apiKey === null ? { defaultHeaders: { Authorization: null } } : {}),
      baseURL: this.#baseUrl,
      timeout: this.#timeoutMs,
      // Vaultrun classifies and retries itself (account cooldowns, attempt budgets): one call, one request.
      maxRetries: 0,
      fetch: trackingFetch,
      // Explicit values, so the SDK's OPENAI_* environment variables never change who we call or as whom.
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      // The SDK's debug log prints request details; nothing of a call is logged from in here.
      logLevel: 'off',
    });
  }
}

function rateLimitsOf(response: Response, trace: CallTrace): RateLimitSnapshot | null {
  return parseRateLimitHeaders(response.headers, trace.headersAtWallClock ?? new Date());
}
