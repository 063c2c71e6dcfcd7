// The shipped Anthropic price table: data only. Update it (and `asOf`) when Anthropic changes prices; any model can
// also be priced per workspace with an override. Only models whose prices were published when this was written are
// listed: a newer model is unpriced (never guessed) until it is added here or overridden.
export const ANTHROPIC_PRICE_TABLE = {
  source: 'https://docs.anthropic.com/en/docs/about-claude/pricing (standard tier, base input, 5-minute cache writes, cache hits, output), transcribed by hand',
  asOf: '2025-11-24',
  note: 'USD per 1M tokens as micro-USD. Cache writes (cache_creation_input_tokens) cost 1.25× input, cache hits 0.1×. Sonnet 4 and 4.5 prompts above 200,000 tokens (the 1M-context beta) are priced at the long-context rates. Aliases without a date (claude-sonnet-4-5) and dated snapshots (claude-sonnet-4-5-20250929) match the same entry.',
  /** Micro-USD per 1,000,000 tokens. */
  models: {
    'claude-opus-4-5': { input: 5_000_000, cachedInput: 500_000, cacheWrite: 6_250_000, output: 25_000_000 },
    'claude-opus-4-1': { input: 15_000_000, cachedInput: 1_500_000, cacheWrite: 18_750_000, output: 75_000_000 },
    'claude-opus-4-0': { input: 15_000_000, cachedInput: 1_500_000, cacheWrite: 18_750_000, output: 75_000_000 },
    'claude-opus-4-20250514': { input: 15_000_000, cachedInput: 1_500_000, cacheWrite: 18_750_000, output: 75_000_000 },
    'claude-sonnet-4-5': {
      input: 3_000_000,
      cachedInput: 300_000,
      cacheWrite: 3_750_000,
      output: 15_000_000,
      longContext: { aboveInputTokens: 200_000, input: 6_000_000, cachedInput: 600_000, cacheWrite: 7_500_000, output: 22_500_000 },
    },
    'claude-sonnet-4-0': {
      input: 3_000_000,
      cachedInput: 300_000,
      cacheWrite: 3_750_000,
      output: 15_000_000,
      longContext: { aboveInputTokens: 200_000, input: 6_000_000, cachedInput: 600_000, cacheWrite: 7_500_000, output: 22_500_000 },
    },
    'claude-sonnet-4-20250514': {
      input: 3_000_000,
      cachedInput: 300_000,
      cacheWrite: 3_750_000,
      output: 15_000_000,
      longContext: { aboveInputTokens: 200_000, input: 6_000_000, cachedInput: 600_000, cacheWrite: 7_500_000, output: 22_500_000 },
    },
    'claude-3-7-sonnet': { input: 3_000_000, cachedInput: 300_000, cacheWrite: 3_750_000, output: 15_000_000 },
    'claude-haiku-4-5': { input: 1_000_000, cachedInput: 100_000, cacheWrite: 1_250_000, output: 5_000_000 },
    'claude-3-5-haiku': { input: 800_000, cachedInput: 80_000, cacheWrite: 1_000_000, output: 4_000_000 },
    'claude-3-haiku': { input: 250_000, cachedInput: 30_000, cacheWrite: 300_000, output: 1_250_000 },
  },
} as const;
