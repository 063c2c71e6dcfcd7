// The gemini adapter through the real @google/genai SDK, against the local fake Gemini API.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GoogleGenAI } from '@google/genai';
import { inspect } from 'node:util';
import { googleError, startFakeGemini, type FakeGemini } from '../../../test/support/fake-gemini.js';
import { createProvider, estimateRequestPromptTokens, type GeminiProvider, ProviderError, type ChatRequest } from '../src/index.js';

const KEY = 'AIzaSyIntegration000000000000000000abcd';
const LOCAL = { allowPrivate: true };

let fake: FakeGemini;
beforeAll(async () => {
  fake = await startFakeGemini({ modelsPageSize: 2 });
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
});

const gemini = (apiKey: string = KEY, extra: { timeoutMs?: number } = {}) => createProvider({ kind: 'gemini', apiKey, baseUrl: fake.url, outbound: LOCAL, ...extra });
const chat = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gemini-2.5-flash',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Say hello' },
  ],
  maxOutputTokens: 64,
  temperature: 0.2,
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

describe('the fake speaks Gemini (checked with the official SDK directly)', () => {
  it('answers generateContent as the SDK expects, key in x-goog-api-key', async () => {
    const ai = new GoogleGenAI({ vertexai: false, apiKey: KEY, httpOptions: { baseUrl: fake.url } });
    const response = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(response.candidates?.[0]?.content?.parts?.[0]?.text).toBe('Fake reply to: Hi');
    expect(fake.requests[0]!.headers['x-goog-api-key']).toBe(KEY);
    expect(fake.requests[0]!.pathname).toMatch(/^\/v1(beta)?\/models\/gemini-2\.5-flash:generateContent$/);
  });
});

describe('verify: list models', () => {
  it('lists every page, keeps the models that can generate content, without models/', async () => {
    const list = await gemini().listModels();
    expect(list).toEqual({ models: ['gemini-2.5-flash', 'gemini-2.5-pro'], malformed: false, rateLimits: null, providerRequestId: null });
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.query.pageToken).toBeTruthy();
  });
});

describe('complete', () => {
  it('calls v1beta, whatever GOOGLE_GENAI_API_VERSION says', async () => {
    await gemini().complete(chat());
    expect(fake.requests[0]!.pathname).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
  });

  it('sends systemInstruction and the generation settings, and reads usageMetadata', async () => {
    const result = await gemini().complete(chat());
    expect(result).toMatchObject({ text: 'Fake reply to: Say hello', model: 'gemini-2.5-flash', finishReason: 'stop', rateLimits: null, reportedCostMicroUsd: null });
    const body = fake.requests[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 64, temperature: 0.2 },
    });
    expect(result.usage!.inputTokens).toBeGreaterThan(0);
    expect(result.providerRequestId).toEqual(expect.any(String));
    expect(result.firstByteMs).not.toBeNull();
  });

  it('asks for JSON with responseJsonSchema', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    const result = await gemini().complete(chat({ jsonSchema: { name: 'n', schema } }));
    expect(JSON.parse(result.text)).toEqual({ n: 1 });
    expect((fake.requests[0]!.body as { generationConfig: unknown }).generationConfig).toMatchObject({ responseMimeType: 'application/json', responseJsonSchema: schema });
  });

  it('bills thinking tokens as output', async () => {
    const thinking = await startFakeGemini({ thoughtsTokens: 40 });
    try {
      const result = await createProvider({ kind: 'gemini', apiKey: KEY, baseUrl: thinking.url, outbound: LOCAL }).complete(chat());
      const plain = await gemini().complete(chat());
      expect(result.usage!.outputTokens).toBe(plain.usage!.outputTokens + 40);
    } finally {
      await thinking.close();
    }
  });

  it('holds at least what the provider counts', async () => {
    const request = chat({ jsonSchema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } } } } });
    const result = await gemini().complete(request);
    expect(estimateRequestPromptTokens('gemini', request.model, request).tokens).toBeGreaterThanOrEqual(result.usage!.inputTokens);
  });

  it('maps safety blocks — of the prompt and of the answer — to content_blocked', async () => {
    expect(await failureOf(gemini('AIzaSyblocked0000000000000000000000000').complete(chat()))).toMatchObject({ code: 'content_blocked', httpStatus: 200, retryable: false });
    expect((await failureOf(gemini('AIzaSyunsafe00000000000000000000000000').complete(chat()))).code).toBe('content_blocked');
  });
});

describe('streaming', () => {
  it('yields text as it arrives and returns the result with usage from the last chunk', async () => {
    const stream = (gemini() as GeminiProvider).stream(chat({ messages: [{ role: 'user', content: 'one two three' }] }));
    const pieces: string[] = [];
    let next = await stream.next();
    while (!next.done) {
      pieces.push(next.value);
      next = await stream.next();
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(next.value).toMatchObject({ text: 'Fake reply to: one two three', finishReason: 'stop' });
    expect(next.value.usage!.outputTokens).toBeGreaterThan(1);
    expect(fake.requests[0]!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });
});

describe('errors on the taxonomy', () => {
  it.each([
    ['AIzaSyinvalid', 'invalid_api_key', 'invalid_key'],
    ['AIzaSydenied', 'provider_rejected', null],
    ['AIzaSyratelimit', 'rate_limited', 'rate_limited'],
    ['AIzaSybilling', 'insufficient_quota', 'quota_exhausted'],
    ['AIzaSynomodel', 'model_not_found', null],
    ['AIzaSytoolong', 'context_length_exceeded', null],
    ['AIzaSyoverloaded', 'provider_unavailable', null],
    ['AIzaSybroken', 'provider_unavailable', null],
  ])('%s → %s', async (key, code, accountStatus) => {
    const error = await failureOf(gemini(key).complete(chat()));
    expect(error).toMatchObject({ code, accountStatus, requestSent: true });
    if (code === 'rate_limited') expect(error.retryAfterMs).toBe(2000);
    expect(fake.requests).toHaveLength(1);
  });

  it('an unknown model is model_not_found; the body text never survives', async () => {
    expect((await failureOf(gemini().complete(chat({ model: 'gemini-9' })))).code).toBe('model_not_found');
    fake.enqueue(googleError(400, 'INVALID_ARGUMENT', `API key not valid: ${KEY}`, [{ reason: 'API_KEY_INVALID' }]));
    const error = await failureOf(gemini().listModels());
    expect(error.code).toBe('invalid_api_key');
    expect(inspect(error, { showHidden: true, depth: Infinity })).not.toContain(KEY.slice(-8));
  });

  it('refuses a private address unless allowed', async () => {
    expect(await failureOf(createProvider({ kind: 'gemini', apiKey: KEY, baseUrl: fake.url }).listModels())).toMatchObject({ code: 'endpoint_refused', requestSent: false });
    expect(fake.requests).toEqual([]);
  });

  it('a timeout is provider_unavailable (retried), an abort cancelled', async () => {
    fake.setLatency(5_000);
    expect(await failureOf(gemini(KEY, { timeoutMs: 50 }).complete(chat()))).toMatchObject({ code: 'provider_unavailable', requestSent: true });
  });

  it('an abort is cancelled', async () => {
    fake.setLatency(5_000);
    const controller = new AbortController();
    const pending = gemini().complete(chat({ signal: controller.signal }));
    await fake.waitFor(() => fake.requests.length === 1);
    controller.abort();
    expect((await failureOf(pending)).code).toBe('cancelled');
  });
});
