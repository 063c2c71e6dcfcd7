// The gateway's upstream contract: what the OpenAI-compatible gateway asks of a provider kind. Every upstream speaks
// OpenAI's wire format outwards — the answer body, or the server-sent events of a stream, exactly as an OpenAI client
// expects them — whatever it speaks to its provider. An `openai` or `openai-compatible` account forwards the client's
// own body (only `model` replaced); the mock, Anthropic and Gemini translate (translate.ts). `messages` is the other way
// round: Anthropic's wire format outwards, forwarded by Anthropic accounts, translated by every other (messages-translate.ts).
import type { ProviderKind, RateLimitSnapshot, TokenUsage } from '../provider.js';

export const GATEWAY_ENDPOINTS = ['chat.completions', 'responses', 'embeddings', 'messages'] as const;
export type GatewayEndpoint = (typeof GATEWAY_ENDPOINTS)[number];

/** The path under the base URL (`…/v1`) each endpoint is served at, by OpenAI and by Vaultrun's gateway. */
export const GATEWAY_ENDPOINT_PATHS: Record<GatewayEndpoint, string> = {
  'chat.completions': '/chat/completions',
  responses: '/responses',
  embeddings: '/embeddings',
  // Anthropic's Messages API (served natively by Anthropic accounts, translated to chat completions by every other).
  messages: '/messages',
};

export interface GatewayRequest {
  endpoint: GatewayEndpoint;
  /**
   * The client's JSON body as the provider must receive it: `model` is the provider's model, a stream asks for usage
   * (`stream_options.include_usage` on chat), and shrink-to-fit may have lowered the output limit. Nothing else changes.
   */
  body: Record<string, unknown>;
  stream: boolean;
  /** The output tokens the call was held for (what a translating upstream caps its answer at). */
  maxOutputTokens: number;
  signal: AbortSignal;
}

interface AnswerMeta {
  /** The provider's own id for the call (`x-request-id`; `mock-<hex>` for the mock). */
  providerRequestId: string | null;
  rateLimits: RateLimitSnapshot | null;
  /** ms from the call until the provider's response headers arrived. */
  headersMs: number;
}

/** A complete (non-streamed) answer. */
export interface GatewayAnswer extends AnswerMeta {
  kind: 'json';
  /** The answer as the provider sent it: forwarded to the client byte for byte. */
  body: Uint8Array;
  /** The same, parsed (usage, retention). */
  json: unknown;
  usage: TokenUsage | null;
  /** Integer micro-USD, only when the provider itself reported what the call cost. */
  reportedCostMicroUsd: number | null;
}

/** A streamed answer: server-sent events in OpenAI's format, as they arrive. */
export interface GatewayStream extends AnswerMeta {
  kind: 'stream';
  /** Raw SSE bytes. Ends with the stream; throws (a ProviderError) when the stream breaks or the signal aborts it. */
  chunks: AsyncIterable<Uint8Array>;
  /** Whether `usage.cost` (USD) in the stream's usage is the provider's own figure (OpenRouter-style gateways). */
  readsReportedCost: boolean;
}

export interface GatewayUpstream {
  readonly kind: ProviderKind;
  /**
   * Sends one request. Rejects with a ProviderError only, and only before an answer began: an HTTP error status, a
   * connection that failed, a timeout, an abort. `requestSent` on the error says whether the provider may have billed.
   */
  call(request: GatewayRequest): Promise<GatewayAnswer | GatewayStream>;
  /**
   * Anthropic's `POST /v1/messages/count_tokens` with the provider's own count (Anthropic accounts only; the gateway
   * estimates for every other kind). Rejects with a ProviderError.
   */
  countMessageTokens?(body: Record<string, unknown>, signal: AbortSignal): Promise<number>;
}
