/**
 * A hard cap is a hard cap (issue 10 §2): a provider that counts more prompt tokens than Vaultrun estimated is
 * charged in full, recorded as an overage on the run and the budget, pauses the budget at once (no admission while
 * runs from before it are in flight), alerts (audit, signed webhook, console flag) — and the account's calibration
 * makes the next holds big enough. Shrink-to-fit runs a run with fewer output tokens instead of blocking it.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { priceFor, usageCostMicroUsd } from '@vaultrun/providers';
import { as } from '../../../test/support/api.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { budgetPeriod, insertPriceOverride, ledgerSums } from '../../../test/support/money.js';
import { waitForRun, waitUntil } from '../../../test/support/runs.js';
import { type Stack, startStack } from '../../../test/support/stack.js';

describe('overage, calibration and shrink-to-fit (in-process worker)', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  /** Requests whose user message contains "[hold]" wait here until the test lets them through. */
  const held: (() => void)[] = [];

  beforeAll(async () => {
    // A provider that counts three times the prompt tokens it is sent (another tokenizer, a hidden system prompt).
    fake = await startFakeOpenAI({ inflatePromptTokens: { factor: 3 } });
    fake.replyWith(() => 'ok');
    fake.respondWith((req) => {
      const messages = (req.body as { messages?: { role?: string; content?: unknown }[] } | null)?.messages ?? [];
      if (!messages.some((m) => m.role === 'user' && String(m.content).includes('[hold]'))) return undefined;
      return new Promise<undefined>((resolve) => held.push(() => resolve(undefined)));
    });
    const allowPrivate = { VAULTRUN_WEBHOOK_ALLOW_PRIVATE: 'true' };
    stack = await startStack({ apiEnv: allowPrivate, workerEnv: allowPrivate });
  });
  afterAll(async () => {
    for (const release of held.splice(0)) release();
    await stack?.close();
    await fake?.close();
  });

  const REVIEW =
    'Summarise the quarterly budget review for the finance team: travel is up 12% on last quarter, software licences are flat, ' +
    'cloud spend fell after the storage clean-up, and the hiring plan moved two roles into the next quarter. Keep it short.';
  const admin = () => as(stack.admin);
  const member = () => as(stack.member);
  const runOf = (id: string) => waitForRun(member(), id, undefined, 30_000);

  it('an overage is charged, recorded on the run and the budget, pauses the budget while runs from before it are in flight, alerts, and calibrates the next hold', async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    try {
      const hook = await admin().put('/api/v1/workspace/alert-webhook', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` });
      expect(hook.status).toBe(200);
      const account = (await admin().post('/api/v1/provider-accounts', { verify: false, name: 'Counts triple', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-overage-0001', defaultModel: 'gpt-4.1-mini' })).body;
      const budget = (await admin().post('/api/v1/budgets', { name: 'Triple trouble', scope: { type: 'account', id: account.id }, period: 'month', capMicroUsd: 1_000_000 })).body;
      // One output token (the fake answers "ok"): the prompt is the whole cost, so the provider's count decides it.
      const operator = (await member().post('/api/v1/operators', { name: 'overshooter', accountId: account.id, maxOutputTokens: 1, instructions: 'Answer in one word.' })).body;
      const start = async (input: string) => {
        const res = await member().post('/api/v1/runs', { operatorId: operator.id, input });
        expect(res.status).toBe(202);
        return res.body.id as string;
      };

      // A run in flight (held open by the provider), then one that overshoots its hold while the first still is.
      const inFlight = await start(`[hold] ${REVIEW}`);
      await waitUntil(() => fake.inFlight() === 1, 20_000, 'the first call to be in flight');
      const over = await runOf(await start(`${REVIEW} (run 1)`));
      const price = priceFor('openai', 'gpt-4.1-mini')!.price;
      const charged = usageCostMicroUsd(price, { inputTokens: over.usage.inputTokens, outputTokens: over.usage.outputTokens, cachedInputTokens: 0 });
      expect(over).toMatchObject({ status: 'succeeded', costMicroUsd: charged, costLabel: 'estimated' });
      // Charged in full, the difference recorded on the run and said in its timeline.
      expect(over.usage.inputTokens).toBeGreaterThan(over.promptTokensHeld);
      expect(over.overageMicroUsd).toBe(charged - over.estimateMicroUsd);
      expect(over.overageMicroUsd).toBeGreaterThan(0);
      const said = over.events.find((e: { type: string }) => e.type === 'succeeded');
      expect(said.message).toMatch(/^Charged \$0\.\d+, \$0\.\d+ more than the \$0\.\d+ held: the provider counted \d+ prompt tokens where \d+ were held$/);
      expect(said.data).toMatchObject({ overageMicroUsd: over.overageMicroUsd, promptTokensReported: over.usage.inputTokens, promptTokensHeld: over.promptTokensHeld });

      // The budget: overage recorded, paused while the first run is in flight.
      const paused = (await member().get(`/api/v1/budgets/${budget.id}`)).body;
      expect(paused.currentPeriod).toMatchObject({ exhausted: true, overageMicroUsd: over.overageMicroUsd, spentMicroUsd: charged });
      expect(paused.currentPeriod.overageAt).not.toBeNull();
      // No new admission: the API answers at once, naming the budget and why.
      const refused = await member().post('/api/v1/runs', { operatorId: operator.id, input: 'one more, please' });
      expect(refused.status).toBe(402);
      expect(refused.body).toMatchObject({ code: 'budget_exhausted', budgetId: budget.id, exhausted: true });
      expect(refused.body.detail).toMatch(/^Budget "Triple trouble" is paused after an overage: a provider charged \$0\.\d+ more than was held for runs in flight\./);
      // The audit entry, written with the charge: what was in flight when it happened (both runs' worst cases).
      const inFlightRun = (await member().get(`/api/v1/runs/${inFlight}`)).body;
      const audits = await stack.api.db.query(`SELECT actor_label, metadata FROM audit_events WHERE action = 'budget.overage' AND target_id = $1`, [budget.id]);
      expect(audits).toEqual([
        {
          actor_label: 'budget guardrail',
          metadata: expect.objectContaining({
            name: 'Triple trouble',
            overageMicroUsd: String(over.overageMicroUsd),
            runsOverHold: 1,
            inFlightMicroUsd: String(over.estimateMicroUsd + inFlightRun.estimateMicroUsd),
            spentMicroUsd: String(charged),
          }),
        },
      ]);
      // The signed webhook.
      await waitUntil(() => received.length > 0, 30_000, 'the overage webhook');
      const event = JSON.parse(received[0]!.body);
      expect(received[0]!.headers['vaultrun-event']).toBe('budget.overage');
      expect(event).toMatchObject({
        type: 'budget.overage',
        workspaceId: stack.ws.id,
        createdAt: paused.currentPeriod.overageAt,
        budget: { id: budget.id, name: 'Triple trouble', capMicroUsd: 1_000_000, overageMicroUsd: over.overageMicroUsd, inFlightMicroUsd: over.estimateMicroUsd + inFlightRun.estimateMicroUsd },
      });
      const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(received[0]!.headers['vaultrun-signature']))!;
      expect(createHmac('sha256', hook.body.secret).update(`${sig[1]}.${received[0]!.body}`).digest('hex')).toBe(sig[2]);
      await waitUntil(async () => (await stack.api.db.query(`SELECT overage_delivered_at FROM budget_periods WHERE budget_id = $1`, [budget.id]))[0].overage_delivered_at !== null, 30_000, 'the delivery to be recorded');

      // The calibration learnt the provider's count at once.
      const [calibration] = await stack.api.db.query(`SELECT high_ratio_permille FROM token_calibrations WHERE account_id = $1 AND model = 'gpt-4.1-mini'`, [account.id]);
      const estimated: number = over.events.find((e: { type: string }) => e.type === 'running').data.promptTokensEstimated;
      expect(calibration.high_ratio_permille).toBe(Math.floor((over.usage.inputTokens * 1000 + estimated - 1) / estimated));
      expect(calibration.high_ratio_permille).toBeGreaterThan(2_000);

      // The run in flight ends (it overshoots too): the damage is known, the budget admits runs again.
      for (const release of held.splice(0)) release();
      const first = await runOf(inFlight);
      expect(first.overageMicroUsd).toBeGreaterThan(0);
      const resumed = (await member().get(`/api/v1/budgets/${budget.id}`)).body;
      expect(resumed.currentPeriod).toMatchObject({ exhausted: false, overageMicroUsd: over.overageMicroUsd + first.overageMicroUsd, heldMicroUsd: 0 });
      expect(await db().query(`SELECT 1 FROM audit_events WHERE action = 'budget.overage' AND target_id = $1`, [budget.id])).toHaveLength(1);

      // After one overshoot, the next hold for this account and model is big enough: no overage.
      const next = await runOf(await start(`${REVIEW} (run 2)`));
      expect(next.status).toBe('succeeded');
      expect(next.promptTokensHeld).toBeGreaterThanOrEqual(next.usage.inputTokens);
      expect(next.promptTokensHeld).toBeGreaterThanOrEqual(over.usage.inputTokens);
      expect(next.estimateMicroUsd).toBeGreaterThanOrEqual(usageCostMicroUsd(price, { inputTokens: next.usage.inputTokens, outputTokens: 1, cachedInputTokens: 0 }));
      expect(next.overageMicroUsd).toBeNull();

      const period = await budgetPeriod(stack.api.db, budget.id);
      expect(period.spent).toBe(over.costMicroUsd + first.costMicroUsd + next.costMicroUsd);
      expect(await ledgerSums(stack.api.db, budget.id)).toEqual({ spent: period.spent, held: 0 });
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  }, 90_000);

  it('shrink-to-fit: a run that does not fit runs with the max output tokens that do (recorded on it); below the floor the API refuses it', async () => {
    // mock-smart at $5,000 per 1M output tokens and nothing for input: 5,000 µ$ an output token, and the mock writes
    // every token it may — 20 tokens = $0.10.
    await insertPriceOverride(stack.api.db, stack.ws.id, 'mock-smart', { input: 0, output: 5_000_000_000 });
    const account = (await admin().post('/api/v1/provider-accounts', { verify: false, name: 'Shrinking mock', kind: 'mock' })).body;
    const bad = await admin().post('/api/v1/budgets', { name: 'Shrinks', scope: { type: 'account', id: account.id }, period: 'day', capMicroUsd: 150_000, shrinkToFit: { minOutputTokens: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'shrinkToFit.minOutputTokens', message: expect.stringContaining('1') }]);
    const budget = (await admin().post('/api/v1/budgets', { name: 'Shrinks', scope: { type: 'account', id: account.id }, period: 'day', capMicroUsd: 150_000, shrinkToFit: { minOutputTokens: 5 } })).body;
    expect(budget.shrinkToFit).toEqual({ minOutputTokens: 5 });
    const operator = (await member().post('/api/v1/operators', { name: 'long talker', accountId: account.id, model: 'mock-smart', maxOutputTokens: 20 })).body;
    const post = (input: string) => member().post('/api/v1/runs', { operatorId: operator.id, input });
    const run = async (input: string) => {
      const res = await post(input);
      expect(res.status).toBe(202);
      return runOf(res.body.id);
    };

    const whole = await run('please write a long and detailed answer about shrinking');
    expect(whole).toMatchObject({ status: 'succeeded', maxOutputTokens: 20, requestedMaxOutputTokens: null, costMicroUsd: 100_000 });
    // $0.05 left: the next run's $0.10 worst case does not fit; 10 output tokens do.
    const shrunk = await run('please write another long and detailed answer about shrinking');
    expect(shrunk).toMatchObject({ status: 'succeeded', maxOutputTokens: 10, requestedMaxOutputTokens: 20, estimateMicroUsd: 50_000, costMicroUsd: 50_000, overageMicroUsd: null });
    expect(shrunk.usage.outputTokens).toBe(10);
    expect(shrunk.events.find((e: { type: string }) => e.type === 'max_output_reduced')).toMatchObject({
      message: 'Max output tokens reduced from 20 to 10 to fit budget "Shrinks" ($0.05 of headroom; this run may now cost up to $0.05)',
      data: { from: 20, to: 10, budgetId: budget.id, floor: 5 },
    });
    // Nothing left: even at the floor of 5 tokens ($0.025) the run cannot fit — refused at once, saying so.
    const refused = await post('and one more');
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ code: 'budget_exhausted', budgetId: budget.id, shrinkFloor: 5 });
    expect(refused.body.detail).toBe(
      'Budget "Shrinks" has no headroom for this run, even with max output tokens reduced to its floor of 5: cap $0.15, spent $0.15; at that floor this run may cost up to $0.025.',
    );
    expect(await budgetPeriod(stack.api.db, budget.id)).toMatchObject({ spent: 150_000, held: 0 });
  }, 60_000);

  const db = () => stack.api.db;
});
