// `gemini` accounts: the Gemini API (Google AI Studio keys) through the official SDK (@google/genai). The key goes
// in x-goog-api-key; system prompts in systemInstruction; a JSON Schema output through responseMimeType
// application/json + responseJsonSchema; usage from usageMetadata (thinking tokens are output tokens); safety blocks
// (a blocked prompt, an answer stopped by its filters) become the `content_blocked` error. Gemini sends no rate-limit
// headers. No SDK retries.
import { type Content, type GenerateContentConfig, type GenerateContentResponse, GoogleGenAI } from '@google/genai';
import { GEMINI_DEFAULT_BASE_URL, normalizeBaseUrl } from '../base-url.js';
import { type CallTrace, firstByteMsOf, newCallTrace, tracingFetch } from '../call-trace.js';
import { ProviderError } from '../errors.js';
import { type OutboundPolicy, PUBLIC_ONLY } from '../outbound.js';
import type { ChatMessage, ChatRequest, ChatResult, LlmProvider, ModelList, ProviderConnection, TokenUsage } from '../provider.js';
import { classifyGeminiError } from './gemini-errors.js';

/** The API version the adapter calls (systemInstruction and responseJsonSchema live there). */
export const GEMINI_API_VERSION = 'v1beta';
export const GEMINI_DEFAULT_TIMEOUT_MS = 60_000;
const MODELS_PAGE_SIZE = 1000;
/** A runaway page token stops listing models here. */
const MAX_MODEL_PAGES = 20;

/** How a candidate ends when its filters stopped it: no answer to give. */
const BLOCKED_FINISH_REASONS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT']);

export interface GeminiClientSettings {
  apiKey: string;
  /** The API root (default https://generativelanguage.googleapis.com); the SDK appends /v1beta/… itself. */
  baseUrl: string;
  timeoutMs: number;
  outbound: OutboundPolicy;
}

/**
 * The SDK client for one exchange, recorded on `trace`. Explicit values keep GOOGLE_API_KEY, GEMINI_API_KEY,
 * GOOGLE_GENAI_USE_VERTEXAI (and Google Cloud credentials), GOOGLE_GEMINI_BASE_URL and GOOGLE_GENAI_API_VERSION from
 * changing who is called or as whom. A gateway translator reuses this (and classifyGeminiError) for Gemini targets.
 */
export function createGeminiClient(settings: GeminiClientSettings, trace: CallTrace): GoogleGenAI {
  return new GoogleGenAI({
    vertexai: false,
    apiKey: settings.apiKey,
    apiVersion: GEMINI_API_VERSION,
    httpOptions: {
      baseUrl: settings.baseUrl,
      apiVersion: GEMINI_API_VERSION,
      timeout: settings.timeoutMs,
      // No retryOptions: one call, one request (Vaultrun retries itself).
      fetch: tracingFetch(settings.outbound, trace),
    },
  });
}

export function geminiBaseUrl(baseUrl: string | null | undefined): string {
  return baseUrl ? normalizeBaseUrl(baseUrl).replace(/\/v1(beta)?$/, '') : GEMINI_DEFAULT_BASE_URL;
}

/** Chat messages as Gemini contents: system text apart, `assistant` as `model`, consecutive turns of one role joined. */
export function geminiContentsOf(messages: readonly ChatMessage[]): { system: string | null; contents: Content[] } {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const contents: Content[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const role = m.role === 'assistant' ? 'model' : 'user';
    const last = contents[contents.length - 1];
    if (last && last.role === role && last.parts?.[0]?.text !== undefined) last.parts[0].text = `${last.parts[0].text}\n\n${m.content}`;
    else contents.push({ role, parts: [{ text: m.content }] });
  }
  return { system: system.length ? system.join('\n\n') : null, contents };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}

/** usageMetadata on the shared model: the prompt includes its cached part; thinking tokens are billed as output. */
export function geminiUsageOf(usage: unknown): TokenUsage | null {
  if (typeof usage !== 'object' || usage === null) return null;
  const u = usage as { promptTokenCount?: unknown; candidatesTokenCount?: unknown; thoughtsTokenCount?: unknown; cachedContentTokenCount?: unknown; toolUsePromptTokenCount?: unknown };
  if (typeof u.promptTokenCount !== 'number' && typeof u.candidatesTokenCount !== 'number') return null;
  return {
    inputTokens: count(u.promptTokenCount) + count(u.toolUsePromptTokenCount),
    outputTokens: count(u.candidatesTokenCount) + count(u.thoughtsTokenCount),
    cachedInputTokens: Math.min(count(u.cachedContentTokenCount), count(u.promptTokenCount)),
  };
}

