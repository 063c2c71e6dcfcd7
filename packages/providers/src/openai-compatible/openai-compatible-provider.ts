// `openai-compatible` accounts: OpenRouter, Groq, Together, Mistral, DeepSeek, Ollama, vLLM and other servers that
// speak Chat Completions. Base URL required, key optional. A hosted preset, recognised by the base URL's origin,
// decides how a JSON Schema output is asked for and whether the call's cost is requested (presets.ts).
import { normalizeBaseUrl } from '../base-url.js';
import { DEFAULT_TIMEOUT_MS, OpenAiChatProvider, type OpenAiChatProviderOptions } from '../openai/openai-chat-provider.js';
import type { LlmProvider, ProviderConnection } from '../provider.js';
import { PUBLIC_ONLY } from '../outbound.js';
import { presetOfBaseUrl } from './presets.js';

/** How an `openai-compatible` connection is called: the shared Chat Completions adapter, tuned by its hosted preset. */
export function openAiCompatibleOptionsFor(connection: ProviderConnection): OpenAiChatProviderOptions {
  if (!connection.baseUrl) throw new TypeError('An openai-compatible connection needs a base URL');
  const preset = presetOfBaseUrl(connection.baseUrl);
  return {
    kind: 'openai-compatible',
    apiKey: connection.apiKey ? connection.apiKey : null,
    baseUrl: normalizeBaseUrl(connection.baseUrl),
    timeoutMs: connection.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // The field every compatible server understands (Ollama, vLLM, OpenRouter, Groq, Mistral, DeepSeek).
    maxTokensField: 'max_tokens',
    // OpenRouter-style gateways report what they charged in usage.cost (USD).
    readReportedCost: true,
    outbound: connection.outbound ?? PUBLIC_ONLY,
    structuredOutput: preset?.structuredOutput ?? 'json_schema',
    requestUsageCost: preset?.reportsCost ?? false,
  };
}

export function createOpenAiCompatibleProvider(connection: ProviderConnection): LlmProvider {
  return new OpenAiChatProvider(openAiCompatibleOptionsFor(connection));
}
