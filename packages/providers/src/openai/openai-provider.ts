// `openai` accounts: api.openai.com (or a configured base URL, e.g. a regional endpoint or a proxy).
import type { LlmProvider, ProviderConnection } from '../provider.js';
import { PUBLIC_ONLY } from '../outbound.js';
import { DEFAULT_TIMEOUT_MS, OpenAiChatProvider } from './openai-chat-provider.js';
import { normalizeBaseUrl } from '../base-url.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export function createOpenAiProvider(connection: ProviderConnection): LlmProvider {
  if (!connection.apiKey) throw new TypeError('An openai connection needs an API key');
  return new OpenAiChatProvider({
    kind: 'openai',
    apiKey: connection.apiKey,
    baseUrl: connection.baseUrl ? normalizeBaseUrl(connection.baseUrl) : OPENAI_DEFAULT_BASE_URL,
    timeoutMs: connection.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // OpenAI's reasoning models (o-series, gpt-5) refuse max_tokens.
    maxTokensField: 'max_completion_tokens',
    readReportedCost: false,
    outbound: connection.outbound ?? PUBLIC_ONLY,
  });
}
