// Prices and costs in integer micro-USD. Never floats for money: every multiplication is done on BigInt and
// rounded explicitly — up for holds (a guardrail must never under-reserve), half up for what a call cost.
import { OPENAI_PRICE_TABLE as table } from './openai-prices.js';
import { ANTHROPIC_PRICE_TABLE } from './anthropic-prices.js';
import { GEMINI_PRICE_TABLE } from './gemini-prices.js';
import { COMPATIBLE_PRICE_TABLES } from './compatible-prices.js';
import { MOCK_PRICES } from '../mock/mock-provider.js';
import { presetOfAccount } from '../openai-compatible/presets.js';

/** One price level, micro-USD per 1,000,000 tokens. */
export interface PriceRates {
  input: number;
  cachedInput: number;
  output: number;
  /** Prompt tokens written to the provider's cache (Anthropic: 1.25× input); absent: the input price. */
  cacheWrite?: number;
}

/** Micro-USD per 1,000,000 tokens. */
export interface ModelPrice extends PriceRates {
  /** Rates of a whole call whose prompt is above `aboveInputTokens` (Gemini Pro, Claude Sonnet's 1M context). */
  longContext?: PriceRates & { aboveInputTokens: number };
}

export interface PriceSource {
  price: ModelPrice;
  /** Where the price came from: the shipped table, the mock's fixed prices, or a workspace override. */
  origin: 'table' | 'mock' | 'override';
  /** The table or override entry that matched (a dated snapshot matches its family). */
  matched: string;
}

/** A shipped price table as the API lists it. */
export interface ShippedPriceTable {
  /** `openai` (also Azure OpenAI deployments), `anthropic`, `gemini`, or an OpenAI-compatible preset id. */
  id: string;
  title: string;
  source: string;
  asOf: string;
  models: Record<string, ModelPrice>;
}

export const PRICE_TABLE_SOURCE = { source: table.source, asOf: table.asOf };
const TABLE: Record<string, ModelPrice> = table.models;
const ANTHROPIC: Record<string, ModelPrice> = ANTHROPIC_PRICE_TABLE.models;
const GEMINI: Record<string, ModelPrice> = GEMINI_PRICE_TABLE.models;
const COMPATIBLE: Record<string, Record<string, ModelPrice>> = Object.fromEntries(Object.entries(COMPATIBLE_PRICE_TABLES).map(([id, t]) => [id, t.models]));
const MOCK: Record<string, ModelPrice> = Object.fromEntries(
  Object.entries(MOCK_PRICES).map(([model, p]) => [model, { input: p.inputMicroUsdPerMTok, cachedInput: p.inputMicroUsdPerMTok, output: p.outputMicroUsdPerMTok }]),
);

/** Every shipped table, with its source and date (GET /api/v1/prices). */
export const SHIPPED_PRICE_TABLES: readonly ShippedPriceTable[] = [
  { id: 'openai', title: 'OpenAI (also Azure OpenAI deployments named after their model)', source: table.source, asOf: table.asOf, models: TABLE },
  { id: 'anthropic', title: 'Anthropic', source: ANTHROPIC_PRICE_TABLE.source, asOf: ANTHROPIC_PRICE_TABLE.asOf, models: ANTHROPIC },
  { id: 'gemini', title: 'Google Gemini', source: GEMINI_PRICE_TABLE.source, asOf: GEMINI_PRICE_TABLE.asOf, models: GEMINI },
  { id: 'deepseek', title: 'DeepSeek', source: COMPATIBLE_PRICE_TABLES.deepseek.source, asOf: COMPATIBLE_PRICE_TABLES.deepseek.asOf, models: COMPATIBLE.deepseek! },
  { id: 'groq', title: 'Groq', source: COMPATIBLE_PRICE_TABLES.groq.source, asOf: COMPATIBLE_PRICE_TABLES.groq.asOf, models: COMPATIBLE.groq! },
  { id: 'together', title: 'Together AI', source: COMPATIBLE_PRICE_TABLES.together.source, asOf: COMPATIBLE_PRICE_TABLES.together.asOf, models: COMPATIBLE.together! },
  { id: 'mistral', title: 'Mistral AI', source: COMPATIBLE_PRICE_TABLES.mistral.source, asOf: COMPATIBLE_PRICE_TABLES.mistral.asOf, models: COMPATIBLE.mistral! },
];

/** Exact name first, then the longest entry that prefixes the model and is followed by "-" (a dated snapshot). */
function match(prices: Record<string, ModelPrice>, model: string): [string, ModelPrice] | null {
  if (Object.hasOwn(prices, model)) return [model, prices[model]!];
  let best: string | null = null;
  for (const name of Object.keys(prices)) {
    if (model.startsWith(`${name}-`) && (!best || name.length > best.length)) best = name;
  }
  return best ? [best, prices[best]!] : null;
}

/**
 * An OpenRouter model (`vendor/model`) priced from its vendor's table: OpenRouter charges the vendor's list price,
 * and reports the exact cost of each call anyway. Anthropic's names there use dots (claude-sonnet-4.5).
 */
