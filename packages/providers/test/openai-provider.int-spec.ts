// The openai and openai-compatible adapters through the real SDK, against the local fake server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { startFakeOpenAI, openAIError, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { createProvider, PROVIDER_ERRORS, ProviderError, type ChatRequest, type ProviderErrorCode } from '../src/index.js';

const KEY = 'sk-proj-integration0000000000000000000000abcd';

let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
});

/** The fake listens on 127.0.0.1: a private address, allowed explicitly (the default is public addresses only). */
const LOCAL = { allowPrivate: true };
const openai = (apiKey: string = KEY, extra: { timeoutMs?: number } = {}) => createProvider({ kind: 'openai', apiKey, baseUrl: fake.url, ...extra, outbound: LOCAL });
const chat = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-4o-mini',
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

/** A port nothing listens on: bind one, then let it go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('listModels', () => {
  it('returns the models, the parsed rate limits and the request id', async () => {
    const before = Date.now();
    const list = await openai().listModels();
    expect(list.models).toEqual(['gpt-4o', 'gpt-4o-mini', 'o4-mini']);
    expect(list.providerRequestId).toBe(fake.requests[0].requestId);
    expect(list.providerRequestId).toMatch(/^req_/);
    expect(list.rateLimits).toEqual({
      requests: { limit: 500, remaining: 499, resetMs: 120 },
      tokens: { limit: 30_000, remaining: 30_000, resetMs: 360_000 },
      observedAt: expect.any(String),
    });
    expect(Date.parse(list.rateLimits!.observedAt)).toBeGreaterThanOrEqual(before);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models', authorization: `Bearer ${KEY}` });
  });
});

describe('complete', () => {
  it('returns text, usage, request id, timings and rate limits', async () => {
    fake.setLatency(40);
    const result = await openai().complete(chat({ temperature: 0.2 }));
    expect(result.text).toBe('Fake reply to: Say hello');
    expect(result.model).toBe('gpt-4o-mini');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toEqual({ inputTokens: expect.any(Number), outputTokens: expect.any(Number), cachedInputTokens: 0 });
    expect(result.usage!.inputTokens).toBeGreaterThan(0);
    expect(result.usage!.outputTokens).toBeGreaterThan(0);
    expect(result.providerRequestId).toBe(fake.requests[0].requestId);
    expect(result.latencyMs).toBeGreaterThanOrEqual(40);
    expect(result.firstByteMs).toBeGreaterThanOrEqual(40);
    expect(result.firstByteMs!).toBeLessThanOrEqual(result.latencyMs);
    expect(result.reportedCostMicroUsd).toBeNull();
    expect(result.rateLimits?.requests).toEqual({ limit: 500, remaining: 499, resetMs: 120 });
    expect(result.rateLimits?.tokens?.limit).toBe(30_000);
    expect(result.rateLimits?.tokens?.remaining).toBe(30_000 - result.usage!.inputTokens);

    const sent = fake.requests[0];
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/chat/completions', authorization: `Bearer ${KEY}` });
    expect(sent.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      max_completion_tokens: 64,
      temperature: 0.2,
    });
  });

  it('reports cached prompt tokens', async () => {
    const cachingFake = await startFakeOpenAI({ cachedTokens: 4 });
    try {
      const result = await createProvider({ kind: 'openai', apiKey: KEY, baseUrl: cachingFake.url, outbound: LOCAL }).complete(chat());
      expect(result.usage?.cachedInputTokens).toBe(4);
    } finally {
      await cachingFake.close();
    }
  });

  it('asks for structured output with a strict JSON schema and gets JSON back', async () => {
    const schema = {
      type: 'object',
      properties: { title: { type: 'string' }, score: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
      required: ['title', 'score', 'tags'],
      additionalProperties: false,
    };
    const result = await openai().complete(chat({ jsonSchema: { name: 'Lead score!', schema } }));
    expect(JSON.parse(result.text)).toEqual({ title: 'fake', score: 1, tags: ['fake'] });
    expect((fake.requests[0].body as { response_format: unknown }).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'Lead_score', schema, strict: true },
    });
  });
});

describe('errors, one request each', () => {
  const cases: { key: string; code: ProviderErrorCode; status: number; retryAfterMs: number | null }[] = [
    { key: 'sk-proj-invalid000000000000000000000000wxyz', code: 'invalid_api_key', status: 401, retryAfterMs: null },
    { key: 'sk-proj-quota0000000000000000000000000000', code: 'insufficient_quota', status: 429, retryAfterMs: null },
    { key: 'sk-proj-ratelimit00000000000000000000000000', code: 'rate_limited', status: 429, retryAfterMs: 2000 },
    { key: 'sk-proj-nomodel0000000000000000000000000000', code: 'model_not_found', status: 404, retryAfterMs: null },
    { key: 'sk-proj-toolong0000000000000000000000000000', code: 'context_length_exceeded', status: 400, retryAfterMs: null },
    { key: 'sk-proj-broken00000000000000000000000000000', code: 'provider_unavailable', status: 500, retryAfterMs: null },
  ];

  it.each(cases)('$key → $code', async ({ key, code, status, retryAfterMs }) => {
    const error = await failureOf(openai(key).complete(chat()));
    expect(error.code).toBe(code);
    expect(error.message).toBe(PROVIDER_ERRORS[code].message);
    expect(error.retryable).toBe(PROVIDER_ERRORS[code].retryable);
    expect(error.accountStatus).toBe(PROVIDER_ERRORS[code].accountStatus);
    expect(error.httpStatus).toBe(status);
    expect(error.retryAfterMs).toBe(retryAfterMs);
    expect(error.requestSent).toBe(true);
    expect(error.providerRequestId).toBe(fake.requests[0].requestId);
    // maxRetries: 0 — the SDK would retry 429 and 5xx twice on its own.
    expect(fake.requests).toHaveLength(1);
  });

  it('verifying an invalid key fails the same way on /models', async () => {
    const error = await failureOf(openai('sk-proj-invalid000000000000000000000000wxyz').listModels());
    expect(error.code).toBe('invalid_api_key');
    expect(error.accountStatus).toBe('invalid_key');
  });

  it('never carries the key the provider echoed back', async () => {
    const key = 'sk-proj-invalidSECRETabcdefghijklmnopqrstuvwxyz9876';
    const error = await failureOf(openai(key).complete(chat()));
    const echoed = `${key.slice(0, 10)}****${key.slice(-4)}`;
    const views = [JSON.stringify(error), inspect(error, { showHidden: true, depth: 10 }), String(error), error.stack ?? '', error.message];
    for (const view of views) {
      expect(view).not.toContain(echoed);
      expect(view).not.toContain(key.slice(0, 10));
      expect(view).not.toContain(key.slice(-4));
      expect(view).not.toContain('Incorrect API key');
    }
  });

  it('a queued 429 with retry-after 1 is classified, then the next call succeeds', async () => {
    fake.enqueue(openAIError(429, 'rate_limit_exceeded', 'Rate limit reached', { headers: { 'retry-after': '1' } }));
    const error = await failureOf(openai().complete(chat()));
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 1000, accountStatus: 'rate_limited' });
    const result = await openai().complete(chat());
    expect(result.text).toBe('Fake reply to: Say hello');
    expect(fake.requests).toHaveLength(2);
  });

  it('a 400 without a code but with a context-length message is context_length_exceeded', async () => {
    fake.enqueue(openAIError(400, null, 'prompt is too long: 210000 tokens > 200000 maximum'));
    expect((await failureOf(openai().complete(chat()))).code).toBe('context_length_exceeded');
  });

  it('another 4xx is provider_rejected and not retryable', async () => {
    fake.respondWith(() => openAIError(403, 'unsupported_country_region_territory', 'Country, region, or territory not supported'));
    const error = await failureOf(openai().complete(chat()));
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false, httpStatus: 403 });
  });

  it('a timeout is provider_unavailable', async () => {
    fake.setLatency(2000);
    const error = await failureOf(openai(KEY, { timeoutMs: 100 }).complete(chat()));
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true, requestSent: true });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('cancellation', () => {
  it('aborting mid-call rejects with cancelled and closes the connection', async () => {
    fake.setLatency(5000);
    const controller = new AbortController();
    const call = openai().complete(chat({ signal: controller.signal }));
    await fake.waitFor(() => fake.requests.length === 1);
    controller.abort();
    const error = await failureOf(call);
    expect(error).toMatchObject({ code: 'cancelled', retryable: false, requestSent: true });
    expect(error.message).toBe('Cancelled');
    await fake.waitFor(() => fake.requests[0].aborted);
    expect(fake.inFlight(KEY)).toBe(0);
    expect(fake.requests[0].status).toBeNull();
  });

  it('a signal aborted before the call never sends anything', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failureOf(openai().complete(chat({ signal: controller.signal })));
    expect(error).toMatchObject({ code: 'cancelled', requestSent: false });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('concurrency as the fake sees it', () => {
  it('counts calls in flight per key', async () => {
    fake.setLatency(100);
    const other = 'sk-proj-other0000000000000000000000000000';
    await Promise.all([openai().complete(chat()), openai().complete(chat()), openai().complete(chat()), openai(other).complete(chat())]);
    expect(fake.maxInFlight(KEY)).toBe(3);
    expect(fake.maxInFlight(other)).toBe(1);
    expect(fake.maxInFlight()).toBe(4);
    expect(fake.inFlight()).toBe(0);
  });
});

describe('openai-compatible', () => {
  it('reads a provider-reported usage.cost as integer micro-USD (rounded half up)', async () => {
    const gateway = await startFakeOpenAI({ usageCost: 0.0000125 });
    try {
      const provider = createProvider({ kind: 'openai-compatible', apiKey: 'sk-or-v1-abc', baseUrl: `${gateway.url}/`, outbound: LOCAL });
      const result = await provider.complete(chat());
      expect(result.reportedCostMicroUsd).toBe(13);
      expect((gateway.requests[0].body as Record<string, unknown>).max_tokens).toBe(64);
      expect(gateway.requests[0].path).toBe('/v1/chat/completions');
    } finally {
      await gateway.close();
    }
  });

  it('works without a key and sends no Authorization header (Ollama)', async () => {
    const provider = createProvider({ kind: 'openai-compatible', baseUrl: fake.url, outbound: LOCAL });
    const list = await provider.listModels();
    expect(list.models.length).toBeGreaterThan(0);
    const result = await provider.complete(chat());
    expect(result.text).toBe('Fake reply to: Say hello');
    expect(fake.requests.map((r) => r.authorization)).toEqual([null, null]);
    expect(list.rateLimits).toBeNull();
  });

  it('the openai kind ignores usage.cost', async () => {
    const gateway = await startFakeOpenAI({ usageCost: 0.5 });
    try {
      const result = await createProvider({ kind: 'openai', apiKey: KEY, baseUrl: gateway.url, outbound: LOCAL }).complete(chat());
      expect(result.reportedCostMicroUsd).toBeNull();
    } finally {
      await gateway.close();
    }
  });
});

describe('an unreachable provider', () => {
  it('is provider_unavailable and the request was certainly not sent', async () => {
    const port = await closedPort();
    for (const kind of ['openai', 'openai-compatible'] as const) {
      const provider = createProvider({ kind, apiKey: KEY, baseUrl: `http://127.0.0.1:${port}/v1`, outbound: LOCAL });
      const error = await failureOf(provider.complete(chat()));
      expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true, requestSent: false, httpStatus: null });
      const listError = await failureOf(provider.listModels());
      expect(listError).toMatchObject({ code: 'provider_unavailable', requestSent: false });
    }
  });
});

describe('the key stays out of sight', () => {
  it('is not visible on the provider object', () => {
    const provider = createProvider({ kind: 'openai', apiKey: KEY, baseUrl: fake.url, outbound: LOCAL });
    expect(JSON.stringify(provider)).not.toContain(KEY);
    expect(inspect(provider, { showHidden: true, depth: 10 })).not.toContain(KEY);
    expect(JSON.stringify({ ...provider })).not.toContain(KEY);
  });
});

describe('the outbound guard on provider calls', () => {
  it('refuses a private base URL unless allowed, before any request leaves: endpoint_refused, never the key', async () => {
    fake.reset();
    for (const kind of ['openai', 'openai-compatible'] as const) {
      const provider = createProvider({ kind, apiKey: KEY, baseUrl: fake.url });
      expect(await failureOf(provider.listModels())).toMatchObject({ code: 'endpoint_refused', retryable: false, requestSent: false });
      const metadata = createProvider({ kind, apiKey: KEY, baseUrl: 'http://169.254.169.254/v1', outbound: LOCAL });
      expect(await failureOf(metadata.complete(chat()))).toMatchObject({ code: 'endpoint_refused', requestSent: false });
    }
    expect(fake.requests).toEqual([]);
  });

  it('does not follow a redirect: the key never reaches where a server points', async () => {
    const target = await startFakeOpenAI();
    try {
      fake.reset();
      fake.respondWith(() => ({ status: 307, headers: { location: `${target.url}/models` } }));
      const error = await failureOf(createProvider({ kind: 'openai', apiKey: KEY, baseUrl: fake.url, outbound: LOCAL }).listModels());
      expect(error.code).toBe('provider_rejected');
      expect(fake.requests.map((r) => r.key)).toEqual([KEY]);
      expect(target.requests).toEqual([]);
    } finally {
      fake.respondWith(null);
      await target.close();
    }
  });
});
