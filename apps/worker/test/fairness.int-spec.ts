/** One account's backlog must not delay another account's runs: waiting runs hold no worker slot. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as } from '../../../test/support/api.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { spawnWorkerProcess, type WorkerProcess } from '../../../test/support/processes.js';
import { waitForRun } from '../../../test/support/runs.js';
import { startRuns, startStack, type Stack } from '../../../test/support/stack.js';

describe('fairness between accounts', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let workers: WorkerProcess[];

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    stack = await startStack({ inProcessWorker: false });
    workers = await Promise.all([1, 2].map((n) => spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_WORKER_ID: `fair-${n}`, VAULTRUN_RUNS_CONCURRENCY: '20' })));
  });
  afterAll(async () => {
    await stack.api.db.query(`UPDATE runs SET status = 'cancelled' WHERE status IN ('queued', 'waiting')`);
    await Promise.all(workers.map((w) => w.stop()));
    await stack.close();
    await fake.close();
  });

  it('account A with 2,000 queued runs and a tight limit does not hold back account B', async () => {
    const aKey = 'sk-proj-test-backlog';
    const a = (await as(stack.admin).post('/api/v1/provider-accounts', { name: 'A', kind: 'openai', baseUrl: fake.url, apiKey: aKey, defaultModel: 'gpt-4.1-mini', verify: false, limits: { maxConcurrency: 1 } })).body;
    const opA = (await as(stack.member).post('/api/v1/operators', { name: 'A op', accountId: a.id })).body;
    fake.setLatency(50);
    // 2,000 runs at 1 at a time × 50 ms: about 100 s of backlog on A.
    const backlog = await startRuns(stack.member, opA.id, 2000, (i) => `backlog ${i}`, 40);
    const bOp = (await as(stack.member).post('/api/v1/operators', { name: 'B op' })).body; // on the mock account

    // B's runs, one after the other, all finish while A's backlog (minutes of work) is still far from done: B never
    // waited behind A. How fast B's runs are under A's backlog is a speed figure: `pnpm bench fairness` measures it.
    for (let i = 0; i < 20; i++) {
      const id = (await as(stack.member).post('/api/v1/runs', { operatorId: bOp.id, input: `B ${i}` })).body.id;
      const run = await waitForRun(stack.member.agent, id, undefined, 60_000);
      expect(run.status).toBe('succeeded');
    }
    const [{ done }] = await stack.api.db.query(`SELECT count(*)::int AS done FROM runs WHERE id = ANY($1) AND status = 'succeeded'`, [backlog]);
    expect(done).toBeLessThan(2000);
    expect(fake.maxInFlight(aKey)).toBe(1);
  }, 240_000); // 2,000 admissions through the API and 20 runs one after the other: 25–40 s here, more on a busy machine
});
