/**
 * Through the gateway (issue 13): the official `openai` SDK on Anthropic and Gemini targets (translated both ways,
 * streamed and not, the budget and the record showing exactly the fake's usage, cache writes priced apart), a route
 * falling back from an overloaded Anthropic target to an OpenAI one, endpoints a kind cannot serve refused with a
 * clear 400; and `@anthropic-ai/sdk` on `POST /v1/messages` — natively on an Anthropic target, translated on the mock
 * and OpenAI targets — with its errors (401, 429, an exhausted budget not retried) in Anthropic's shape.
 */
import { randomBytes } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { priceFor, usageCostMicroUsd } from '@vaultrun/providers';
import OpenAI from 'openai';
import { as, seedWorkspace, type SeededWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';
import { type FakeAnthropic, startFakeAnthropic } from '../../../test/support/fake-anthropic.js';
import { type FakeGemini, startFakeGemini } from '../../../test/support/fake-gemini.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { gatewayClient, inferenceToken } from '../../../test/support/gateway.js';
import { budgetPeriod, insertBudget } from '../../../test/support/money.js';
import { eventually } from '../../../test/support/runs.js';

const hex = (n = 8) => randomBytes(n).toString('hex');
/** The fake answers this key with a 401 that echoes its tail: none of it may reach the app or the record. */
const REVOKED_KEY = `sk-ant-api03-invalid-${hex(16)}`;

describe('gateway: Anthropic and Gemini targets, and /v1/messages', () => {
  let api: TestApi;
  let anthropic: FakeAnthropic;
  let gemini: FakeGemini;
  let openai: FakeOpenAI;
  let ws: SeededWorkspace;
  let owner: Session;
  let token: { id: string; token: string };
  let client: OpenAI;
  const accounts: Record<string, { id: string; name: string }> = {};

  beforeAll(async () => {
    [anthropic, gemini, openai] = await Promise.all([startFakeAnthropic({ cacheReadTokens: 4, cacheWriteTokens: 6 }), startFakeGemini(), startFakeOpenAI()]);
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    for (const [name, kind, baseUrl, apiKey, defaultModel] of [
      ['Claude', 'anthropic', anthropic.url, `sk-ant-api03-test-${hex(16)}`, 'claude-haiku-4-5'],
      ['ClaudeBusy', 'anthropic', anthropic.url, `sk-ant-api03-overloaded-${hex(16)}`, 'claude-haiku-4-5'],
      ['ClaudeLimited', 'anthropic', anthropic.url, `sk-ant-api03-ratelimit-${hex(16)}`, 'claude-haiku-4-5'],
      ['Gem', 'gemini', gemini.url, `AIzaSyTest${hex(12)}`, 'gemini-2.5-flash'],
      ['ClaudeRevoked', 'anthropic', anthropic.url, REVOKED_KEY, 'claude-haiku-4-5'],
      ['ClaudeMid', 'anthropic', anthropic.url, `sk-ant-api03-midstream-${hex(16)}`, 'claude-haiku-4-5'],
      ['Gpt', 'openai', openai.url, `sk-proj-translate-${hex(16)}`, 'gpt-4o-mini'],
    ] as const) {
      const res = await as(owner).post('/api/v1/provider-accounts', { name, kind, baseUrl, apiKey, defaultModel, verify: false });
      expect([name, res.status, res.body.detail]).toEqual([name, 201, undefined]);
      accounts[name] = { id: res.body.id, name };
    }
    token = await inferenceToken(owner);
    client = gatewayClient(api.url, token.token, { maxRetries: 0 });
  });
  afterEach(() => {
    anthropic.reset();
    gemini.reset();
    openai.reset();
  });
  afterAll(async () => {
    await api?.close();
    await Promise.all([anthropic?.close(), gemini?.close(), openai?.close()]);
  });

  const recordOf = (id: string | null) =>
    eventually(
      () => as(owner).get(`/api/v1/runs/${id}`).then((r) => r.body),
      (r) => ['succeeded', 'failed', 'cancelled', 'blocked'].includes(r.status),
      `record ${id}`,
    );
  const accountBudget = (account: string) => insertBudget(api.db, ws.id, { capMicroUsd: 100_000_000, name: `${account} budget ${hex(3)}`, scope: { type: 'account', id: accounts[account]!.id } });
  const anthropicSdk = (apiKey: string, options: { maxRetries?: number; fetch?: typeof fetch } = {}) =>
    new Anthropic({ baseURL: api.url, apiKey, authToken: null, maxRetries: options.maxRetries ?? 0, ...(options.fetch ? { fetch: options.fetch } : {}) });

  describe('the openai SDK on translated targets', () => {
    it('Anthropic: chat and stream translate both ways; record and budget are exactly the fake\'s usage, cache reads and writes priced apart', async () => {
      const budget = await accountBudget('Claude');
      const { data, response } = await client.chat.completions
        .create({ model: 'Claude/claude-haiku-4-5', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello Claude' }], max_tokens: 100 })
        .withResponse();
      expect(data.choices[0]!.message.content).toBe('Fake reply to: Hello Claude');
      expect(data.choices[0]!.finish_reason).toBe('stop');
      expect((anthropic.requests[0]!.body as { system: string }).system).toBe('Be brief.');
      expect([response.headers.get('x-vaultrun-account'), response.headers.get('x-vaultrun-model')]).toEqual(['Claude', 'claude-haiku-4-5']);
      const usage = data.usage as OpenAI.CompletionUsage & { cache_creation_input_tokens: number };
      expect([usage.prompt_tokens_details?.cached_tokens, usage.cache_creation_input_tokens]).toEqual([4, 6]);
      const run = await recordOf(response.headers.get('x-vaultrun-request-id'));
      const expected = usageCostMicroUsd(priceFor('anthropic', 'claude-haiku-4-5')!.price, { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, cachedInputTokens: 4, cacheWriteInputTokens: 6 });
      expect(run).toMatchObject({
        kind: 'gateway',
        status: 'succeeded',
        accountId: accounts.Claude!.id,
        usage: { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, cachedInputTokens: 4 },
        costMicroUsd: expected,
        costLabel: 'estimated',
        providerRequestId: anthropic.requests[0]!.requestId,
        gateway: { endpoint: 'chat.completions', usageSource: 'provider' },
      });

      const stream = await client.chat.completions.create({ model: 'Claude/claude-haiku-4-5', messages: [{ role: 'user', content: 'Stream to me' }], stream: true, stream_options: { include_usage: true } }).withResponse();
      let text = '';
      let streamed: OpenAI.CompletionUsage | null = null;
      for await (const chunk of stream.data) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) streamed = chunk.usage;
      }
      expect(text).toBe('Fake reply to: Stream to me');
      const streamRun = await recordOf(stream.response.headers.get('x-vaultrun-request-id'));
      expect(streamRun).toMatchObject({ usage: { inputTokens: streamed!.prompt_tokens, outputTokens: streamed!.completion_tokens, cachedInputTokens: 4 }, gateway: { stream: true, usageSource: 'provider' } });
      expect(streamRun.costMicroUsd).toBe(usageCostMicroUsd(priceFor('anthropic', 'claude-haiku-4-5')!.price, { inputTokens: streamed!.prompt_tokens, outputTokens: streamed!.completion_tokens, cachedInputTokens: 4, cacheWriteInputTokens: 6 }));
      await eventually(() => budgetPeriod(api.db, budget), (p) => p.held === 0, 'holds settled');
      expect((await budgetPeriod(api.db, budget)).spent).toBe(run.costMicroUsd + streamRun.costMicroUsd);
    });

    it('Gemini: chat and a streamed tool call; record and budget are exactly the fake\'s usage', async () => {
      const budget = await accountBudget('Gem');
      const { data, response } = await client.chat.completions.create({ model: 'Gem/gemini-2.5-flash', messages: [{ role: 'user', content: 'Hello Gemini' }] }).withResponse();
      expect(data.choices[0]!.message.content).toBe('Fake reply to: Hello Gemini');
      const run = await recordOf(response.headers.get('x-vaultrun-request-id'));
      expect(run).toMatchObject({ status: 'succeeded', usage: { inputTokens: data.usage!.prompt_tokens, outputTokens: data.usage!.completion_tokens } });
      const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } }];
      const stream = await client.chat.completions.create({ model: 'Gem/gemini-2.5-flash', messages: [{ role: 'user', content: 'Look it up' }], tools, tool_choice: 'required', stream: true }).withResponse();
      const calls: { name?: string; arguments?: string }[] = [];
      let finish: string | null = null;
      let sawUsage = false;
      for await (const chunk of stream.data) {
        for (const c of chunk.choices[0]?.delta.tool_calls ?? []) calls.push({ ...c.function });
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) sawUsage = true;
      }
      // The client did not ask for usage: Vaultrun asked for it, read it, and left the chunk out.
      expect(sawUsage).toBe(false);
      expect(calls[0]!.name).toBe('lookup');
      expect(JSON.parse(calls.map((c) => c.arguments ?? '').join(''))).toEqual({ q: expect.any(String) });
      expect(finish).toBe('tool_calls');
      const streamRun = await recordOf(stream.response.headers.get('x-vaultrun-request-id'));
      expect(streamRun).toMatchObject({ status: 'succeeded', gateway: { stream: true, usageSource: 'provider' } });
      expect(streamRun.usage.outputTokens).toBeGreaterThan(0);
      await eventually(() => budgetPeriod(api.db, budget), (p) => p.held === 0, 'holds settled');
      expect((await budgetPeriod(api.db, budget)).spent).toBe(run.costMicroUsd + streamRun.costMicroUsd);
    });

    it('a route falls back from an overloaded Anthropic target (529) to an OpenAI target', async () => {
      const created = await as(owner).post('/api/v1/gateway/routes', { name: 'claude-first', targets: [{ accountId: accounts.ClaudeBusy!.id, model: 'claude-haiku-4-5' }, { accountId: accounts.Gpt!.id, model: 'gpt-4o-mini' }] });
      expect(created.status).toBe(201);
      const { data, response } = await client.chat.completions.create({ model: 'claude-first', messages: [{ role: 'user', content: 'Anyone there?' }] }).withResponse();
      expect(data.choices[0]!.message.content).toBe('Fake reply to: Anyone there?');
      expect([response.headers.get('x-vaultrun-account'), response.headers.get('x-vaultrun-model')]).toEqual(['Gpt', 'gpt-4o-mini']);
      expect(anthropic.requests).toHaveLength(1);
      const run = await recordOf(response.headers.get('x-vaultrun-request-id'));
      expect(run).toMatchObject({ status: 'succeeded', accountId: accounts.Gpt!.id, gateway: { attempts: 2, requestedModel: 'claude-first' } });
    });

    it('an endpoint the kind cannot serve is a 400 naming what it serves, before anything is sent', async () => {
      const err = (await client.responses.create({ model: 'Claude/claude-haiku-4-5', input: 'x' }).then(() => null, (e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect([err.status, err.code, err.param]).toEqual([400, 'unsupported_by_provider', 'model']);
      expect(err.message).toContain('/v1/chat/completions');
      const emb = (await client.embeddings.create({ model: 'Gem/gemini-2.5-flash', input: 'x' }).then(() => null, (e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect([emb.status, emb.code]).toEqual([400, 'unsupported_by_provider']);
      expect(anthropic.requests.length + gemini.requests.length).toBe(0);
    });
  });

  it('a stored key the provider refuses: 502 upstream_auth_failed on both APIs, and the key (or its tail) is nowhere in the answers or the record', async () => {
    const chat = (await client.chat.completions.create({ model: 'ClaudeRevoked/claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] }).then(() => null, (e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect([chat.status, chat.code]).toEqual([502, 'upstream_auth_failed']);
    // The account is now invalid_key: a second call fails fast, without reaching Anthropic.
    await eventually(() => api.db.query(`SELECT status FROM provider_accounts WHERE id = $1`, [accounts.ClaudeRevoked!.id]), (rows: { status: string }[]) => rows[0]?.status === 'invalid_key', 'account marked invalid_key');
    const messages = (await anthropicSdk(token.token).messages.create({ model: 'ClaudeRevoked/claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).then(() => null, (e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(messages.status).toBe(502);
    expect(messages.error).toMatchObject({ type: 'error', error: { type: 'api_error', code: 'upstream_auth_failed' } });
    expect(anthropic.requests.filter((r) => r.key === REVOKED_KEY)).toHaveLength(1);
    const run = await recordOf(chat.headers?.get('x-vaultrun-request-id') ?? null);
    for (const text of [JSON.stringify(chat.error), chat.message, JSON.stringify(messages.error), JSON.stringify(run)]) {
      expect(text).not.toContain(REVOKED_KEY);
      expect(text).not.toContain(REVOKED_KEY.slice(-6));
    }
  });

  it('an overloaded error event mid-stream: both SDKs raise it, and the record is failed, never succeeded', async () => {
    const chat = await client.chat.completions.create({ model: 'ClaudeMid/claude-haiku-4-5', messages: [{ role: 'user', content: 'Break midway please' }], stream: true }).withResponse();
    let text = '';
    const chatError = await (async () => {
      for await (const chunk of chat.data) text += chunk.choices[0]?.delta.content ?? '';
    })().then(() => null, (e: unknown) => e);
    expect(chatError).toBeInstanceOf(OpenAI.APIError);
    expect(text).toBe('Fake reply to: Break midway please');
    expect(await recordOf(chat.response.headers.get('x-vaultrun-request-id'))).toMatchObject({ status: 'failed', error: { code: 'provider_unavailable' } });

    const stream = anthropicSdk(token.token).messages.stream({ model: 'ClaudeMid/claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Break natively' }] });
    const nativeError = await stream.finalMessage().then(() => null, (e: unknown) => e);
    expect(nativeError).toBeInstanceOf(Anthropic.APIError);
    const run = await recordOf((await stream.withResponse()).response.headers.get('x-vaultrun-request-id'));
    expect(run).toMatchObject({ status: 'failed', error: { code: 'provider_unavailable' }, gateway: { endpoint: 'messages', stream: true } });
    // What streamed before the error counts as output (message_start had reported 1).
    expect(run.usage.outputTokens).toBeGreaterThan(1);
  });

  describe('@anthropic-ai/sdk on POST /v1/messages', () => {
    it('on an Anthropic target: create, stream with finalMessage(), tool use — forwarded natively, recorded with the fake\'s usage', async () => {
      const sdk = anthropicSdk(token.token);
      const { data: message, response } = await sdk.messages.create({ model: 'Claude/claude-haiku-4-5', max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello natively' }] }).withResponse();
      expect(message.content).toEqual([{ type: 'text', text: 'Fake reply to: Hello natively', citations: null }]);
      expect(message.usage).toMatchObject({ cache_read_input_tokens: 4, cache_creation_input_tokens: 6 });
      // Forwarded as sent: only the model is the provider's.
      expect(anthropic.requests[0]!.body).toEqual({ model: 'claude-haiku-4-5', max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello natively' }] });
      const run = await recordOf(response.headers.get('x-vaultrun-request-id'));
      expect(run).toMatchObject({
        status: 'succeeded',
        usage: { inputTokens: message.usage.input_tokens + 4 + 6, outputTokens: message.usage.output_tokens, cachedInputTokens: 4 },
        gateway: { endpoint: 'messages', stream: false },
      });

      const stream = sdk.messages.stream({ model: 'Claude/claude-haiku-4-5', max_tokens: 200, messages: [{ role: 'user', content: 'Stream natively' }] });
      const final = await stream.finalMessage();
      expect(final.content[0]).toMatchObject({ type: 'text', text: 'Fake reply to: Stream natively' });
      const streamRun = await recordOf((await stream.withResponse()).response.headers.get('x-vaultrun-request-id'));
      expect(streamRun).toMatchObject({ usage: { inputTokens: final.usage.input_tokens + 4 + 6, outputTokens: final.usage.output_tokens }, gateway: { endpoint: 'messages', stream: true, usageSource: 'provider' } });

      const tool = await sdk.messages.create({
        model: 'Claude/claude-haiku-4-5',
        max_tokens: 200,
        messages: [{ role: 'user', content: 'Weather?' }],
        tools: [{ name: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
        tool_choice: { type: 'any' },
      });
      expect(tool.stop_reason).toBe('tool_use');
      expect(tool.content[0]).toMatchObject({ type: 'tool_use', name: 'weather', input: { city: expect.any(String) } });

      // count_tokens: Anthropic's own count on an Anthropic target (not a model call: no record), an estimate elsewhere.
      anthropic.reset();
      const counted = await sdk.messages.countTokens({ model: 'Claude/claude-haiku-4-5', messages: [{ role: 'user', content: 'Count these words please' }] });
      expect(anthropic.requests.map((r) => [r.pathname, (r.body as { model: string }).model])).toEqual([['/v1/messages/count_tokens', 'claude-haiku-4-5']]);
      expect(counted.input_tokens).toBeGreaterThan(0);
      const estimated = await sdk.messages.countTokens({ model: 'mock-fast', messages: [{ role: 'user', content: 'Count these words please' }] });
      expect(estimated.input_tokens).toBeGreaterThan(0);
      expect(anthropic.requests).toHaveLength(1);
    });

    it('on the mock and an OpenAI target: translated, streamed, tool use, recorded', async () => {
      const sdk = anthropicSdk(token.token);
      const { data: message, response } = await sdk.messages.create({ model: 'mock-fast', max_tokens: 100, messages: [{ role: 'user', content: 'Hello mock' }] }).withResponse();
      expect(message).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn', content: [{ type: 'text', text: expect.stringContaining('Hello mock') }] });
      const run = await recordOf(response.headers.get('x-vaultrun-request-id'));
      expect(run).toMatchObject({ status: 'succeeded', accountId: ws.mockAccountId, usage: { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens }, gateway: { endpoint: 'messages' } });

      const stream = sdk.messages.stream({ model: 'mock-fast', max_tokens: 100, messages: [{ role: 'user', content: 'Stream mock' }] });
      const texts: string[] = [];
      stream.on('text', (t) => texts.push(t));
      const final = await stream.finalMessage();
      expect(texts.length).toBeGreaterThan(0);
      expect(final.content[0]).toMatchObject({ type: 'text', text: texts.join('') });
      expect(final.usage.output_tokens).toBeGreaterThan(0);
      const streamRun = await recordOf((await stream.withResponse()).response.headers.get('x-vaultrun-request-id'));
      expect(streamRun).toMatchObject({ usage: { inputTokens: final.usage.input_tokens, outputTokens: final.usage.output_tokens }, gateway: { stream: true, usageSource: 'provider' } });

      openai.respondWith(() => ({
        status: 200,
        body: {
          id: 'chatcmpl-tooluse',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4o-mini',
          choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_7', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] }, finish_reason: 'tool_calls' }],
          usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
        },
      }));
      const tool = await sdk.messages.create({
        model: 'Gpt/gpt-4o-mini',
        max_tokens: 100,
        system: [{ type: 'text', text: 'Use tools.' }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather?' }] }],
        tools: [{ name: 'weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
        tool_choice: { type: 'any' },
      });
      expect(openai.requests[0]!.body).toMatchObject({
        model: 'gpt-4o-mini',
        max_completion_tokens: 100,
        messages: [{ role: 'system', content: 'Use tools.' }, { role: 'user', content: 'Weather?' }],
        tools: [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
        tool_choice: 'required',
      });
      expect(tool).toMatchObject({ stop_reason: 'tool_use', content: [{ type: 'tool_use', id: 'call_7', name: 'weather', input: { city: 'Oslo' } }], usage: { input_tokens: 20, output_tokens: 5 } });
    });

    it('errors in Anthropic\'s shape: 401 for a bad token, 429 with retry-after from a rate-limited target, 402 for an exhausted budget, not retried', async () => {
      const bad = await anthropicSdk('vr_not-a-token').messages.create({ model: 'mock-fast', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).then(() => null, (e: unknown) => e);
      expect(bad).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((bad as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) } });
      // The bearer form (the SDK's authToken) works as well as x-api-key.
      const bearer = new Anthropic({ baseURL: api.url, apiKey: null, authToken: token.token, maxRetries: 0 });
      expect((await bearer.messages.create({ model: 'mock-fast', max_tokens: 10, messages: [{ role: 'user', content: 'bearer' }] })).type).toBe('message');

      const limited = (await anthropicSdk(token.token).messages.create({ model: 'ClaudeLimited/claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).then(() => null, (e: unknown) => e)) as InstanceType<
        typeof Anthropic.APIError
      >;
      expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
      expect(limited.headers?.get('retry-after')).toBe('2');
      expect(limited.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });

      const spender = await inferenceToken(owner);
      const budget = await insertBudget(api.db, ws.id, { capMicroUsd: 1, name: 'Messages cap', scope: { type: 'token', id: spender.id } });
      let requests = 0;
      const counting = anthropicSdk(spender.token, {
        maxRetries: 2,
        fetch: (input, init) => {
          requests++;
          return fetch(input, init);
        },
      });
      const blocked = (await counting.messages.create({ model: 'Claude/claude-haiku-4-5', max_tokens: 1000, messages: [{ role: 'user', content: 'Spend it' }] }).then(() => null, (e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
      expect(blocked.status).toBe(402);
      expect(blocked.error).toMatchObject({ type: 'error', error: { type: 'billing_error', code: 'budget_exceeded', message: expect.stringContaining('Messages cap') } });
      expect(requests).toBe(1);
      expect(anthropic.requests.filter((r) => r.key?.includes('test'))).toHaveLength(0);
      await api.db.query(`DELETE FROM budgets WHERE id = $1`, [budget]);
    });
  });
});
