// The embedded mock provider (SPEC §7): always available, no key, deterministic output, honest token
// counts from the same tokenizer as Vaultrun's estimates, latency and failure injection for every
// taxonomy error, and an optional provider-reported cost so 'verified' costs can be demonstrated.
import { createHash, randomBytes } from 'node:crypto';
import { COPILOT_SCHEMA_NAME, mockCopilotReply, withoutScriptedPlans } from '../copilot.js';
import { isProviderErrorCode, ProviderError, type ProviderErrorCode } from '../errors.js';
import type { ChatMessage, ChatRequest, ChatResult, LlmProvider, MockSettings, ModelList, TokenUsage } from '../provider.js';
import { countTokens, estimatePromptTokens, simulatedUsage, truncateToTokens } from '../tokens.js';
import { sampleJsonForSchema } from './json-schema-sample.js';

export const MOCK_DEFAULT_MODELS: readonly string[] = ['mock-fast', 'mock-smart'];
/** The mock's embedding model: every mock account answers embeddings with it (the gateway's /v1/embeddings). */
export const MOCK_EMBEDDING_MODELS: readonly string[] = ['mock-embed'];
/** Dimensions of a mock embedding when the request names none (OpenAI's `dimensions` is honoured, up to 3072). */
export const MOCK_EMBEDDING_DIMENSIONS = 256;

/**
 * The mock's own price list, in integer micro-USD per 1M tokens. Made-up figures, not any real
 * provider's: mock-fast $0.10 input / $0.40 output, mock-smart $1.00 / $4.00, mock-embed $0.02 input per 1M tokens. A model
 * not listed here (from MockSettings.models) is priced like mock-fast.
 */
export const MOCK_PRICES: Readonly<Record<string, { inputMicroUsdPerMTok: number; outputMicroUsdPerMTok: number }>> = {
  'mock-fast': { inputMicroUsdPerMTok: 100_000, outputMicroUsdPerMTok: 400_000 },
  'mock-smart': { inputMicroUsdPerMTok: 1_000_000, outputMicroUsdPerMTok: 4_000_000 },
  'mock-embed': { inputMicroUsdPerMTok: 20_000, outputMicroUsdPerMTok: 0 },
};

/** Prompts estimated above this many tokens fail with context_length_exceeded, like a real model. */
export const MOCK_CONTEXT_WINDOW_TOKENS = 128_000;
/** What an injected rate_limited failure asks the caller to wait. */
export const MOCK_RATE_LIMIT_RETRY_AFTER_MS = 1000;
/** Upper bound for a [mock:latency=…] directive. */
export const MOCK_MAX_LATENCY_MS = 600_000;

/** The HTTP status a real provider would answer with for each injected failure. */
const FAILURE_HTTP_STATUS: Record<ProviderErrorCode, number | null> = {
  invalid_api_key: 401,
  insufficient_quota: 429,
  rate_limited: 429,
  model_not_found: 404,
  context_length_exceeded: 400,
  provider_unavailable: 503,
  invalid_output: null,
  provider_rejected: 400,
  endpoint_refused: null,
  cancelled: null,
  content_blocked: 400,
};

const CLOSING_SENTENCES = [
  'This answer was produced locally by the mock provider; no external service was called.',
  "Token counts come from the same tokenizer as Vaultrun's budget estimates.",
  'Run the same input on a live account to compare output, tokens, cost and latency.',
  'The same input always yields this same answer.',
];

/** Integer micro-USD for a usage at MOCK_PRICES, rounded half up. */
export function mockCostMicroUsd(model: string, usage: Pick<TokenUsage, 'inputTokens' | 'outputTokens'>): number {
  const price = MOCK_PRICES[model] ?? MOCK_PRICES['mock-fast'];
  const microUsdTimesMillion = usage.inputTokens * price.inputMicroUsdPerMTok + usage.outputTokens * price.outputMicroUsdPerMTok;
  return Math.floor((microUsdTimesMillion + 500_000) / 1_000_000);
}

export interface MockDirectives {
  /** undefined: no directive; null: `[mock:fail=none]`, which cancels a configured failWith. */
  fail?: ProviderErrorCode | null;
  latencyMs?: number;
}

