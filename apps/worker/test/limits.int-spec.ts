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

  it('never exceeds max concurrency, and both processes share it', async () => {
    // How busy the slots are kept is a speed figure: `pnpm bench limits` measures it (utilisation), not this test.
    const N = 3;
    const RUNS = 15;
    const key = 'sk-proj-test-concurrency';
    const { op } = await account(key, { maxConcurrency: N });
    fake.setLatency(1000);
    const ids = await startRuns(stack.member, op.id, RUNS, (i) => `concurrency ${i}`);
    const runs = await Promise.all(ids.map((id) => waitForRun(stack.member.agent, id, undefined, 60_000)));
    fake.setLatency(0);

    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    // Never more than N at once, and N at once at some point (the limit is a limit, not a throttle to one).
    expect(fake.maxInFlight(key)).toBe(N);
    // Both processes took part.
    const byWorker: { worker: string; n: number }[] = await stack.api.db.query(
      `SELECT data->>'worker' AS worker, count(*)::int AS n FROM run_events WHERE type = 'running' AND run_id = ANY($1) GROUP BY 1`,
      [ids],
    );
    expect(byWorker.map((w) => w.worker).sort()).toEqual(['limits-worker-1', 'limits-worker-2']);
  });

  it('never lets more than the requests-per-minute limit through in any 60 s window; the rest wait for the window', async () => {
    const RPM = 30;
    const key = 'sk-proj-test-rpm';
    const { op } = await account(key, { maxConcurrency: 20, requestsPerMinute: RPM });
    fake.reset();
    const ids = await startRuns(stack.member, op.id, RPM + 15, (i) => `rpm ${i}`);
    const settled = async () => {
      const [{ n }] = await stack.api.db.query(`SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status IN ('succeeded', 'waiting')`, [ids]);
      return n === ids.length;
    };
    await waitUntil(settled, 60_000, 'every run to be done or waiting');
    // Every call that was let through has been answered (its run succeeded), so the fake has seen them all.
    const calls = fake.requests.filter((r) => r.key === key).map((r) => r.receivedAt).sort((a, b) => a - b);
    // Arrival at the fake lags admission by a variable amount (the first call also decrypts the key), so the window
    // is checked 2 s short of a minute: a true violation lets a whole second batch through at once, not one call.
    const busiestWindow = Math.max(...calls.map((t) => calls.filter((u) => u >= t && u < t + 58_000).length));
    expect(busiestWindow).toBeLessThanOrEqual(RPM);
    const waiting = await stack.member.agent.get(`/api/v1/runs?operatorId=${op.id}&status=waiting&limit=200`);
    const succeeded = await stack.member.agent.get(`/api/v1/runs?operatorId=${op.id}&status=succeeded&limit=200`);
    expect(succeeded.body.items.length).toBe(calls.length);
    expect(waiting.body.items.length).toBe(ids.length - calls.length);
    // A run only waits for the window when the window is full: the limit was used, not just respected.
    expect(waiting.body.items.length).toBeGreaterThan(0);
    expect(calls.length).toBeGreaterThanOrEqual(RPM);
    for (const r of waiting.body.items) {
      expect(r.statusReason).toMatch(/requests-per-minute window/);
      // The next try is when the oldest call of the window leaves it: a minute after the first calls, not "soon".
      expect(Date.parse(r.nextAttemptAt)).toBeGreaterThan(calls[0]! + 30_000);
    }
    for (const r of waiting.body.items) await as(stack.member).post(`/api/v1/runs/${r.id}/cancel`);
  });
});
