export * from './provider.js';
export * from './create-provider.js';
export * from './errors.js';
export * from './rate-limit-headers.js';
export * from './tokens.js';
export * from './api-keys.js';
export * from './micro-usd.js';
export * from './base-url.js';
export * from './structured-output.js';
export * from './copilot.js';
export { OPENAI_DEFAULT_BASE_URL } from './openai/openai-provider.js';
export { DEFAULT_TIMEOUT_MS } from './openai/openai-chat-provider.js';
export { fetchOpenAiDailyCosts, utcDayOf, utcDayStartSeconds, type OpenAiCostsQuery, type OpenAiDailyCosts } from './openai/openai-costs.js';
export {
  MOCK_CONTEXT_WINDOW_TOKENS,
  MOCK_DEFAULT_MODELS,
  MOCK_EMBEDDING_DIMENSIONS,
  MOCK_EMBEDDING_MODELS,
  MOCK_MAX_LATENCY_MS,
  MOCK_PRICES,
  MOCK_RATE_LIMIT_RETRY_AFTER_MS,
  mockCostMicroUsd,
  parseMockDirectives,
  type MockDirectives,
} from './mock/mock-provider.js';
export { plainJsonForSchema, sampleJsonForSchema } from './mock/json-schema-sample.js';
export * from './prices/prices.js';
export { OPENAI_PRICE_TABLE } from './prices/openai-prices.js';
export * from './outbound.js';
export {
  answerText,
  chatUsageOf,
  choicesOf,
  createGatewayUpstream,
  embeddingInputsOf,
  embeddingsUsageOf,
  estimateGatewayPromptTokens,
  GATEWAY_ENDPOINT_PATHS,
  GATEWAY_ENDPOINTS,
  type GatewayAnswer,
  type GatewayEndpoint,
  type GatewayPrompt,
  gatewayPromptOf,
  type GatewayRequest,
  type GatewayStream,
  GatewayStreamScanner,
  type GatewayUpstream,
  MEDIA_PART_TOKENS,
  MockGatewayUpstream,
  AnthropicGatewayUpstream,
  anthropicParamsOfChat,
  GeminiGatewayUpstream,
  geminiParamsOfChat,
  gatewayEndpointsOf,
  gatewayTranslationProblem,
  type TranslationProblem,
  OpenAiGatewayUpstream,
  type OpenAiGatewayUpstreamOptions,
  reportedCostOf,
  requestedMaxOutputTokens,
  responsesUsageOf,
  type SseEvent,
  SseSplitter,
  type StreamScanOptions,
  usageOfAnswer,
} from './gateway/index.js';
export { ANTHROPIC_DEFAULT_BASE_URL, GEMINI_DEFAULT_BASE_URL, hasDefaultEndpoint } from './base-url.js';
export { type CallTrace, newCallTrace, tracingFetch } from './call-trace.js';
export {
  AnthropicProvider,
  anthropicBaseUrl,
  anthropicMessagesOf,
  anthropicUsageOf,
  createAnthropicClient,
  type AnthropicClientSettings,
} from './anthropic/anthropic-provider.js';
export { classifyAnthropicError } from './anthropic/anthropic-errors.js';
export { ANTHROPIC_TOOL_USE_SYSTEM_PROMPT_TOKENS, anthropicOutputToolOf, outputFromToolInput } from './anthropic/anthropic-structured-output.js';
export { centsToMicroUsd, fetchAnthropicDailyCosts } from './anthropic/anthropic-costs.js';
export {
  AZURE_DEPLOYMENTS_API_VERSION,
  AZURE_OPENAI_DEFAULT_API_VERSION,
  AzureOpenAiProvider,
  azureApiVersionProblem,
  azureEndpoint,
  createAzureOpenAiClient,
  type AzureClientSettings,
} from './azure-openai/azure-openai-provider.js';
export { createGeminiClient, GEMINI_API_VERSION, GeminiProvider, geminiBaseUrl, geminiContentsOf, geminiUsageOf, type GeminiClientSettings } from './gemini/gemini-provider.js';
export { classifyGeminiError } from './gemini/gemini-errors.js';
export {
  OPENAI_COMPATIBLE_PRESET_IDS,
  OPENAI_COMPATIBLE_PRESETS,
  openAiCompatiblePreset,
  presetOfAccount,
  presetOfBaseUrl,
  jsonModeInstruction,
  type OpenAiCompatiblePreset,
  type OpenAiCompatiblePresetId,
} from './openai-compatible/presets.js';
export { ANTHROPIC_PRICE_TABLE } from './prices/anthropic-prices.js';
export { GEMINI_PRICE_TABLE } from './prices/gemini-prices.js';
export { COMPATIBLE_PRICE_TABLES } from './prices/compatible-prices.js';
export { COST_SYNC_KINDS, costSyncProviderName, fetchProviderDailyCosts, isCostSyncKind, type CostSyncKind, type DailyCosts, type DailyCostsQuery } from './cost-reports.js';
