import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatUsd, priceFor, usageCostMicroUsd, worstCaseMicroUsd } from './prices.js';

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
