import { createAnthropicProvider } from './anthropic/anthropic-provider.js';
import { azureApiVersionProblem, createAzureOpenAiProvider } from './azure-openai/azure-openai-provider.js';
import { baseUrlProblem } from './base-url.js';
import { ProviderError } from './errors.js';
import { createGeminiProvider } from './gemini/gemini-provider.js';
import { MockProvider } from './mock/mock-provider.js';
import { createOpenAiCompatibleProvider } from './openai-compatible/openai-compatible-provider.js';
import { createOpenAiProvider } from './openai/openai-provider.js';
import { PROVIDER_KINDS, type LlmProvider, type ProviderConnection } from './provider.js';

/** Kinds that cannot call anything without a key. */
const KEY_REQUIRED: Partial<Record<string, string>> = {
  openai: 'An OpenAI account needs an API key',
  anthropic: 'An Anthropic account needs an API key',
  'azure-openai': 'An Azure OpenAI account needs an API key',
  gemini: 'A Gemini account needs an API key',
};

/**
 * Why a connection cannot work at all (a sentence for people), or null. The API checks this when an
 * account is saved; createProvider refuses such a connection.
 */
export function connectionProblem(connection: ProviderConnection): string | null {
  if (!(PROVIDER_KINDS as readonly string[]).includes(connection.kind)) return 'Unknown provider kind';
  const { timeoutMs } = connection;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) return 'The timeout must be a positive number of milliseconds';
  const missingKey = KEY_REQUIRED[connection.kind];
  if (missingKey && !connection.apiKey) return missingKey;
  if (connection.kind === 'openai-compatible' && !connection.baseUrl) return 'An OpenAI-compatible account needs a base URL';
  if (connection.kind === 'azure-openai' && !connection.baseUrl) return 'An Azure OpenAI account needs its resource endpoint as the base URL';
  if (connection.kind === 'azure-openai' && connection.apiVersion && azureApiVersionProblem(connection.apiVersion)) return 'The Azure api-version is not valid';
  if (connection.kind !== 'mock' && connection.baseUrl) return baseUrlProblem(connection.baseUrl);
  return null;
}

/**
 * The adapter for a connection. Cheap: create one per call and drop it (the key lives only as long
 * as the returned object). A connection that cannot work at all (see connectionProblem) is refused
 * with a ProviderError that never reached the provider: `invalid_api_key` for a missing key,
 * `provider_rejected` for anything else.
 */
export function createProvider(connection: ProviderConnection): LlmProvider {
  const problem = connectionProblem(connection);
  if (problem) {
    const missingKey = KEY_REQUIRED[connection.kind] !== undefined && !connection.apiKey;
    throw new ProviderError(missingKey ? 'invalid_api_key' : 'provider_rejected', { requestSent: false });
  }
  switch (connection.kind) {
    case 'openai':
      return createOpenAiProvider(connection);
    case 'openai-compatible':
      return createOpenAiCompatibleProvider(connection);
    case 'anthropic':
      return createAnthropicProvider(connection);
    case 'azure-openai':
      return createAzureOpenAiProvider(connection);
    case 'gemini':
      return createGeminiProvider(connection);
    default:
      return new MockProvider(connection.mock);
  }
}
