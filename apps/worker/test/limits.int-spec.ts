/**
 * Per-account limits are global across worker processes: two real worker processes share one account's
 * concurrency and requests-per-minute limits, and still use all of them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as } from '../../../test/support/api.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { spawnWorkerProcess, type WorkerProcess } from '../../../test/support/processes.js';
import { waitForRun, waitUntil } from '../../../test/support/runs.js';
import { startRuns, startStack, type Stack } from '../../../test/support/stack.js';

describe('account limits across two worker processes', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    stack = await startStack({ inProcessWorker: false });
    workers = await Promise.all([1, 2].map((n) => spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_WORKER_ID: `limits-worker-${n}` })));
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await stack?.close();
    await fake?.close();
  });

  async function account(key: string, limits: object) {
    const acct = (await as(stack.admin).post('/api/v1/provider-accounts', { name: key, kind: 'openai', baseUrl: fake.url, apiKey: key, defaultModel: 'gpt-4.1-mini', verify: false, limits })).body;
    const op = (await as(stack.member).post('/api/v1/operators', { name: `op-${key}`, accountId: acct.id })).body;
    return { acct, op };
  }

  it('never exceeds max concurrency, and keeps all of it busy', async () => {
    const N = 3;
    // Calls long enough that the hand-over between one call and the next (a few database writes, a Redis script,
    // a BullMQ move) is small beside them even on a loaded CI machine, where it has been seen to take ~130 ms.
    const RUNS = 15;
    const LATENCY = 1000;
    const key = 'sk-proj-test-concurrency';
    const { op } = await account(key, { maxConcurrency: N });
    fake.setLatency(LATENCY);
    const ids = await startRuns(stack.member, op.id, RUNS, (i) => `concurrency ${i}`);
    const runs = await Promise.all(ids.map((id) => waitForRun(stack.member.agent, id, undefined, 60_000)));
    fake.setLatency(0);

    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(fake.maxInFlight(key)).toBe(N);
    // Slots must not sit idle: over the span from the first provider call to the last answer, the calls in flight
    // average at least 70% of N (the ideal is RUNS/N back-to-back batches of LATENCY). Measured on the runs' own
    // timings, so the test harness's admission and polling do not count.
    const span = Math.max(...runs.map((r) => Date.parse(r.timings.finishedAt))) - Math.min(...runs.map((r) => Date.parse(r.timings.providerStartedAt)));
    const averageInFlight = (RUNS * LATENCY) / span;
    expect(averageInFlight).toBeGreaterThanOrEqual(0.7 * N);
    // Both processes took part.
    const byWorker: { worker: string; n: number }[] = await stack.api.db.query(
      `SELECT data->>'worker' AS worker, count(*)::int AS n FROM run_events WHERE type = 'running' AND run_id = ANY($1) GROUP BY 1`,
      [ids],
    );
    expect(byWorker.map((w) => w.worker).sort()).toEqual(['limits-worker-1', 'limits-worker-2']);
  });

  it('holds requests per minute within ±10% over the window, the rest waiting for it', async () => {
    const RPM = 30;
    const key = 'sk-proj-test-rpm';
    const { op } = await account(key, { maxConcurrency: 20, requestsPerMinute: RPM });
    fake.reset();
    const ids = await startRuns(stack.member, op.id, RPM + 15, (i) => `rpm ${i}`);
    await waitUntil(async () => {
      const [{ n }] = await stack.api.db.query(`SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status IN ('succeeded', 'waiting')`, [ids]);
      return n === ids.length;
    }, 20_000, 'every run to be done or waiting');
    await new Promise((r) => setTimeout(r, 1500));
    const calls = fake.requests.filter((r) => r.key === key).length;
    expect(calls).toBeGreaterThanOrEqual(Math.floor(RPM * 0.9));
    expect(calls).toBeLessThanOrEqual(Math.ceil(RPM * 1.1));
    const waiting = await stack.member.agent.get(`/api/v1/runs?operatorId=${op.id}&status=waiting&limit=200`);
    expect(waiting.body.items.length).toBe(ids.length - calls);
    for (const r of waiting.body.items) {
      expect(r.statusReason).toMatch(/requests-per-minute window/);
      expect(Date.parse(r.nextAttemptAt)).toBeGreaterThan(Date.now() + 30_000);
    }
    for (const r of waiting.body.items) await as(stack.member).post(`/api/v1/runs/${r.id}/cancel`);
  });
});