const DIRECTIVE = /\[mock:(fail|latency)=([^\]\s]*)\]/gi;

/**
 * `[mock:fail=<code>]`, `[mock:fail=none]` and `[mock:latency=<ms>]` in a message. The last one of
 * each kind wins; an unknown code or a non-numeric latency is ignored.
 */
export function parseMockDirectives(text: string): MockDirectives {
  const directives: MockDirectives = {};
  for (const [, name, value] of text.matchAll(DIRECTIVE)) {
    if (name.toLowerCase() === 'fail') {
      if (value === 'none') directives.fail = null;
      else if (isProviderErrorCode(value)) directives.fail = value;
    } else if (/^\d+$/.test(value)) {
      directives.latencyMs = Math.min(Number(value), MOCK_MAX_LATENCY_MS);
    }
  }
  return directives;
}

function withoutDirectives(text: string): string {
  return text.replace(DIRECTIVE, '').replace(/\s+/g, ' ').trim();
}

function lastUserMessage(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return messages[i].content;
  return '';
}

export interface MockEmbeddingRequest {
  model: string;
  /** Texts, or token arrays. */
  inputs: (string | number[])[];
  dimensions?: number;
  signal?: AbortSignal;
}

export interface MockEmbeddingResult {
  vectors: number[][];
  promptTokens: number;
  providerRequestId: string;
  reportedCostMicroUsd: number | null;
}

