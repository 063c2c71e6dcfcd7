// The azure-openai adapter through the real openai SDK's AzureOpenAI client, against the local fake Azure resource.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { AzureOpenAI } from 'openai';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../../../test/support/fake-azure-openai.js';
import { AZURE_DEPLOYMENTS_API_VERSION, AZURE_OPENAI_DEFAULT_API_VERSION, createProvider, ProviderError, type ChatRequest } from '../src/index.js';

const KEY = '0123456789abcdef0123456789abcdef';
const LOCAL = { allowPrivate: true };

let fake: FakeAzureOpenAI;
beforeAll(async () => {
  fake = await startFakeAzureOpenAI();
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
});

const azure = (apiKey: string = KEY, extra: { apiVersion?: string; baseUrl?: string } = {}) =>
  createProvider({ kind: 'azure-openai', apiKey, baseUrl: extra.baseUrl ?? fake.url, apiVersion: extra.apiVersion, outbound: LOCAL });
const chat = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'prod-chat',
  messages: [{ role: 'user', content: 'Say hello' }],
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

describe('the fake speaks Azure OpenAI (checked with the official SDK directly)', () => {
  it('serves AzureOpenAI({ endpoint, apiVersion, deployment })', async () => {
    const client = new AzureOpenAI({ endpoint: fake.url, apiKey: KEY, apiVersion: '2024-10-21', deployment: 'gpt-4o-mini', maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: '', messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0]!.message.content).toBe('Fake reply to: Hi');
    expect(fake.requests[0]!.path).toBe('/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21');
    expect(fake.requests[0]!.headers['api-key']).toBe(KEY);
  });
});

describe('verify: list deployments', () => {
  it('lists the deployments that can serve calls, with the x-ratelimit limits', async () => {
    const list = await azure().listModels();
    expect(list.models).toEqual(['gpt-4o-mini', 'prod-chat']);
    expect(list.malformed).toBe(false);
    expect(fake.requests[0]!.path).toBe(`/openai/deployments?api-version=${AZURE_DEPLOYMENTS_API_VERSION}`);
    expect(list.rateLimits).toMatchObject({ requests: { limit: 60, remaining: 59 }, tokens: { limit: 10_000 } });
    expect(list.providerRequestId).toBe(fake.requests[0]!.requestId);
  });

  it('accepts the endpoint pasted with /openai or /openai/v1', async () => {
    await azure(KEY, { baseUrl: `${fake.url}/openai/v1/` }).listModels();
    expect(fake.requests[0]!.pathname).toBe('/openai/deployments');
  });
});

describe('complete', () => {
  it('calls the deployment with the api-version and reports the model behind it', async () => {
    const result = await azure().complete(chat());
    expect(result).toMatchObject({ text: 'Fake reply to: Say hello', model: 'gpt-4o-2024-07-18', finishReason: 'stop' });
    expect(fake.requests[0]!.path).toBe(`/openai/deployments/prod-chat/chat/completions?api-version=${AZURE_OPENAI_DEFAULT_API_VERSION}`);
    expect(fake.requests[0]!.body).toMatchObject({ max_completion_tokens: 64 });
    expect(result.rateLimits?.tokens?.limit).toBe(10_000);
    expect(result.providerRequestId).toBe(fake.requests[0]!.requestId);
  });

  it('uses the account\'s api-version (max_tokens before 2024-09-01)', async () => {
    await azure(KEY, { apiVersion: '2024-06-01' }).complete(chat());
    expect(fake.requests[0]!.query['api-version']).toBe('2024-06-01');
    expect(fake.requests[0]!.body).toMatchObject({ max_tokens: 64 });
  });

  it('asks for a JSON Schema output with response_format', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false };
    const result = await azure().complete(chat({ jsonSchema: { name: 'check', schema } }));
    expect(JSON.parse(result.text)).toEqual({ ok: true });
  });
});

describe("Azure's errors and throttling", () => {
  it.each([
    ['invalid0000000000000000000000000', 'invalid_api_key', 401],
    ['ratelimit000000000000000000000000', 'rate_limited', 429],
    ['filtered0000000000000000000000000', 'content_blocked', 400],
    ['toolong00000000000000000000000000', 'context_length_exceeded', 400],
    ['broken000000000000000000000000000', 'provider_unavailable', 500],
  ])('%s → %s', async (key, code, status) => {
    const error = await failureOf(azure(key).complete(chat()));
    expect(error).toMatchObject({ code, httpStatus: status });
    // retry-after-ms wins over retry-after.
    if (code === 'rate_limited') expect(error.retryAfterMs).toBe(1500);
    expect(fake.requests).toHaveLength(1);
  });

  it('an unknown deployment is model_not_found (DeploymentNotFound); a filtered answer is content_blocked', async () => {
    expect((await failureOf(azure().complete(chat({ model: 'nope' })))).code).toBe('model_not_found');
    expect((await failureOf(azure('filterout000000000000000000000000').complete(chat()))).code).toBe('content_blocked');
  });
});
