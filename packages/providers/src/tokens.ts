// Token counts with the o200k_base encoding (GPT-4o and later). The same tokenizer serves budget
// estimates and the mock provider, so the mock's "reported" usage and Vaultrun's estimates agree.
// For budget holds, `estimateRequestPromptTokens` prices everything a request sends (messages, the
// structured-output schema, tools) and, for a model whose tokenizer Vaultrun does not ship, counts an
// upper bound instead of a guess (see docs/budgets.md, "The worst case").
import { countTokens as countO200kTokens, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage, TokenUsage } from './provider.js';
import { ANTHROPIC_TOOL_USE_SYSTEM_PROMPT_TOKENS, anthropicOutputToolOf } from './anthropic/anthropic-structured-output.js';

// Text such as "<|endoftext|>" is counted as ordinary text, never refused as a special token.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Every message is wrapped as <|im_start|>{role}<|im_sep|>{content}<|im_end|>: 3 tokens plus the role's. */
export const TOKENS_PER_MESSAGE = 3;
/** The reply is primed with <|im_start|>assistant<|im_sep|>. */
export const TOKENS_PER_REPLY_PRIMER = 3;

export function countTokens(text: string): number {
  return text === '' ? 0 : countO200kTokens(text, PLAIN_TEXT);
}

/** A chat message as counted: any role a client sends (a provider's wire format has more than Vaultrun's three). */
export type CountedMessage = Pick<ChatMessage, 'content'> & { role: string };

/** Prompt tokens as OpenAI counts a chat request (the cookbook's per-message overhead). */
export function estimatePromptTokens(messages: readonly CountedMessage[]): number {
  let total = TOKENS_PER_REPLY_PRIMER;
  for (const message of messages) total += TOKENS_PER_MESSAGE + countTokens(message.role) + countTokens(message.content);
  return total;
}

/**
 * The usage a simulated provider reports: the embedded mock and the test suite's OpenAI-compatible fake both answer
 * with this, so they count alike and as Vaultrun estimates — the prompt as OpenAI counts a chat request, the reply with
 * the same tokenizer, nothing cached. `promptTokens`: the prompt's count when the caller has it already.
 */
export function simulatedUsage(messages: readonly CountedMessage[], reply: string, promptTokens: number = estimatePromptTokens(messages)): TokenUsage {
  return { inputTokens: promptTokens, outputTokens: countTokens(reply), cachedInputTokens: 0 };
}

/** The longest prefix of `text` that fits in `maxTokens` tokens, and whether anything was cut. */
export function truncateToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  const tokens = encode(text, PLAIN_TEXT);
  if (tokens.length <= maxTokens) return { text, truncated: false };
  // A decoded prefix can re-encode to more tokens than it was cut at (merges across the cut, split characters):
  // shorten until it fits, so a reply never counts more than the tokens allowed — as with a real model.
  let keep = Math.max(0, maxTokens);
  let cut = decode(tokens.slice(0, keep));
  while (keep > 0 && countTokens(cut) > maxTokens) cut = decode(tokens.slice(0, --keep));
  return { text: cut, truncated: true };
}

/** The structured-output request exactly as the OpenAI adapters send it (`response_format`). */
export function responseFormatOf(jsonSchema: { name: string; schema: Record<string, unknown> }) {
  return { type: 'json_schema' as const, json_schema: { name: responseFormatName(jsonSchema.name), schema: jsonSchema.schema, strict: true } };
}

/** OpenAI accepts ^[a-zA-Z0-9_-]{1,64}$ as a response_format name; an operator's name may contain anything. */
export function responseFormatName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64);
  return cleaned === '' ? 'output' : cleaned;
}

/**
 * How a request's prompt is counted for a budget hold:
 * - `mock`: exactly as the mock provider counts it (messages, o200k_base) — the estimate is the mock's own figure;
 * - `o200k_base`: an OpenAI model whose tokenizer Vaultrun ships — counted with it, plus framing;
 * - `utf8_bound`: any other model — an upper bound that no byte-level BPE or byte-fallback SentencePiece
 *   tokenizer can exceed (below), never a guess that runs low.
 */
export type PromptCounting = 'mock' | 'o200k_base' | 'utf8_bound';

// OpenAI families on o200k_base: GPT-4o, GPT-4.1, GPT-4.5, GPT-5 and the o-series. Fine-tunes ("ft:gpt-4o-…") and a
// gateway's vendor prefix ("openai/gpt-4o") name the same model. GPT-3.5 / GPT-4 (cl100k_base) are not in the list on
// purpose: their tokenizer is not shipped, so they get the upper bound.
const O200K_MODEL = /^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o[134])(?:$|[-.:])/;

