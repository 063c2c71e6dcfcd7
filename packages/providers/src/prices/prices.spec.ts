import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatUsd, holdRates, priceFor, ratesFor, SHIPPED_PRICE_TABLES, usageCostMicroUsd, worstCaseMicroUsd } from './prices.js';

describe('prices', () => {
  it('finds a model by exact name, then by its family for dated snapshots', () => {
    expect(priceFor('openai', 'gpt-4.1-mini')).toMatchObject({ origin: 'table', matched: 'gpt-4.1-mini', price: { input: 400_000, output: 1_600_000 } });
    expect(priceFor('openai', 'gpt-4.1-mini-2025-04-14')?.matched).toBe('gpt-4.1-mini');
    expect(priceFor('openai', 'gpt-4.1-2025-04-14')?.matched).toBe('gpt-4.1');
    expect(priceFor('openai', 'gpt-4.1x')).toBeNull();
  });

  it('never prices an unknown model as zero', () => {
    expect(priceFor('openai', 'some-new-model')).toBeNull();
    expect(priceFor('openai-compatible', 'llama3.1')).toBeNull();
    expect(priceFor('mock', 'not-a-mock-model')).toBeNull();
  });

  it('lets a workspace override win, also for OpenAI-compatible models', () => {
    const overrides = { 'llama3.1': { input: 10, cachedInput: 10, output: 20 }, 'gpt-4.1': { input: 1, cachedInput: 1, output: 1 } };
    expect(priceFor('openai-compatible', 'llama3.1', overrides)).toMatchObject({ origin: 'override', price: { output: 20 } });
    expect(priceFor('openai', 'gpt-4.1', overrides)?.origin).toBe('override');
    expect(priceFor('mock', 'mock-fast')).toMatchObject({ origin: 'mock', price: { input: 100_000, output: 400_000 } });
  });

  it('rounds holds up and actual costs half up, in integers only', () => {
    const price = { input: 400_000, cachedInput: 100_000, output: 1_600_000 };
    // 1 prompt token at $0.40/1M = 0.4 micro-USD → a hold of 1, a cost of 0.
    expect(worstCaseMicroUsd(price, 1, 0)).toBe(1);
    expect(usageCostMicroUsd(price, { inputTokens: 1, outputTokens: 0, cachedInputTokens: 0 })).toBe(0);
    expect(usageCostMicroUsd(price, { inputTokens: 2, outputTokens: 0, cachedInputTokens: 0 })).toBe(1);
    expect(worstCaseMicroUsd(price, 1000, 500)).toBe(400 + 800);
    // Cached prompt tokens at the cached price.
    expect(usageCostMicroUsd(price, { inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 400_000 })).toBe(600_000 * 0.4 + 400_000 * 0.1);
  });

  it('keeps holds at or above the actual cost of any usage they cover', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000 }), fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1, max: 60_000_000 }), fc.integer({ min: 1, max: 60_000_000 }), (prompt, out, input, output) => {
        const price = { input, cachedInput: input, output };
        const hold = worstCaseMicroUsd(price, prompt, out);
        expect(Number.isInteger(hold)).toBe(true);
        expect(hold).toBeGreaterThanOrEqual(usageCostMicroUsd(price, { inputTokens: prompt, outputTokens: out, cachedInputTokens: 0 }));
      }),
    );
  });

  it('formats micro-USD as dollars without floating point', () => {
    expect(formatUsd(1_000_000)).toBe('$1.00');
    expect(formatUsd(100_000)).toBe('$0.10');
    expect(formatUsd(1_234_567)).toBe('$1.234567');
    expect(formatUsd(1_500)).toBe('$0.0015');
    expect(formatUsd(-2_500_000)).toBe('-$2.50');
  });
});

