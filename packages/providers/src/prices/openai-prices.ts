// The shipped OpenAI price table: data only. Update it (and `asOf`) when OpenAI changes prices; any model can
// also be priced per workspace with an override.
export const OPENAI_PRICE_TABLE = {
  source: "https://openai.com/api/pricing (standard tier, text tokens), transcribed by hand",
  asOf: "2025-08-07",
  note: "USD per 1M tokens as micro-USD (1 USD = 1,000,000 micro-USD). Providers change prices: override any model per workspace. Models are matched by exact name, then by the longest listed prefix (so dated snapshots such as gpt-4.1-mini-2025-04-14 use their family's price).",
  /** Micro-USD per 1,000,000 tokens. */
  models: {
    "gpt-5": { input: 1_250_000, cachedInput: 125_000, output: 10_000_000 },
    "gpt-5-mini": { input: 250_000, cachedInput: 25_000, output: 2_000_000 },
    "gpt-5-nano": { input: 50_000, cachedInput: 5_000, output: 400_000 },
    "gpt-4.1": { input: 2_000_000, cachedInput: 500_000, output: 8_000_000 },
    "gpt-4.1-mini": { input: 400_000, cachedInput: 100_000, output: 1_600_000 },
    "gpt-4.1-nano": { input: 100_000, cachedInput: 25_000, output: 400_000 },
    "gpt-4o": { input: 2_500_000, cachedInput: 1_250_000, output: 10_000_000 },
    "gpt-4o-mini": { input: 150_000, cachedInput: 75_000, output: 600_000 },
    "o3": { input: 2_000_000, cachedInput: 500_000, output: 8_000_000 },
    "o3-mini": { input: 1_100_000, cachedInput: 550_000, output: 4_400_000 },
    "o4-mini": { input: 1_100_000, cachedInput: 275_000, output: 4_400_000 },
    "o1": { input: 15_000_000, cachedInput: 7_500_000, output: 60_000_000 },
    "gpt-3.5-turbo": { input: 500_000, cachedInput: 500_000, output: 1_500_000 },
  },
} as const;
