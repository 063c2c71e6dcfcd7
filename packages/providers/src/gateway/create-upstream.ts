import { normalizeBaseUrl } from '../base-url.js';
import { connectionProblem } from '../create-provider.js';
import { ProviderError } from '../errors.js';
import { OPENAI_DEFAULT_BASE_URL } from '../openai/openai-provider.js';
import { PUBLIC_ONLY } from '../outbound.js';
import type { ProviderConnection } from '../provider.js';
import { MockGatewayUpstream } from './mock-upstream.js';
import { OpenAiGatewayUpstream } from './openai-upstream.js';
import type { GatewayUpstream } from './types.js';

/**
 * The gateway upstream for a connection (the same connections `createProvider` takes). Unlike an `LlmProvider`, keep
 * it for a while (the caller caches it per account): it holds an SDK client and its connection pool. A connection that
 * cannot work at all is refused as createProvider refuses it (the request never left).
 */
export function createGatewayUpstream(connection: ProviderConnection): GatewayUpstream {
  const problem = connectionProblem(connection);
  if (problem) {
    const missingKey = connection.kind === 'openai' && !connection.apiKey;
    throw new ProviderError(missingKey ? 'invalid_api_key' : 'provider_rejected', { requestSent: false });
  }
  if (connection.kind === 'mock') return new MockGatewayUpstream(connection.mock);
  if (connection.kind !== 'openai' && connection.kind !== 'openai-compatible') {
    // Anthropic, Gemini and Azure OpenAI need a translating upstream (OpenAI's wire format both ways); until one exists
    // the call is refused before it leaves.
    throw new ProviderError('provider_rejected', { requestSent: false });
  }
  return new OpenAiGatewayUpstream({
    kind: connection.kind,
    apiKey: connection.apiKey ? connection.apiKey : null,
    baseUrl: connection.baseUrl ? normalizeBaseUrl(connection.baseUrl) : OPENAI_DEFAULT_BASE_URL,
    timeoutMs: connection.timeoutMs ?? 60_000,
    // OpenRouter-style gateways report what they charged in usage.cost (USD); OpenAI itself does not.
    readReportedCost: connection.kind === 'openai-compatible',
    outbound: connection.outbound ?? PUBLIC_ONLY,
  });
}
