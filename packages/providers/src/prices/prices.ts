// Prices and costs in integer micro-USD. Never floats for money: every multiplication is done on BigInt and
// rounded explicitly — up for holds (a guardrail must never under-reserve), half up for what a call cost.
import { OPENAI_PRICE_TABLE as table } from './openai-prices.js';
import { MOCK_PRICES } from '../mock/mock-provider.js';

/** Micro-USD per 1,000,000 tokens. */
export interface ModelPrice {
  input: number;
  cachedInput: number;
  output: number;
}

export interface PriceSource {
  price: ModelPrice;
  /** Where the price came from: the shipped table, the mock's fixed prices, or a workspace override. */
  origin: 'table' | 'mock' | 'override';
  /** The table or override entry that matched (a dated snapshot matches its family). */
  matched: string;
}

export const PRICE_TABLE_SOURCE = { source: table.source, asOf: table.asOf };
const TABLE: Record<string, ModelPrice> = table.models;
const MOCK: Record<string, ModelPrice> = Object.fromEntries(
  Object.entries(MOCK_PRICES).map(([model, p]) => [model, { input: p.inputMicroUsdPerMTok, cachedInput: p.inputMicroUsdPerMTok, output: p.outputMicroUsdPerMTok }]),
);

/** Exact name first, then the longest entry that prefixes the model and is followed by "-" (a dated snapshot). */
function match(prices: Record<string, ModelPrice>, model: string): [string, ModelPrice] | null {
  if (prices[model]) return [model, prices[model]];
  let best: string | null = null;
  for (const name of Object.keys(prices)) {
    if (model.startsWith(`${name}-`) && (!best || name.length > best.length)) best = name;
  }
  return best ? [best, prices[best]!] : null;
}

/**
 * The price of `model` on an account of `kind`: a workspace override wins, then the mock's own prices (mock
 * accounts), then the shipped OpenAI table (OpenAI accounts only — an OpenAI-compatible server's models are
 * priced by overrides). Null means unknown: never treat it as zero.
 */
export function priceFor(kind: string, model: string, overrides: Record<string, ModelPrice> = {}): PriceSource | null {
  const o = match(overrides, model);
  if (o) return { price: o[1], origin: 'override', matched: o[0] };
  if (kind === 'mock') {
    const m = match(MOCK, model);
    return m ? { price: m[1], origin: 'mock', matched: m[0] } : null;
  }
  if (kind === 'openai') {
    const t = match(TABLE, model);
    return t ? { price: t[1], origin: 'table', matched: t[0] } : null;
  }
  return null;
}

const MILLION = 1_000_000n;
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
const roundHalfUpDiv = (a: bigint, b: bigint) => (2n * a + b) / (2n * b);

/** The worst case a run may cost: every prompt token at the input price, every allowed output token at the output price. Rounded up. */
export function worstCaseMicroUsd(price: ModelPrice, promptTokens: number, maxOutputTokens: number): number {
  const total = BigInt(promptTokens) * BigInt(price.input) + BigInt(maxOutputTokens) * BigInt(price.output);
  return Number(ceilDiv(total, MILLION));
}

/** What reported usage costs: cached prompt tokens at the cached price, the rest at the input price, output at the output price. */
export function usageCostMicroUsd(price: ModelPrice, usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number }): number {
  const cached = BigInt(Math.min(usage.cachedInputTokens, usage.inputTokens));
  const uncached = BigInt(usage.inputTokens) - cached;
  const total = uncached * BigInt(price.input) + cached * BigInt(price.cachedInput) + BigInt(usage.outputTokens) * BigInt(price.output);
  return Number(roundHalfUpDiv(total, MILLION));
}

/** $1.234567 ⇄ 1234567: for messages and the console (the API always speaks micro-USD). */
export function formatUsd(microUsd: number): string {
  const negative = microUsd < 0;
  const abs = BigInt(Math.abs(Math.round(microUsd)));
  const dollars = abs / MILLION;
  const micros = (abs % MILLION).toString().padStart(6, '0');
  const trimmed = micros.replace(/0{1,4}$/, '');
  return `${negative ? '-' : ''}$${dollars}.${trimmed.length >= 2 ? trimmed : micros.slice(0, 2)}`;
}
