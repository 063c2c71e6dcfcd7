/**
 * The OpenAI-compatible gateway through the official `openai` SDK, pointed at Vaultrun's base URL with a Vaultrun
 * token, against the mock provider and the local fake OpenAI server: every endpoint, streamed and not, pass-through
 * of what Vaultrun does not need to read (tools, structured output), aborts, records, and money settled exactly to
 * what the provider reported.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { as, cookieOf, seedWorkspace, type SeededWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';
import { gatewayClient, inferenceToken } from '../../../test/support/gateway.js';
import { sseEvent } from '../../../test/support/fake-openai-gateway.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { budgetPeriod, insertBudget } from '../../../test/support/money.js';
import { eventually } from '../../../test/support/runs.js';

describe('gateway: the openai SDK against Vaultrun', () => {
  let api: TestApi;
  let fake: FakeOpenAI;
  let ws: SeededWorkspace;
  let owner: Session;
  let token: { id: string; token: string };
  let client: OpenAI;
  const LIVE = 'Live';
  const KEY = 'sk-proj-gateway-live-0000000000000000000000001';

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    const account = await as(owner).post('/api/v1/provider-accounts', { name: LIVE, kind: 'openai', baseUrl: fake.url, apiKey: KEY, defaultModel: 'gpt-4o-mini', verify: false });
    expect(account.status).toBe(201);
    token = await inferenceToken(owner);
    client = gatewayClient(api.url, token.token, { maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  /** Runs `fn` under a budget that is removed afterwards, whatever happens. */
  async function withBudget<T>(options: Parameters<typeof insertBudget>[2], fn: (budgetId: string) => Promise<T>): Promise<T> {
    const budget = await insertBudget(api.db, ws.id, options);
    try {
      return await fn(budget);
    } finally {
      await api.db.query(`DELETE FROM budgets WHERE id = $1`, [budget]);
    }
  }

  /** The call's record, once its final write (after the last byte) is in. */
  const recordOf = (id: string | null, statuses = ['succeeded', 'failed', 'cancelled', 'blocked']) =>
    eventually(
      () => as(owner).get(`/api/v1/runs/${id}`).then((r) => r.body),
      (r) => statuses.includes(r.status),
      `record ${id}`,
    );

  describe('on the mock provider (no key needed)', () => {
    it('chat: answers like OpenAI, names the account and model, records the call with its usage and estimated cost', async () => {
      const { data, response } = await client.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'Hello gateway' }] }).withResponse();
      expect(data.object).toBe('chat.completion');
      expect(data.choices[0]!.message.content).toContain('Hello gateway');
      expect([response.headers.get('x-vaultrun-account'), response.headers.get('x-vaultrun-model')]).toEqual(['Mock provider', 'mock-fast']);
      const run = await recordOf(response.headers.get('x-vaultrun-request-id'));
      expect(run).toMatchObject({
        kind: 'gateway',
        status: 'succeeded',
        accountId: ws.mockAccountId,
        model: 'mock-fast',
        costLabel: 'estimated',
        startedBy: { type: 'token', id: token.id },
        usage: { inputTokens: data.usage!.prompt_tokens, outputTokens: data.usage!.completion_tokens },
        gateway: { endpoint: 'chat.completions', stream: false, requestedModel: 'mock-fast', attempts: 1, usageSource: 'provider', clientDisconnected: false },
      });
      // The mock counts with the estimator's tokenizer: what was held for the prompt is what it reported.
      expect(run.promptTokensHeld).toBe(data.usage!.prompt_tokens);
      expect(run.costMicroUsd).toBeGreaterThanOrEqual(0);
      expect(run.gateway.ttfbMs).toEqual(expect.any(Number));
      expect(run.gateway.totalMs).toBeGreaterThanOrEqual(run.gateway.ttfbMs);
      // Metadata only by default: prompts and outputs are not kept.
      expect([run.input, run.output]).toEqual(['', null]);
    });

    it('streams chat; the usage chunk reaches only a client that asked for it, and the record has the usage either way', async () => {
      const plain = await client.chat.completions.create({ model: 'mock-smart', messages: [{ role: 'user', content: 'Stream please' }], stream: true });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of plain) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(3);
      expect(chunks.some((c) => c.usage)).toBe(false);
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      expect(text).toContain('Stream please');

      const withUsage = await client.chat.completions.create({ model: 'mock-smart', messages: [{ role: 'user', content: 'Stream please' }], stream: true, stream_options: { include_usage: true } });
      let usage: OpenAI.CompletionUsage | null | undefined = null;
      for await (const chunk of withUsage) usage = chunk.usage ?? usage;
      expect(usage?.completion_tokens).toBeGreaterThan(0);
      const runs = await eventually(
        () => as(owner).get(`/api/v1/runs?kind=gateway&tokenId=${token.id}&limit=2`).then((r) => r.body.items),
        (items: any[]) => items.length === 2 && items.every((r) => r.status === 'succeeded'),
        'stream records',
      );
      for (const r of runs) expect(r).toMatchObject({ usage: { inputTokens: usage!.prompt_tokens, outputTokens: usage!.completion_tokens }, gateway: { stream: true, usageSource: 'provider' } });
    });

    it('responses, plain and streamed, and embeddings', async () => {
      const r = await client.responses.create({ model: 'mock-fast', input: 'Respond please', instructions: 'Be kind.' });
      expect(r.output_text).toContain('Respond please');
      const stream = await client.responses.create({ model: 'mock-fast', input: 'Stream a response', stream: true });
      let completed: OpenAI.Responses.Response | null = null;
      let deltas = '';
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') deltas += event.delta;
        if (event.type === 'response.completed') completed = event.response;
      }
      expect(deltas).toContain('Stream a response');
      expect(completed?.usage?.output_tokens).toBeGreaterThan(0);
      const e = await client.embeddings.create({ model: 'mock-embed', input: ['one', 'two'] });
      expect(e.data).toHaveLength(2);
      expect(e.data[0]!.embedding.length).toBeGreaterThan(8);
      const again = await client.embeddings.create({ model: 'Mock provider/mock-embed', input: 'one' });
      expect(again.data[0]!.embedding).toEqual(e.data[0]!.embedding);
      const recorded = await eventually(
        () => as(owner).get(`/api/v1/runs?kind=gateway&tokenId=${token.id}&limit=4`).then((x) => x.body.items as { gateway: { endpoint: string }; usage: unknown; status: string }[]),
        (items) => items.length === 4 && items.every((i) => i.status === 'succeeded'),
        'records',
      );
      expect(recorded.map((i) => i.gateway.endpoint).sort()).toEqual(['embeddings', 'embeddings', 'responses', 'responses']);
    });

    it('announces each finished call on the runs\' live stream', async () => {
      const controller = new AbortController();
      const res = await fetch(`${api.url}/api/v1/runs/stream`, { headers: { cookie: cookieOf(owner) }, signal: controller.signal });
      const reader = res.body!.getReader();
      const seen: Promise<Record<string, unknown>> = (async () => {
        let text = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended');
          text += new TextDecoder().decode(value);
          for (const block of text.split('\n\n')) {
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (block.includes('event: run') && data?.includes('"kind":"gateway"')) return JSON.parse(data.slice(6));
          }
        }
      })();
      // The stream is subscribed once its headers are in (fetch resolved): the call's final change reaches it.
      const { response } = await client.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'live' }] }).withResponse();
      const change = await seen;
      controller.abort();
      expect(change).toMatchObject({ id: response.headers.get('x-vaultrun-request-id'), kind: 'gateway', status: 'succeeded', accountId: ws.mockAccountId });
    });

    it('lists the models this token may call, and one of them by id (slashes included)', async () => {
      const models = await client.models.list();
      const ids = models.data.map((m) => m.id);
      expect(ids).toEqual(expect.arrayContaining(['mock-fast', 'mock-smart', 'mock-embed', 'Mock provider/mock-fast', `${LIVE}/gpt-4o-mini`]));
      const one = await client.models.retrieve(`${LIVE}/gpt-4o-mini`);
      expect(one).toMatchObject({ id: `${LIVE}/gpt-4o-mini`, object: 'model', owned_by: LIVE });
      await expect(client.models.retrieve('no-such-model')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    });
  });

  describe('on an OpenAI account (the local fake)', () => {
    it('passes the body through untouched but for the model — tools, tool_choice, seed, metadata, unknown fields — and returns tool calls', async () => {
      const toolCall = { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"vaultrun"}' } };
      fake.respondWith((req) =>
        req.path.startsWith('/v1/chat/completions')
          ? {
              status: 200,
              body: {
                id: 'chatcmpl-tools',
                object: 'chat.completion',
                created: 1,
                model: 'gpt-4o-mini',
                choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [toolCall] }, finish_reason: 'tool_calls', logprobs: null }],
                usage: { prompt_tokens: 40, completion_tokens: 9, total_tokens: 49 },
              },
            }
          : undefined,
      );
      const body = {
        model: `${LIVE}/gpt-4o-mini`,
        messages: [{ role: 'user' as const, content: 'Look it up' }],
        tools: [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } }],
        tool_choice: 'required' as const,
        parallel_tool_calls: false,
        seed: 42,
        logprobs: false,
        metadata: { app: 'test' },
        user: 'end-user-7',
      };
      const res = await client.chat.completions.create({ ...body, ...({ vendor_extension: { keep: true } } as object) });
      expect(res.choices[0]!.message.tool_calls).toEqual([toolCall]);
      const sent = fake.requests[0]!;
      expect(sent.key).toBe(KEY);
      expect(sent.body).toEqual({ ...body, model: 'gpt-4o-mini', vendor_extension: { keep: true } });
    });

    it('passes structured output (response_format json_schema and text.format) through', async () => {
      const schema = { type: 'object', properties: { city: { type: 'string' }, population: { type: 'integer' } }, required: ['city', 'population'], additionalProperties: false };
      const res = await client.chat.completions.create({
        model: `${LIVE}/gpt-4o-mini`,
        messages: [{ role: 'user', content: 'A city' }],
        response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
      });
      expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ city: 'fake', population: 1 });
      expect((fake.requests[0]!.body as { response_format: unknown }).response_format).toEqual({ type: 'json_schema', json_schema: { name: 'city', schema, strict: true } });
      const r = await client.responses.create({ model: `${LIVE}/gpt-4o-mini`, input: 'A city', text: { format: { type: 'json_schema', name: 'city', schema, strict: true } } });
      expect(JSON.parse(r.output_text)).toEqual({ city: 'fake', population: 1 });
    });

    it('a stream is charged exactly what the provider reported, and a client without include_usage never sees the usage chunk', async () => {
      await withBudget({ capMicroUsd: 10_000_000, scope: { type: 'token', id: token.id }, name: 'token budget' }, async (budget) => {
      const stream = await client.chat.completions.create({ model: `${LIVE}/gpt-4o-mini`, messages: [{ role: 'user', content: 'Count the money' }], stream: true });
      let sawUsage = false;
      for await (const chunk of stream) sawUsage ||= !!chunk.usage;
      expect(sawUsage).toBe(false);
      // Vaultrun asked the provider for it anyway.
      expect((fake.requests[0]!.body as { stream_options: unknown }).stream_options).toEqual({ include_usage: true });
      const items = await eventually(
        () => as(owner).get(`/api/v1/runs?kind=gateway&tokenId=${token.id}&limit=1`).then((r) => r.body.items),
        (x: any[]) => x[0]?.status === 'succeeded',
        'record',
      );
      const run = items[0];
      // gpt-4o-mini: $0.15 / $0.60 per 1M tokens; the fake's usage, priced.
      const expected = Math.floor((run.usage.inputTokens * 150_000 + run.usage.outputTokens * 600_000 + 500_000) / 1_000_000);
      expect(run).toMatchObject({ costLabel: 'estimated', costMicroUsd: expected, gateway: { usageSource: 'provider' } });
      const period = await eventually(() => budgetPeriod(api.db, budget), (p) => p.held === 0, 'holds closed');
      expect(period.spent).toBe(expected);
      });
    });

    it('a client that disconnects mid-stream aborts the provider call; what streamed is counted and settled, labelled estimated', async () => {
      await withBudget({ capMicroUsd: 10_000_000, scope: { type: 'token', id: token.id }, name: 'abort budget' }, async (budget) => {
      const piece = (content: string) => sseEvent({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
      fake.respondWith(() => ({ status: 200, stream: { events: [piece('The first part of an answer that '), piece('will never finish')], holdOpen: true } }));
      const controller = new AbortController();
      const stream = await client.chat.completions.create({ model: `${LIVE}/gpt-4o-mini`, messages: [{ role: 'user', content: 'Talk forever' }], stream: true }, { signal: controller.signal });
      let received = '';
      // The SDK ends the iteration quietly when its own signal aborts it.
      for await (const chunk of stream) {
        received += chunk.choices[0]?.delta.content ?? '';
        if (received.includes('will never finish')) controller.abort();
      }
      expect(received).toBe('The first part of an answer that will never finish');
      await fake.waitFor(() => fake.requests[0]!.aborted, 10_000);
      const items = await eventually(
        () => as(owner).get(`/api/v1/runs?kind=gateway&tokenId=${token.id}&limit=1`).then((r) => r.body.items),
        (x: any[]) => x[0]?.status === 'cancelled',
        'record',
      );
      const run = items[0];
      expect(run).toMatchObject({ costLabel: 'estimated', error: { code: 'client_disconnected' }, gateway: { usageSource: 'counted', clientDisconnected: true } });
      expect(run.usage.outputTokens).toBeGreaterThan(0);
      const period = await eventually(() => budgetPeriod(api.db, budget), (p) => p.held === 0, 'holds closed');
      expect(period.spent).toBe(run.costMicroUsd);
      });
    });

    it('keeps prompts and outputs when the workspace says so', async () => {
      expect((await as(owner).patch('/api/v1/workspace', { gatewayRetention: 'keep_bodies' })).body.gatewayRetention).toBe('keep_bodies');
      // The gateway reads workspace settings with a short cache: wait until it sees the new one.
      const run = await eventually(
        async () => {
          const { response } = await client.chat.completions.create({ model: `${LIVE}/gpt-4o-mini`, messages: [{ role: 'user', content: 'Remember me' }] }).withResponse();
          return recordOf(response.headers.get('x-vaultrun-request-id'));
        },
        (r) => r.input !== '',
        'bodies kept',
      );
      expect(JSON.parse(run.input).messages[0].content).toBe('Remember me');
      expect(run.output).toBe('Fake reply to: Remember me');
      await as(owner).patch('/api/v1/workspace', { gatewayRetention: 'metadata_only' });
    });
  });

  describe('errors are OpenAI-shaped', () => {
    it('401 without a token, with a bad one, and with a revoked one', async () => {
      const bad = gatewayClient(api.url, 'vr_not-a-real-token-at-all-000000000000000000000', { maxRetries: 0 });
      await expect(bad.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 401, code: 'invalid_token', type: 'authentication_error' });
      const raw = await fetch(`${api.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(raw.status).toBe(401);
      expect(await raw.json()).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'missing_api_key' } });
      const doomed = await inferenceToken(owner);
      await as(owner).delete(`/api/v1/tokens/${doomed.id}`);
      await expect(gatewayClient(api.url, doomed.token, { maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401, code: 'token_revoked' });
    });

    it('403 for a token without the inference scope, and for a model outside its allow-list', async () => {
      const runToken = await inferenceToken(owner, { scopes: ['run'] });
      await expect(gatewayClient(api.url, runToken.token, { maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 403, code: 'missing_scope', type: 'permission_error' });
      const narrow = await inferenceToken(owner, { allowedModels: ['mock-fast', `${LIVE}/gpt-4o*`] });
      const c = gatewayClient(api.url, narrow.token, { maxRetries: 0 });
      await expect(c.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'ok' }] })).resolves.toBeTruthy();
      await expect(c.chat.completions.create({ model: `${LIVE}/gpt-4o-mini`, messages: [{ role: 'user', content: 'ok' }] })).resolves.toBeTruthy();
      await expect(c.chat.completions.create({ model: 'mock-smart', messages: [{ role: 'user', content: 'no' }] })).rejects.toMatchObject({ status: 403, code: 'model_not_allowed', param: 'model' });
      expect((await c.models.list()).data.map((m) => m.id).sort()).toEqual(['Live/gpt-4o-mini', 'mock-fast']);
    });

    it('404 for an unknown model, a restricted account the token is not listed on, and an unknown path', async () => {
      await expect(client.chat.completions.create({ model: 'Nobody/gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
      const restricted = await as(owner).post('/api/v1/provider-accounts', { name: 'Secret mock', kind: 'mock', visibility: 'restricted' });
      await expect(client.chat.completions.create({ model: 'Secret mock/mock-fast', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
      expect((await client.models.list()).data.some((m) => m.id.startsWith('Secret mock/'))).toBe(false);
      // Listed on the account: now it may.
      await as(owner).patch(`/api/v1/provider-accounts/${restricted.body.id}`, { allowedTokenIds: [token.id] });
      await eventually(
        () => client.chat.completions.create({ model: 'Secret mock/mock-fast', messages: [{ role: 'user', content: 'x' }] }).then(() => true, () => false),
        (ok) => ok,
        'listed token may use it',
      );
      const unknown = await fetch(`${api.url}/v1/completions-of-the-future`, { method: 'POST', headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }, body: '{}' });
      expect([unknown.status, (await unknown.json()).error.code]).toEqual([404, 'unknown_url']);
    });

    it('400 naming the parameter, for bad JSON, and 413 for a body over the limit', async () => {
      await expect(client.chat.completions.create({ model: 'mock-fast', messages: [] })).rejects.toMatchObject({ status: 400, param: 'messages', type: 'invalid_request_error' });
      await expect(client.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'x' }], max_tokens: -3 })).rejects.toMatchObject({ status: 400, param: 'max_tokens' });
      await expect(client.embeddings.create({ model: 'mock-embed', input: [] })).rejects.toMatchObject({ status: 400, param: 'input' });
      const post = (body: string, contentType = 'application/json') =>
        fetch(`${api.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${token.token}`, 'content-type': contentType }, body });
      const broken = await post('{"model": "mock-fast", ');
      expect([broken.status, await broken.json()]).toEqual([400, { error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_json' } }]);
      const huge = await post(JSON.stringify({ model: 'mock-fast', messages: [{ role: 'user', content: 'x'.repeat(api.config.gateway.bodyLimitBytes) }] }));
      expect([huge.status, (await huge.json()).error.code]).toEqual([413, 'request_too_large']);
      const form = await post('a=b', 'text/plain');
      expect([form.status, (await form.json()).error.type]).toEqual([415, 'invalid_request_error']);
    });

    it('402 for an exhausted budget: not retried by the SDK (exactly one request reaches Vaultrun), and the record says which budget', async () => {
      await withBudget({ capMicroUsd: 1, name: 'Tiny cap' }, async (budget) => {
      let requests = 0;
      const counting = gatewayClient(api.url, token.token, {
        fetch: (input, init) => {
          requests++;
          return fetch(input, init);
        },
      });
      const err = await counting.chat.completions.create({ model: 'mock-smart', messages: [{ role: 'user', content: 'Spend it all' }] }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OpenAI.APIError);
      const apiError = err as InstanceType<typeof OpenAI.APIError>;
      expect([apiError.status, apiError.code, apiError.type]).toEqual([402, 'budget_exceeded', 'budget_exceeded']);
      expect(apiError.message).toContain('Tiny cap');
      expect(requests).toBe(1);
      const record = await recordOf(apiError.headers?.get('x-vaultrun-request-id') ?? null, ['blocked']);
      expect(record).toMatchObject({ status: 'blocked', blockedBy: { budgetId: budget }, costLabel: null });
      });
    });

    it('a provider rate limit with no other target is a 429 with the provider\'s retry-after; the account cools down for runs too', async () => {
      const limited = await as(owner).post('/api/v1/provider-accounts', { name: 'Limited', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-ratelimit-000000000000000000000000000', defaultModel: 'gpt-4o-mini', verify: false });
      await eventually(() => client.models.list().then((l) => l.data.map((m) => m.id)), (ids) => ids.includes('Limited/gpt-4o-mini'), 'account visible to the gateway');
      const err = (await client.chat.completions.create({ model: 'Limited/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).then(
        () => null,
        (e: unknown) => e,
      )) as InstanceType<typeof OpenAI.APIError>;
      expect([err.status, err.code, err.type, err.headers?.get('retry-after')]).toEqual([429, 'rate_limit_exceeded', 'rate_limit_error', '2']);
      expect(err.message).not.toContain('Limit: 500');
      const account = await eventually(() => as(owner).get(`/api/v1/provider-accounts/${limited.body.id}`).then((r) => r.body), (a) => a.status === 'rate_limited', 'cooldown');
      expect(account.status).toBe('rate_limited');
      const run = await recordOf(err.headers!.get('x-vaultrun-request-id'));
      expect(run).toMatchObject({ status: 'failed', error: { code: 'rate_limited' }, costLabel: null });
    });

    it('maps provider errors with Vaultrun\'s words: a refused stored key is a 502 the app cannot fix (not retried), never the provider\'s text', async () => {
      const broken = await as(owner).post('/api/v1/provider-accounts', { name: 'Broken', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-invalid-key-00000000000000000000000009', defaultModel: 'gpt-4o-mini', verify: false });
      // A new account reaches the gateway's view of the workspace within its short cache (docs/gateway.md).
      await eventually(() => client.models.list().then((l) => l.data.map((m) => m.id)), (ids) => ids.includes('Broken/gpt-4o-mini'), 'account visible to the gateway');
      let requests = 0;
      const counting = gatewayClient(api.url, token.token, {
        fetch: (input, init) => {
          requests++;
          return fetch(input, init);
        },
      });
      const err = (await counting.chat.completions.create({ model: 'Broken/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).then(
        () => null,
        (e: unknown) => e,
      )) as InstanceType<typeof OpenAI.APIError>;
      expect([err.status, err.code, err.type]).toEqual([502, 'upstream_auth_failed', 'upstream_error']);
      expect(err.message).not.toContain('sk-proj');
      expect(err.message).not.toContain('Incorrect API key');
      expect(requests).toBe(1);
      // The account is marked: the next call fails fast without calling the provider.
      await eventually(() => as(owner).get(`/api/v1/provider-accounts/${broken.body.id}`).then((r) => r.body.status), (s) => s === 'invalid_key', 'account flipped');
      const before = fake.requests.length;
      await eventually(
        () => client.chat.completions.create({ model: 'Broken/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).then(() => 0, (e: { status: number }) => e.status),
        (status) => status === 502 && fake.requests.length === before,
        'fail fast',
      );
    });
  });
});
