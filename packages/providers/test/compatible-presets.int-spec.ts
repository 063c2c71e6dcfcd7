// The OpenAI-compatible presets' behaviours (JSON mode, requested usage cost, bare-array model lists, DeepSeek's cache
// counts) through the real openai SDK against the local fake. A hosted preset is recognised by its origin, which a
// local fake cannot have: the adapter is built with the options its preset gives (openAiCompatibleOptionsFor) and
// pointed at the fake.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { openAiCompatibleOptionsFor } from '../src/openai-compatible/openai-compatible-provider.js';
import { OpenAiChatProvider } from '../src/openai/openai-chat-provider.js';
import { jsonModeInstruction, type ChatRequest } from '../src/index.js';

const LOCAL = { allowPrivate: true };
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ usageCost: '0.00042' });
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
});

/** The adapter a preset's base URL gets, pointed at the fake. */
const presetProvider = (presetBaseUrl: string) =>
  new OpenAiChatProvider({ ...openAiCompatibleOptionsFor({ kind: 'openai-compatible', apiKey: 'sk-test', baseUrl: presetBaseUrl }), baseUrl: fake.url, outbound: LOCAL });
const chat = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'Score it' }], maxOutputTokens: 32, ...overrides });
const schema = { type: 'object', properties: { score: { type: 'integer' } }, required: ['score'] };

describe('presets', () => {
  it('DeepSeek: asks for JSON mode with the schema in a system message (DeepSeek refuses json_schema)', async () => {
    fake.replyWith(() => '{"score":3}');
    const result = await presetProvider('https://api.deepseek.com/v1').complete(chat({ jsonSchema: { name: 'score', schema } }));
    expect(result.text).toBe('{"score":3}');
    const body = fake.requests[0]!.body as { response_format: unknown; messages: { role: string; content: string }[] };
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages[0]).toEqual({ role: 'system', content: jsonModeInstruction(schema) });
    expect(body.messages[0]!.content).toMatch(/JSON/);
  });

  it('OpenRouter: asks for usage accounting and records the reported cost', async () => {
    const result = await presetProvider('https://openrouter.ai/api/v1').complete(chat({ model: 'openai/gpt-4.1-mini' }));
    expect((fake.requests[0]!.body as { usage?: unknown }).usage).toEqual({ include: true });
    expect(result.reportedCostMicroUsd).toBe(420);
  });

  it('a plain compatible server gets json_schema and no usage request', async () => {
    await presetProvider('http://localhost:11434/v1').complete(chat({ jsonSchema: { name: 'score', schema } }));
    const body = fake.requests[0]!.body as Record<string, unknown>;
    expect(body.response_format).toMatchObject({ type: 'json_schema' });
    expect(body).not.toHaveProperty('usage');
  });

  it('Together: reads a model list sent as a bare array', async () => {
    fake.enqueue({ status: 200, body: [{ id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', object: 'model', type: 'chat' }, { id: 'Qwen/Qwen2.5-72B-Instruct-Turbo', object: 'model' }] });
    const list = await presetProvider('https://api.together.xyz/v1').listModels();
    expect(list).toMatchObject({ models: ['Qwen/Qwen2.5-72B-Instruct-Turbo', 'meta-llama/Llama-3.3-70B-Instruct-Turbo'], malformed: false });
  });

  it("DeepSeek: reads prompt_cache_hit_tokens as the cached part of the prompt", async () => {
    fake.enqueue({
      status: 200,
      body: {
        id: 'x',
        object: 'chat.completion',
        created: 1,
        model: 'deepseek-chat',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 },
      },
    });
    const result = await presetProvider('https://api.deepseek.com/v1').complete(chat());
    expect(result.usage).toEqual({ inputTokens: 100, outputTokens: 5, cachedInputTokens: 64 });
  });
});
