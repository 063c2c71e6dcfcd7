/** SIGTERM: no new runs are taken; in-flight ones finish within the grace period or are handed back. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { as } from '../../../test/support/api.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { spawnWorkerProcess } from '../../../test/support/processes.js';
import { waitForRun, waitUntil } from '../../../test/support/runs.js';
import { startRuns, startStack, type Stack } from '../../../test/support/stack.js';
import { runCleanups } from '../../../test/support/cleanups.js';

describe('graceful shutdown', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await runCleanups(cleanup);
  });

  async function setUp() {
    const fake = await startFakeOpenAI();
    cleanup.push(() => fake.close());
    const stack = await startStack({ inProcessWorker: false });
    cleanup.push(() => stack.close());
    const key = `sk-proj-test-shutdown-${Date.now()}`;
    const acct = (await as(stack.admin).post('/api/v1/provider-accounts', { name: key, kind: 'openai', baseUrl: fake.url, apiKey: key, defaultModel: 'gpt-4.1-mini', verify: false })).body;
    const op = (await as(stack.member).post('/api/v1/operators', { name: 'op', accountId: acct.id })).body;
    return { fake, stack, key, op } as { fake: FakeOpenAI; stack: Stack; key: string; op: { id: string } };
  }

  it('lets in-flight runs finish within the grace period, then exits 0', async () => {
    const { fake, stack, key, op } = await setUp();
    // At info level the worker says when it stops taking runs.
    const worker = await spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_WORKER_SHUTDOWN_GRACE_MS: '10000', LOG_LEVEL: 'info' });
    fake.setLatency(1500);
    const ids = await startRuns(stack.member, op.id, 2, (i) => `drain ${i}`);
    await waitUntil(() => fake.inFlight(key) === 2, 15_000, 'two calls in flight');
    const exited = worker.stop();
    // Logged in the same tick that stops the worker taking runs: anything queued after this line is not taken.
    await waitUntil(() => worker.output.join('').includes('Shutting down: no new jobs'), 15_000, 'the worker to stop taking runs');
    const queuedLater = (await as(stack.member).post('/api/v1/runs', { operatorId: op.id, input: 'arrives during shutdown' })).body.id as string;
    const code = await exited;
    expect(code).toBe(0);
    for (const id of ids) expect((await stack.member.agent.get(`/api/v1/runs/${id}`)).body.status).toBe('succeeded');
    // A run that arrived during shutdown was not taken; it waits for the next worker.
    expect(['queued', 'waiting']).toContain((await stack.member.agent.get(`/api/v1/runs/${queuedLater}`)).body.status);
  });

  it('hands runs back to the queue when the grace period runs out, and another worker finishes them', async () => {
    const { fake, stack, key, op } = await setUp();
    const worker = await spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_WORKER_SHUTDOWN_GRACE_MS: '300', VAULTRUN_WORKER_ID: 'leaving' });
    fake.setLatency(20_000);
    const ids = await startRuns(stack.member, op.id, 2, (i) => `handback ${i}`);
    await waitUntil(() => fake.inFlight(key) === 2, 15_000, 'two calls in flight');
    expect(await worker.stop()).toBe(0);
    // It did not wait for the 20 s calls: it aborted them once the grace period was over.
    await waitUntil(() => fake.requests.filter((r) => r.key === key).every((r) => r.aborted), 10_000, 'the held calls to be aborted');
    expect(fake.requests.filter((r) => r.key === key && r.status !== null)).toEqual([]);
    for (const id of ids) {
      const run = (await stack.member.agent.get(`/api/v1/runs/${id}`)).body;
      expect(['queued', 'waiting']).toContain(run.status);
      expect(run.events.map((e: { type: string }) => e.type)).toContain('released');
    }
    fake.setLatency(0);
    const next = await spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_WORKER_ID: 'arriving' });
    cleanup.push(() => next.stop());
    for (const id of ids) expect((await waitForRun(stack.member.agent, id, undefined, 30_000)).status).toBe('succeeded');
  });
});