function openRouterPrice(model: string): [string, ModelPrice] | null {
  const slash = model.indexOf('/');
  if (slash < 0) return null;
  const vendor = model.slice(0, slash);
  const name = model.slice(slash + 1).replace(/:.*$/, '');
  const found = vendor === 'openai' ? match(TABLE, name) : vendor === 'anthropic' ? match(ANTHROPIC, name.replace(/\./g, '-')) : vendor === 'google' ? match(GEMINI, name) : null;
  return found ? [`${vendor}/${found[0]}`, found[1]] : null;
}

/** The shipped table entry for a model on an account of this kind (and base URL, for OpenAI-compatible presets). */
function shippedPrice(kind: string, model: string, baseUrl: string | null | undefined): [string, ModelPrice] | null {
  switch (kind) {
    case 'openai':
    case 'azure-openai':
      return match(TABLE, model);
    case 'anthropic':
      return match(ANTHROPIC, model);
    case 'gemini':
      return match(GEMINI, model.replace(/^models\//, ''));
    case 'openai-compatible': {
      const preset = presetOfAccount(kind, baseUrl);
      if (preset?.id === 'openrouter') return openRouterPrice(model);
      const prices = preset ? COMPATIBLE[preset.id] : undefined;
      return prices ? match(prices, model) : null;
    }
    default:
      return null;
  }
}

/**
 * The price of `model` on an account of `kind`: a workspace override wins, then the mock's own prices (mock
 * accounts), then the shipped table of the kind — OpenAI's (also for Azure OpenAI deployments named after their
 * model), Anthropic's, Gemini's, or for an OpenAI-compatible account the table of the hosted preset its `baseUrl`
 * calls (DeepSeek, Groq, Together, Mistral; OpenRouter through the vendor's table). Any other server's models are
 * priced by overrides. Null means unknown: never treat it as zero.
 */
export function priceFor(kind: string, model: string, overrides: Record<string, ModelPrice> = {}, baseUrl?: string | null): PriceSource | null {
  const o = match(overrides, model);
  if (o) return { price: o[1], origin: 'override', matched: o[0] };
  if (kind === 'mock') {
    const m = match(MOCK, model);
    return m ? { price: m[1], origin: 'mock', matched: m[0] } : null;
  }
  const t = shippedPrice(kind, model, baseUrl);
  return t ? { price: t[1], origin: 'table', matched: t[0] } : null;
}

/**
 * A price × `permille` ÷ 1000 (the instance's multiplier on managed usage, docs/managed.md): every rate scaled and
 * rounded up, so a multiplied hold never under-reserves. 1000 returns the price itself.
 */
export function withMultiplier(price: ModelPrice, permille: number): ModelPrice {
  if (permille === 1000) return price;
  const scale = <R extends PriceRates>(r: R): R => ({
    ...r,
    input: Math.ceil((r.input * permille) / 1000),
    cachedInput: Math.ceil((r.cachedInput * permille) / 1000),
    output: Math.ceil((r.output * permille) / 1000),
    ...(r.cacheWrite === undefined ? {} : { cacheWrite: Math.ceil((r.cacheWrite * permille) / 1000) }),
  });
  return { ...scale(price), ...(price.longContext ? { longContext: scale(price.longContext) } : {}) };
}

/** The rates a call with this many prompt tokens pays: the long-context rates above their threshold. */
export function ratesFor(price: ModelPrice, promptTokens: number): PriceRates {
  const long = price.longContext;
  return long && promptTokens > long.aboveInputTokens ? long : price;
}

/**
 * What a hold pays per prompt and output token when `promptTokens` are held: the rates of that prompt's tier, and
 * for the prompt the higher of the input and cache-write prices (a call may write its whole prompt to the cache).
 */
export function holdRates(price: ModelPrice, promptTokens: number): { input: number; output: number } {
  const rates = ratesFor(price, promptTokens);
  return { input: Math.max(rates.input, rates.cacheWrite ?? 0), output: rates.output };
}

const MILLION = 1_000_000n;
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
const roundHalfUpDiv = (a: bigint, b: bigint) => (2n * a + b) / (2n * b);

/**
 * The worst case a run may cost: every prompt token at the hold's prompt rate (holdRates), every allowed output token at
 * the output price of that tier. Rounded up.
 */
export function worstCaseMicroUsd(price: ModelPrice, promptTokens: number, maxOutputTokens: number): number {
  const rates = holdRates(price, promptTokens);
  const total = BigInt(promptTokens) * BigInt(rates.input) + BigInt(maxOutputTokens) * BigInt(rates.output);
  return Number(ceilDiv(total, MILLION));
}

/**
 * What reported usage costs, at the rates of its prompt's tier: cached prompt tokens at the cached price, prompt tokens
 * written to the cache at the cache-write price, the rest at the input price, output at the output price.
 */
export function usageCostMicroUsd(
  price: ModelPrice,
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number; cacheWriteInputTokens?: number },
): number {
  const rates = ratesFor(price, usage.inputTokens);
  const cachedCount = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const writtenCount = Math.min(usage.cacheWriteInputTokens ?? 0, usage.inputTokens - cachedCount);
  const cached = BigInt(cachedCount);
  const written = BigInt(writtenCount);
  const uncached = BigInt(usage.inputTokens) - cached - written;
  const total =
    uncached * BigInt(rates.input) + cached * BigInt(rates.cachedInput) + written * BigInt(rates.cacheWrite ?? rates.input) + BigInt(usage.outputTokens) * BigInt(rates.output);
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
