/**
 * Postgres is the source of truth: losing every job in Redis or killing a worker mid-call loses no run and
 * completes none twice.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { as } from '../../../test/support/api.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { spawnWorkerProcess, startPrivateRedis } from '../../../test/support/processes.js';
import { waitUntil } from '../../../test/support/runs.js';
import { startRuns, startStack, type Stack } from '../../../test/support/stack.js';
import { runCleanups } from '../../../test/support/cleanups.js';

describe('durability', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await runCleanups(cleanup);
  });

  async function setUp(env: Record<string, string> = {}) {
    const fake = await startFakeOpenAI();
    cleanup.push(() => fake.close());
    const stack = await startStack({ inProcessWorker: false, apiEnv: env });
    cleanup.push(() => stack.close());
    return { fake, stack };
  }

  async function operatorOn(stack: Stack, fake: FakeOpenAI, key: string, maxConcurrency: number) {
    const acct = (await as(stack.admin).post('/api/v1/provider-accounts', { name: key, kind: 'openai', baseUrl: fake.url, apiKey: key, defaultModel: 'gpt-4.1-mini', verify: false, limits: { maxConcurrency } })).body;
    return (await as(stack.member).post('/api/v1/operators', { name: `op-${key}`, accountId: acct.id })).body as { id: string };
  }

  const counts = async (stack: Stack, ids: string[]) =>
    (await stack.api.db.query(`SELECT status, count(*)::int AS n FROM runs WHERE id = ANY($1) GROUP BY status`, [ids])) as { status: string; n: number }[];

  it('Redis FLUSHALL in the middle of 500 runs: every run still finishes, exactly once', async () => {
    const redis = await startPrivateRedis();
    cleanup.push(() => redis.stop());
    const { fake, stack } = await setUp({ REDIS_URL: redis.url });
    const workers = await Promise.all([1, 2].map((n) => spawnWorkerProcess({ ...stack.workerEnv, REDIS_URL: redis.url, VAULTRUN_WORKER_ID: `flush-${n}` })));
    cleanup.push(() => Promise.all(workers.map((w) => w.stop())));
    const key = 'sk-proj-test-flush';
    const op = await operatorOn(stack, fake, key, 20);
    fake.setLatency(20);

    const ids = await startRuns(stack.member, op.id, 500, (i) => `flush run ${i}`, 25);
    await waitUntil(async () => ((await counts(stack, ids)).find((c) => c.status === 'succeeded')?.n ?? 0) >= 100, 60_000, '100 runs to finish');
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();

    await waitUntil(async () => ((await counts(stack, ids)).find((c) => c.status === 'succeeded')?.n ?? 0) === 500, 280_000, 'all 500 runs to finish');
    expect(await counts(stack, ids)).toEqual([{ status: 'succeeded', n: 500 }]);
    // Exactly once: one "succeeded" event per run.
    const finals: { n: number }[] = await stack.api.db.query(`SELECT count(*)::int AS n FROM run_events WHERE run_id = ANY($1) AND type = 'succeeded' GROUP BY run_id`, [ids]);
    expect(finals).toHaveLength(500);
    expect(finals.every((f) => f.n === 1)).toBe(true);
    // No run reached the provider more than twice (only runs in flight at the flush could be called again).
    const perInput = new Map<string, number>();
    for (const r of fake.requests) {
      const input = JSON.stringify(r.body).match(/flush run \d+/)?.[0];
      if (input) perInput.set(input, (perInput.get(input) ?? 0) + 1);
    }
    expect(perInput.size).toBe(500);
    expect(Math.max(...perInput.values())).toBeLessThanOrEqual(2);
  }, 300_000);

  it('SIGKILL of a worker mid-run: its runs finish once, with at most one extra provider call each', async () => {
    const { fake, stack } = await setUp();
    const victim = await spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_WORKER_ID: 'victim' });
    const key = 'sk-proj-test-sigkill';
    const op = await operatorOn(stack, fake, key, 8);
    fake.setLatency(4_000);
    const ids = await startRuns(stack.member, op.id, 4, (i) => `kill run ${i}`);
    await waitUntil(() => fake.inFlight(key) === 4, 20_000, 'four calls in flight on the victim');
    await victim.kill();

    // A survivor takes over once the victim's leases expire.
    const survivor = await spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_WORKER_ID: 'survivor' });
    cleanup.push(() => survivor.stop());
    fake.setLatency(50);
    await waitUntil(async () => ((await counts(stack, ids)).find((c) => c.status === 'succeeded')?.n ?? 0) === 4, 60_000, 'the runs to finish');

    const runs = await Promise.all(ids.map(async (id) => (await stack.member.agent.get(`/api/v1/runs/${id}`)).body));
    for (const r of runs) {
      expect(r.status).toBe('succeeded');
      expect(r.providerCalls).toBe(2);
      expect(r.events.filter((e: { type: string }) => e.type === 'succeeded')).toHaveLength(1);
      expect(r.events.map((e: { type: string }) => e.type)).toContain('recovered');
    }
    for (let i = 0; i < 4; i++) {
      const calls = fake.requests.filter((r) => JSON.stringify(r.body).includes(`kill run ${i}"`) || JSON.stringify(r.body).includes(`kill run ${i}\\`)).length;
      expect(calls).toBeLessThanOrEqual(2);
    }
    expect(fake.requests.filter((r) => r.aborted).length).toBe(4);
  });
});
