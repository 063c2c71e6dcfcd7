// `azure-openai` accounts: an Azure OpenAI resource through the official `openai` SDK's AzureOpenAI client. The base
// URL is the resource endpoint (https://<resource>.openai.azure.com), calls name a *deployment* where OpenAI names a
// model, and every request carries an api-version. The key goes in Azure's `api-key` header. Errors are the openai
// SDK's (the shared classifier reads Azure's codes: DeploymentNotFound, content_filter, 429 with retry-after-ms);
// limits come from x-ratelimit-* headers.
import { AzureOpenAI } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { normalizeBaseUrl } from '../base-url.js';
import { type CallTrace, firstByteMsOf, newCallTrace, tracingFetch } from '../call-trace.js';
import { classifyProviderError, ProviderError } from '../errors.js';
import { type OutboundPolicy, PUBLIC_ONLY } from '../outbound.js';
import { chatUsageOf } from '../gateway/usage.js';
import type { ChatRequest, ChatResult, LlmProvider, ModelList, ProviderConnection } from '../provider.js';
import { parseRateLimitHeaders, readHeader } from '../rate-limit-headers.js';
import { responseFormatOf } from '../tokens.js';

/** The data-plane api-version runs use unless the account sets another (GA, with structured outputs). */
export const AZURE_OPENAI_DEFAULT_API_VERSION = '2024-10-21';
/** The data-plane version that lists a resource's deployments with an api-key (later versions dropped the route). */
export const AZURE_DEPLOYMENTS_API_VERSION = '2022-12-01';
export const AZURE_OPENAI_DEFAULT_TIMEOUT_MS = 60_000;
/** api-version as Azure writes it: a date, optionally `-preview`. */
const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

/** Why an api-version cannot be used (a sentence), or null. */
export function azureApiVersionProblem(apiVersion: string): string | null {
  return API_VERSION.test(apiVersion) ? null : 'must look like 2024-10-21 or 2025-04-01-preview';
}

export interface AzureClientSettings {
  apiKey: string;
  /** The resource endpoint, e.g. https://my-resource.openai.azure.com (no /openai). */
  endpoint: string;
  apiVersion: string;
  timeoutMs: number;
  outbound: OutboundPolicy;
}

/**
 * The SDK client for one exchange, recorded on `trace`. The base URL is built here (endpoint + /openai) rather than
 * left to the SDK, so AZURE_OPENAI_ENDPOINT, OPENAI_BASE_URL, OPENAI_API_VERSION and AZURE_OPENAI_API_KEY never change
 * who is called or with what. A gateway translator reuses this for Azure targets.
 */
export function createAzureOpenAiClient(settings: AzureClientSettings, trace: CallTrace): AzureOpenAI {
  return new AzureOpenAI({
    apiKey: settings.apiKey,
    apiVersion: settings.apiVersion,
    baseURL: `${settings.endpoint}/openai`,
    timeout: settings.timeoutMs,
    maxRetries: 0,
    fetch: tracingFetch(settings.outbound, trace),
    organization: null,
    project: null,
    webhookSecret: null,
    logLevel: 'off',
  });
}

/** The resource endpoint of a base URL: a pasted …/openai or …/openai/v1 is dropped. */
export function azureEndpoint(baseUrl: string): string {
  return normalizeBaseUrl(baseUrl).replace(/\/openai(\/v1)?$/, '');
}

/** Azure versions before 2024-09-01 know only max_tokens; later ones (and reasoning models) want max_completion_tokens. */
function maxTokensFieldFor(apiVersion: string): 'max_tokens' | 'max_completion_tokens' {
  return apiVersion.slice(0, 10) < '2024-09-01' ? 'max_tokens' : 'max_completion_tokens';
}

export class AzureOpenAiProvider implements LlmProvider {
  readonly kind = 'azure-openai' as const;
  readonly #settings: AzureClientSettings;

  constructor(settings: AzureClientSettings) {
    this.#settings = settings;
  }

  get baseUrl(): string {
    return this.#settings.endpoint;
  }

