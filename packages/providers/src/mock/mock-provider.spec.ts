import { describe, expect, it } from '@jest/globals';
import { createProvider } from '../create-provider.js';
import { PROVIDER_ERROR_CODES, PROVIDER_ERRORS, ProviderError, type ProviderErrorCode } from '../errors.js';
import type { ChatRequest, MockSettings } from '../provider.js';
import { validateStructuredOutput } from '../structured-output.js';
import { countTokens, estimatePromptTokens } from '../tokens.js';
import { plainJsonForSchema, sampleJsonForSchema } from './json-schema-sample.js';
import { MOCK_PRICES, MOCK_RATE_LIMIT_RETRY_AFTER_MS, mockCostMicroUsd, parseMockDirectives } from './mock-provider.js';

const mock = (settings: MockSettings = {}) => createProvider({ kind: 'mock', mock: settings });
const chat = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'mock-fast',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Summarise the quarterly report.' },
  ],
  maxOutputTokens: 256,
  ...overrides,
});

async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected the call to fail');
}

describe('the mock provider', () => {
  it('is deterministic: same model and messages, same text', async () => {
    const a = await mock().complete(chat());
    const b = await mock({ latencyMs: 0 }).complete(chat({ temperature: 1.5 }));
    expect(a.text).toBe(b.text);
    expect(a.text).toContain('Summarise the quarterly report.');
    expect(a.providerRequestId).toMatch(/^mock-[0-9a-f]{24}$/);
    expect(a.providerRequestId).not.toBe(b.providerRequestId);
  });

  it('answers differently to a different input or model', async () => {
    const base = await mock().complete(chat());
    const otherText = await mock().complete(chat({ messages: [{ role: 'user', content: 'Something else' }] }));
    const otherModel = await mock().complete(chat({ model: 'mock-smart' }));
    expect(otherText.text).not.toBe(base.text);
    expect(otherModel.text).not.toBe(base.text);
    expect(otherModel.text.length).toBeGreaterThan(base.text.length);
  });

  it('reports honest token counts from the shared tokenizer', async () => {
    const request = chat();
    const result = await mock().complete(request);
    expect(result.usage).toEqual({
      inputTokens: estimatePromptTokens(request.messages),
      outputTokens: countTokens(result.text),
      cachedInputTokens: 0,
    });
    expect(result.usage!.outputTokens).toBeGreaterThan(5);
  });

  it('estimatePromptTokens adds OpenAI’s per-message overhead', () => {
    const messages = chat().messages;
    const content = messages.reduce((sum, m) => sum + countTokens(m.content), 0);
    // 3 per message + 1 for each role + 3 priming the reply
    expect(estimatePromptTokens(messages)).toBe(content + messages.length * 4 + 3);
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('text with <|endoftext|> inside')).toBeGreaterThan(3);
  });

  it('returns the rest of the result contract', async () => {
    const result = await mock().complete(chat());
    expect(result).toMatchObject({ model: 'mock-fast', rateLimits: null, finishReason: 'stop', reportedCostMicroUsd: null });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.firstByteMs).toBeGreaterThanOrEqual(0);
  });

  it('stops at maxOutputTokens with finish reason "length"', async () => {
    const result = await mock().complete(chat({ maxOutputTokens: 5 }));
    expect(result.finishReason).toBe('length');
    expect(result.usage!.outputTokens).toBeLessThanOrEqual(6);
    expect(result.usage!.outputTokens).toBe(countTokens(result.text));
  });

  it('lists its models, defaults or configured', async () => {
    expect((await mock().listModels()).models).toEqual(['mock-fast', 'mock-smart']);
    const custom = await mock({ models: ['mock-a'] }).listModels();
    expect(custom).toMatchObject({ models: ['mock-a'], rateLimits: null });
    expect(custom.providerRequestId).toMatch(/^mock-/);
  });

  it('answers model_not_found for a model it does not serve', async () => {
    const error = await failureOf(mock().complete(chat({ model: 'gpt-4o' })));
    expect(error).toMatchObject({ code: 'model_not_found', httpStatus: 404 });
  });

  it('answers context_length_exceeded for a prompt beyond its window', async () => {
    const huge = 'lorem ipsum '.repeat(70_000);
    expect((await failureOf(mock().complete(chat({ messages: [{ role: 'user', content: huge }] })))).code).toBe('context_length_exceeded');
  });
});

