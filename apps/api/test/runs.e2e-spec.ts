import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { as, cookieOf, seedWorkspace, signIn, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { waitForRun, waitUntil } from '../../../test/support/runs.js';
import { startStack, type Stack } from '../../../test/support/stack.js';

describe('runs', () => {
  let stack: Stack;
  let api: TestApi;
  let fake: FakeOpenAI;
  let ws: SeededWorkspace;
  let member: Session;
  let admin: Session;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ['gpt-4.1-mini'] });
    stack = await startStack();
    ({ api, ws, member, admin } = stack);
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  const operator = async (body: object = {}) =>
    (await as(member).post('/api/v1/operators', { name: `op-${randomBytes(4).toString('hex')}`, instructions: 'Answer briefly.', ...body })).body;
  const openaiAccount = async (key: string, extra: object = {}) =>
    (await as(admin).post('/api/v1/provider-accounts', { name: `oa-${randomBytes(4).toString('hex')}`, kind: 'openai', baseUrl: fake.url, apiKey: key, defaultModel: 'gpt-4.1-mini', verify: false, ...extra })).body;
  const start = (body: object, key?: string) => {
    const req = member.agent.post('/api/v1/runs').set('x-csrf-token', member.csrf);
    if (key) req.set('idempotency-key', key);
    return req.send(body);
  };

  it('queues a run (202), executes it on the mock provider, and records the timeline', async () => {
    const op = await operator();
    const res = await start({ operatorId: op.id, input: 'Hello there' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', kind: 'operator', operatorId: op.id, accountId: ws.mockAccountId, model: 'mock-fast' });
    expect(res.headers.location).toBe(`/api/v1/runs/${res.body.id}`);
    const done = await waitForRun(member.agent, res.body.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 0, providerCalls: 1, error: null, startedBy: { type: 'user', id: ws.users.member.id } });
    expect(done.output).toEqual(expect.any(String));
    expect(done.usage.inputTokens).toBeGreaterThan(0);
    expect(done.providerRequestId).toMatch(/^mock-/);
    for (const t of ['queuedAt', 'startedAt', 'providerStartedAt', 'finishedAt']) expect(done.timings[t]).toEqual(expect.any(String));
    expect(done.events.map((e: { type: string }) => e.type)).toEqual(['queued', 'running', 'succeeded']);
    expect([done.missionId, done.comparisonId]).toEqual([null, null]);
    // Deterministic: the same input gives the same output.
    const again = await waitForRun(member.agent, (await start({ operatorId: op.id, input: 'Hello there' })).body.id);
    expect(again.output).toBe(done.output);
  });

  it('resolves account and model: run override > operator > workspace default, and records what was used', async () => {
    const acct = await openaiAccount('sk-proj-test-precedence');
    const op = await operator({ accountId: acct.id });
    const byOperator = await waitForRun(member.agent, (await start({ operatorId: op.id, input: 'x' })).body.id);
    expect(byOperator).toMatchObject({ status: 'succeeded', accountId: acct.id, model: 'gpt-4.1-mini' });
    expect(fake.requests.at(-1)).toMatchObject({ key: 'sk-proj-test-precedence', body: expect.objectContaining({ model: 'gpt-4.1-mini' }) });
    const overridden = await waitForRun(member.agent, (await start({ operatorId: op.id, input: 'x', accountId: ws.mockAccountId, model: 'mock-smart' })).body.id);
    expect(overridden).toMatchObject({ status: 'succeeded', accountId: ws.mockAccountId, model: 'mock-smart' });
    const opModel = await operator({ accountId: acct.id, model: 'gpt-4o' });
    expect((await start({ operatorId: opModel.id, input: 'x' })).body).toMatchObject({ accountId: acct.id, model: 'gpt-4o' });
  });

  it('validates structured output against the operator\'s JSON Schema', async () => {
    const schema = { type: 'object', properties: { summary: { type: 'string' }, priority: { type: 'integer' } }, required: ['summary', 'priority'], additionalProperties: false };
    const op = await operator({ outputFormat: 'json_schema', outputSchema: schema });
    const ok = await waitForRun(member.agent, (await start({ operatorId: op.id, input: 'Ticket' })).body.id);
    expect(ok.status).toBe('succeeded');
    expect(ok.outputJson).toEqual({ summary: expect.any(String), priority: expect.any(Number) });

    const acct = await openaiAccount('sk-proj-test-badjson');
    const opFake = await operator({ accountId: acct.id, outputFormat: 'json_schema', outputSchema: schema });
    fake.respondWith((req) =>
      req.path.startsWith('/v1/chat')
        ? { status: 200, body: { id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4.1-mini', choices: [{ index: 0, message: { role: 'assistant', content: '{"summary": 42}' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } } }
        : undefined,
    );
    const bad = await waitForRun(member.agent, (await start({ operatorId: opFake.id, input: 'Ticket' })).body.id);
    expect(bad).toMatchObject({ status: 'failed', error: { code: 'invalid_output', message: 'Output did not match the schema' }, usage: { inputTokens: 5, outputTokens: 3 } });
    expect(bad.output).toBe('{"summary": 42}');

    const invalidSchema = await as(member).post('/api/v1/operators', { name: 'bad schema', outputFormat: 'json_schema', outputSchema: { type: 'objekt' } });
    expect(invalidSchema.status).toBe(400);
    expect(invalidSchema.body.errors[0].field).toBe('outputSchema');
  });

  it('is idempotent per key: the same key returns the same run; another body with it is refused', async () => {
    const op = await operator();
    const key = `idem-${randomBytes(4).toString('hex')}`;
    const first = await start({ operatorId: op.id, input: 'once' }, key);
    const second = await start({ operatorId: op.id, input: 'once' }, key);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const other = await start({ operatorId: op.id, input: 'something else' }, key);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('idempotency_key_reused');
    const [{ n }] = await api.db.query(`SELECT count(*)::int AS n FROM runs WHERE idempotency_key = $1`, [key]);
    expect(n).toBe(1);
    expect((await start({ operatorId: op.id, input: 'x' }, 'bad key with spaces')).body.errors[0].field).toBe('Idempotency-Key');
  });

  it('cancels a running run: the provider call is aborted and the run ends cancelled', async () => {
    const acct = await openaiAccount('sk-proj-test-slow');
    const op = await operator({ accountId: acct.id });
    fake.setLatency(10_000);
    const run = (await start({ operatorId: op.id, input: 'slow' })).body;
    await waitUntil(() => fake.inFlight('sk-proj-test-slow') === 1, 10_000, 'the call to start');
    const cancelled = await as(member).post(`/api/v1/runs/${run.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await waitUntil(() => fake.requests.some((r) => r.aborted), 5_000, 'the provider call to be aborted');
    expect((await waitForRun(member.agent, run.id)).status).toBe('cancelled');
    expect((await as(member).post(`/api/v1/runs/${run.id}/cancel`)).body.code).toBe('run_finished');
    fake.setLatency(0);
  });

  it('cancels a queued run before it runs', async () => {
    const acct = await openaiAccount('sk-proj-test-queued', { limits: { maxConcurrency: 1 } });
    const op = await operator({ accountId: acct.id });
    fake.setLatency(3_000);
    const first = (await start({ operatorId: op.id, input: 'holds the only slot' })).body;
    await waitUntil(() => fake.inFlight() === 1, 10_000, 'the first call');
    const second = (await start({ operatorId: op.id, input: 'waits' })).body;
    const waiting = await waitForRun(member.agent, second.id, ['waiting']);
    expect(waiting.statusReason).toMatch(/Waiting for a free slot/);
    expect((await as(member).post(`/api/v1/runs/${second.id}/cancel`)).body.status).toBe('cancelled');
    fake.setLatency(0);
    expect((await waitForRun(member.agent, first.id)).status).toBe('succeeded');
    // A later run on the same one-slot account gets the slot and finishes: the line the cancelled run stood in has
    // moved past it, and it never reached the provider.
    const later = (await start({ operatorId: op.id, input: 'comes after' })).body;
    expect((await waitForRun(member.agent, later.id)).status).toBe('succeeded');
    expect(fake.requests.filter((r) => r.body && JSON.stringify(r.body).includes('waits'))).toHaveLength(0);
    expect((await member.agent.get(`/api/v1/runs/${second.id}`)).body).toMatchObject({ status: 'cancelled', providerCalls: 0 });
  });

  it('fails fast on an invalid key: one provider request, the mapped message, the account flipped, no retries', async () => {
    const acct = await openaiAccount('sk-proj-test-invalid-run');
    const op = await operator({ accountId: acct.id });
    const run = await waitForRun(member.agent, (await start({ operatorId: op.id, input: 'x' })).body.id);
    expect(run).toMatchObject({ status: 'failed', attempts: 1, providerCalls: 1, error: { code: 'invalid_api_key', message: 'Invalid API key — verify the full key was copied' } });
    expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
    expect((await admin.agent.get(`/api/v1/provider-accounts/${acct.id}`)).body.status).toBe('invalid_key');
    // Further runs on that account are refused at once with the same clear message.
    const next = await start({ operatorId: op.id, input: 'y' });
    expect(next.status).toBe(409);
    expect(next.body.detail).toMatch(/Invalid API key — verify the full key was copied/);
  });

  it('fails the other queued runs of that account fast too, with the same message and no provider call', async () => {
    const acct = await openaiAccount('sk-proj-test-invalid-batch', { limits: { maxConcurrency: 1 } });
    const op = await operator({ accountId: acct.id });
    fake.setLatency(300);
    const ids = await Promise.all([1, 2, 3, 4].map(async (i) => (await start({ operatorId: op.id, input: `batch ${i}` })).body.id as string));
    const runs = await Promise.all(ids.map((id) => waitForRun(member.agent, id)));
    fake.setLatency(0);
    expect(runs.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    for (const r of runs) expect(r.error).toEqual({ code: 'invalid_api_key', message: 'Invalid API key — verify the full key was copied' });
    // Only the first reached the provider; the rest failed on the account's status.
    expect(fake.requests.filter((r) => r.key === 'sk-proj-test-invalid-batch' && r.path === '/v1/chat/completions')).toHaveLength(1);
    expect(runs.filter((r) => r.providerCalls === 0)).toHaveLength(3);
  });

  it('exposes Prometheus metrics on the API and the worker', async () => {
    const op = await operator();
    await waitForRun(member.agent, (await start({ operatorId: op.id, input: 'metrics' })).body.id);
    const apiMetrics = (await member.agent.get('/metrics')).text;
    expect(apiMetrics).toMatch(/vaultrun_runs\{status="succeeded"\} \d+/);
    expect(apiMetrics).toMatch(/vaultrun_queue_jobs\{queue="runs",state="wait"\} \d+/);
    const workerMetrics = await (await fetch(`http://127.0.0.1:${stack.worker!.healthPort}/metrics`)).text();
    expect(workerMetrics).toMatch(/vaultrun_provider_request_duration_seconds_count\{kind="mock",outcome="ok"\} \d+/);
    expect(workerMetrics).toMatch(/vaultrun_runs_finished_total\{status="succeeded"\} \d+/);
    expect(workerMetrics).toContain('vaultrun_account_waits_total');
    expect(workerMetrics).toMatch(/vaultrun_queue_jobs\{queue="runs",state="/);
    expect(apiMetrics + workerMetrics).not.toContain('sk-proj-');
  });

  it('fails fast on insufficient quota and flips the account', async () => {
    const acct = await openaiAccount('sk-proj-test-quota-run');
    const op = await operator({ accountId: acct.id });
    const run = await waitForRun(member.agent, (await start({ operatorId: op.id, input: 'x' })).body.id);
    expect(run).toMatchObject({ status: 'failed', providerCalls: 1, error: { code: 'insufficient_quota' } });
    expect((await admin.agent.get(`/api/v1/provider-accounts/${acct.id}`)).body.status).toBe('quota_exhausted');
  });

  it('pauses the whole account on a 429 with retry-after, then succeeds without spending an attempt', async () => {
    const acct = await openaiAccount('sk-proj-test-429');
    const op = await operator({ accountId: acct.id });
    fake.enqueue({ status: 429, body: { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } }, headers: { 'retry-after': '1' } });
    const run = (await start({ operatorId: op.id, input: 'x' })).body;
    const waiting = await waitForRun(member.agent, run.id, ['waiting']);
    expect(waiting.statusReason).toBe('Rate limit exceeded — waiting and retrying');
    expect(Date.parse(waiting.nextAttemptAt)).toBeGreaterThan(Date.now());
    expect((await admin.agent.get(`/api/v1/provider-accounts/${acct.id}`)).body.status).toBe('rate_limited');
    const done = await waitForRun(member.agent, run.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 0, providerCalls: 2 });
    const calls = fake.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(calls).toHaveLength(2);
    expect(done.events.map((e: { type: string }) => e.type)).toEqual(['queued', 'running', 'waiting', 'running', 'succeeded']);
    expect((await admin.agent.get(`/api/v1/provider-accounts/${acct.id}`)).body.status).toBe('active');
  });

  it('retries 5xx with backoff up to the attempt limit, then fails with the mapped message', async () => {
    const acct = await openaiAccount('sk-proj-test-broken');
    const op = await operator({ accountId: acct.id });
    const run = await waitForRun(member.agent, (await start({ operatorId: op.id, input: 'x' })).body.id);
    expect(run).toMatchObject({ status: 'failed', attempts: 3, providerCalls: 3, error: { code: 'provider_unavailable', message: 'Provider unavailable' } });
    expect(run.events.filter((e: { type: string }) => e.type === 'retrying')).toHaveLength(2);
    // A transient failure followed by success: one retry, then done.
    const ok = await openaiAccount('sk-proj-test-flaky');
    const op2 = await operator({ accountId: ok.id });
    fake.enqueue({ status: 503, body: { error: { message: 'overloaded', type: 'server_error', param: null, code: null } } });
    const recovered = await waitForRun(member.agent, (await start({ operatorId: op2.id, input: 'x' })).body.id);
    expect(recovered).toMatchObject({ status: 'succeeded', attempts: 1, providerCalls: 2 });
  });

  it('streams run changes of the workspace over server-sent events', async () => {
    const op = await operator();
    const controller = new AbortController();
    const res = await fetch(`${api.url}/api/v1/runs/stream`, { headers: { cookie: cookieOf(member) }, signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const seen: { id: string; status: string }[] = [];
    let buffer = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += new TextDecoder().decode(value);
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data:'));
          if (frame.includes('event: run') && data) seen.push(JSON.parse(data.slice(5)));
        }
      }
    })().catch((err: unknown) => {
      // The test aborts the stream at its end; anything else is a failure to report.
      if (!controller.signal.aborted) throw err;
    });
    // The stream is live once it delivers a change: a first run's "succeeded" proves it.
    const probe = (await start({ operatorId: op.id, input: 'probe the stream' })).body;
    await waitUntil(() => seen.some((c) => c.id === probe.id && c.status === 'succeeded'), 10_000, 'the probe run on the stream');
    const run = (await start({ operatorId: op.id, input: 'stream me' })).body;
    await waitUntil(() => seen.some((c) => c.id === run.id && c.status === 'succeeded'), 10_000, 'the succeeded event');
    expect(seen.filter((c) => c.id === run.id).map((c) => c.status)).toEqual(['queued', 'running', 'succeeded']);
    // Another workspace's runs never reach this stream.
    const other = await seedWorkspace(api.db);
    const stranger = await signIn(api.url, other.users.member);
    const theirOp = (await as(stranger).post('/api/v1/operators', { name: 'theirs' })).body;
    const theirRun = (await stranger.agent.post('/api/v1/runs').set('x-csrf-token', stranger.csrf).send({ operatorId: theirOp.id, input: 'x' })).body;
    await waitForRun(stranger.agent, theirRun.id);
    // Changes reach the stream in the order they were published: once a later run of this workspace has arrived,
    // the stranger's (published before it) would have too.
    const after = (await start({ operatorId: op.id, input: 'after the stranger' })).body;
    await waitUntil(() => seen.some((c) => c.id === after.id && c.status === 'succeeded'), 10_000, 'the later run on the stream');
    expect(seen.some((c) => c.id === theirRun.id)).toBe(false);
    controller.abort();
    await reading;
  });

  it('lists with filters and cursor paging, and reports queue health per account', async () => {
    const op = await operator();
    for (let i = 0; i < 3; i++) await waitForRun(member.agent, (await start({ operatorId: op.id, input: `list ${i}` })).body.id);
    const page1 = await member.agent.get(`/api/v1/runs?operatorId=${op.id}&limit=2`);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await member.agent.get(`/api/v1/runs?operatorId=${op.id}&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items).toHaveLength(1);
    expect(new Set([...page1.body.items, ...page2.body.items].map((r: { id: string }) => r.id)).size).toBe(3);
    expect((await member.agent.get(`/api/v1/runs?operatorId=${op.id}&status=failed,cancelled`)).body.items).toHaveLength(0);
    expect((await member.agent.get('/api/v1/runs?status=bogus')).status).toBe(400);
    const health = await member.agent.get('/api/v1/queue-health');
    expect(health.body.accounts).toEqual(expect.arrayContaining([expect.objectContaining({ accountId: ws.mockAccountId, name: 'Mock provider', queued: 0, running: 0 })]));
    // The counts are this workspace's runs by state (the BullMQ queue's own counts are instance-wide: never here).
    expect(health.body.jobs).toEqual({ wait: 0, delayed: 0, active: 0 });
    const adminHealth = await admin.agent.get('/api/v1/queue-health');
    expect(adminHealth.body.jobs).toEqual({ wait: 0, delayed: 0, active: 0 });
    const run = await start({ operatorId: op.id, input: 'named' });
    expect(run.body).toMatchObject({ operatorName: op.name, startedBy: { type: 'user', id: ws.users.member.id, label: ws.users.member.email } });
  });

  it('lets viewers read runs but not start or cancel them', async () => {
    const viewer = await signIn(api.url, ws.users.viewer);
    const op = await operator();
    expect((await viewer.agent.post('/api/v1/runs').set('x-csrf-token', viewer.csrf).send({ operatorId: op.id, input: 'x' })).status).toBe(403);
    expect((await viewer.agent.get('/api/v1/runs')).status).toBe(200);
  });
});
