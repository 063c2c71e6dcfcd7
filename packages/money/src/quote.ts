import { holdRates, type ModelPrice, priceFor, type PriceSource, withMultiplier, worstCaseMicroUsd } from '@vaultrun/providers';

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

/** Added to the calibrated ratio: 10% for the variance between one prompt and the next. */
export const HOLD_MARGIN_PERMILLE = 100;
/** Added to every real provider's prompt hold: message framing a template may add that no ratio captures. */
export const HOLD_EXTRA_PROMPT_TOKENS = 16;

/**
 * What a real provider's prompt estimate is multiplied by, in thousandths: the highest provider ÷ estimate ratio
 * observed for the account and model (token_calibrations; never below 1.0), plus the margin. 1100 (×1.1) until a
 * provider has been seen counting more than the estimate.
 */
export function holdFactorPermille(highRatioPermille: number | null | undefined): number {
  return Math.max(1000, highRatioPermille ?? 0) + HOLD_MARGIN_PERMILLE;
}

/**
 * The prompt tokens a hold pays for. The mock counts with the estimator's own tokenizer, so its estimate is exact;
 * a real provider's is scaled by the calibrated factor and gets the framing allowance.
 */
export function promptTokensToHold(kind: string, estimatedPromptTokens: number, highRatioPermille: number | null = null): number {
  if (kind === 'mock') return estimatedPromptTokens;
  return Math.ceil((estimatedPromptTokens * holdFactorPermille(highRatioPermille)) / 1000) + HOLD_EXTRA_PROMPT_TOKENS;
}

export interface RunQuote {
  price: PriceSource | null;
  /** The prompt tokens the worst case pays for (estimate × calibrated factor + margin; the estimate itself for the mock). */
  promptTokensHeld: number;
  /** The most the call can cost, rounded up; null when the model has no known price. */
  worstCaseMicroUsd: number | null;
  /**
   * What shrink-to-fit needs to re-price the run with fewer output tokens (null without a price):
   * the prompt part of the worst case × 1,000,000 (exact, as a decimal string) and the output price per 1M tokens.
   */
  shrink: { promptCostE6: string; outputPricePerM: number; maxOutputTokens: number } | null;
}

/**
 * The price of a run's model and its worst case (SPEC §5): prompt tokens to hold × input price + max output tokens ×
 * output price. `promptTokens` is what the request sends, counted by `estimateRequestPromptTokens`;
 * `calibration` the account's highest observed ratio for the model (token_calibrations.high_ratio_permille).
 */
export function quoteRun(input: {
  kind: string;
  /** The account's base URL: an OpenAI-compatible account is priced from the table of the hosted preset it calls. */
  baseUrl?: string | null;
  model: string;
  overrides: Record<string, ModelPrice>;
  promptTokens: number;
  maxOutputTokens: number;
  calibration?: number | null;
  /** Managed usage (docs/managed.md): the instance's price multiplier, in thousandths (absent or null: ×1). */
  multiplierPermille?: number | null;
}): RunQuote {
  const price = pricedWith(priceFor(input.kind, input.model, input.overrides, input.baseUrl), input.multiplierPermille);
  const promptTokensHeld = promptTokensToHold(input.kind, input.promptTokens, input.calibration ?? null);
  // The rates of the held prompt's tier (long-context prices above their threshold), as worstCaseMicroUsd uses them.
  const rates = price ? holdRates(price.price, promptTokensHeld) : null;
  return {
    price,
    promptTokensHeld,
    worstCaseMicroUsd: price ? worstCaseMicroUsd(price.price, promptTokensHeld, input.maxOutputTokens) : null,
    shrink: rates
      ? { promptCostE6: (BigInt(promptTokensHeld) * BigInt(rates.input)).toString(), outputPricePerM: rates.output, maxOutputTokens: input.maxOutputTokens }
      : null,
  };
}

/** A price with the instance's multiplier on managed usage applied (null and 1000: as it is). */
export function pricedWith(source: PriceSource | null, multiplierPermille: number | null | undefined): PriceSource | null {
  if (!source || multiplierPermille === null || multiplierPermille === undefined || multiplierPermille === 1000) return source;
  return { ...source, price: withMultiplier(source.price, multiplierPermille) };
}

/** The worst case of a quote with fewer output tokens (rounded up like every hold). */
export function worstCaseWithOutput(shrink: NonNullable<RunQuote['shrink']>, outputTokens: number): number {
  const total = BigInt(shrink.promptCostE6) + BigInt(outputTokens) * BigInt(shrink.outputPricePerM);
  return Number((total + 999_999n) / 1_000_000n);
}