describe('reported cost', () => {
  it('is an integer at the mock prices, only when asked', async () => {
    const result = await mock({ reportCost: true }).complete(chat());
    const usage = result.usage!;
    const exact = (usage.inputTokens * MOCK_PRICES['mock-fast'].inputMicroUsdPerMTok + usage.outputTokens * MOCK_PRICES['mock-fast'].outputMicroUsdPerMTok) / 1_000_000;
    expect(Number.isInteger(result.reportedCostMicroUsd)).toBe(true);
    expect(result.reportedCostMicroUsd).toBe(Math.round(exact));
    expect((await mock().complete(chat())).reportedCostMicroUsd).toBeNull();
  });

  it('rounds half up and prices mock-smart higher', () => {
    expect(mockCostMicroUsd('mock-fast', { inputTokens: 5, outputTokens: 0 })).toBe(1); // 0.5 → 1
    expect(mockCostMicroUsd('mock-fast', { inputTokens: 4, outputTokens: 0 })).toBe(0);
    expect(mockCostMicroUsd('mock-fast', { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(500_000);
    expect(mockCostMicroUsd('mock-smart', { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(5_000_000);
    expect(mockCostMicroUsd('mock-custom', { inputTokens: 1_000_000, outputTokens: 0 })).toBe(100_000);
  });
});

describe('latency', () => {
  it('waits the configured latency', async () => {
    const started = Date.now();
    const result = await mock({ latencyMs: 60 }).complete(chat());
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(result.latencyMs).toBeGreaterThanOrEqual(55);
    expect(result.firstByteMs).toBeGreaterThanOrEqual(55);
  });

  it('is abortable: cancelled, promptly', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const call = mock({ latencyMs: 10_000 }).complete(chat({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    const error = await failureOf(call);
    expect(error).toMatchObject({ code: 'cancelled', requestSent: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('an already aborted signal is cancelled before anything is sent', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await failureOf(mock().complete(chat({ signal: controller.signal })))).toMatchObject({ code: 'cancelled', requestSent: false });
    expect(await failureOf(mock().listModels(controller.signal))).toMatchObject({ code: 'cancelled', requestSent: false });
  });

  it('a [mock:latency=…] directive overrides the setting', async () => {
    const started = Date.now();
    await mock({ latencyMs: 10_000 }).complete(chat({ messages: [{ role: 'user', content: 'quick please [mock:latency=30]' }] }));
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(25);
    expect(took).toBeLessThan(2000);
  });
});

describe('failure injection', () => {
  const statusOf: Record<ProviderErrorCode, number | null> = {
    invalid_api_key: 401,
    insufficient_quota: 429,
    rate_limited: 429,
    model_not_found: 404,
    context_length_exceeded: 400,
    provider_unavailable: 503,
    invalid_output: null,
    provider_rejected: 400,
    endpoint_refused: null,
    cancelled: null,
    content_blocked: 400,
  };

  it.each(PROVIDER_ERROR_CODES.map((code) => [code]))('failWith %s fails every call with that error', async (code: ProviderErrorCode) => {
    const provider = mock({ failWith: code });
    for (const call of [provider.complete(chat()), provider.listModels()]) {
      const error = await failureOf(call);
      expect(error.code).toBe(code);
      expect(error.message).toBe(PROVIDER_ERRORS[code].message);
      expect(error.retryable).toBe(PROVIDER_ERRORS[code].retryable);
      expect(error.accountStatus).toBe(PROVIDER_ERRORS[code].accountStatus);
      expect(error.httpStatus).toBe(statusOf[code]);
      expect(error.providerRequestId).toMatch(/^mock-/);
      expect(error.retryAfterMs).toBe(code === 'rate_limited' ? MOCK_RATE_LIMIT_RETRY_AFTER_MS : null);
    }
  });

  it.each(PROVIDER_ERROR_CODES.map((code) => [code]))('[mock:fail=%s] in the last user message fails that request', async (code: ProviderErrorCode) => {
    const request = chat({ messages: [{ role: 'user', content: `Please go [mock:fail=${code}]` }] });
    expect((await failureOf(mock().complete(request))).code).toBe(code);
  });

  it('a rate_limited failure carries retryAfterMs', async () => {
    const error = await failureOf(mock().complete(chat({ messages: [{ role: 'user', content: '[mock:fail=rate_limited]' }] })));
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 1000, retryable: true, accountStatus: 'rate_limited' });
  });

  it('the directive wins over the setting; [mock:fail=none] clears it', async () => {
    const provider = mock({ failWith: 'insufficient_quota' });
    expect((await failureOf(provider.complete(chat({ messages: [{ role: 'user', content: '[mock:fail=model_not_found]' }] })))).code).toBe('model_not_found');
    const result = await provider.complete(chat({ messages: [{ role: 'user', content: 'fine [mock:fail=none]' }] }));
    expect(result.text).toContain('fine');
    expect(result.text).not.toContain('[mock:');
  });

  it('only the last user message carries directives', async () => {
    const result = await mock().complete(
      chat({
        messages: [
          { role: 'user', content: '[mock:fail=invalid_api_key]' },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: 'and now?' },
        ],
      }),
    );
    expect(result.finishReason).toBe('stop');
  });

  it('directives do not change the deterministic answer', async () => {
    const plain = await mock().complete(chat({ messages: [{ role: 'user', content: 'hello there' }] }));
    const slow = await mock().complete(chat({ messages: [{ role: 'user', content: 'hello there [mock:latency=1]' }] }));
    expect(slow.text).toBe(plain.text);
  });

  it('parses directives, ignoring unknown values', () => {
    expect(parseMockDirectives('x [mock:fail=rate_limited] [mock:latency=250]')).toEqual({ fail: 'rate_limited', latencyMs: 250 });
    expect(parseMockDirectives('[mock:fail=nonsense] [mock:latency=fast]')).toEqual({});
    expect(parseMockDirectives('[mock:latency=99999999]')).toEqual({ latencyMs: 600_000 });
    expect(parseMockDirectives('[mock:fail=none]')).toEqual({ fail: null });
  });
});

describe('structured output', () => {
  const schemas: Record<string, Record<string, unknown>> = {
    flat: {
      type: 'object',
      properties: {
        title: { type: 'string' },
        score: { type: 'number' },
        count: { type: 'integer' },
        urgent: { type: 'boolean' },
        level: { type: 'string', enum: ['low', 'medium', 'high'] },
        note: { type: ['string', 'null'] },
      },
      required: ['title', 'score', 'count', 'urgent', 'level', 'note'],
      additionalProperties: false,
    },
    nested: {
      type: 'object',
      properties: {
        plan: {
          type: 'object',
          properties: {
            steps: {
              type: 'array',
              minItems: 2,
              maxItems: 4,
              items: {
                type: 'object',
                properties: {
                  operator: { type: 'string', minLength: 3, maxLength: 12 },
                  dependsOn: { type: 'array', items: { type: 'integer', minimum: 0 }, uniqueItems: true },
                  weight: { type: 'number', minimum: 0, maximum: 1 },
                },
                required: ['operator', 'dependsOn', 'weight'],
                additionalProperties: false,
              },
            },
          },
          required: ['steps'],
          additionalProperties: false,
        },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, uniqueItems: true, minItems: 2 },
      },
      required: ['plan', 'tags'],
      additionalProperties: false,
    },
    bounds: {
      type: 'object',
      properties: {
        percent: { type: 'integer', minimum: 1, maximum: 100, multipleOf: 5 },
        ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        price: { type: 'number', multipleOf: 0.01, minimum: 10, maximum: 20 },
        tenth: { type: 'number', multipleOf: 0.1 },
        negative: { type: 'integer', maximum: -10 },
        code: { type: 'string', minLength: 40 },
        short: { type: 'string', maxLength: 2 },
        fixed: { const: 'v1' },
      },
      required: ['percent', 'ratio', 'price', 'tenth', 'negative', 'code', 'short', 'fixed'],
    },
    formats: {
      type: 'object',
      properties: {
        when: { type: 'string', format: 'date-time' },
        day: { type: 'string', format: 'date' },
        email: { type: 'string', format: 'email' },
        id: { type: 'string', format: 'uuid' },
        site: { type: 'string', format: 'uri' },
      },
      required: ['when', 'day', 'email', 'id', 'site'],
    },
    refs: {
      $defs: {
        person: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0, maximum: 120 } }, required: ['name', 'age'], additionalProperties: false },
      },
      type: 'object',
      properties: {
        owner: { $ref: '#/$defs/person' },
        reviewers: { type: 'array', items: { $ref: '#/$defs/person' } },
        status: { anyOf: [{ type: 'null' }, { type: 'string', enum: ['open', 'closed'] }] },
        merged: { allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { type: 'object', properties: { b: { type: 'integer' } }, required: ['b'] }] },
      },
      required: ['owner', 'reviewers', 'status', 'merged'],
      additionalProperties: false,
    },
    tree: {
      $defs: { node: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['label'] } },
      $ref: '#/$defs/node',
    },
    draft2020: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'integer' }],
      items: false,
      minItems: 2,
    },
  };

  it.each(Object.keys(schemas).map((name) => [name]))('the %s schema gets a valid, deterministic JSON answer', async (name: string) => {
    const schema = schemas[name];
    const request = chat({ jsonSchema: { name, schema }, maxOutputTokens: 4000 });
    const first = await mock().complete(request);
    const second = await mock().complete(request);
    expect(first.text).toBe(second.text);
    expect(first.finishReason).toBe('stop');
    const check = validateStructuredOutput(first.text, schema);
    if (!check.valid) throw new Error(`invalid sample for ${name}: ${first.text}`);
    expect(first.usage!.outputTokens).toBe(countTokens(first.text));
  });

  it('stays valid across many seeds', () => {
    for (const [name, schema] of Object.entries(schemas)) {
      for (let seed = 0; seed < 40; seed++) {
        const text = JSON.stringify(sampleJsonForSchema(schema, `${name}-${seed}`));
        if (!validateStructuredOutput(text, schema).valid) throw new Error(`invalid sample for ${name} (seed ${seed}): ${text}`);
      }
    }
  });

  it('the plain style (what the test fake answers) is valid too, and spells out the plainest values', () => {
    for (const [name, schema] of Object.entries(schemas)) {
      const text = JSON.stringify(plainJsonForSchema(schema));
      if (!validateStructuredOutput(text, schema).valid) throw new Error(`invalid plain value for ${name}: ${text}`);
      expect(JSON.stringify(plainJsonForSchema(schema))).toBe(text);
    }
    expect(plainJsonForSchema(schemas.flat)).toEqual({ title: 'fake', score: 1.5, count: 1, urgent: true, level: 'low', note: 'fake' });
    expect(plainJsonForSchema({ type: 'array', items: { type: 'integer', minimum: 7 } })).toEqual([7]);
  });

  it('a different input gives a different (still valid) value', async () => {
    const schema = schemas.flat;
    const texts = new Set<string>();
    for (const content of ['one', 'two', 'three', 'four', 'five']) {
      texts.add((await mock().complete(chat({ jsonSchema: { name: 'flat', schema }, messages: [{ role: 'user', content }] }))).text);
    }
    expect(texts.size).toBeGreaterThan(1);
  });
});
