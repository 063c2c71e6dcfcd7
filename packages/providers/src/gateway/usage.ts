// Usage as each OpenAI answer shape reports it: Chat Completions (`prompt_tokens`…), Responses (`input_tokens`…) and
// Embeddings (`prompt_tokens` only). `inputTokens` always includes the cached ones, as OpenAI counts them.
import { usdToMicroUsd } from '../micro-usd.js';
import type { TokenUsage } from '../provider.js';
import { anthropicUsageOf } from '../anthropic/anthropic-provider.js';
import type { GatewayEndpoint } from './types.js';

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Chat Completions' `usage` (also Azure OpenAI's and what most OpenAI-compatible servers send). */
export function chatUsageOf(usage: unknown): TokenUsage | null {
  if (!isObject(usage)) return null;
  // `prompt_cache_hit_tokens`: DeepSeek's name for the cached part of the prompt.
  // `cache_creation_input_tokens`: the cache writes a translated Anthropic answer (Vaultrun's, LiteLLM's) reports apart,
  // already inside prompt_tokens; priced at the cache-write price.
  const { prompt_tokens, completion_tokens, prompt_tokens_details, prompt_cache_hit_tokens, cache_creation_input_tokens } = usage;
  if (typeof prompt_tokens !== 'number' && typeof completion_tokens !== 'number') return null;
  const inputTokens = count(prompt_tokens);
  const cachedInputTokens = count(isObject(prompt_tokens_details) && prompt_tokens_details.cached_tokens !== undefined ? prompt_tokens_details.cached_tokens : prompt_cache_hit_tokens);
  const cacheWrite = Math.min(count(cache_creation_input_tokens), Math.max(0, inputTokens - cachedInputTokens));
  return { inputTokens, outputTokens: count(completion_tokens), cachedInputTokens, ...(cacheWrite > 0 ? { cacheWriteInputTokens: cacheWrite } : {}) };
}

/** The Responses API's `usage`. */
export function responsesUsageOf(usage: unknown): TokenUsage | null {
  if (!isObject(usage)) return null;
  const { input_tokens, output_tokens, input_tokens_details } = usage;
  if (typeof input_tokens !== 'number' && typeof output_tokens !== 'number') return null;
  return {
    inputTokens: count(input_tokens),
    outputTokens: count(output_tokens),
    cachedInputTokens: count(isObject(input_tokens_details) ? input_tokens_details.cached_tokens : undefined),
  };
}

/** The Embeddings API's `usage`: prompt tokens only. */
export function embeddingsUsageOf(usage: unknown): TokenUsage | null {
  if (!isObject(usage) || typeof usage.prompt_tokens !== 'number') return null;
  return { inputTokens: count(usage.prompt_tokens), outputTokens: 0, cachedInputTokens: 0 };
}

/** The `usage` object of a complete answer of `endpoint` (a Responses answer nests nothing: it is top-level). */
export function usageOfAnswer(endpoint: GatewayEndpoint, answer: unknown): TokenUsage | null {
  if (!isObject(answer)) return null;
  if (endpoint === 'responses') return responsesUsageOf(answer.usage);
  if (endpoint === 'embeddings') return embeddingsUsageOf(answer.usage);
  if (endpoint === 'messages') return anthropicUsageOf(answer.usage);
  return chatUsageOf(answer.usage);
}

/** `usage.cost` in USD, as OpenRouter-style gateways report what they charged; null when absent or unreadable. */
export function reportedCostOf(answer: unknown): number | null {
  if (!isObject(answer) || !isObject(answer.usage)) return null;
  return usdToMicroUsd(answer.usage.cost);
}
