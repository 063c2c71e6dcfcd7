/**
 * Honest costs: every finished run carries a cost and how far it can be trusted (SPEC §5), a model without a
 * price never runs under a hard budget (and is never recorded as $0), and a budget's soft threshold alerts once —
 * audit entry, webhook (signed, retried until accepted), console flag.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QUEUES } from '@vaultrun/engine';
import { Queue } from 'bullmq';
import { mockCostMicroUsd, priceFor, usageCostMicroUsd } from '@vaultrun/providers';
import { as } from '../../../test/support/api.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { budgetPeriod } from '../../../test/support/money.js';
import { waitForRun, waitUntil } from '../../../test/support/runs.js';
import { type Stack, startStack } from '../../../test/support/stack.js';
import { startTestWorker } from '../../../test/support/worker.js';
import { RunsLifecycle } from '../src/runs.providers.js';

describe('cost labels, unpriced models and soft alerts', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let priced: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    priced = await startFakeOpenAI({ usageCost: '0.000123' });
    // No worker yet: some tests create runs before one exists. The webhook receivers listen on this host.
    const allowPrivate = { VAULTRUN_WEBHOOK_ALLOW_PRIVATE: 'true' };
    stack = await startStack({ inProcessWorker: false, apiEnv: allowPrivate, workerEnv: allowPrivate });
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
    await priced?.close();
  });

  const admin = () => as(stack.admin);
  const runOf = (id: string) => waitForRun(as(stack.member), id, undefined, 30_000);

  async function account(body: Record<string, unknown>): Promise<string> {
    const res = await admin().post('/api/v1/provider-accounts', { verify: false, ...body });
    expect([res.status, res.body.detail]).toEqual([201, undefined]);
    return res.body.id;
  }

  const operators = new Map<string, string>();
  /** An operator for this account/model/max output (made once), as runs need one. */
  async function operatorFor(o: { accountId: string; model?: string; maxOutputTokens?: number }): Promise<string> {
    const key = JSON.stringify(o);
    if (!operators.has(key)) {
      const res = await as(stack.member).post('/api/v1/operators', { name: `op ${operators.size}`, maxOutputTokens: 50, ...o });
      expect(res.status).toBe(201);
      operators.set(key, res.body.id);
    }
    return operators.get(key)!;
  }

  async function post(o: { accountId: string; model?: string; maxOutputTokens?: number; input?: string }) {
    const { input, ...op } = o;
    return as(stack.member).post('/api/v1/runs', { operatorId: await operatorFor(op), input: input ?? 'How much did this cost?' });
  }

  async function start(o: { accountId: string; model?: string; maxOutputTokens?: number; input?: string }): Promise<string> {
    const res = await post(o);
    expect(res.status).toBe(202);
    return res.body.id;
  }

  async function withWorker<T>(fn: (worker: Awaited<ReturnType<typeof startTestWorker>>) => Promise<T>): Promise<T> {
    const worker = await startTestWorker(stack.workerEnv);
    try {
      return await fn(worker);
    } finally {
      await worker.stop();
    }
  }

  it('labels every provider call: reported → verified, tokens × price → estimated or pending sync, otherwise unavailable (never $0)', async () => {
    const reporting = await account({ name: 'Mock reporting cost', kind: 'mock', mock: { reportCost: true } });
    const openai = await account({ name: 'OpenAI', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-labels-0001', defaultModel: 'gpt-4.1-mini' });
    const synced = await account({ name: 'OpenAI synced', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-labels-0002', defaultModel: 'gpt-4.1-mini' });
    expect((await admin().put(`/api/v1/provider-accounts/${synced}/admin-key`, { adminKey: 'sk-admin-labels-0000000000000000' })).status).toBe(200);
    const gateway = await account({ name: 'Gateway', kind: 'openai-compatible', baseUrl: priced.url, apiKey: 'gw-key', defaultModel: 'llama3.1' });
    const local = await account({ name: 'Local', kind: 'openai-compatible', baseUrl: fake.url, defaultModel: 'llama3.1' });
    const silent = await account({ name: 'No usage', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-labels-nousage', defaultModel: 'gpt-4.1-mini' });
    fake.respondWith((req) => {
      if (req.key !== 'sk-proj-labels-nousage' || req.path !== '/v1/chat/completions') return undefined;
      return { status: 200, body: { id: 'chatcmpl-x', object: 'chat.completion', created: 0, model: 'gpt-4.1-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] } };
    });

    const ids = {
      mockEstimated: await start({ accountId: stack.ws.mockAccountId, model: 'mock-fast' }),
      mockVerified: await start({ accountId: reporting, model: 'mock-smart' }),
      openaiEstimated: await start({ accountId: openai }),
      openaiPending: await start({ accountId: synced }),
      gatewayVerified: await start({ accountId: gateway }),
      unpriced: await start({ accountId: local }),
      noUsage: await start({ accountId: silent }),
    };
    const runs = await withWorker(async () => Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, await runOf(id)] as const))));
    fake.respondWith(null);
    for (const r of Object.values(runs)) expect(r.status).toBe('succeeded');

    const usage = (r: Record<string, any>) => ({ inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, cachedInputTokens: r.usage.cachedInputTokens ?? 0 });
    const mockFast = priceFor('mock', 'mock-fast')!.price;
    expect(runs.mockEstimated).toMatchObject({ costLabel: 'estimated', costMicroUsd: usageCostMicroUsd(mockFast, usage(runs.mockEstimated!)) });
    expect(runs.mockVerified).toMatchObject({ costLabel: 'verified', costMicroUsd: mockCostMicroUsd('mock-smart', usage(runs.mockVerified!)) });
    const table = priceFor('openai', 'gpt-4.1-mini')!.price;
    expect(runs.openaiEstimated).toMatchObject({ costLabel: 'estimated', costMicroUsd: usageCostMicroUsd(table, usage(runs.openaiEstimated!)) });
    expect(runs.openaiPending).toMatchObject({ costLabel: 'pending_sync', costMicroUsd: usageCostMicroUsd(table, usage(runs.openaiPending!)) });
    expect(runs.gatewayVerified).toMatchObject({ costLabel: 'verified', costMicroUsd: 123 });
    expect(runs.unpriced).toMatchObject({ costLabel: 'unavailable', costMicroUsd: null });
    expect(runs.noUsage).toMatchObject({ costLabel: 'unavailable', costMicroUsd: null });
    for (const r of Object.values(runs)) if (r.costMicroUsd !== null) expect(r.costMicroUsd).toBeGreaterThan(0);
  }, 90_000);

  it('a model without a price is refused under a hard budget — by the API at once, and by the worker for runs accepted earlier — until an override prices it', async () => {
    const local = await account({ name: 'Local llama', kind: 'openai-compatible', baseUrl: fake.url, defaultModel: 'llama3.2' });
    const early = await start({ accountId: local });
    const budget = (await admin().post('/api/v1/budgets', { name: 'Hard cap', scope: { type: 'account', id: local }, period: 'month', capMicroUsd: 5_000_000 })).body;
    expect(budget.id).toBeDefined();

    const refused = await post({ accountId: local, input: 'hi' });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'unpriced_model', budgetId: budget.id });
    expect(refused.body.detail).toMatch(/No price is known for model "llama3\.2".*budget "Hard cap"/);

    const blocked = await withWorker(() => runOf(early));
    expect(blocked).toMatchObject({ status: 'blocked', costMicroUsd: null, costLabel: null, blockedBy: { budgetId: budget.id, budgetName: 'Hard cap' } });
    expect(blocked.error).toMatchObject({ code: 'unpriced_model' });
    expect(fake.requests.filter((r) => (r.body as { model?: string } | null)?.model === 'llama3.2')).toHaveLength(0);

    expect((await admin().post('/api/v1/price-overrides', { model: 'llama3.2', inputMicroUsdPerM: 200_000, outputMicroUsdPerM: 600_000 })).status).toBe(201);
    const ok = await start({ accountId: local });
    const run = await withWorker(() => runOf(ok));
    expect(run.status).toBe('succeeded');
    const expected = usageCostMicroUsd({ input: 200_000, cachedInput: 200_000, output: 600_000 }, { inputTokens: run.usage.inputTokens, outputTokens: run.usage.outputTokens, cachedInputTokens: 0 });
    expect(run).toMatchObject({ costLabel: 'estimated', costMicroUsd: expected });
    expect((await budgetPeriod(stack.api.db, budget.id)).spent).toBe(expected);
  }, 60_000);

  it('the per-run cost cap blocks a run whose worst case exceeds it (worker side, for runs accepted before the cap)', async () => {
    const early = await start({ accountId: stack.ws.mockAccountId, model: 'mock-smart', maxOutputTokens: 1000 });
    // As if the operator's cap had been copied onto the run: worst case is ≥ 1000 × $4/1M = $0.004.
    await stack.api.db.query(`UPDATE runs SET cost_cap_micro_usd = 3000 WHERE id = $1`, [early]);
    const run = await withWorker(() => runOf(early));
    expect(run).toMatchObject({ status: 'blocked', blockedBy: null });
    expect(run.error).toMatchObject({ code: 'cost_cap_exceeded' });
    expect(run.statusReason).toMatch(/may cost up to \$0\.004\d*, above its per-run cost cap of \$0\.003/);
  }, 60_000);

  it('crossing the soft threshold alerts once: one audit entry, one signed webhook delivery (retried until accepted), the budget flagged', async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: string; answered: number }[] = [];
    const answers = [503];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const status = answers.shift() ?? 200;
        received.push({ headers: req.headers, body, answered: status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/vaultrun?token=abc`;
      const hook = await admin().put('/api/v1/workspace/alert-webhook', { url });
      expect(hook.status).toBe(200);
      const secret: string = hook.body.secret;

      const acct = await account({ name: 'Alerting mock', kind: 'mock' });
      await admin().post('/api/v1/price-overrides', { model: 'mock-smart', inputMicroUsdPerM: 0, outputMicroUsdPerM: 5_000_000_000 });
      const budget = (await admin().post('/api/v1/budgets', { name: 'Alerting', scope: { type: 'account', id: acct }, period: 'day', capMicroUsd: 1_000_000, softThresholdPct: 50 })).body;
      // Each run costs exactly $0.10 (20 output tokens at $5,000 / 1M): the 5th crosses 50% of $1.00.
      const runOne = async (i: number) => runOf(await start({ accountId: acct, model: 'mock-smart', maxOutputTokens: 20, input: `alert run ${i}: please write a long answer` }));
      await withWorker(async (worker) => {
        for (let i = 0; i < 4; i++) expect(await runOne(i)).toMatchObject({ status: 'succeeded', costMicroUsd: 100_000 });
        expect((await budgetPeriod(stack.api.db, budget.id)).alertedAt).toBeNull();
        for (let i = 4; i < 7; i++) expect((await runOne(i)).status).toBe('succeeded');
        await waitUntil(async () => (await budgetPeriod(stack.api.db, budget.id)).alertDeliveredAt !== null, 30_000, 'the alert to be delivered');
        // Two more passes of the reconciler (which feeds the alert outbox to the queue), then an idle notifications
        // queue: nothing is sent again.
        const lifecycle = worker.app.get(RunsLifecycle);
        await lifecycle.reconcile();
        await lifecycle.reconcile();
        const notifications = new Queue(QUEUES.notifications, { connection: { url: stack.api.config.redisUrl }, prefix: stack.api.config.bullPrefix });
        try {
          await waitUntil(async () => Object.values(await notifications.getJobCounts('wait', 'active', 'delayed', 'prioritized')).every((n) => n === 0), 30_000, 'the notifications queue to be idle');
        } finally {
          await notifications.close();
        }
      });

      const audits = await stack.api.db.query(`SELECT metadata FROM audit_events WHERE action = 'budget.soft_threshold_crossed' AND target_id = $1`, [budget.id]);
      expect(audits).toHaveLength(1);
      expect(audits[0].metadata).toMatchObject({ name: 'Alerting', spentMicroUsd: '500000', capMicroUsd: '1000000', softThresholdPct: 50 });

      expect(received.map((r) => r.answered)).toEqual([503, 200]);
      const [first, second] = received;
      expect(second!.body).toBe(first!.body);
      expect(second!.headers['vaultrun-delivery']).toBe(first!.headers['vaultrun-delivery']);
      const event = JSON.parse(second!.body);
      expect(event).toMatchObject({ type: 'budget.soft_threshold_crossed', workspaceId: stack.ws.id, budget: { id: budget.id, name: 'Alerting', capMicroUsd: 1_000_000, softThresholdPct: 50, spentMicroUsd: 500_000 } });
      const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(second!.headers['vaultrun-signature']))!;
      expect(sig).not.toBeNull();
      expect(createHmac('sha256', secret).update(`${sig[1]}.${second!.body}`).digest('hex')).toBe(sig[2]);
      expect(createHmac('sha256', 'whsec_wrong').update(`${sig[1]}.${second!.body}`).digest('hex')).not.toBe(sig[2]);

      const shown = (await as(stack.member).get(`/api/v1/budgets/${budget.id}`)).body;
      expect(shown.currentPeriod).toMatchObject({ softThresholdReached: true, spentMicroUsd: 700_000 });
      expect(shown.currentPeriod.alertedAt).not.toBeNull();
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  }, 90_000);

  it('a worker that may not reach private networks sends no alert to this host, and does not retry', async () => {
    let hits = 0;
    const receiver: Server = createServer((_req, res) => {
      hits++;
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const queue = new Queue(QUEUES.notifications, { connection: { url: stack.api.config.redisUrl }, prefix: stack.api.config.bullPrefix });
    try {
      // Saved while private networks were allowed: the worker checks again before it sends (names also as they resolve:
      // src/webhook-http.spec.ts).
      const url = `http://localhost:${(receiver.address() as AddressInfo).port}/hooks/vaultrun`;
      expect((await admin().put('/api/v1/workspace/alert-webhook', { url })).status).toBe(200);
      const acct = await account({ name: 'Alerting mock (private hook)', kind: 'mock' });
      const budget = (await admin().post('/api/v1/budgets', { name: 'Alerting privately', scope: { type: 'account', id: acct }, period: 'day', capMicroUsd: 1_000_000, softThresholdPct: 10 })).body;
      const worker = await startTestWorker({ ...stack.workerEnv, VAULTRUN_WEBHOOK_ALLOW_PRIVATE: 'false' });
      try {
        // $0.10 a run: the second crosses 10% of $1.00 (the override from the test above prices mock-smart).
        for (let i = 0; i < 3; i++) expect((await runOf(await start({ accountId: acct, model: 'mock-smart', maxOutputTokens: 20, input: `private hook run ${i}: a long answer` }))).status).toBe('succeeded');
        await waitUntil(async () => (await budgetPeriod(stack.api.db, budget.id)).alertedAt !== null, 30_000, 'the alert');
        let failed: Awaited<ReturnType<Queue['getFailed']>> = [];
        await waitUntil(async () => (failed = (await queue.getFailed()).filter((j) => j.data.budgetId === budget.id)).length > 0, 30_000, 'the delivery to fail');
        expect(failed).toHaveLength(1);
        expect(failed[0]!.failedReason).toBe('webhook not sent: localhost is this machine');
        expect(failed[0]!.attemptsMade).toBe(1); // unrecoverable: not retried
      } finally {
        await worker.stop();
      }
      expect(hits).toBe(0);
      expect((await budgetPeriod(stack.api.db, budget.id)).alertDeliveredAt).toBeNull();
      // The API, with its default, refuses such a URL outright (tested in alert-webhook.e2e-spec.ts).
    } finally {
      await queue.close();
      await new Promise((r) => receiver.close(r));
    }
  }, 90_000);
});
