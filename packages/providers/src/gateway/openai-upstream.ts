// The gateway's upstream for `openai` and `openai-compatible` accounts: the client's own request, forwarded on the
// official SDK (its auth, base URL handling, error classes and timeouts) through the outbound guard, with no SDK
// retries (Vaultrun decides fallbacks). The answer is not re-built: its bytes — the JSON body, or the SSE stream — go
// back to the client as the provider sent them.
import { OpenAI } from 'openai';
import { classifyProviderError, ProviderError } from '../errors.js';
import { guardedFetch, type OutboundPolicy } from '../outbound.js';
import { parseRateLimitHeaders, readHeader } from '../rate-limit-headers.js';
import { GATEWAY_ENDPOINT_PATHS, type GatewayAnswer, type GatewayRequest, type GatewayStream, type GatewayUpstream } from './types.js';
import { reportedCostOf, usageOfAnswer } from './usage.js';

export interface OpenAiGatewayUpstreamOptions {
  kind: 'openai' | 'openai-compatible' | 'azure-openai';
  /** null: send no Authorization header (Ollama and other local servers). */
  apiKey: string | null;
  /** Normalized, ending in the API version (`https://api.openai.com/v1`). */
  baseUrl: string;
  /** Until the provider's response headers; the gateway bounds the whole call (a long stream) itself. */
  timeoutMs: number;
  /** Read `usage.cost` (USD) as the provider's own figure (OpenRouter-style gateways). */
  readReportedCost: boolean;
  outbound: OutboundPolicy;
  /**
   * A client made elsewhere (Azure OpenAI's: the SDK's AzureOpenAI puts the deployment — the model — in the path and
   * the api-version in the query; the body is forwarded the same way).
   */
  client?: OpenAI;
  /** Headers naming the provider's id for the call, first found wins (default x-request-id). */
  requestIdHeaders?: readonly string[];
}

// The SDK insists on a credential; for a keyless server this placeholder is set and its Authorization header removed.
const KEYLESS_PLACEHOLDER = 'vaultrun-keyless';

export class OpenAiGatewayUpstream implements GatewayUpstream {
  readonly kind: OpenAiGatewayUpstreamOptions['kind'];
  // Private fields: the key (inside the client) never shows up in util.inspect, JSON.stringify or a spread.
  readonly #client: OpenAI;
  readonly #timeoutMs: number;
  readonly #readReportedCost: boolean;
  readonly #requestIdHeaders: readonly string[];

  constructor(options: OpenAiGatewayUpstreamOptions) {
    this.kind = options.kind;
    this.#timeoutMs = options.timeoutMs;
    this.#readReportedCost = options.readReportedCost;
    this.#requestIdHeaders = options.requestIdHeaders ?? ['x-request-id'];
    // One client per account (kept by the caller's cache): its connection pool is the guarded dispatcher's.
    this.#client = options.client ?? new OpenAI({
      apiKey: options.apiKey ?? KEYLESS_PLACEHOLDER,
      ...(options.apiKey === null ? { defaultHeaders: { Authorization: null } } : {}),
      baseURL: options.baseUrl,
      timeout: options.timeoutMs,
      maxRetries: 0,
      fetch: (input: string | URL | Request, init?: RequestInit) => guardedFetch(options.outbound, input, init),
      // Explicit values, so the SDK's OPENAI_* environment variables never change who we call or as whom.
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      logLevel: 'off',
    });
  }

  async call(request: GatewayRequest): Promise<GatewayAnswer | GatewayStream> {
    const started = performance.now();
    let response: Response;
    try {
      response = await this.#client
        .post(GATEWAY_ENDPOINT_PATHS[request.endpoint], { body: request.body, stream: request.stream, signal: request.signal, maxRetries: 0, timeout: this.#timeoutMs })
        .asResponse();
    } catch (err) {
      throw classifyProviderError(err);
    }
    const headersMs = performance.now() - started;
    const meta = { providerRequestId: this.#requestIdHeaders.map((h) => readHeader(response.headers, h)).find((v) => v !== null) ?? null, rateLimits: parseRateLimitHeaders(response.headers, new Date()), headersMs };
    if (request.stream) {
      if (!response.body) throw new ProviderError('provider_unavailable', { httpStatus: response.status, providerRequestId: meta.providerRequestId });
      return { kind: 'stream', chunks: chunksOf(response.body), readsReportedCost: this.#readReportedCost, ...meta };
    }
    let body: Uint8Array;
    try {
      body = new Uint8Array(await response.arrayBuffer());
    } catch (err) {
      throw classifyProviderError(err);
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(body));
    } catch {
      // A 200 that is not JSON (a wrong base URL's web page): nothing an OpenAI client could read.
      throw new ProviderError('provider_rejected', { httpStatus: response.status, providerRequestId: meta.providerRequestId });
    }
    return {
      kind: 'json',
      body,
      json,
      usage: usageOfAnswer(request.endpoint, json),
      reportedCostMicroUsd: this.#readReportedCost ? reportedCostOf(json) : null,
      ...meta,
    };
  }
}

/** A response body as it arrives; a broken or aborted stream rejects with a ProviderError. */
export async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (err) {
        throw classifyProviderError(err);
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // Stopped early (the client left, or the caller gave up): cancel the body so the connection is released.
    try {
      await reader.cancel();
    } catch {
      // The body had already failed or closed: its connection went with it, there is nothing left to release.
    }
  }
}
