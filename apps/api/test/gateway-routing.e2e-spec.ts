/**
 * Gateway routing, limits and money: model routes (REST, validated), fallback on a provider 5xx or rate limit (never
 * on an invalid key), per-account concurrency and RPM from the one limiter (a call waits for a slot, then 429 with
 * retry-after), and budgets settled exactly — the budget's spend is the sum of the records' costs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type OpenAI from 'openai';
import { Redis } from 'ioredis';
import { as, seedWorkspace, type SeededWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';
import { type FakeOpenAI, type FakeResponse, openAIError, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { gatewayClient, inferenceToken } from '../../../test/support/gateway.js';
import { budgetPeriod, insertBudget, ledgerSums } from '../../../test/support/money.js';
import { eventually } from '../../../test/support/runs.js';

describe('gateway: routes, fallback, limits, budgets', () => {
  let api: TestApi;
  let fake: FakeOpenAI;
  let ws: SeededWorkspace;
  let owner: Session;
  let member: Session;
  let token: { id: string; token: string };
  let client: OpenAI;
  const accounts: Record<string, string> = {};
  const keyOf = (name: string) => `sk-proj-route-${name.toLowerCase()}-000000000000000000000000`;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    member = await signIn(api.url, ws.users.member);
    for (const [name, limits, key] of [
      ['Primary', { maxConcurrency: 4 }, keyOf('Primary')],
      ['Secondary', { maxConcurrency: 4 }, keyOf('Secondary')],
      ['Refused', { maxConcurrency: 4 }, 'sk-proj-invalid-route-0000000000000000000000'],
      ['Single', { maxConcurrency: 1 }, keyOf('Single')],
      ['Slow', { maxConcurrency: 4, requestsPerMinute: 1 }, keyOf('Slow')],
    ] as const) {
      const res = await as(owner).post('/api/v1/provider-accounts', { name, kind: 'openai', baseUrl: fake.url, apiKey: key, defaultModel: 'gpt-4o-mini', verify: false, limits });
      expect(res.status).toBe(201);
      accounts[name] = res.body.id;
    }
    token = await inferenceToken(owner);
    client = gatewayClient(api.url, token.token, { maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  const route = (name: string, targets: [string, string][]) =>
    as(owner).post('/api/v1/gateway/routes', { name, targets: targets.map(([account, model]) => ({ accountId: accounts[account] ?? account, model })) });
  /** The gateway reads routes through a short cache: this process's own changes show at once. */
  const ask = (model: string, extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}) =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: `hello ${model}` }], ...extra }).withResponse();
  const recordOf = (id: string | null) =>
    eventually(
      () => as(owner).get(`/api/v1/runs/${id}`).then((r) => r.body),
      (r) => ['succeeded', 'failed', 'cancelled', 'blocked'].includes(r.status),
      `record ${id}`,
    );

  describe('model routes over REST', () => {
    it('creates, lists, renames and deletes a route; validates targets and unique names; managers only', async () => {
      const created = await route('gpt-fast', [['Primary', 'gpt-4o-mini'], ['Secondary', 'gpt-4.1-mini']]);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'gpt-fast', hiddenTargets: 0, targets: [{ accountName: 'Primary', model: 'gpt-4o-mini' }, { accountName: 'Secondary', model: 'gpt-4.1-mini' }] });
      expect((await route('gpt-fast', [['Primary', 'x']])).body.code).toBe('route_name_taken');
      const bad = await as(owner).post('/api/v1/gateway/routes', { name: 'bad', targets: [{ accountId: '00000000-0000-4000-8000-000000000000', model: 'x' }] });
      expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'targets.0.accountId']);
      const none = await as(owner).post('/api/v1/gateway/routes', { name: 'empty', targets: [] });
      expect([none.status, none.body.errors?.[0]?.field]).toEqual([400, 'targets']);
      const spaced = await as(owner).post('/api/v1/gateway/routes', { name: 'has space', targets: [{ accountId: accounts.Primary, model: 'x' }] });
      expect([spaced.status, spaced.body.errors?.[0]?.field]).toEqual([400, 'name']);
      const nine = await as(owner).post('/api/v1/gateway/routes', { name: 'nine', targets: Array.from({ length: 9 }, () => ({ accountId: accounts.Primary, model: 'x' })) });
      expect(nine.status).toBe(400);
      expect((await as(member).get('/api/v1/gateway/routes')).body.items.map((r: { name: string }) => r.name)).toContain('gpt-fast');
      expect((await as(member).post('/api/v1/gateway/routes', { name: 'mine', targets: [{ accountId: accounts.Primary, model: 'x' }] })).status).toBe(403);
      const renamed = await as(owner).patch(`/api/v1/gateway/routes/${created.body.id}`, { name: 'gpt-quick' });
      expect(renamed.body.name).toBe('gpt-quick');
      expect((await as(owner).delete(`/api/v1/gateway/routes/${created.body.id}`)).status).toBe(204);
      expect((await as(owner).get(`/api/v1/gateway/routes/${created.body.id}`)).status).toBe(404);
      const audit = await as(owner).get('/api/v1/audit-events?limit=20');
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['gateway.route.create', 'gateway.route.update', 'gateway.route.delete']));
    });

    it('tells the console the base URL, endpoints and limits apps get', async () => {
      const info = await as(member).get('/api/v1/gateway');
      expect(info.body).toEqual({
        baseUrl: 'http://127.0.0.1:3999/v1',
        retention: 'metadata_only',
        maxWaitMs: 10_000,
        bodyLimitBytes: 8 * 1024 * 1024,
        timeoutMs: 600_000,
        defaultMaxOutputTokens: 4096,
        endpoints: ['POST /chat/completions', 'POST /responses', 'POST /embeddings', 'POST /messages', 'POST /messages/count_tokens', 'GET /models', 'GET /models/{model}'],
      });
    });

    it('a route name is what apps send; GET /v1/models lists it', async () => {
      await route('chat-default', [['Primary', 'gpt-4o-mini']]);
      const { data, response } = await ask('chat-default');
      expect(data.choices[0]!.message.content).toBe('Fake reply to: hello chat-default');
      expect([response.headers.get('x-vaultrun-account'), response.headers.get('x-vaultrun-model')]).toEqual(['Primary', 'gpt-4o-mini']);
      expect((fake.requests[0]!.body as { model: string }).model).toBe('gpt-4o-mini');
      expect((await client.models.list()).data.map((m) => m.id)).toContain('chat-default');
      const run = await recordOf(response.headers.get('x-vaultrun-request-id'));
      expect(run.gateway).toMatchObject({ requestedModel: 'chat-default', routeId: expect.any(String), attempts: 1 });
    });
  });

  describe('fallback', () => {
    it('a provider 503 on the first target moves the call to the next; both attempts are in the record; the failed one costs nothing', async () => {
      await route('resilient', [['Primary', 'gpt-4o-mini'], ['Secondary', 'gpt-4o-mini']]);
      const budget = await insertBudget(api.db, ws.id, { capMicroUsd: 100_000_000, name: 'fallback budget' });
      try {
        fake.respondWith((req) => (req.key === keyOf('Primary') ? openAIError(503, null, 'overloaded, secret internals', { type: 'server_error' }) : undefined));
        const { data, response } = await ask('resilient');
        expect(data.choices[0]!.message.content).toBe('Fake reply to: hello resilient');
        expect(response.headers.get('x-vaultrun-account')).toBe('Secondary');
        expect(fake.requests.map((r) => r.key)).toEqual([keyOf('Primary'), keyOf('Secondary')]);
        const run = await recordOf(response.headers.get('x-vaultrun-request-id'));
        expect(run).toMatchObject({ status: 'succeeded', accountId: accounts.Secondary, providerCalls: 2, gateway: { attempts: 2 } });
        expect(run.events.filter((e: { type: string }) => e.type === 'running').map((e: { message: string }) => e.message)).toEqual([
          'Calling Primary (gpt-4o-mini) for route "resilient"',
          'Falling back to Secondary (gpt-4o-mini) for route "resilient"',
        ]);
        // The 503 was an answer: attempt 1's hold is released; the budget holds exactly the answered call's cost.
        const period = await eventually(() => budgetPeriod(api.db, budget), (p) => p.held === 0, 'holds closed');
        expect(period.spent).toBe(run.costMicroUsd);
      } finally {
        await api.db.query(`DELETE FROM budgets WHERE id = $1`, [budget]);
      }
    });

    it('a provider rate limit moves the call on too, and cools the first account down', async () => {
      await route('cooling', [['Primary', 'gpt-4o-mini'], ['Secondary', 'gpt-4o-mini']]);
      fake.enqueue(openAIError(429, 'rate_limit_exceeded', 'Rate limit reached', { type: 'requests', headers: { 'retry-after': '30' } }));
      const { response } = await ask('cooling');
      expect(response.headers.get('x-vaultrun-account')).toBe('Secondary');
      const primary = await eventually(() => as(owner).get(`/api/v1/provider-accounts/${accounts.Primary}`).then((r) => r.body), (a) => a.status === 'rate_limited', 'cooldown');
      expect(primary.status).toBe('rate_limited');
      // While it cools down, the route skips it without calling it.
      fake.reset();
      const again = await ask('cooling');
      expect(again.response.headers.get('x-vaultrun-account')).toBe('Secondary');
      expect(fake.requests.map((r) => r.key)).toEqual([keyOf('Secondary')]);
      await api.db.query(`UPDATE provider_accounts SET status = 'active', rate_limited_until = NULL WHERE id = $1`, [accounts.Primary]);
      const redis = new Redis(api.config.redisUrl);
      await redis.del(`${api.config.redisPrefix}:acct:{${accounts.Primary}}:cooldown`);
      redis.disconnect();
    });

    it('an invalid stored key never falls back: the app gets 502 upstream_auth_failed and the next target is not called', async () => {
      await route('careful', [['Refused', 'gpt-4o-mini'], ['Secondary', 'gpt-4o-mini']]);
      const err = await ask('careful').then(
        () => null,
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
      expect([err?.status, err?.code]).toEqual([502, 'upstream_auth_failed']);
      expect(fake.requests.map((r) => r.key)).toEqual(['sk-proj-invalid-route-0000000000000000000000']);
      const run = await recordOf(err!.headers!.get('x-vaultrun-request-id'));
      expect(run).toMatchObject({ status: 'failed', error: { code: 'invalid_api_key' }, costLabel: null, gateway: { attempts: 1 } });
    });
  });

  describe('limits: the one limiter runs use', () => {
    it('concurrency 1: a second call waits for the slot, then gets it', async () => {
      let releaseFirst!: () => void;
      const held = new Promise<void>((resolve) => (releaseFirst = resolve));
      let calls = 0;
      fake.respondWith(async (req) => {
        if (req.key !== keyOf('Single')) return undefined;
        if (++calls === 1) await held;
        return undefined;
      });
      const first = ask('Single/gpt-4o-mini');
      await fake.waitFor(() => fake.inFlight(keyOf('Single')) === 1, 10_000);
      const second = ask('Single/gpt-4o-mini');
      // The second call is in the account's line of waiters (shared with runs), not at the provider.
      const redis = new Redis(api.config.redisUrl);
      try {
        await eventually(() => redis.zcard(`${api.config.redisPrefix}:acct:{${accounts.Single}}:waiters`), (n) => n === 1, 'second call waiting');
      } finally {
        redis.disconnect();
      }
      expect(fake.requests.filter((r) => r.key === keyOf('Single'))).toHaveLength(1);
      releaseFirst();
      const [a, b] = await Promise.all([first, second]);
      expect([a.response.status, b.response.status]).toEqual([200, 200]);
      expect(fake.maxInFlight(keyOf('Single'))).toBe(1);
    });

    it('a requests-per-minute window that cannot open within the wait answers 429 with retry-after', async () => {
      await ask('Slow/gpt-4o-mini');
      const err = await ask('Slow/gpt-4o-mini').then(
        () => null,
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
      expect([err?.status, err?.code, err?.type]).toEqual([429, 'capacity_wait_timeout', 'rate_limit_error']);
      const retryAfter = Number(err!.headers!.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(10);
      expect(retryAfter).toBeLessThanOrEqual(61);
      expect(fake.requests.filter((r) => r.key === keyOf('Slow'))).toHaveLength(1);
    });

    it('concurrency taken for longer than the wait: 429 with retry-after, and the waiter leaves the line', async () => {
      const shortWait = await startTestApi({ DATABASE_URL: api.config.databaseUrl, VAULTRUN_REDIS_PREFIX: api.config.redisPrefix, VAULTRUN_GATEWAY_MAX_WAIT_MS: '200' });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      fake.respondWith(async (req) => (req.key === keyOf('Single') ? held.then((): FakeResponse | undefined => undefined) : undefined));
      try {
        const first = ask('Single/gpt-4o-mini');
        await fake.waitFor(() => fake.inFlight(keyOf('Single')) === 1, 10_000);
        const impatient = gatewayClient(shortWait.url, token.token, { maxRetries: 0 });
        const err = await impatient.chat.completions.create({ model: 'Single/gpt-4o-mini', messages: [{ role: 'user', content: 'me too' }] }).then(
          () => null,
          (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
        );
        expect([err?.status, err?.code]).toEqual([429, 'capacity_wait_timeout']);
        expect(Number(err!.headers!.get('retry-after'))).toBeGreaterThanOrEqual(1);
        const redis = new Redis(api.config.redisUrl);
        expect(await redis.zcard(`${api.config.redisPrefix}:acct:{${accounts.Single}}:waiters`)).toBe(0);
        redis.disconnect();
        release();
        expect((await first).response.status).toBe(200);
      } finally {
        release();
        await shortWait.close();
      }
    });
  });

  describe('money', () => {
    it('many calls at once, streamed and not, on two accounts: the budget spends exactly the sum of the records\' costs', async () => {
      const budget = await insertBudget(api.db, ws.id, { capMicroUsd: 1_000_000_000, name: 'exact', scope: { type: 'token', id: token.id } });
      try {
        fake.inflatePromptTokens({ factor: 1.3, extra: 5 });
        const calls = Array.from({ length: 24 }, async (_, i) => {
          const model = i % 2 ? 'Primary/gpt-4o-mini' : 'Secondary/gpt-4.1-mini';
          if (i % 3 === 0) {
            const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: `stream ${i} ${'words '.repeat(i)}` }], stream: true });
            for await (const chunk of stream) void chunk;
          } else {
            await client.chat.completions.create({ model, messages: [{ role: 'user', content: `call ${i} ${'words '.repeat(i)}` }] });
          }
        });
        await Promise.all(calls);
        const runs: { costMicroUsd: number; costLabel: string; status: string }[] = await eventually(
          () => as(owner).get(`/api/v1/runs?kind=gateway&tokenId=${token.id}&limit=24`).then((r) => r.body.items),
          (items: any[]) => items.length === 24 && items.every((r) => r.status === 'succeeded'),
          'all recorded',
        );
        expect(new Set(runs.map((r) => r.costLabel))).toEqual(new Set(['estimated']));
        const total = runs.reduce((n, r) => n + r.costMicroUsd, 0);
        const period = await eventually(() => budgetPeriod(api.db, budget), (p) => p.held === 0, 'holds closed');
        expect(period.spent).toBe(total);
        expect(await ledgerSums(api.db, budget)).toEqual({ spent: total, held: 0 });
        // The provider counted 1.3× the prompt: calibration recorded it for the next holds.
        const [calibration] = await api.db.query(`SELECT high_ratio_permille FROM token_calibrations WHERE account_id = $1 AND model = 'gpt-4o-mini'`, [accounts.Primary]);
        expect(calibration.high_ratio_permille).toBeGreaterThan(1000);
      } finally {
        await api.db.query(`DELETE FROM budgets WHERE id = $1`, [budget]);
      }
    });

    it('a budget on one account refuses it; the route moves to a target whose budgets admit the call', async () => {
      await route('thrifty', [['Primary', 'gpt-4o-mini'], ['Secondary', 'gpt-4o-mini']]);
      const budget = await insertBudget(api.db, ws.id, { capMicroUsd: 1, name: 'Primary is spent', scope: { type: 'account', id: accounts.Primary } });
      try {
        const { response } = await ask('thrifty');
        expect(response.headers.get('x-vaultrun-account')).toBe('Secondary');
        expect(fake.requests.map((r) => r.key)).toEqual([keyOf('Secondary')]);
      } finally {
        await api.db.query(`DELETE FROM budgets WHERE id = $1`, [budget]);
      }
    });

    it('records show in the runs list with their labels, and in spend reports by token', async () => {
      const list = await as(owner).get(`/api/v1/runs?kind=gateway&tokenId=${token.id}&limit=100`);
      expect(list.body.items.length).toBeGreaterThan(20);
      for (const r of list.body.items.filter((x: { status: string }) => x.status === 'succeeded')) expect(['estimated', 'verified', 'pending_sync']).toContain(r.costLabel);
      const spend = await as(owner).get('/api/v1/spend?groupBy=token');
      const mine = spend.body.groups.find((g: { key: string }) => g.key === token.id);
      expect(mine.total.runs).toBeGreaterThan(20);
    });
  });
});