/** A unit vector drawn from SHA-256 of (model, input, dimension): the same input always embeds the same. */
function mockVector(model: string, input: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${model}\u0000${dimensions}\u0000${block}\u0000${input}`).digest();
    for (let i = 0; i + 4 <= digest.length && values.length < dimensions; i += 4) values.push(digest.readInt32LE(i) / 2 ** 31);
  }
  const norm = Math.sqrt(values.reduce((n, v) => n + v * v, 0)) || 1;
  return values.map((v) => v / norm);
}

function newRequestId(): string {
  return `mock-${randomBytes(12).toString('hex')}`;
}

function waitAbortably(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ProviderError('cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class MockProvider implements LlmProvider {
  readonly kind = 'mock' as const;
  readonly #settings: Required<MockSettings>;

  constructor(settings: MockSettings | null | undefined = {}) {
    this.#settings = {
      latencyMs: Math.max(0, settings?.latencyMs ?? 0),
      failWith: settings?.failWith ?? null,
      reportCost: settings?.reportCost ?? false,
      models: settings?.models && settings.models.length > 0 ? [...settings.models] : [...MOCK_DEFAULT_MODELS],
    };
  }

  async listModels(signal?: AbortSignal): Promise<ModelList> {
    const providerRequestId = newRequestId();
    await this.#arrive(signal, this.#settings.latencyMs, this.#settings.failWith, providerRequestId);
    return { models: [...this.#settings.models], rateLimits: null, providerRequestId };
  }

  async complete(request: ChatRequest): Promise<ChatResult> {
    const startedAt = performance.now();
    const providerRequestId = newRequestId();
    const directives = parseMockDirectives(withoutScriptedPlans(lastUserMessage(request.messages)));
    const failWith = directives.fail !== undefined ? directives.fail : this.#settings.failWith;
    await this.#arrive(request.signal, directives.latencyMs ?? this.#settings.latencyMs, failWith, providerRequestId);
    const firstByteMs = Math.round(performance.now() - startedAt);

    const reject = (code: ProviderErrorCode) => new ProviderError(code, { httpStatus: FAILURE_HTTP_STATUS[code], providerRequestId });
    if (!this.#settings.models.includes(request.model)) throw reject('model_not_found');
    if (request.messages.length === 0 || !(request.maxOutputTokens >= 1)) throw reject('provider_rejected');
    const inputTokens = estimatePromptTokens(request.messages);
    if (inputTokens > MOCK_CONTEXT_WINDOW_TOKENS) throw reject('context_length_exceeded');

    const full = request.jsonSchema ? this.#jsonAnswer(request) : this.#textAnswer(request);
    const { text, truncated } = truncateToTokens(full, request.maxOutputTokens);
    const usage = simulatedUsage(request.messages, text, inputTokens);
    return {
      text,
      model: request.model,
      usage,
      providerRequestId,
      latencyMs: Math.round(performance.now() - startedAt),
      firstByteMs,
      reportedCostMicroUsd: this.#settings.reportCost ? mockCostMicroUsd(request.model, usage) : null,
      rateLimits: null,
      finishReason: truncated ? 'length' : 'stop',
    };
  }

  /**
   * Deterministic embeddings: each input's vector comes from a hash of the model, the input and the dimension (unit
   * length), so the same text always embeds the same. Prompt tokens are counted with the estimator's tokenizer (token
   * arrays count as their length). The account's latency and failure injection apply, as for `complete`.
   */
  async embed(request: MockEmbeddingRequest): Promise<MockEmbeddingResult> {
    const providerRequestId = newRequestId();
    await this.#arrive(request.signal, this.#settings.latencyMs, this.#settings.failWith, providerRequestId);
    if (!MOCK_EMBEDDING_MODELS.includes(request.model) && !this.#settings.models.includes(request.model)) {
      throw new ProviderError('model_not_found', { httpStatus: FAILURE_HTTP_STATUS.model_not_found, providerRequestId });
    }
    const dimensions = request.dimensions ?? MOCK_EMBEDDING_DIMENSIONS;
    const vectors = request.inputs.map((input) => mockVector(request.model, typeof input === 'string' ? input : input.join(','), dimensions));
    const promptTokens = request.inputs.reduce((n, input) => n + (typeof input === 'string' ? countTokens(input) : input.length), 0);
    return { vectors, promptTokens, providerRequestId, reportedCostMicroUsd: this.#settings.reportCost ? mockCostMicroUsd(request.model, { inputTokens: promptTokens, outputTokens: 0 }) : null };
  }

  /** The part every call shares: not already cancelled, the configured wait, the injected failure. */
  async #arrive(signal: AbortSignal | undefined, latencyMs: number, failWith: ProviderErrorCode | null, providerRequestId: string): Promise<void> {
    if (signal?.aborted) throw new ProviderError('cancelled', { requestSent: false });
    await waitAbortably(latencyMs, signal);
    if (failWith) {
      throw new ProviderError(failWith, {
        httpStatus: FAILURE_HTTP_STATUS[failWith],
        providerRequestId,
        retryAfterMs: failWith === 'rate_limited' ? MOCK_RATE_LIMIT_RETRY_AFTER_MS : null,
      });
    }
  }

  /** What makes two requests "the same input": model, messages (directives aside), schema. */
  #seed(request: ChatRequest): string {
    const messages = request.messages.map(({ role, content }) => [role, withoutDirectives(content)]);
    return createHash('sha256')
      .update(JSON.stringify([request.model, messages, request.jsonSchema?.schema ?? null]))
      .digest('hex');
  }

  #textAnswer(request: ChatRequest): string {
    const seed = this.#seed(request);
    const said = withoutDirectives(lastUserMessage(request.messages));
    const excerpt = said.length > 160 ? `${said.slice(0, 160)}…` : said;
    const opening = excerpt === '' ? 'there was no user message to answer.' : `you wrote “${excerpt}”.`;
    const sentenceCount = request.model === 'mock-smart' ? 3 : 1;
    const start = parseInt(seed.slice(0, 8), 16) % CLOSING_SENTENCES.length;
    const closing = Array.from({ length: sentenceCount }, (_, i) => CLOSING_SENTENCES[(start + i) % CLOSING_SENTENCES.length]);
    return [`Mock reply from ${request.model} (ref ${seed.slice(0, 8)}): ${opening}`, ...closing].join(' ');
  }

  #jsonAnswer(request: ChatRequest): string {
    if (request.jsonSchema?.name === COPILOT_SCHEMA_NAME) return JSON.stringify(mockCopilotReply(request.messages));
    return JSON.stringify(sampleJsonForSchema(request.jsonSchema?.schema ?? {}, this.#seed(request)));
  }
}
