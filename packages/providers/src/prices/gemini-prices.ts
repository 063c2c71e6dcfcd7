// The shipped Gemini API price table (paid tier, text): data only. Update it (and `asOf`) when Google changes prices;
// any model can also be priced per workspace with an override. Newer models are unpriced until listed or overridden.
export const GEMINI_PRICE_TABLE = {
  source: 'https://ai.google.dev/gemini-api/docs/pricing (paid tier, text input and output, context caching), transcribed by hand',
  asOf: '2025-11-20',
  note: 'USD per 1M tokens as micro-USD. Output includes thinking tokens. Pro models cost more for prompts above 200,000 tokens (the long-context rates apply to the whole call). Preview and dated variants (gemini-2.5-flash-preview-09-2025) match their family.',
  /** Micro-USD per 1,000,000 tokens. */
  models: {
    'gemini-3-pro-preview': {
      input: 2_000_000,
      cachedInput: 200_000,
      output: 12_000_000,
      longContext: { aboveInputTokens: 200_000, input: 4_000_000, cachedInput: 400_000, output: 18_000_000 },
    },
    'gemini-2.5-pro': {
      input: 1_250_000,
      cachedInput: 125_000,
      output: 10_000_000,
      longContext: { aboveInputTokens: 200_000, input: 2_500_000, cachedInput: 250_000, output: 15_000_000 },
    },
    'gemini-2.5-flash': { input: 300_000, cachedInput: 30_000, output: 2_500_000 },
    'gemini-2.5-flash-lite': { input: 100_000, cachedInput: 10_000, output: 400_000 },
    'gemini-2.0-flash': { input: 100_000, cachedInput: 25_000, output: 400_000 },
    'gemini-2.0-flash-lite': { input: 75_000, cachedInput: 75_000, output: 300_000 },
  },
} as const;
