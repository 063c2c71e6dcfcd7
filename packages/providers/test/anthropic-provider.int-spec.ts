// The anthropic adapter through the real @anthropic-ai/sdk, against the local fake Anthropic API.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import { inspect } from 'node:util';
import { anthropicError, startFakeAnthropic, type FakeAnthropic } from '../../../test/support/fake-anthropic.js';
import { type AnthropicProvider, createProvider, estimateRequestPromptTokens, fetchAnthropicDailyCosts, priceFor, ProviderError, usageCostMicroUsd, type ChatRequest } from '../src/index.js';

const KEY = 'sk-ant-api03-integration00000000000000000000000000000000abcd';
const ADMIN = 'sk-ant-admin01-costs000000000000000000000000000000wxyz';
const LOCAL = { allowPrivate: true };

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
});

const anthropic = (apiKey: string = KEY, extra: { timeoutMs?: number } = {}) => createProvider({ kind: 'anthropic', apiKey, baseUrl: fake.url, outbound: LOCAL, ...extra });
const chat = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'claude-haiku-4-5',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Say hello' },
  ],
  maxOutputTokens: 64,
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

describe('the fake speaks Anthropic (checked with the official SDK directly)', () => {
  it('answers messages.create and models.list as the SDK expects', async () => {
    const client = new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0, logLevel: 'off', openTelemetry: false });
    const message = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'Hi' }] });
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Fake reply to: Hi' });
    const models: string[] = [];
    for await (const model of client.models.list({ limit: 2 })) models.push(model.id);
    expect(models).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-5']);
    expect(fake.requests[0]!.headers['anthropic-version']).toBeTruthy();
  });
});

describe('verify: list models', () => {
  it('lists every page, sorted, with the provider-reported limits', async () => {
    const list = await anthropic().listModels();
    expect(list.models).toEqual(['claude-haiku-4-5', 'claude-opus-4-5', 'claude-sonnet-4-5']);
    expect(list.malformed).toBe(false);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/models?limit=1000']);
    expect(list.rateLimits).toMatchObject({ requests: { limit: 50, remaining: 49 }, tokens: { limit: 40_000 } });
    expect(list.rateLimits!.requests!.resetMs).toBeGreaterThanOrEqual(0);
    expect(list.providerRequestId).toBe(fake.requests[0]!.requestId);
    // The key went as this SDK version sends it, and only to the fake.
    expect(fake.requests[0]!.key).toBe(KEY);
  });

  it('follows has_more / last_id across pages', async () => {
    const paged = await startFakeAnthropic({ models: ['a', 'b', 'c', 'd', 'e'], modelsPageSize: 2 });
    try {
      fake.reset();
      const list = await createProvider({ kind: 'anthropic', apiKey: KEY, baseUrl: paged.url, outbound: LOCAL }).listModels();
      expect(list.models).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(paged.requests.map((r) => r.query.after_id ?? null)).toEqual([null, 'b', 'd']);
    } finally {
      await paged.close();
    }
  });

  it('calls a malformed answer malformed (a wrong base URL answering 200 with something else)', async () => {
    fake.enqueue({ status: 200, body: { models: ['x'] } });
    expect(await anthropic().listModels()).toMatchObject({ models: [], malformed: true });
  });

  it('accepts a base URL pasted with /v1', async () => {
    await createProvider({ kind: 'anthropic', apiKey: KEY, baseUrl: `${fake.url}/v1/`, outbound: LOCAL }).listModels();
    expect(fake.requests[0]!.pathname).toBe('/v1/models');
  });
});

