/**
 * Postgres restarts while runs are in flight. While it is down the API answers 503 problem details
 * (`database_unavailable`, Retry-After) — never a 500 —, it recovers by itself once Postgres is back (no restart of
 * the API or the worker), and every run it accepted finishes exactly once. The database is a throw-away cluster of
 * this test's own, stopped and started mid-test.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runMigrations } from '@vaultrun/db';
import { as, seedWorkspace, type Session, signIn, startTestApi, type TestApi } from '../support/api.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { type PrivatePostgres, spawnWorkerProcess, startPrivatePostgres, type WorkerProcess } from '../support/processes.js';
import { eventually, FAST_WORKER_ENV } from '../support/runs.js';

const CLIENT_TIMEOUT_MS = 10_000;

describe('Postgres restart mid-load', () => {
  let pg: PrivatePostgres;
  let api: TestApi;
  let worker: WorkerProcess;
  let fake: FakeOpenAI;
  let member: Session;
  let operatorId: string;
  const key = 'sk-proj-test-pg-restart';

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    pg = await startPrivatePostgres();
    await runMigrations(pg.url);
    api = await startTestApi({ DATABASE_URL: pg.url });
    worker = await spawnWorkerProcess({ ...FAST_WORKER_ENV, DATABASE_URL: pg.url, REDIS_URL: api.config.redisUrl, VAULTRUN_REDIS_PREFIX: api.config.redisPrefix, VAULTRUN_WORKER_ID: 'pg-restart' });
    const ws = await seedWorkspace(api.db);
    const admin = await signIn(api.url, ws.users.admin);
    member = await signIn(api.url, ws.users.member);
    const account = (await as(admin).post('/api/v1/provider-accounts', { name: 'pg', kind: 'openai', baseUrl: fake.url, apiKey: key, defaultModel: 'gpt-4.1-mini', verify: false, limits: { maxConcurrency: 8 } })).body;
    operatorId = (await as(member).post('/api/v1/operators', { name: 'pg op', accountId: account.id })).body.id;
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await pg?.destroy();
    await fake?.close();
  });

  const post = (input: string) => as(member).post('/api/v1/runs', { operatorId, input }).timeout(CLIENT_TIMEOUT_MS);
  const runs = (ids: string[]) => api.db.query(`SELECT id, status, (SELECT count(*)::int FROM run_events e WHERE e.run_id = r.id AND e.type = 'succeeded') AS succeeded_events FROM runs r WHERE id = ANY($1)`, [ids]);

  it('answers 503 database_unavailable while Postgres is down, recovers by itself, and loses or repeats no run', async () => {
    // Calls that outlast the outage: they are still in flight when Postgres stops.
    fake.setLatency(60_000);
    const accepted: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await post(`in flight ${i}`);
      expect(res.status).toBe(202);
      accepted.push(res.body.id);
    }
    await fake.waitFor(() => fake.inFlight(key) === 6, 30_000);

    await pg.stop();
    for (const res of [await member.agent.get('/api/v1/runs').timeout(CLIENT_TIMEOUT_MS), await post('while Postgres is down')]) {
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toMatchObject({ status: 503, code: 'database_unavailable' });
    }
    const ready = await member.agent.get('/ready').timeout(CLIENT_TIMEOUT_MS);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.postgres).not.toBe('ok');

    // The worker cannot renew its leases: it stops calling before they can run out (when another worker could
    // take the runs), instead of finishing calls whose results it may no longer write.
    await fake.waitFor(() => fake.requests.filter((r) => r.key === key && r.aborted).length === 6, 30_000);

    fake.setLatency(50);
    await pg.start();
    // Neither the API nor the worker is restarted: the next requests simply work again.
    await eventually(async () => (await member.agent.get('/api/v1/runs').timeout(CLIENT_TIMEOUT_MS)).status, (status) => status === 200, 'the API to answer again', 60_000);
    const after = await post('after the restart');
    expect(after.status).toBe(202);
    accepted.push(after.body.id);

    const finished = await eventually(() => runs(accepted), (rows) => rows.length === accepted.length && rows.every((r: { status: string }) => r.status === 'succeeded'), 'every accepted run to succeed', 90_000);
    expect(finished.map((r: { succeeded_events: number }) => r.succeeded_events)).toEqual(accepted.map(() => 1));
    // Nothing was written for the request refused while the database was down.
    const [{ n }] = await api.db.query(`SELECT count(*)::int AS n FROM runs WHERE input = 'while Postgres is down'`);
    expect(n).toBe(0);
  });
});