  /** Verify lists the resource's deployments (what runs call), not the model catalogue. */
  async listModels(signal?: AbortSignal): Promise<ModelList> {
    const trace = newCallTrace();
    let body: unknown;
    try {
      body = await createAzureOpenAiClient(this.#settings, trace).get('/deployments', {
        query: { 'api-version': AZURE_DEPLOYMENTS_API_VERSION },
        ...(signal ? { signal } : {}),
        timeout: this.#settings.timeoutMs,
        maxRetries: 0,
      });
    } catch (err) {
      throw classifyProviderError(err, trace.fetchStarted ? {} : { requestSent: false });
    }
    const entries = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
    const list = Array.isArray(entries) ? entries : [];
    // A deployment still being created (or failed) cannot serve calls yet.
    const ready = list.filter((d: unknown) => {
      const status = typeof d === 'object' && d !== null ? (d as { status?: unknown }).status : undefined;
      return status === undefined || status === 'succeeded';
    });
    const ids = ready.map((d: unknown) => (typeof d === 'object' && d !== null ? (d as { id?: unknown }).id : undefined));
    const valid = ids.filter((id): id is string => typeof id === 'string' && id !== '');
    return {
      models: [...new Set(valid)].sort(),
      malformed: !Array.isArray(entries) || valid.length < ids.length,
      rateLimits: parseRateLimitHeaders(trace.headers, trace.headersAtWallClock ?? new Date()),
      providerRequestId: readHeader(trace.headers, 'apim-request-id') ?? readHeader(trace.headers, 'x-request-id'),
    };
  }

  async complete(request: ChatRequest): Promise<ChatResult> {
    const body: ChatCompletionCreateParamsNonStreaming = {
      // The deployment: the client puts it in the path (/openai/deployments/<model>/chat/completions).
      model: request.model,
      messages: request.messages.map(({ role, content }) => ({ role, content })),
    };
    body[maxTokensFieldFor(this.#settings.apiVersion)] = request.maxOutputTokens;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    // The budget estimate counts this same object (tokens.ts).
    if (request.jsonSchema) body.response_format = responseFormatOf(request.jsonSchema);

    const trace = newCallTrace();
    let data: ChatCompletion;
    try {
      data = await createAzureOpenAiClient(this.#settings, trace).chat.completions.create(body, {
        ...(request.signal ? { signal: request.signal } : {}),
        timeout: this.#settings.timeoutMs,
        maxRetries: 0,
      });
    } catch (err) {
      throw classifyProviderError(err, trace.fetchStarted ? {} : { requestSent: false });
    }
    return resultOf(request, data, trace, performance.now());
  }
}

function resultOf(request: ChatRequest, data: ChatCompletion, trace: CallTrace, finishedAt: number): ChatResult {
  const choice = data.choices?.[0];
  const providerRequestId = readHeader(trace.headers, 'apim-request-id') ?? readHeader(trace.headers, 'x-request-id');
  // Azure's content filter stopped the answer: a clear error rather than an empty or cut text.
  if (choice?.finish_reason === 'content_filter') throw new ProviderError('content_blocked', { httpStatus: trace.status ?? 200, providerRequestId });
  return {
    text: choice?.message?.content ?? '',
    // Azure answers with the model behind the deployment (e.g. gpt-4o-mini-2024-07-18).
    model: typeof data.model === 'string' && data.model !== '' ? data.model : request.model,
    usage: chatUsageOf(data.usage),
    providerRequestId,
    latencyMs: Math.round(finishedAt - trace.startedAt),
    firstByteMs: firstByteMsOf(trace),
    reportedCostMicroUsd: null,
    rateLimits: parseRateLimitHeaders(trace.headers, trace.headersAtWallClock ?? new Date()),
    finishReason: choice?.finish_reason ?? null,
  };
}

export function createAzureOpenAiProvider(connection: ProviderConnection): LlmProvider {
  if (!connection.apiKey) throw new TypeError('An azure-openai connection needs an API key');
  if (!connection.baseUrl) throw new TypeError('An azure-openai connection needs the resource endpoint as its base URL');
  return new AzureOpenAiProvider({
    apiKey: connection.apiKey,
    endpoint: azureEndpoint(connection.baseUrl),
    apiVersion: connection.apiVersion || AZURE_OPENAI_DEFAULT_API_VERSION,
    timeoutMs: connection.timeoutMs ?? AZURE_OPENAI_DEFAULT_TIMEOUT_MS,
    outbound: connection.outbound ?? PUBLIC_ONLY,
  });
}