describe('complete', () => {
  it('sends the system prompt apart and reports usage, limits, timings and the request id', async () => {
    const result = await anthropic().complete(chat());
    expect(result).toMatchObject({ text: 'Fake reply to: Say hello', model: 'claude-haiku-4-5', finishReason: 'stop', reportedCostMicroUsd: null });
    const body = fake.requests[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 64, system: 'Be brief.', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(body).not.toHaveProperty('temperature');
    expect(result.usage).toMatchObject({ cachedInputTokens: 0, cacheWriteInputTokens: 0 });
    expect(result.usage!.inputTokens).toBeGreaterThan(0);
    expect(result.providerRequestId).toBe(fake.requests[0]!.requestId);
    expect(result.rateLimits?.requests?.limit).toBe(50);
    expect(result.firstByteMs).not.toBeNull();
    expect(result.latencyMs).toBeGreaterThanOrEqual(result.firstByteMs!);
  });

  it('asks for a JSON Schema output through a forced tool and returns its input as the text', async () => {
    const schema = { type: 'object', properties: { score: { type: 'integer', minimum: 1 }, reason: { type: 'string' } }, required: ['score', 'reason'], additionalProperties: false };
    const result = await anthropic().complete(chat({ jsonSchema: { name: 'lead score', schema } }));
    expect(JSON.parse(result.text)).toEqual({ score: 1, reason: 'fake' });
    const body = fake.requests[0]!.body as { tools: { name: string; input_schema: unknown }[]; tool_choice: unknown };
    expect(body.tools).toEqual([{ name: 'lead_score', description: expect.any(String), input_schema: schema }]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'lead_score' });
  });

  it('wraps a schema whose root is not an object, and unwraps the answer', async () => {
    const schema = { type: 'array', items: { type: 'string' }, minItems: 1 };
    const result = await anthropic().complete(chat({ jsonSchema: { name: 'tags', schema } }));
    expect(JSON.parse(result.text)).toEqual(['fake']);
  });

  it('reports cache reads and writes, priced at their own rates', async () => {
    const caching = await startFakeAnthropic({ cacheReadTokens: 10, cacheWriteTokens: 5 });
    try {
      const result = await createProvider({ kind: 'anthropic', apiKey: KEY, baseUrl: caching.url, outbound: LOCAL }).complete(chat({ model: 'claude-sonnet-4-5' }));
      const usage = result.usage!;
      expect(usage).toMatchObject({ cachedInputTokens: 10, cacheWriteInputTokens: 5 });
      const price = priceFor('anthropic', result.model)!.price;
      const uncached = usage.inputTokens - 15;
      expect(usageCostMicroUsd(price, usage)).toBe(Math.round((uncached * 3_000_000 + 10 * 300_000 + 5 * 3_750_000 + usage.outputTokens * 15_000_000) / 1_000_000));
    } finally {
      await caching.close();
    }
  });

  it("holds at least what the provider counts (the estimate is an upper bound for Claude's prompts)", async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    for (const request of [chat(), chat({ jsonSchema: { name: 'x', schema } })]) {
      fake.reset();
      const result = await anthropic().complete(request);
      expect(estimateRequestPromptTokens('anthropic', request.model, request).tokens).toBeGreaterThanOrEqual(result.usage!.inputTokens);
    }
  });

  it('turns a refusal into content_blocked', async () => {
    expect(await failureOf(anthropic('sk-ant-api03-refusal0000000000000000000000').complete(chat()))).toMatchObject({ code: 'content_blocked', retryable: false, httpStatus: 200 });
  });
});

