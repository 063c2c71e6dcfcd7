// `openai-compatible` accounts: Azure OpenAI (v1 API), OpenRouter, Ollama, vLLM and other servers
// that speak Chat Completions. Base URL required, key optional.
import { normalizeBaseUrl } from '../base-url.js';
import { DEFAULT_TIMEOUT_MS, OpenAiChatProvider } from '../openai/openai-chat-provider.js';
import type { LlmProvider, ProviderConnection } from '../provider.js';
import { PUBLIC_ONLY } from '../outbound.js';

export function createOpenAiCompatibleProvider(connection: ProviderConnection): LlmProvider {
  if (!connection.baseUrl) throw new TypeError('An openai-compatible connection needs a base URL');
  return new OpenAiChatProvider({
    kind: 'openai-compatible',
    apiKey: connection.apiKey ? connection.apiKey : null,
    baseUrl: normalizeBaseUrl(connection.baseUrl),
    timeoutMs: connection.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // The field every compatible server understands (Ollama, vLLM, OpenRouter, Azure).
    maxTokensField: 'max_tokens',
    // OpenRouter-style gateways report what they charged in usage.cost (USD).
    readReportedCost: true,
    outbound: connection.outbound ?? PUBLIC_ONLY,
  });
}
