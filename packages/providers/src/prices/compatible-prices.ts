// Price tables of the hosted OpenAI-compatible presets (presets.ts): data only, per host, each with its source and
// date. OpenRouter needs no table of its own: it reports each call's cost (verified), and its holds are priced from
// the vendor's table (openai/… from OpenAI's, anthropic/… from Anthropic's, google/… from Gemini's). Self-hosted
// servers (Ollama, vLLM) have no provider price: a workspace sets one with an override (0 is allowed).
export const COMPATIBLE_PRICE_TABLES = {
  deepseek: {
    source: 'https://api-docs.deepseek.com/quick_start/pricing (cache miss input, cache hit input, output), transcribed by hand',
    asOf: '2025-09-29',
    models: {
      'deepseek-chat': { input: 280_000, cachedInput: 28_000, output: 420_000 },
      'deepseek-reasoner': { input: 280_000, cachedInput: 28_000, output: 420_000 },
    },
  },
  groq: {
    source: 'https://groq.com/pricing (on-demand, per 1M tokens), transcribed by hand',
    asOf: '2025-11-01',
    models: {
      'llama-3.3-70b-versatile': { input: 590_000, cachedInput: 590_000, output: 790_000 },
      'llama-3.1-8b-instant': { input: 50_000, cachedInput: 50_000, output: 80_000 },
      'meta-llama/llama-4-scout-17b-16e-instruct': { input: 110_000, cachedInput: 110_000, output: 340_000 },
      'meta-llama/llama-4-maverick-17b-128e-instruct': { input: 200_000, cachedInput: 200_000, output: 600_000 },
    },
  },
  together: {
    source: 'https://www.together.ai/pricing (serverless inference, per 1M tokens), transcribed by hand',
    asOf: '2025-11-01',
    models: {
      'meta-llama/Llama-3.3-70B-Instruct-Turbo': { input: 880_000, cachedInput: 880_000, output: 880_000 },
      'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo': { input: 180_000, cachedInput: 180_000, output: 180_000 },
      'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo': { input: 880_000, cachedInput: 880_000, output: 880_000 },
      'meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo': { input: 3_500_000, cachedInput: 3_500_000, output: 3_500_000 },
      'Qwen/Qwen2.5-72B-Instruct-Turbo': { input: 1_200_000, cachedInput: 1_200_000, output: 1_200_000 },
      'Qwen/Qwen2.5-7B-Instruct-Turbo': { input: 300_000, cachedInput: 300_000, output: 300_000 },
      'deepseek-ai/DeepSeek-V3': { input: 1_250_000, cachedInput: 1_250_000, output: 1_250_000 },
      'deepseek-ai/DeepSeek-R1': { input: 3_000_000, cachedInput: 3_000_000, output: 7_000_000 },
    },
  },
  mistral: {
    source: 'https://mistral.ai/pricing#api-pricing (per 1M tokens), transcribed by hand',
    asOf: '2025-11-01',
    models: {
      // Named versions only: older models under the same family name (mistral-small-2402, mistral-medium-2312) cost more.
      'mistral-small-latest': { input: 100_000, cachedInput: 100_000, output: 300_000 },
      'mistral-small-2503': { input: 100_000, cachedInput: 100_000, output: 300_000 },
      'mistral-small-2506': { input: 100_000, cachedInput: 100_000, output: 300_000 },
      'mistral-medium-latest': { input: 400_000, cachedInput: 400_000, output: 2_000_000 },
      'mistral-medium-2505': { input: 400_000, cachedInput: 400_000, output: 2_000_000 },
      'mistral-medium-2508': { input: 400_000, cachedInput: 400_000, output: 2_000_000 },
      'codestral-latest': { input: 300_000, cachedInput: 300_000, output: 900_000 },
      'codestral-2501': { input: 300_000, cachedInput: 300_000, output: 900_000 },
      'codestral-2508': { input: 300_000, cachedInput: 300_000, output: 900_000 },
      'ministral-8b-latest': { input: 100_000, cachedInput: 100_000, output: 100_000 },
      'ministral-8b-2410': { input: 100_000, cachedInput: 100_000, output: 100_000 },
      'ministral-3b-latest': { input: 40_000, cachedInput: 40_000, output: 40_000 },
      'ministral-3b-2410': { input: 40_000, cachedInput: 40_000, output: 40_000 },
      'open-mistral-nemo': { input: 150_000, cachedInput: 150_000, output: 150_000 },
    },
  },
} as const;
