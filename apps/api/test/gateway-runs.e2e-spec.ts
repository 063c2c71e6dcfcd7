/**
 * The gateway and runs share one engine: one limiter line per account (a slot a run frees wakes a waiting gateway call
 * in its API process through Redis pub/sub, and a slot a call frees wakes a waiting run through its queued job), and a
 * gateway call whose process died is finished by the worker's reconciler with its worst case kept — never re-run.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GatewayAdmissions, QUEUES } from '@vaultrun/engine';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { as } from '../../../test/support/api.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { gatewayClient, inferenceToken } from '../../../test/support/gateway.js';
import { budgetPeriod, insertBudget } from '../../../test/support/money.js';
import { eventually, waitForRun } from '../../../test/support/runs.js';
import { startStack, type Stack } from '../../../test/support/stack.js';

describe('gateway and runs: one limiter, one line, one reconciler', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let token: { id: string; token: string };
  let accountId: string;
  let operatorId: string;
  const KEY = 'sk-proj-shared-line-000000000000000000000000';

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    stack = await startStack();
    const account = await as(stack.admin).post('/api/v1/provider-accounts', { name: 'Shared', kind: 'openai', baseUrl: fake.url, apiKey: KEY, defaultModel: 'gpt-4o-mini', verify: false, limits: { maxConcurrency: 1 } });
    accountId = account.body.id;
    operatorId = (await as(stack.member).post('/api/v1/operators', { name: 'shared op', accountId })).body.id;
    token = await inferenceToken(stack.admin);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  /** Holds the provider's answers for this key until `release()`. */
  function holdCalls() {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fake.respondWith(async (req) => {
      if (req.key === KEY) await held;
      return undefined;
    });
    return release;
  }

  it('a slot a run frees wakes the gateway call waiting for it, in its process, by pub/sub', async () => {
    const release = holdCalls();
    const runId = (await as(stack.member).post('/api/v1/runs', { operatorId, input: 'the run goes first' })).body.id;
    await fake.waitFor(() => fake.inFlight(KEY) === 1, 20_000);
    const listener = new Redis(stack.api.config.redisUrl);
    const wakes: string[] = [];
    await listener.psubscribe(`${stack.api.config.redisPrefix}:gateway-wake:*`);
    listener.on('pmessage', (_p, _c, message: string) => wakes.push(message));
    try {
      const call = gatewayClient(stack.api.url, token.token, { maxRetries: 0 }).chat.completions.create({ model: 'Shared/gpt-4o-mini', messages: [{ role: 'user', content: 'then me' }] });
      const redis = new Redis(stack.api.config.redisUrl);
      await eventually(() => redis.zcard(`${stack.api.config.redisPrefix}:acct:{${accountId}}:waiters`), (n) => n === 1, 'call in line');
      redis.disconnect();
      release();
      const answer = await call;
      expect(answer.choices[0]!.message.content).toBe('Fake reply to: then me');
      expect((await waitForRun(stack.member.agent, runId)).status).toBe('succeeded');
      // The worker's release woke the call through its process's channel (not its safety-net timer).
      expect(wakes).toEqual([expect.stringMatching(new RegExp(`^${accountId} gw:`))]);
      expect(fake.maxInFlight(KEY)).toBe(1);
    } finally {
      release();
      listener.disconnect();
    }
  });

  it('a slot a gateway call frees goes to the run waiting in line', async () => {
    const release = holdCalls();
    const call = gatewayClient(stack.api.url, token.token, { maxRetries: 0 }).chat.completions.create({ model: 'Shared/gpt-4o-mini', messages: [{ role: 'user', content: 'me first' }] });
    await fake.waitFor(() => fake.inFlight(KEY) === 1, 20_000);
    const runId = (await as(stack.member).post('/api/v1/runs', { operatorId, input: 'the run waits' })).body.id;
    const waiting = await waitForRun(stack.member.agent, runId, ['waiting']);
    expect(waiting.statusReason).toContain('max concurrency');
    release();
    await call;
    const run = await waitForRun(stack.member.agent, runId);
    expect(run.status).toBe('succeeded');
    expect(fake.maxInFlight(KEY)).toBe(1);
  });

  it('a call whose process died is finished by the reconciler, its worst case kept; it is never queued as a run', async () => {
    const budget = await insertBudget(stack.api.db, stack.ws.id, { capMicroUsd: 10_000_000, name: 'lost calls' });
    try {
      // A gateway process that wrote its record and holds, then vanished: its lease runs out at once.
      const runId = randomUUID();
      const admitted = await new GatewayAdmissions(stack.api.db, 60_000).admit({
        runId,
        workspaceId: stack.ws.id,
        tokenId: token.id,
        accountId,
        model: 'gpt-4o-mini',
        worstCase: 1234,
        shrink: null,
        input: '',
        maxOutputTokens: 100,
        gateway: { endpoint: 'chat.completions', stream: true, requestedModel: 'Shared/gpt-4o-mini', routeId: null, attempts: 1 },
        requestId: 'lost-call',
        arrivedAt: new Date(),
        leaseOwner: 'a-process-that-died',
        leaseMs: 1,
        promptTokensHeld: 10,
        message: 'Calling Shared (gpt-4o-mini)',
        eventData: {},
        previousClosing: null,
      });
      expect(admitted).toMatchObject({ ok: true, budgets: 1, heldMicroUsd: 1234 });
      const run = await waitForRun(stack.member.agent, runId, ['failed'], 30_000);
      expect(run).toMatchObject({ kind: 'gateway', error: { code: 'gateway_call_lost' }, costLabel: 'unavailable', costMicroUsd: null });
      expect(run.events.map((e: { type: string }) => e.type)).not.toContain('recovered');
      const period = await eventually(() => budgetPeriod(stack.api.db, budget), (p) => p.held === 0, 'hold closed');
      expect(period.spent).toBe(1234);
      const [hold] = await stack.api.db.query(`SELECT status, charged_micro_usd FROM budget_holds WHERE run_id = $1`, [runId]);
      expect([hold.status, Number(hold.charged_micro_usd)]).toEqual(['kept', 1234]);
      const queue = new Queue(QUEUES.runs, { connection: { url: stack.api.config.redisUrl }, prefix: stack.api.config.bullPrefix });
      expect(await queue.getJob(runId)).toBeUndefined();
      await queue.close();
    } finally {
      await stack.api.db.query(`DELETE FROM budgets WHERE id = $1`, [budget]);
    }
  });
});
