// The gateway's provider layer (see types.ts): upstreams per kind, usage per answer shape, SSE handling, prompt reading.
export { AnthropicGatewayUpstream, anthropicParamsOfChat } from './anthropic-upstream.js';
export { GeminiGatewayUpstream, geminiParamsOfChat } from './gemini-upstream.js';
export { MockGatewayUpstream } from './mock-upstream.js';
export { gatewayEndpointsOf, gatewayTranslationProblem, type TranslationProblem } from './translate.js';
export { OpenAiGatewayUpstream, type OpenAiGatewayUpstreamOptions } from './openai-upstream.js';
export {
  choicesOf,
  embeddingInputsOf,
  estimateGatewayPromptTokens,
  type GatewayPrompt,
  gatewayPromptOf,
  MEDIA_PART_TOKENS,
  requestedMaxOutputTokens,
} from './prompt.js';
export { answerText, GatewayStreamScanner, type SseEvent, SseSplitter, type StreamScanOptions } from './sse.js';
export {
  GATEWAY_ENDPOINT_PATHS,
  GATEWAY_ENDPOINTS,
  type GatewayAnswer,
  type GatewayEndpoint,
  type GatewayRequest,
  type GatewayStream,
  type GatewayUpstream,
} from './types.js';
export { chatUsageOf, embeddingsUsageOf, reportedCostOf, responsesUsageOf, usageOfAnswer } from './usage.js';
export { createGatewayUpstream } from './create-upstream.js';
