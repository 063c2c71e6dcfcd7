// Token counts with the o200k_base encoding (GPT-4o and later). The same tokenizer serves budget
// estimates and the mock provider, so the mock's "reported" usage and Vaultrun's estimates agree.
import { countTokens as countO200kTokens, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from './provider.js';

// Text such as "<|endoftext|>" is counted as ordinary text, never refused as a special token.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Every message is wrapped as <|im_start|>{role}<|im_sep|>{content}<|im_end|>: 3 tokens plus the role's. */
export const TOKENS_PER_MESSAGE = 3;
/** The reply is primed with <|im_start|>assistant<|im_sep|>. */
export const TOKENS_PER_REPLY_PRIMER = 3;

export function countTokens(text: string): number {
  return text === '' ? 0 : countO200kTokens(text, PLAIN_TEXT);
}

/** Prompt tokens as OpenAI counts a chat request (the cookbook's per-message overhead). */
export function estimatePromptTokens(messages: ChatMessage[]): number {
  let total = TOKENS_PER_REPLY_PRIMER;
  for (const message of messages) total += TOKENS_PER_MESSAGE + countTokens(message.role) + countTokens(message.content);
  return total;
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
