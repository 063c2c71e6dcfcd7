/**
 * A restricted provider account stays invisible to those who may not use it — everywhere, not only on its own
 * endpoint: run lists and filters, runs by id (and cancel), the live stream, queue health, comparisons, missions
 * and spend. An admin and a listed member see all of it. No worker runs here: runs stay queued, so nothing moves
 * under the test's feet (the stream still carries every change the API announces).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, cookieOf, seedWorkspace, signIn, type Session } from '../../../test/support/api.js';
import { waitUntil } from '../../../test/support/runs.js';
import { startStack, type Stack } from '../../../test/support/stack.js';

describe('restricted accounts are invisible to those not listed', () => {
  let stack: Stack;
  /** Not on the account's list. */
  let member: Session;
  let admin: Session;
  /** On the account's list. */
  let listed: Session;
  let restricted: { id: string; name: string };
  let restrictedOp: { id: string };
  let openOp: { id: string };
  let hiddenRuns: { id: string; input: string }[];
  let openRun: { id: string };
  let comparison: { id: string; input: string };

  beforeAll(async () => {
    stack = await startStack({ inProcessWorker: false });
    ({ admin, member } = stack);
    const { api, ws } = stack;
    // A second member, who will be on the account's list.
    const email = `listed-${randomUUID()}@example.test`;
    const [user] = (await api.db.query(`INSERT INTO users (email, name, password_hash) SELECT $1, 'Listed', password_hash FROM users WHERE id = $2 RETURNING id`, [email, ws.users.member.id])) as { id: string }[];
    await api.db.query(`INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, 'member')`, [ws.id, user!.id]);
    listed = await signIn(api.url, { email, password: ws.users.member.password });

    const created = await as(admin).post('/api/v1/provider-accounts', { name: `Legal team ${randomUUID()}`, kind: 'mock', visibility: 'restricted', allowedUserIds: [user!.id] });
    expect(created.status).toBe(201);
    restricted = created.body;
    restrictedOp = (await as(admin).post('/api/v1/operators', { name: 'Contract reviewer', accountId: restricted.id })).body;
    openOp = (await as(admin).post('/api/v1/operators', { name: 'Open helper' })).body;
    const start = async (s: Session, operatorId: string, input: string) => {
      const res = await as(s).post('/api/v1/runs', { operatorId, input });
      expect(res.status).toBe(202);
      return res.body;
    };
    hiddenRuns = [await start(admin, restrictedOp.id, `secret-admin-${randomUUID()}`), await start(listed, restrictedOp.id, `secret-listed-${randomUUID()}`)];
    openRun = await start(member, openOp.id, `open-${randomUUID()}`);
    // The live side on the restricted account (a mock stand-in for a live one), the mock side on the workspace's.
    const cmp = await as(listed).post('/api/v1/comparisons', { operatorId: openOp.id, input: `secret-compared-${randomUUID()}`, liveAccountId: restricted.id, mockAccountId: ws.mockAccountId });
    expect(cmp.status).toBe(202);
    comparison = cmp.body;
  });
  afterAll(() => stack?.close());

  /** A problem document without what echoes the caller's own request. */
  const answer = (body: Record<string, unknown>) => {
    const { instance: _i, requestId: _r, ...rest } = body;
    return rest;
  };
  // Operators are the workspace's (an operator bound to the account is listed like any other), and a comparison's
  // input is also its mock side's, which runs on a shared account: neither is a secret here.
  const secrets = () => [restricted.id, restricted.name, comparison.id, ...hiddenRuns.flatMap((r) => [r.id, r.input])];
  const expectNoSecrets = (what: string, body: unknown) => {
    const text = JSON.stringify(body);
    for (const secret of secrets()) expect([what, secret, text.includes(secret)]).toEqual([what, secret, false]);
  };

  it('leaves its runs out of lists and filters, and answers 404 by id exactly as for an id that does not exist', async () => {
    const list = await member.agent.get('/api/v1/runs');
    expect(list.body.items.map((r: { id: string }) => r.id)).toContain(openRun.id);
    expectNoSecrets('runs list', list.body);
    // Filtering by the account (or its operator) finds what filtering by a made-up id finds: nothing, the same way.
    for (const filter of [`accountId=${restricted.id}`, `operatorId=${restrictedOp.id}`]) {
      const res = await member.agent.get(`/api/v1/runs?${filter}`);
      const made = await member.agent.get(`/api/v1/runs?${filter.replace(/=.*/, `=${randomUUID()}`)}`);
      expect([filter, res.status, res.body]).toEqual([filter, 200, made.body]);
    }
    for (const run of hiddenRuns) {
      const byId = await member.agent.get(`/api/v1/runs/${run.id}`);
      const nowhere = await member.agent.get(`/api/v1/runs/${randomUUID()}`);
      expect(byId.status).toBe(404);
      expect(answer(byId.body)).toEqual(answer(nowhere.body));
      const cancel = await as(member).post(`/api/v1/runs/${run.id}/cancel`);
      expect([cancel.status, answer(cancel.body)]).toEqual([404, answer((await as(member).post(`/api/v1/runs/${randomUUID()}/cancel`)).body)]);
    }
    const [{ status }] = await stack.api.db.query(`SELECT status FROM runs WHERE id = $1`, [hiddenRuns[0]!.id]);
    expect(status).toBe('queued');
  });

  it('shows them to an admin and to a listed member', async () => {
    for (const s of [admin, listed]) {
      const filtered = await s.agent.get(`/api/v1/runs?accountId=${restricted.id}`);
      expect(filtered.body.items.map((r: { id: string }) => r.id).sort()).toEqual(expect.arrayContaining(hiddenRuns.map((r) => r.id)));
      expect((await s.agent.get(`/api/v1/runs/${hiddenRuns[0]!.id}`)).body).toMatchObject({ id: hiddenRuns[0]!.id, input: hiddenRuns[0]!.input });
      expect((await s.agent.get(`/api/v1/comparisons/${comparison.id}`)).body).toMatchObject({ id: comparison.id, live: { accountName: restricted.name } });
      const health = await s.agent.get('/api/v1/queue-health');
      expect(health.body.accounts.find((a: { accountId: string }) => a.accountId === restricted.id)).toMatchObject({ queued: expect.any(Number) });
    }
    // The listed member's view of the comparison run links the comparison.
    const liveRunId = (await listed.agent.get(`/api/v1/comparisons/${comparison.id}`)).body.live.runId;
    expect((await listed.agent.get(`/api/v1/runs/${liveRunId}`)).body.comparisonId).toBe(comparison.id);
  });

  it('counts none of them in queue health, whose figures cover this workspace only', async () => {
    const mine = await member.agent.get('/api/v1/queue-health');
    expect(mine.body.accounts.map((a: { accountId: string }) => a.accountId)).not.toContain(restricted.id);
    expectNoSecrets('queue health', mine.body);
    const all = await admin.agent.get('/api/v1/queue-health');
    // The admin sees three runs more than the member: the two on the account and the comparison's live side.
    const queued = (b: { jobs: { wait: number } }) => b.jobs.wait;
    const [{ n }] = await stack.api.db.query(`SELECT count(*)::int AS n FROM runs WHERE workspace_id = $1 AND status = 'queued'`, [stack.ws.id]);
    expect(queued(all.body)).toBe(n);
    expect(queued(mine.body)).toBe(n - 3);
    // Another workspace's queued runs are in nobody's figures here.
    const other = await seedWorkspace(stack.api.db);
    const stranger = await signIn(stack.api.url, other.users.admin);
    const theirOp = (await as(stranger).post('/api/v1/operators', { name: 'theirs' })).body;
    expect((await as(stranger).post('/api/v1/runs', { operatorId: theirOp.id, input: 'x' })).status).toBe(202);
    expect(queued((await admin.agent.get('/api/v1/queue-health')).body)).toBe(n);
    expect(queued((await stranger.agent.get('/api/v1/queue-health')).body)).toBe(1);
  });

  it('leaves out comparisons with a side on it', async () => {
    const list = await member.agent.get('/api/v1/comparisons');
    expect(list.status).toBe(200);
    expectNoSecrets('comparisons', list.body);
    const byId = await member.agent.get(`/api/v1/comparisons/${comparison.id}`);
    expect([byId.status, answer(byId.body)]).toEqual([404, answer((await member.agent.get(`/api/v1/comparisons/${randomUUID()}`)).body)]);
    const mockRunId = (await admin.agent.get(`/api/v1/comparisons/${comparison.id}`)).body.mock.runId;
    // The mock side itself is on a shared account: visible, but not linked to a comparison the member cannot see.
    expect((await member.agent.get(`/api/v1/runs/${mockRunId}`)).body).toMatchObject({ id: mockRunId, comparisonId: null });
  });

  it('never streams their changes', async () => {
    const controller = new AbortController();
    const res = await fetch(`${stack.api.url}/api/v1/runs/stream`, { headers: { cookie: cookieOf(member) }, signal: controller.signal });
    const seen: string[] = [];
    const reader = res.body!.getReader();
    let buffer = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += new TextDecoder().decode(value);
        for (let i; (i = buffer.indexOf('\n\n')) >= 0; buffer = buffer.slice(i + 2)) {
          const data = buffer.slice(0, i).split('\n').find((l) => l.startsWith('data:'));
          if (data && buffer.slice(0, i).includes('event: run')) seen.push(JSON.parse(data.slice(5)).id);
        }
      }
    })().catch((err: unknown) => {
      if (!controller.signal.aborted) throw err;
    });
    // Wait until the stream delivers at all (a visible change), then make hidden changes, then a visible one:
    // changes arrive in order, so once the last one is here, the hidden ones would have been too.
    let probe = (await as(member).post('/api/v1/runs', { operatorId: openOp.id, input: 'probe' })).body.id as string;
    await waitUntil(() => seen.includes(probe), 10_000, 'a first change on the stream');
    const hidden = (await as(admin).post('/api/v1/runs', { operatorId: restrictedOp.id, input: `streamed-secret-${randomUUID()}` })).body.id as string;
    await as(listed).post(`/api/v1/runs/${hidden}/cancel`);
    probe = (await as(member).post('/api/v1/runs', { operatorId: openOp.id, input: 'probe 2' })).body.id;
    await waitUntil(() => seen.includes(probe), 10_000, 'the last change');
    expect(seen).not.toContain(hidden);
    expect(seen.filter((id) => hiddenRuns.some((r) => r.id === id))).toEqual([]);
    controller.abort();
    await reading;
  });

  it('shows a mission without the steps, copilot answers and costs of runs on it', async () => {
    const mission = (await as(admin).post('/api/v1/missions', { title: `Mission ${randomUUID()}` })).body;
    const plan = await as(admin).post(`/api/v1/missions/${mission.id}/plans`, {
      failurePolicy: 'continue',
      steps: [
        { id: 'review', operator: restrictedOp.id, input: 'Review the contract', dependsOn: [] },
        { id: 'summary', operator: openOp.id, input: 'Summarise', dependsOn: [] },
      ],
    });
    expect(plan.status).toBe(201);
    expect((await as(admin).post(`/api/v1/missions/${mission.id}/plans/${plan.body.id}/approve`)).status).toBe(202);
    // A copilot answer written by a run on the restricted account.
    await as(admin).patch('/api/v1/workspace', { copilotAccountId: restricted.id });
    const sent = await as(admin).post(`/api/v1/missions/${mission.id}/messages`, { content: 'What does clause 7 say?' });
    expect(sent.status).toBe(202);
    await stack.api.db.query(
      `INSERT INTO mission_messages (workspace_id, mission_id, role, content, copilot_run_id) VALUES ($1, $2, 'assistant', 'Clause 7 is the secret penalty clause.', $3)`,
      [stack.ws.id, mission.id, sent.body.run.id],
    );
    await stack.api.db.query(`UPDATE runs SET cost_label = 'estimated', cost_micro_usd = 700 WHERE mission_id = $1 AND kind = 'operator'`, [mission.id]);

    const full = (await admin.agent.get(`/api/v1/missions/${mission.id}`)).body;
    expect(full.currentRun.steps.map((s: { stepId: string }) => s.stepId).sort()).toEqual(['review', 'summary']);
    expect(full.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    expect(full.copilot.accountId).toBe(restricted.id);
    expect(full.currentRun.cost.costMicroUsd).toBe(1_400);

    const seen = await member.agent.get(`/api/v1/missions/${mission.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body.currentRun.run.id).toBe(full.currentRun.run.id); // the mission run has no account: shown
    expect(seen.body.currentRun.steps.map((s: { stepId: string }) => s.stepId)).toEqual(['summary']);
    expect(seen.body.currentRun.cost.costMicroUsd).toBe(700);
    expect(seen.body.messages.map((m: { role: string; copilotRun: unknown }) => [m.role, m.copilotRun])).toEqual([['user', null]]);
    expect(seen.body.copilot.accountId).toBeNull();
    expectNoSecrets('mission', seen.body);
    expect(JSON.stringify(seen.body)).not.toContain('secret penalty');
    const stepRun = full.currentRun.steps.find((s: { stepId: string }) => s.stepId === 'review').run.id;
    expect((await member.agent.get(`/api/v1/runs/${stepRun}`)).status).toBe(404);
    expect((await member.agent.get(`/api/v1/runs?kind=mission`)).body.items.map((r: { id: string }) => r.id)).toContain(full.currentRun.run.id);
    await as(admin).patch('/api/v1/workspace', { copilotAccountId: null });
  });

  it('counts none of their cost in spend reports', async () => {
    await stack.api.db.query(`UPDATE runs SET status = 'succeeded', finished_at = now(), cost_label = 'estimated', cost_micro_usd = 1000 WHERE workspace_id = $1 AND status = 'queued'`, [stack.ws.id]);
    const total = async (s: Session) => (await s.agent.get('/api/v1/spend?groupBy=account')).body;
    const mine = await total(member);
    const all = await total(admin);
    expectNoSecrets('spend', mine);
    expect(all.groups.map((g: { key: string }) => g.key)).toContain(restricted.id);
    const [{ hiddenCost }] = await stack.api.db.query(`SELECT sum(cost_micro_usd)::int AS "hiddenCost" FROM runs WHERE workspace_id = $1 AND account_id = $2 AND cost_label IS NOT NULL`, [stack.ws.id, restricted.id]);
    expect(hiddenCost).toBeGreaterThan(0);
    expect(mine.total.costMicroUsd).toBe(all.total.costMicroUsd - hiddenCost);
  });
});
