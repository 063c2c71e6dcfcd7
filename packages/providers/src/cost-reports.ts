// Provider cost reports for cost sync: which kinds offer one, and one entry point that reads a kind's daily costs.
// OpenAI: the organization Costs API (admin key sk-admin-…); Anthropic: the Admin API cost report (sk-ant-admin…).
// Azure OpenAI and Gemini have no such API reachable with their keys: their costs stay "Estimated by Vaultrun".
import { fetchAnthropicDailyCosts } from './anthropic/anthropic-costs.js';
import { fetchOpenAiDailyCosts, type OpenAiCostsQuery, type OpenAiDailyCosts } from './openai/openai-costs.js';

export const COST_SYNC_KINDS = ['openai', 'anthropic'] as const;
export type CostSyncKind = (typeof COST_SYNC_KINDS)[number];

export type DailyCostsQuery = OpenAiCostsQuery;
export type DailyCosts = OpenAiDailyCosts;

export function isCostSyncKind(kind: string): kind is CostSyncKind {
  return (COST_SYNC_KINDS as readonly string[]).includes(kind);
}

/** The provider whose cost report a kind's cost sync reads, for messages. */
export function costSyncProviderName(kind: string): string {
  return kind === 'anthropic' ? 'Anthropic' : 'OpenAI';
}

/** The daily costs of the organization behind an account of `kind`, read with its admin key. */
export function fetchProviderDailyCosts(kind: CostSyncKind, query: DailyCostsQuery): Promise<DailyCosts> {
  return kind === 'anthropic' ? fetchAnthropicDailyCosts(query) : fetchOpenAiDailyCosts(query);
}
