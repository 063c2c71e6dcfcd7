/**
 * A worker that loses a run's lease stops calling the provider, and nothing it does afterwards can overwrite the
 * run another worker took over. Two executors (two "workers") are driven directly on one stack's database.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AccountLimiter, ProviderCache, RunBus, RunExecutor, transitionRun } from '@vaultrun/engine';
import { Envelope, loadKeyRing, SecretStore } from '@vaultrun/vault-core';
import { Redis } from 'ioredis';
import { as } from '../support/api.js';
import { testEnv } from '../support/env.js';
import { type FakeOpenAI, type FakeRequest, startFakeOpenAI } from '../support/fake-openai.js';
import { type Stack, startStack } from '../support/stack.js';

describe('lease loss', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let redis: Redis;
  let operatorId: string;
  const key = 'sk-proj-test-lease-loss';

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    // No worker of the stack's own: the two executors below are the only workers.
    stack = await startStack({ inProcessWorker: false });
    redis = new Redis(stack.api.config.redisUrl);
    const account = (await as(stack.admin).post('/api/v1/provider-accounts', { name: 'leased', kind: 'openai', baseUrl: fake.url, apiKey: key, defaultModel: 'gpt-4.1-mini', verify: false, limits: { maxConcurrency: 4 } })).body;
    operatorId = (await as(stack.member).post('/api/v1/operators', { name: 'lease op', accountId: account.id })).body.id;
  });
  afterAll(async () => {
    fake.respondWith(null);
    await redis.quit();
    await stack.close();
    await fake.close();
  });

  function worker(workerId: string, leaseTtlMs: number): RunExecutor {
    const { db, config } = stack.api;
    const secrets = new SecretStore(new Envelope(loadKeyRing({ keys: testEnv().masterKeys, readFile: () => '' })));
    return new RunExecutor({
      db,
      limiter: new AccountLimiter(redis, config.redisPrefix, leaseTtlMs),
      // The fake provider listens on this host.
      providers: new ProviderCache(db, secrets, { outbound: { allowPrivate: true } }),
      bus: new RunBus(redis, config.redisPrefix),
      workerId,
      leaseTtlMs,
      holdTtlMs: 120_000,
      retry: { baseDelayMs: 50, maxDelayMs: 200 },
    });
  }

  async function startRun(input: string): Promise<string> {
    const res = await as(stack.member).post('/api/v1/runs', { operatorId, input });
    expect(res.status).toBe(202);
    return res.body.id as string;
  }

  /** The first worker's call is held by the provider until `release` (never, unless called); others are answered at once. */
  function holdFirstCall(input: string, answer?: Promise<{ completionTokens: number }>) {
    let first: FakeRequest | undefined;
    fake.respondWith(async (request) => {
      if (request.path !== '/v1/chat/completions' || !JSON.stringify(request.body).includes(input)) return undefined;
      if (first && first !== request) return undefined;
      first = request;
      const { completionTokens } = await (answer ?? new Promise<never>(() => undefined));
      return {
        status: 200,
        body: {
          id: 'chatcmpl-late',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4.1-mini',
          choices: [{ index: 0, message: { role: 'assistant', content: 'the loser’s late answer' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 900, completion_tokens: completionTokens, total_tokens: 900 + completionTokens },
        },
      };
    });
    return () => first;
  }

  /**
   * What the reconciler does to a run whose lease expired (its worker stopped renewing it), in one statement: forcing
   * the expiry first would race with the loser's next renewal.
   */
  const recover = async (runId: string) => {
    const res = await transitionRun(stack.api.db, runId, ['running'], 'queued', { lease_owner: null, lease_expires_at: null }, { type: 'recovered', message: 'lease forced to expire by the test' });
    expect(res.from).toBe('running');
  };

  const row = async (runId: string) =>
    (
      await stack.api.db.query(
        `SELECT status, output, lease_owner, input_tokens, output_tokens, cost_micro_usd, provider_calls,
                (SELECT count(*)::int FROM run_events e WHERE e.run_id = r.id AND e.type = 'succeeded') AS succeeded_events,
                (SELECT array_agg(e.data->>'worker' ORDER BY e.created_at) FROM run_events e WHERE e.run_id = r.id AND e.type = 'running') AS claimed_by
           FROM runs r WHERE id = $1`,
        [runId],
      )
    )[0];

  it('a worker whose lease is taken over aborts its provider call and writes nothing; the taker’s result stands', async () => {
    const input = 'lease taken over';
    const firstCall = holdFirstCall(input);
    const runId = await startRun(input);
    const loser = worker('worker-loser', 3_000);
    const taker = worker('worker-taker', 3_000);

    const losing = loser.execute(runId);
    await fake.waitFor(() => firstCall() !== undefined, 20_000);
    // Another worker takes the run over, as after the loser's lease expired: recovered, then claimed by the taker.
    await recover(runId);
    expect(await taker.execute(runId)).toEqual({ outcome: 'succeeded' });

    // The loser's next renewal finds the lease gone: its call is aborted (the provider sees the client go away).
    expect(await losing).toEqual({ outcome: 'skipped' });
    await fake.waitFor(() => firstCall()!.aborted, 5_000);
    expect(loser.activeRuns).toBe(0);

    const final = await row(runId);
    expect(final).toMatchObject({ status: 'succeeded', output: `Fake reply to: ${input}`, lease_owner: null, provider_calls: 2, succeeded_events: 1 });
    expect(final.claimed_by).toEqual(['worker-loser', 'worker-taker']);
    fake.respondWith(null);
  });

  it('a loser whose call still answers after the takeover never overwrites the taker’s tokens or cost', async () => {
    const input = 'late answer after takeover';
    let answerLoser!: (value: { completionTokens: number }) => void;
    const loserAnswer = new Promise<{ completionTokens: number }>((resolve) => (answerLoser = resolve));
    const firstCall = holdFirstCall(input, loserAnswer);
    const runId = await startRun(input);
    // A lease long enough that the loser's heartbeat does not notice the takeover before its answer arrives.
    const loser = worker('worker-slow', 120_000);
    const taker = worker('worker-fast', 120_000);

    const losing = loser.execute(runId);
    await fake.waitFor(() => firstCall() !== undefined, 20_000);
    await recover(runId);
    expect(await taker.execute(runId)).toEqual({ outcome: 'succeeded' });
    const takersRow = await row(runId);
    expect(takersRow.output_tokens).toBeLessThan(100);

    // Now the loser's call comes back, with far more tokens (and so a higher cost) than the taker's.
    answerLoser({ completionTokens: 5_000 });
    expect(await losing).toEqual({ outcome: 'skipped' });
    const final = await row(runId);
    expect(final).toEqual(takersRow);
    expect(final).toMatchObject({ status: 'succeeded', output: `Fake reply to: ${input}`, succeeded_events: 1 });
    fake.respondWith(null);
  });
});