export function promptCountingFor(kind: string, model: string): PromptCounting {
  if (kind === 'mock') return 'mock';
  const name = model.trim().toLowerCase().replace(/^ft:/, '').replace(/^openai\//, '');
  return O200K_MODEL.test(name) ? 'o200k_base' : 'utf8_bound';
}

/** o200k_base: the response_format's wrapper around the schema text (headers the provider renders it with). */
export const RESPONSE_FORMAT_FRAMING_TOKENS = 12;
/** o200k_base: the tools block's framing (the OpenAI cookbook counts 12 for functions). */
export const TOOLS_FRAMING_TOKENS = 12;
/**
 * utf8_bound, per message: a chat template's special tokens around one turn (Llama 3: 4 plus "\n\n", ChatML: 2 plus
 * newlines, Gemma/Mistral: 3–4), the role excluded (it is counted as text).
 */
export const UNKNOWN_TEMPLATE_TOKENS_PER_MESSAGE = 8;
/**
 * utf8_bound, per request: what a chat template adds on its own — a BOS token, the reply primer, a default system
 * prompt or a date header (Qwen 2.5's default system prompt and Llama 3.1's "Cutting Knowledge Date" header are each
 * about 20–30 tokens). Anything bigger is learnt by calibration after the first call.
 */
export const UNKNOWN_TEMPLATE_TOKENS_PER_REQUEST = 64;

/**
 * An upper bound on the tokens any byte-level tokenizer makes of `text`: a byte-level BPE token (GPT-2, cl100k, o200k,
 * Llama 3, Qwen, DeepSeek, Mistral Tekken) covers at least one byte, so tokens ≤ UTF-8 bytes. A SentencePiece
 * tokenizer with byte fallback (Llama 2, Mistral v0.1, Gemma) covers at least one character or one byte per piece,
 * after an optional NFKC normalisation (which can lengthen text: the longer of the two is counted) and a dummy
 * prefix piece (+1).
 */
export function utf8TokenBound(text: string): number {
  if (text === '') return 0;
  const bytes = Buffer.byteLength(text, 'utf8');
  const normalized = text.normalize('NFKC');
  return Math.max(bytes, normalized === text ? 0 : Buffer.byteLength(normalized, 'utf8')) + 1;
}

/** What a chat request sends besides its parameters. */
export interface PromptRequest {
  messages: readonly ChatMessage[];
  /** Structured output: its schema is sent as `response_format`, and providers count it as prompt tokens. */
  jsonSchema?: { name: string; schema: Record<string, unknown> } | null;
  /** Tool / function definitions as sent (their JSON counts as prompt). */
  tools?: readonly unknown[] | null;
}

export interface PromptEstimate {
  tokens: number;
  counting: PromptCounting;
}

/**
 * The prompt tokens a provider may count for this request: instructions, history, input, per-message framing, the
 * JSON schema and tools as serialised on the wire. For `utf8_bound` models this is a bound, not an estimate.
 */
export function estimateRequestPromptTokens(kind: string, model: string, request: PromptRequest): PromptEstimate {
  const counting = promptCountingFor(kind, model);
  // The mock counts its messages only (it does not read the schema); holding exactly that keeps it exact.
  if (counting === 'mock') return { counting, tokens: estimatePromptTokens(request.messages) };
  // The schema as the kind's adapter sends it: Anthropic's forced tool (plus the system prompt Anthropic adds for tool
  // use), otherwise OpenAI's response_format — also an upper bound for Gemini's responseJsonSchema (the bare schema)
  // and for a JSON-mode server's schema message (jsonModeInstruction is shorter than the wrapper).
  const anthropicTool = kind === 'anthropic' && request.jsonSchema ? anthropicOutputToolOf(request.jsonSchema) : null;
  const schemaText = anthropicTool
    ? JSON.stringify({ tools: [anthropicTool], tool_choice: { type: 'tool', name: anthropicTool.name } })
    : request.jsonSchema
      ? JSON.stringify(responseFormatOf(request.jsonSchema))
      : null;
  const toolsText = request.tools?.length ? JSON.stringify(request.tools) : null;
  if (counting === 'o200k_base') {
    let tokens = estimatePromptTokens(request.messages);
    if (schemaText !== null) tokens += countTokens(schemaText) + RESPONSE_FORMAT_FRAMING_TOKENS;
    if (toolsText !== null) tokens += countTokens(toolsText) + TOOLS_FRAMING_TOKENS;
    return { counting, tokens };
  }
  let tokens = UNKNOWN_TEMPLATE_TOKENS_PER_REQUEST;
  for (const m of request.messages) tokens += UNKNOWN_TEMPLATE_TOKENS_PER_MESSAGE + utf8TokenBound(m.role) + utf8TokenBound(m.content);
  if (schemaText !== null) tokens += utf8TokenBound(schemaText);
  if (toolsText !== null) tokens += utf8TokenBound(toolsText);
  if (kind === 'anthropic' && (anthropicTool || toolsText !== null)) tokens += ANTHROPIC_TOOL_USE_SYSTEM_PROMPT_TOKENS;
  return { counting, tokens };
}