function finishReasonOf(reason: string | undefined): string | null {
  if (reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  return reason ? reason.toLowerCase() : null;
}

/** The answer's text (thoughts left out), or a content_blocked error when Gemini's filters blocked it. */
function answerOf(response: GenerateContentResponse, trace: CallTrace): { text: string; finishReason: string | undefined } {
  if (response.promptFeedback?.blockReason) throw new ProviderError('content_blocked', { httpStatus: trace.status ?? 200, providerRequestId: response.responseId ?? null });
  const candidate = response.candidates?.[0];
  const parts = candidate?.content?.parts ?? [];
  const text = parts.map((p) => (typeof p.text === 'string' && !p.thought ? p.text : '')).join('');
  const finishReason = typeof candidate?.finishReason === 'string' ? candidate.finishReason : undefined;
  if (finishReason && BLOCKED_FINISH_REASONS.has(finishReason)) {
    throw new ProviderError('content_blocked', { httpStatus: trace.status ?? 200, providerRequestId: response.responseId ?? null });
  }
  return { text, finishReason };
}

/**
 * A failed call as a ProviderError. The SDK aborts its own signal for both a timeout and the caller's abort (the same
 * AbortError): the caller's signal tells them apart — cancelled, or a timeout (provider_unavailable, retried).
 */
function failureOf(err: unknown, trace: CallTrace, signal: AbortSignal | undefined): ProviderError {
  if (err instanceof ProviderError) return err;
  const requestSent = trace.fetchStarted;
  if (signal?.aborted) return new ProviderError('cancelled', { requestSent });
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) return new ProviderError('provider_unavailable', { requestSent });
  return classifyGeminiError(err, { headers: trace.headers, ...(requestSent ? {} : { requestSent: false }) });
}

export class GeminiProvider implements LlmProvider {
  readonly kind = 'gemini' as const;
  readonly #settings: GeminiClientSettings;

  constructor(settings: GeminiClientSettings) {
    this.#settings = settings;
  }

  get baseUrl(): string {
    return this.#settings.baseUrl;
  }

  /** The models this key may call generateContent on, without the `models/` prefix. */
  async listModels(signal?: AbortSignal): Promise<ModelList> {
    const trace = newCallTrace();
    const names: unknown[] = [];
    try {
      const pager = await createGeminiClient(this.#settings, trace).models.list({ config: { pageSize: MODELS_PAGE_SIZE, ...(signal ? { abortSignal: signal } : {}) } });
      let pages = 1;
      for (;;) {
        for (const model of pager.page) {
          const actions = model.supportedActions;
          if (actions && !actions.includes('generateContent')) continue;
          names.push(model.name);
        }
        if (!pager.hasNextPage() || pages >= MAX_MODEL_PAGES) break;
        await pager.nextPage();
        pages++;
      }
    } catch (err) {
      throw failureOf(err, trace, signal);
    }
    const valid = names.filter((n): n is string => typeof n === 'string' && n !== '').map((n) => n.replace(/^models\//, ''));
    return { models: [...new Set(valid)].sort(), malformed: valid.length < names.length, rateLimits: null, providerRequestId: null };
  }

  async complete(request: ChatRequest): Promise<ChatResult> {
    const trace = newCallTrace();
    let response: GenerateContentResponse;
    try {
      response = await createGeminiClient(this.#settings, trace).models.generateContent(this.#paramsOf(request));
    } catch (err) {
      throw failureOf(err, trace, request.signal);
    }
    const { text, finishReason } = answerOf(response, trace);
    return this.#resultOf(request, text, finishReason, response, trace);
  }

  /** The same call, streamed: yields text as it arrives, returns the complete result (usage from the last chunk). */
  async *stream(request: ChatRequest): AsyncGenerator<string, ChatResult, undefined> {
    const trace = newCallTrace();
    let last: GenerateContentResponse | null = null;
    let text = '';
    let finishReason: string | undefined;
    try {
      const chunks = await createGeminiClient(this.#settings, trace).models.generateContentStream(this.#paramsOf(request));
      for await (const chunk of chunks) {
        const piece = answerOf(chunk, trace);
        if (piece.finishReason) finishReason = piece.finishReason;
        last = chunk;
        if (piece.text) {
          text += piece.text;
          yield piece.text;
        }
      }
    } catch (err) {
      throw failureOf(err, trace, request.signal);
    }
    return this.#resultOf(request, text, finishReason, last ?? {}, trace);
  }

  #paramsOf(request: ChatRequest): { model: string; contents: Content[]; config: GenerateContentConfig } {
    const { system, contents } = geminiContentsOf(request.messages);
    const config: GenerateContentConfig = { maxOutputTokens: request.maxOutputTokens };
    if (system !== null) config.systemInstruction = system;
    if (request.temperature !== undefined) config.temperature = request.temperature;
    if (request.signal) config.abortSignal = request.signal;
    if (request.jsonSchema) {
      config.responseMimeType = 'application/json';
      config.responseJsonSchema = request.jsonSchema.schema;
    }
    return { model: request.model, contents, config };
  }

  #resultOf(request: ChatRequest, text: string, finishReason: string | undefined, response: Pick<GenerateContentResponse, 'modelVersion' | 'usageMetadata' | 'responseId'>, trace: CallTrace): ChatResult {
    return {
      text,
      model: typeof response.modelVersion === 'string' && response.modelVersion !== '' ? response.modelVersion : request.model,
      usage: geminiUsageOf(response.usageMetadata),
      providerRequestId: response.responseId ?? null,
      latencyMs: Math.round(performance.now() - trace.startedAt),
      firstByteMs: firstByteMsOf(trace),
      reportedCostMicroUsd: null,
      rateLimits: null,
      finishReason: finishReasonOf(finishReason),
    };
  }
}

export function createGeminiProvider(connection: ProviderConnection): LlmProvider {
  if (!connection.apiKey) throw new TypeError('A gemini connection needs an API key');
  return new GeminiProvider({
    apiKey: connection.apiKey,
    baseUrl: geminiBaseUrl(connection.baseUrl),
    timeoutMs: connection.timeoutMs ?? GEMINI_DEFAULT_TIMEOUT_MS,
    outbound: connection.outbound ?? PUBLIC_ONLY,
  });
}
