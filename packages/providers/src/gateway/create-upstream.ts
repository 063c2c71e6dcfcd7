import { normalizeBaseUrl } from '../base-url.js';
import { connectionProblem } from '../create-provider.js';
import { ProviderError } from '../errors.js';
import { OPENAI_DEFAULT_BASE_URL } from '../openai/openai-provider.js';
import { PUBLIC_ONLY } from '../outbound.js';
import type { ProviderConnection } from '../provider.js';
import { MockGatewayUpstream } from './mock-upstream.js';
import { OpenAiGatewayUpstream } from './openai-upstream.js';
import { AzureOpenAI } from 'openai';
import { ANTHROPIC_DEFAULT_TIMEOUT_MS, anthropicBaseUrl } from '../anthropic/anthropic-provider.js';
import { AZURE_OPENAI_DEFAULT_API_VERSION, azureEndpoint } from '../azure-openai/azure-openai-provider.js';
import { GEMINI_DEFAULT_TIMEOUT_MS, geminiBaseUrl } from '../gemini/gemini-provider.js';
import { guardedFetch } from '../outbound.js';
import { AnthropicGatewayUpstream } from './anthropic-upstream.js';
import { GeminiGatewayUpstream } from './gemini-upstream.js';
import { MessagesViaChatUpstream } from './messages-translate.js';
import type { GatewayUpstream } from './types.js';

/**
 * The gateway upstream for a connection (the same connections `createProvider` takes). Unlike an `LlmProvider`, keep
 * it for a while (the caller caches it per account): it holds an SDK client and its connection pool. A connection that
 * cannot work at all is refused as createProvider refuses it (the request never left).
 */
export function createGatewayUpstream(connection: ProviderConnection): GatewayUpstream {
  const upstream = upstreamFor(connection);
  // Anthropic accounts serve Anthropic's Messages API natively; every other kind through its chat completions.
  return upstream.kind === 'anthropic' ? upstream : new MessagesViaChatUpstream(upstream);
}

function upstreamFor(connection: ProviderConnection): GatewayUpstream {
  const problem = connectionProblem(connection);
  if (problem) {
    const missingKey = connection.kind === 'openai' && !connection.apiKey;
    throw new ProviderError(missingKey ? 'invalid_api_key' : 'provider_rejected', { requestSent: false });
  }
  if (connection.kind === 'mock') return new MockGatewayUpstream(connection.mock);
  const outbound = connection.outbound ?? PUBLIC_ONLY;
  if (connection.kind === 'anthropic' || connection.kind === 'gemini' || connection.kind === 'azure-openai') {
    if (!connection.apiKey) throw new ProviderError('invalid_api_key', { requestSent: false });
    const apiKey = connection.apiKey;
    // Anthropic and Gemini: translated both ways (OpenAI's chat format outwards), on the run adapters' SDK clients.
    if (connection.kind === 'anthropic') {
      return new AnthropicGatewayUpstream({ apiKey, baseUrl: anthropicBaseUrl(connection.baseUrl), timeoutMs: connection.timeoutMs ?? ANTHROPIC_DEFAULT_TIMEOUT_MS, outbound });
    }
    if (connection.kind === 'gemini') {
      return new GeminiGatewayUpstream({ apiKey, baseUrl: geminiBaseUrl(connection.baseUrl), timeoutMs: connection.timeoutMs ?? GEMINI_DEFAULT_TIMEOUT_MS, outbound });
    }
    // Azure OpenAI speaks OpenAI's format: forwarded on the SDK's Azure client (deployment = model, the api-version).
    if (!connection.baseUrl) throw new ProviderError('provider_rejected', { requestSent: false });
    const timeoutMs = connection.timeoutMs ?? 60_000;
    const client = new AzureOpenAI({
      apiKey,
      apiVersion: connection.apiVersion || AZURE_OPENAI_DEFAULT_API_VERSION,
      baseURL: `${azureEndpoint(connection.baseUrl)}/openai`,
      timeout: timeoutMs,
      maxRetries: 0,
      fetch: (input: string | URL | Request, init?: RequestInit) => guardedFetch(outbound, input, init),
      organization: null,
      project: null,
      webhookSecret: null,
      logLevel: 'off',
    });
    return new OpenAiGatewayUpstream({
      kind: 'azure-openai',
      apiKey,
      baseUrl: `${azureEndpoint(connection.baseUrl)}/openai`,
      timeoutMs,
      readReportedCost: false,
      outbound,
      client,
      requestIdHeaders: ['apim-request-id', 'x-request-id'],
    });
  }
  if (connection.kind !== 'openai' && connection.kind !== 'openai-compatible') throw new ProviderError('provider_rejected', { requestSent: false });
  return new OpenAiGatewayUpstream({
    kind: connection.kind,
    apiKey: connection.apiKey ? connection.apiKey : null,
    baseUrl: connection.baseUrl ? normalizeBaseUrl(connection.baseUrl) : OPENAI_DEFAULT_BASE_URL,
    timeoutMs: connection.timeoutMs ?? 60_000,
    // OpenRouter-style gateways report what they charged in usage.cost (USD); OpenAI itself does not.
    readReportedCost: connection.kind === 'openai-compatible',
    outbound,
  });
}
