/**
 * Redis down while people talk to the Copilot and approve plans. Postgres is the source of truth, so
 * `POST /missions/{id}/messages` and plan approval still answer 202 — within the enqueue bound, never hanging on
 * Redis — with the copilot run queued and the mission run started; once Redis is back (empty, as after a restart
 * without persistence), the reconcilers enqueue the copilot run and the steps, the gate keeps the steps' order, and
 * the mission run ends exactly once. A private redis-server is stopped mid-test.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as } from '../support/api.js';
import { spawnWorkerProcess, startPrivateRedis, type WorkerProcess } from '../support/processes.js';
import { waitUntil } from '../support/runs.js';
import { startStack, type Stack } from '../support/stack.js';

type Json = Record<string, any>;

/** The API waits this long for Redis before answering anyway (VAULTRUN_ENQUEUE_TIMEOUT_MS). */
const ENQUEUE_TIMEOUT_MS = 1000;
/**
 * The client gives up well after that bound: a functional limit with a wide margin for a loaded machine. Without the
 * bound, approval waits out the flow producer's reconnection attempts (tens of seconds) and this times out.
 */
const CLIENT_TIMEOUT_MS = 5000;

describe('Redis down: missions', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let stack: Stack;
  let worker: WorkerProcess;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    stack = await startStack({ inProcessWorker: false, apiEnv: { REDIS_URL: redis.url, VAULTRUN_ENQUEUE_TIMEOUT_MS: String(ENQUEUE_TIMEOUT_MS) } });
    worker = await spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_WORKER_ID: 'missions-redis-down' });
    // On the workspace's default account (the built-in mock provider).
    for (const name of ['Researcher', 'Writer']) {
      const res = await as(stack.admin).post('/api/v1/operators', { name, instructions: `You are the ${name}.`, maxOutputTokens: 60 });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await redis?.stop();
  });

  const api = () => as(stack.member);
  const mission = async (id: string): Promise<Json> => (await api().get(`/api/v1/missions/${id}`).timeout(CLIENT_TIMEOUT_MS)).body;

  it('a message and a plan approval answer 202 within the enqueue bound; once Redis is back the copilot answers and the plan runs once, in order', async () => {
    const created = await api().post('/api/v1/missions', { title: 'Outage notes', goal: 'Write up what happened' });
    expect(created.status).toBe(201);
    const missionId: string = created.body.id;
    const proposed = await api().post(`/api/v1/missions/${missionId}/plans`, {
      failurePolicy: 'stop',
      steps: [
        { id: 'research', operator: 'Researcher', input: 'Collect the facts', dependsOn: [] },
        { id: 'write', operator: 'Writer', input: 'Write it up: {{steps.research.output}}', dependsOn: ['research'] },
      ],
    });
    expect(proposed.status).toBe(201);

    await redis.stop();
    const sent = await api().post(`/api/v1/missions/${missionId}/messages`, { content: 'Are you there?' }).timeout(CLIENT_TIMEOUT_MS);
    expect([sent.status, sent.body.detail]).toEqual([202, undefined]);
    expect(sent.body.run).toMatchObject({ kind: 'copilot', missionId, status: 'queued' });
    const approved = await api().post(`/api/v1/missions/${missionId}/plans/${proposed.body.id}/approve`, {}).timeout(CLIENT_TIMEOUT_MS);
    expect([approved.status, approved.body.detail]).toEqual([202, undefined]);
    expect(approved.body).toMatchObject({ status: 'running', currentRun: { run: { kind: 'mission', status: 'running' } } });
    expect(approved.body.currentRun.steps.map((s: Json) => [s.stepId, s.run.status])).toEqual([
      ['research', 'queued'],
      ['write', 'queued'],
    ]);

    // Redis comes back empty: the copilot run and the steps have no job anywhere but in Postgres's record of them.
    redis = await startPrivateRedis(redis.port);
    let m: Json = {};
    await waitUntil(
      async () => {
        m = await mission(missionId);
        const answered = m.messages.some((x: Json) => x.role === 'assistant' && x.copilotRun?.id === sent.body.run.id);
        return answered && m.status === 'succeeded';
      },
      60_000,
      'the copilot answer and the mission run to end',
    );
    expect(m.currentRun.run).toMatchObject({ kind: 'mission', status: 'succeeded' });
    const [research, write] = m.currentRun.steps.map((s: Json) => s.run);
    expect([research.status, write.status]).toEqual(['succeeded', 'succeeded']);
    // The gate kept the order: the writer started after the research ended, with its output in the input.
    expect(new Date(write.timings.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(research.timings.finishedAt).getTime());
    expect(write.input).toContain(research.output);
    // Each run ran once, and the mission run ended once.
    const finalEvents = async (runId: string) =>
      (await stack.api.db.query(`SELECT count(*)::int AS n FROM run_events WHERE run_id = $1 AND type IN ('succeeded', 'failed', 'cancelled')`, [runId]))[0].n;
    for (const run of [research, write, m.currentRun.run, { id: sent.body.run.id }]) expect(await finalEvents(run.id)).toBe(1);
    expect(research.providerCalls + write.providerCalls).toBe(2);
  });
});
