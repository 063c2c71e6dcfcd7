import { type ModelPrice, priceFor, type PriceSource, worstCaseMicroUsd } from '@vaultrun/providers';

/** A price override row as stored (bigint columns come back as strings). */
export interface PriceOverrideRow {
  model: string;
  inputMicroUsdPerM: string | number;
  cachedInputMicroUsdPerM: string | number;
  outputMicroUsdPerM: string | number;
}

export const overridesOf = (rows: readonly PriceOverrideRow[] | null | undefined): Record<string, ModelPrice> =>
  Object.fromEntries(
    (rows ?? []).map((o) => [o.model, { input: Number(o.inputMicroUsdPerM), cachedInput: Number(o.cachedInputMicroUsdPerM), output: Number(o.outputMicroUsdPerM) }]),
  );

/**
 * Our prompt count is exact for the mock (same tokenizer) but only close for a real provider (message framing,
 * another model's tokenizer behind an OpenAI-compatible server): the worst case allows 10% + 16 tokens more.
 */
export function promptTokensToHold(kind: string, estimatedPromptTokens: number): number {
  return kind === 'mock' ? estimatedPromptTokens : Math.ceil(estimatedPromptTokens * 1.1) + 16;
}

export interface RunQuote {
  price: PriceSource | null;
  /** The most the call can cost, rounded up; null when the model has no known price. */
  worstCaseMicroUsd: number | null;
}

/** The price of a run's model and its worst case (SPEC §5: estimated prompt tokens × input + max output × output). */
export function quoteRun(input: { kind: string; model: string; overrides: Record<string, ModelPrice>; promptTokens: number; maxOutputTokens: number }): RunQuote {
  const price = priceFor(input.kind, input.model, input.overrides);
  return {
    price,
    worstCaseMicroUsd: price ? worstCaseMicroUsd(price.price, promptTokensToHold(input.kind, input.promptTokens), input.maxOutputTokens) : null,
  };
}
