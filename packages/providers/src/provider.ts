// The provider contract every adapter implements. Types only (plus the kind list), so adapters can
// import from here without creating an import cycle with the factory.
import type { AccountStatusEffect, ProviderErrorCode } from './errors.js';
import type { OutboundPolicy } from './outbound.js';

/** The kinds of provider account Vaultrun can talk to. */
export const PROVIDER_KINDS = ['openai', 'openai-compatible', 'anthropic', 'azure-openai', 'gemini', 'mock'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export type { AccountStatusEffect, ProviderErrorCode };

export interface RateLimitWindow {
  limit: number | null;
  remaining: number | null;
  /** Milliseconds until the window resets, as the provider reported it when the response arrived. */
  resetMs: number | null;
}

/** From x-ratelimit-{limit,remaining,reset}-{requests,tokens} headers. */
export interface RateLimitSnapshot {
  requests: RateLimitWindow | null;
  tokens: RateLimitWindow | null;
  /** ISO time the headers were read; `resetMs` counts from here. */
  observedAt: string;
}

export interface MockSettings {
  /** Default 0; every call waits this long (abortable). */
  latencyMs?: number;
  /** Every call fails with this taxonomy error. */
  failWith?: ProviderErrorCode | null;
  /** Return a provider-reported cost (demonstrates 'verified' costs), priced from MOCK_PRICES. */
  reportCost?: boolean;
  /** Default ['mock-fast', 'mock-smart']. */
  models?: string[];
}

/** What an adapter needs. The key is only ever held in memory, passed in by the caller. */
export interface ProviderConnection {
  kind: ProviderKind;
  apiKey?: string | null;
  baseUrl?: string | null;
  /** Per-call timeout; default 60 000 ms. */
  timeoutMs?: number;
  mock?: MockSettings | null;
  /** Which addresses the base URL may reach (see outbound.ts); default: public addresses only. */
  outbound?: OutboundPolicy;
  /** `azure-openai` only: the api-version query parameter (default AZURE_OPENAI_DEFAULT_API_VERSION). */
  apiVersion?: string | null;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxOutputTokens: number;
  temperature?: number;
  /** Structured output: the provider is asked for JSON matching this schema (OpenAI strict mode). */
  jsonSchema?: { name: string; schema: Record<string, unknown> } | null;
  signal?: AbortSignal;
}

export interface TokenUsage {
  /** Prompt tokens as the provider counts them — cached ones included (OpenAI's prompt_tokens). */
  inputTokens: number;
  outputTokens: number;
  /** The part of inputTokens served from the provider's prompt cache. */
  cachedInputTokens: number;
  /**
   * The part of inputTokens written to the provider's prompt cache (Anthropic's cache_creation_input_tokens), priced
   * at the model's cache-write price. Absent or 0 for providers that do not charge cache writes apart.
   */
  cacheWriteInputTokens?: number;
}

export interface ChatResult {
  text: string;
  model: string;
  /** null when the provider reports none. */
  usage: TokenUsage | null;
  providerRequestId: string | null;
  /** From just before the request was handed to the SDK until the response body was parsed. */
  latencyMs: number;
  /** From the same start until the response headers arrived. */
  firstByteMs: number | null;
  /** Integer micro-USD, only when the provider itself reported a cost. */
  reportedCostMicroUsd: number | null;
  rateLimits: RateLimitSnapshot | null;
  finishReason: string | null;
}

export interface ModelList {
  models: string[];
  /** The answer was not a list of models (no list at all, or entries without an id); `models` holds what could be read. */
  malformed?: boolean;
  rateLimits: RateLimitSnapshot | null;
  providerRequestId: string | null;
}

export interface LlmProvider {
  readonly kind: ProviderKind;
  /** Rejects with a ProviderError only. */
  listModels(signal?: AbortSignal): Promise<ModelList>;
  /** Rejects with a ProviderError only. */
  complete(request: ChatRequest): Promise<ChatResult>;
}