describe('prices of the other kinds', () => {
  it('prices Anthropic models by alias and dated snapshot, and leaves unknown Claude models unpriced', () => {
    expect(priceFor('anthropic', 'claude-sonnet-4-5')).toMatchObject({ origin: 'table', price: { input: 3_000_000, output: 15_000_000, cacheWrite: 3_750_000 } });
    expect(priceFor('anthropic', 'claude-sonnet-4-5-20250929')?.matched).toBe('claude-sonnet-4-5');
    expect(priceFor('anthropic', 'claude-haiku-4-5-20251001')?.matched).toBe('claude-haiku-4-5');
    // A newer family is never priced as an older one that shares its prefix.
    expect(priceFor('anthropic', 'claude-sonnet-4-6')).toBeNull();
    expect(priceFor('anthropic', 'claude-opus-4-8')).toBeNull();
    expect(priceFor('openai', 'claude-sonnet-4-5')).toBeNull();
  });

  it('prices Gemini models (with or without models/), Azure deployments named after OpenAI models', () => {
    expect(priceFor('gemini', 'gemini-2.5-flash')?.price.output).toBe(2_500_000);
    expect(priceFor('gemini', 'models/gemini-2.5-flash-lite')?.matched).toBe('gemini-2.5-flash-lite');
    expect(priceFor('gemini', 'gemini-2.5-flash-lite-preview-09-2025')?.matched).toBe('gemini-2.5-flash-lite');
    expect(priceFor('azure-openai', 'gpt-4o-mini')?.matched).toBe('gpt-4o-mini');
    expect(priceFor('azure-openai', 'prod-chat')).toBeNull();
  });

  it('prices an OpenAI-compatible account by the hosted preset its base URL calls', () => {
    expect(priceFor('openai-compatible', 'deepseek-chat', {}, 'https://api.deepseek.com/v1')?.price).toEqual({ input: 280_000, cachedInput: 28_000, output: 420_000 });
    expect(priceFor('openai-compatible', 'llama-3.3-70b-versatile', {}, 'https://api.groq.com/openai/v1')?.price.input).toBe(590_000);
    expect(priceFor('openai-compatible', 'mistral-small-latest', {}, 'https://api.mistral.ai/v1')?.price.output).toBe(300_000);
    // The same model name on another server (self-hosted, or another host) is not priced from that table.
    expect(priceFor('openai-compatible', 'deepseek-chat', {}, 'http://localhost:8000/v1')).toBeNull();
    expect(priceFor('openai-compatible', 'deepseek-chat')).toBeNull();
    // OpenRouter: the vendor's table.
    expect(priceFor('openai-compatible', 'openai/gpt-4.1-mini', {}, 'https://openrouter.ai/api/v1')).toMatchObject({ matched: 'openai/gpt-4.1-mini', price: { input: 400_000 } });
    expect(priceFor('openai-compatible', 'anthropic/claude-sonnet-4.5', {}, 'https://openrouter.ai/api/v1')).toMatchObject({ matched: 'anthropic/claude-sonnet-4-5' });
    expect(priceFor('openai-compatible', 'google/gemini-2.5-flash', {}, 'https://openrouter.ai/api/v1')?.price.output).toBe(2_500_000);
    expect(priceFor('openai-compatible', 'meta-llama/llama-3.3-70b-instruct', {}, 'https://openrouter.ai/api/v1')).toBeNull();
  });

  it('charges cache writes at the cache-write price and reads at the cached price (Anthropic)', () => {
    const price = priceFor('anthropic', 'claude-sonnet-4-5')!.price;
    // 1,000 uncached + 2,000 read + 4,000 written prompt tokens, 500 output.
    const cost = usageCostMicroUsd(price, { inputTokens: 7_000, cachedInputTokens: 2_000, cacheWriteInputTokens: 4_000, outputTokens: 500 });
    expect(cost).toBe(1_000 * 3 + 2_000 * 0.3 + 4_000 * 3.75 + 500 * 15);
    // The hold pays the prompt at the higher of input and cache write: never below a fully cache-written prompt.
    expect(worstCaseMicroUsd(price, 7_000, 500)).toBeGreaterThanOrEqual(usageCostMicroUsd(price, { inputTokens: 7_000, cachedInputTokens: 0, cacheWriteInputTokens: 7_000, outputTokens: 500 }));
  });

  it('uses the long-context rates for the whole call above the threshold, in holds and in costs', () => {
    const price = priceFor('gemini', 'gemini-2.5-pro')!.price;
    expect(ratesFor(price, 200_000).input).toBe(1_250_000);
    expect(ratesFor(price, 200_001)).toMatchObject({ input: 2_500_000, output: 15_000_000 });
    expect(usageCostMicroUsd(price, { inputTokens: 300_000, cachedInputTokens: 0, outputTokens: 1_000 })).toBe(300_000 * 2.5 + 1_000 * 15);
    expect(worstCaseMicroUsd(price, 300_000, 1_000)).toBe(300_000 * 2.5 + 1_000 * 15);
    expect(holdRates(price, 1_000)).toEqual({ input: 1_250_000, output: 10_000_000 });
  });

  it('keeps holds at or above the cost of any usage they cover, tiers and cache writes included', () => {
    const tiered = priceFor('anthropic', 'claude-sonnet-4-5')!.price;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600_000 }), fc.integer({ min: 0, max: 64_000 }), fc.nat(), fc.nat(), (prompt, out, cachedSeed, writeSeed) => {
        const cached = prompt === 0 ? 0 : cachedSeed % (prompt + 1);
        const written = prompt - cached === 0 ? 0 : writeSeed % (prompt - cached + 1);
        const hold = worstCaseMicroUsd(tiered, prompt, out);
        expect(hold).toBeGreaterThanOrEqual(usageCostMicroUsd(tiered, { inputTokens: prompt, outputTokens: out, cachedInputTokens: cached, cacheWriteInputTokens: written }));
      }),
    );
  });

  it('lists every shipped table with its source and date', () => {
    expect(SHIPPED_PRICE_TABLES.map((t) => t.id)).toEqual(['openai', 'anthropic', 'gemini', 'deepseek', 'groq', 'together', 'mistral']);
    for (const table of SHIPPED_PRICE_TABLES) {
      expect(table.source).toMatch(/^https:\/\//);
      expect(table.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (const price of Object.values(table.models)) {
        for (const rate of [price.input, price.cachedInput, price.output]) expect(Number.isSafeInteger(rate) && rate >= 0).toBe(true);
        expect(price.cachedInput).toBeLessThanOrEqual(price.input);
      }
    }
  });
});