describe('streaming', () => {
  it('yields the text as it arrives and returns the complete result with usage', async () => {
    const provider = anthropic() as AnthropicProvider;
    const stream = provider.stream(chat({ messages: [{ role: 'user', content: 'one two three' }] }));
    const pieces: string[] = [];
    let next = await stream.next();
    while (!next.done) {
      pieces.push(next.value);
      next = await stream.next();
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe('Fake reply to: one two three');
    expect(next.value).toMatchObject({ text: 'Fake reply to: one two three', finishReason: 'stop' });
    expect(next.value.usage!.outputTokens).toBeGreaterThan(1);
    expect((fake.requests[0]!.body as { stream?: boolean }).stream).toBe(true);
  });

  it('streams a structured output whole and maps an error event inside the stream', async () => {
    const provider = anthropic() as AnthropicProvider;
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const stream = provider.stream(chat({ jsonSchema: { name: 'check', schema } }));
    let next = await stream.next();
    while (!next.done) next = await stream.next();
    expect(JSON.parse(next.value.text)).toEqual({ ok: true });

    fake.enqueue({ status: 200, sse: [{ event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }] });
    const failing = provider.stream(chat());
    expect(await failureOf(failing.next())).toMatchObject({ code: 'provider_unavailable', requestSent: true });
  });
});

describe('errors on the taxonomy', () => {
  it.each([
    ['sk-ant-api03-invalid00000000000000000000000', 'invalid_api_key', 401, 'invalid_key'],
    ['sk-ant-api03-forbidden000000000000000000000', 'provider_rejected', 403, null],
    ['sk-ant-api03-credit000000000000000000000000', 'insufficient_quota', 400, 'quota_exhausted'],
    ['sk-ant-api03-ratelimit0000000000000000000000', 'rate_limited', 429, 'rate_limited'],
    ['sk-ant-api03-nomodel00000000000000000000000', 'model_not_found', 404, null],
    ['sk-ant-api03-toolong00000000000000000000000', 'context_length_exceeded', 400, null],
    ['sk-ant-api03-overloaded0000000000000000000', 'provider_unavailable', 529, null],
    ['sk-ant-api03-broken000000000000000000000000', 'provider_unavailable', 500, null],
  ])('%s → %s', async (key, code, status, accountStatus) => {
    const error = await failureOf(anthropic(key).complete(chat()));
    expect(error).toMatchObject({ code, httpStatus: status, accountStatus, requestSent: true });
    if (code === 'rate_limited') expect(error.retryAfterMs).toBe(2000);
    // One call, one request: Vaultrun retries, the SDK does not.
    expect(fake.requests).toHaveLength(1);
  });

  it('an unknown model is model_not_found', async () => {
    expect((await failureOf(anthropic().complete(chat({ model: 'claude-9' })))).code).toBe('model_not_found');
  });

  it('never passes on the provider text or the key it echoes', async () => {
    const key = 'sk-ant-api03-invalidLEAKLEAKLEAK0000000000009z8y7x';
    const error = await failureOf(anthropic(key).listModels());
    for (const view of [JSON.stringify(error), inspect(error, { showHidden: true, depth: Infinity }), error.stack ?? '']) {
      expect(view).not.toContain('9z8y7x');
      expect(view).not.toContain('x-api-key');
    }
  });

  it('a timeout is provider_unavailable, an abort cancelled', async () => {
    fake.setLatency(5_000);
    expect(await failureOf(anthropic(KEY, { timeoutMs: 50 }).complete(chat()))).toMatchObject({ code: 'provider_unavailable', requestSent: true });
    const controller = new AbortController();
    const pending = anthropic().complete(chat({ signal: controller.signal }));
    await fake.waitFor(() => fake.requests.length === 2);
    controller.abort();
    expect((await failureOf(pending)).code).toBe('cancelled');
  });

  it('refuses a private address unless allowed, before any request leaves', async () => {
    const error = await failureOf(createProvider({ kind: 'anthropic', apiKey: KEY, baseUrl: fake.url }).complete(chat()));
    expect(error).toMatchObject({ code: 'endpoint_refused', requestSent: false });
    expect(fake.requests).toEqual([]);
  });

  it('keeps the key off the provider object', () => {
    const provider = anthropic();
    expect(JSON.stringify(provider)).not.toContain(KEY);
    expect(inspect(provider, { showHidden: true, depth: 10 })).not.toContain(KEY);
  });
});

describe('the Admin API cost report', () => {
  const costs = (extra: Partial<Parameters<typeof fetchAnthropicDailyCosts>[0]> = {}) =>
    fetchAnthropicDailyCosts({ adminKey: ADMIN, baseUrl: fake.url, outbound: LOCAL, fromDay: '2026-03-01', toDay: '2026-03-04', ...extra });

  it('sums each day\'s results (cents) exactly, in integer micro-USD, across pages', async () => {
    fake.setCosts({ days: { '2026-03-01': ['10.5', '0.25'], '2026-03-02': '100', '2026-03-03': '0' }, maxPageSize: 2 });
    const { days, pages } = await costs();
    expect(Object.fromEntries(days)).toEqual({ '2026-03-01': 107_500, '2026-03-02': 1_000_000, '2026-03-03': 0 });
    expect(pages).toBe(2);
    const [first] = fake.costRequests();
    expect(first!.key).toBe(ADMIN);
    expect(first!.query).toEqual({ starting_at: '2026-03-01T00:00:00Z', ending_at: '2026-03-04T00:00:00Z', bucket_width: '1d', limit: '3' });
  });

  it('leaves out days without a bucket (not published yet)', async () => {
    fake.setCosts({ days: { '2026-03-02': '1' } });
    expect(Object.fromEntries((await costs()).days)).toEqual({ '2026-03-02': 10_000 });
  });

  it('maps a refused admin key, an outage and an answer that is no report', async () => {
    expect((await failureOf(costs({ adminKey: KEY }))).code).toBe('invalid_api_key');
    fake.enqueue(anthropicError(500, 'api_error', 'boom'));
    expect((await failureOf(costs())).code).toBe('provider_unavailable');
    fake.enqueue({ status: 200, body: { nothing: true } });
    expect((await failureOf(costs())).code).toBe('invalid_output');
  });
});
