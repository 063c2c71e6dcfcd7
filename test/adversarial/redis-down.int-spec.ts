/**
 * Redis down while runs are accepted. Postgres is the source of truth, so `POST /runs` still answers 202 with the
 * run queued — bounded by the enqueue timeout, never hanging on Redis — and once Redis is back the reconciler
 * enqueues the run, which then succeeds exactly once. A private redis-server is stopped mid-test.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as } from '../support/api.js';
import { spawnWorkerProcess, startPrivateRedis, type WorkerProcess } from '../support/processes.js';
import { waitForRun } from '../support/runs.js';
import { startStack, type Stack } from '../support/stack.js';

/** The API waits this long for Redis before answering anyway (VAULTRUN_ENQUEUE_TIMEOUT_MS). */
const ENQUEUE_TIMEOUT_MS = 1000;
/**
 * The client gives up well after that bound: a functional limit with a wide margin for a loaded machine. Without the
 * bound the request waits out ioredis's reconnection attempts (tens of seconds) and this times out.
 */
const CLIENT_TIMEOUT_MS = 5000;

describe('Redis down', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let stack: Stack;
  let worker: WorkerProcess;
  let operatorId: string;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    stack = await startStack({ inProcessWorker: false, apiEnv: { REDIS_URL: redis.url, VAULTRUN_ENQUEUE_TIMEOUT_MS: String(ENQUEUE_TIMEOUT_MS) } });
    worker = await spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_WORKER_ID: 'redis-down' });
    // On the workspace's default account (the built-in mock provider).
    operatorId = (await as(stack.member).post('/api/v1/operators', { name: 'redis-down op' })).body.id;
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await redis?.stop();
  });

  it('POST /runs answers 202 (queued) within the enqueue bound; the reconciler runs it once Redis is back', async () => {
    // Everything works while Redis is up.
    const before = await as(stack.member).post('/api/v1/runs', { operatorId, input: 'before the outage' });
    expect((await waitForRun(stack.member.agent, before.body.id)).status).toBe('succeeded');

    await redis.stop();
    const accepted = await as(stack.member).post('/api/v1/runs', { operatorId, input: 'while Redis is down' }).timeout(CLIENT_TIMEOUT_MS);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'queued', input: 'while Redis is down' });
    const [stored] = await stack.api.db.query(`SELECT status FROM runs WHERE id = $1`, [accepted.body.id]);
    expect(stored.status).toBe('queued');
    // Readiness says why work is not moving.
    const ready = await stack.member.agent.get('/ready').timeout(CLIENT_TIMEOUT_MS);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.postgres).toBe('ok');
    expect(ready.body.checks.redis).not.toBe('ok');

    // Redis comes back empty (a restart without persistence): the run's job is only in Postgres's memory of it.
    redis = await startPrivateRedis(redis.port);
    const run = await waitForRun(stack.member.agent, accepted.body.id, undefined, 60_000);
    expect(run).toMatchObject({ status: 'succeeded', providerCalls: 1 });
    expect(run.events.filter((e: { type: string }) => e.type === 'succeeded')).toHaveLength(1);
    expect(run.events.filter((e: { type: string }) => e.type === 'running')).toHaveLength(1);
  });
});
