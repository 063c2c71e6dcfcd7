/**
 * Missions end to end through the real API, queue and workers: the Copilot answers through the queue (mock and the
 * real `openai` SDK against the fake server), plans are checked before they can run, and approved plans execute as
 * BullMQ flows — dependencies respected, independent steps in parallel, outputs substituted, both failure policies,
 * cancel cascading, a SIGKILLed worker, and a budget that blocks a step mid-plan.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as } from '../../../test/support/api.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { Redis } from 'ioredis';
import { spawnWorkerProcess, startPrivateRedis } from '../../../test/support/processes.js';
import { waitUntil } from '../../../test/support/runs.js';
import { startStack, type Stack } from '../../../test/support/stack.js';
import { startTestWorker } from '../../../test/support/worker.js';

type Json = Record<string, any>;

describe('missions: copilot, plans and flows', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let worker: Awaited<ReturnType<typeof startTestWorker>> | null = null;
  const ops: Record<string, string> = {};

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ['gpt-4.1-mini'] });
    stack = await startStack({ inProcessWorker: false });
    worker = await startTestWorker(stack.workerEnv);
    for (const name of ['Researcher', 'Writer', 'Editor', 'Publisher']) {
      const res = await as(stack.admin).post('/api/v1/operators', { name, description: `${name} of the team`, instructions: `You are the ${name}.`, maxOutputTokens: 60 });
      expect(res.status).toBe(201);
      ops[name] = res.body.id;
    }
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await fake?.close();
  });

  const api = () => as(stack.member);
  const mission = async (id: string): Promise<Json> => (await api().get(`/api/v1/missions/${id}`)).body;
  async function newMission(title = 'Weekly digest'): Promise<string> {
    const res = await api().post('/api/v1/missions', { title, goal: 'Summarise the week and publish a note' });
    expect(res.status).toBe(201);
    return res.body.id;
  }
  /** Sends a message and waits for the Copilot's answer (the assistant message). */
  async function ask(missionId: string, content: string): Promise<Json> {
    const sent = await api().post(`/api/v1/missions/${missionId}/messages`, { content });
    expect([sent.status, sent.body.detail]).toEqual([202, undefined]);
    expect(sent.body.run).toMatchObject({ kind: 'copilot', missionId, status: 'queued' });
    let m: Json = {};
    await waitUntil(async () => {
      m = await mission(missionId);
      return m.messages.some((x: Json) => x.role === 'assistant' && x.copilotRun?.id === sent.body.run.id);
    }, 20_000, 'the copilot answer');
    return m;
  }
  const scripted = (plan: unknown) => `Run this:\n\`\`\`plan\n${JSON.stringify(plan)}\n\`\`\``;
  const step = (id: string, operator: string, input: string, dependsOn: string[] = []) => ({ id, operator, input, dependsOn });
  const lastPlan = (m: Json) => m.plans[m.plans.length - 1];
  async function approve(missionId: string, planId: string): Promise<Json> {
    const res = await api().post(`/api/v1/missions/${missionId}/plans/${planId}/approve`, {});
    expect([res.status, res.body.detail]).toEqual([202, undefined]);
    return res.body;
  }
  async function ended(missionId: string, timeout = 30_000): Promise<Json> {
    let m: Json = {};
    await waitUntil(async () => {
      m = await mission(missionId);
      // A mission's status is derived from its current run: the two always agree.
      return ['succeeded', 'failed', 'cancelled'].includes(m.currentRun?.run.status) && m.status === m.currentRun.run.status;
    }, timeout, 'the mission run to end');
    return m;
  }
  const stepRun = (m: Json, id: string): Json => m.currentRun.steps.find((s: Json) => s.stepId === id).run;

  it('the mock Copilot answers through the queue, with a plan over the workspace’s operators, and the conversation goes on', async () => {
    const id = await newMission();
    let m = await ask(id, 'What can you do?');
    expect(m.messages.map((x: Json) => x.role)).toEqual(['user', 'assistant']);
    expect(m.messages[1].content).toContain('Researcher');
    expect(m.plans).toEqual([]);
    m = await ask(id, 'Make a plan for this week’s digest');
    const plan = lastPlan(m);
    expect(plan).toMatchObject({ status: 'proposed', createdBy: 'copilot', failurePolicy: 'stop', errors: null });
    expect(plan.steps.map((s: Json) => [s.id, s.operatorId, s.dependsOn])).toEqual([
      ['step1', ops.Editor, []],
      ['step2', ops.Publisher, ['step1']],
      ['step3', ops.Researcher, ['step1']],
    ]);
    expect(m.messages[3]).toMatchObject({ role: 'assistant', planId: plan.id });
    // The second copilot run was sent the first exchange as history.
    const runs = (await api().get(`/api/v1/runs?kind=copilot`)).body.items.filter((r: Json) => r.missionId === id);
    expect(runs).toHaveLength(2);
    expect(runs.every((r: Json) => r.status === 'succeeded' && r.costLabel === 'estimated')).toBe(true);
    // A proposed plan comes with its worst case.
    expect(plan.estimate.worstCaseMicroUsd).toBeGreaterThan(0);
    expect(plan.estimate.steps).toHaveLength(3);
  }, 60_000);

  it('the Copilot on an OpenAI account answers through the real SDK against the fake server', async () => {
    const account = await as(stack.admin).post('/api/v1/provider-accounts', { name: 'OpenAI (fake)', kind: 'openai', apiKey: 'sk-proj-missions-0123456789abcdef', baseUrl: fake.url, defaultModel: 'gpt-4.1-mini', verify: false });
    expect(account.status).toBe(201);
    expect((await as(stack.admin).patch('/api/v1/workspace', { copilotAccountId: account.body.id, copilotModel: 'gpt-4.1-mini' })).status).toBe(200);
    const reply = { reply: 'Two steps: research, then write.', plan: { title: 'Digest', failurePolicy: 'continue', steps: [step('research', 'Researcher', 'Find this week’s news'), step('write', 'writer', 'Write: {{steps.research.output}}', ['research'])] } };
    fake.replyWith(() => JSON.stringify(reply));
    try {
      const id = await newMission('OpenAI copilot');
      const m = await ask(id, 'Plan the digest');
      const request = fake.requests.find((r) => r.path.startsWith('/v1/chat/completions'))!.body as Json;
      expect(request.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'copilot_reply', strict: true } });
      expect(request.messages[0].content).toContain('"name": "Researcher"');
      expect(m.messages[1].content).toBe(reply.reply);
      expect(lastPlan(m)).toMatchObject({ status: 'proposed', failurePolicy: 'continue' });
      // Operators match by name ignoring case, and are stored by id.
      expect(lastPlan(m).steps.map((s: Json) => s.operatorId)).toEqual([ops.Researcher, ops.Writer]);
      const copilotRun = (await api().get(`/api/v1/runs/${m.messages[0].copilotRun.id}`)).body;
      expect(copilotRun).toMatchObject({ kind: 'copilot', accountId: account.body.id, model: 'gpt-4.1-mini', costLabel: 'estimated' });
    } finally {
      fake.replyWith(null);
      await as(stack.admin).patch('/api/v1/workspace', { copilotAccountId: null, copilotModel: null });
    }
  }, 60_000);

  it('rejects invalid plans — unknown operator, cycle, dangling reference — with every problem named, and never runs them', async () => {
    const id = await newMission('Invalid plans');
    const m = await ask(
      id,
      scripted({
        title: 'Broken',
        failurePolicy: 'stop',
        steps: [step('a', 'Ghostwriter', 'x'), step('b', 'Writer', 'use {{steps.c.output}}', ['c']), step('c', 'Editor', 'use {{steps.b.output}}', ['b']), step('d', 'Editor', '{{steps.zz.output}} and {{steps.a.output}}', ['nope'])],
      }),
    );
    const plan = lastPlan(m);
    expect(plan.status).toBe('invalid');
    expect(plan.errors).toEqual(
      expect.arrayContaining([
        'Step "a" names operator "Ghostwriter", which is not an operator of this workspace.',
        'Step "d" depends on step "nope", which does not exist.',
        'Step "d" uses the output of step "zz", which does not exist.',
        'Step "d" uses the output of step "a" but does not depend on it: add "a" to its dependsOn.',
        expect.stringMatching(/^The plan has a dependency cycle: (b → c → b|c → b → c)/),
      ]),
    );
    expect(m.messages[1].content).toContain('This plan cannot run');
    const refused = await api().post(`/api/v1/missions/${id}/plans/${plan.id}/approve`, {});
    expect([refused.status, refused.body.code]).toEqual([409, 'plan_not_proposed']);
    // A person's plan is checked the same way: 400 naming each problem.
    const edited = await api().post(`/api/v1/missions/${id}/plans`, { basedOnPlanId: plan.id, failurePolicy: 'stop', steps: [step('a', 'Writer', 'x', ['a'])] });
    expect(edited.status).toBe(400);
    expect(edited.body).toMatchObject({ code: 'invalid_plan' });
    expect(edited.body.errors.map((e: Json) => e.message)).toContain('Step "a" depends on itself.');
    expect((await api().get(`/api/v1/runs?kind=mission`)).body.items.filter((r: Json) => r.missionId === id)).toEqual([]);
  }, 60_000);

  it('runs a diamond A → (B ∥ C) → D in dependency order, B and C in parallel, D receiving both outputs; the mission ends once', async () => {
    const id = await newMission('Diamond');
    const m0 = await ask(
      id,
      scripted({
        title: 'Diamond',
        failurePolicy: 'stop',
        steps: [
          step('a', 'Researcher', 'Collect the facts'),
          step('b', 'Writer', 'Draft from {{steps.a.output}} [mock:latency=1500]', ['a']),
          step('c', 'Editor', 'Check {{ steps.a.output }} [mock:latency=1500]', ['a']),
          step('d', 'Publisher', 'Publish:\n{{steps.b.output}}\n---\n{{steps.c.output}}', ['b', 'c']),
        ],
      }),
    );
    const plan = lastPlan(m0);
    expect(plan.status).toBe('proposed');
    const started = await approve(id, plan.id);
    expect(started.status).toBe('running');
    // Step a may already be running when the 202 is written; the others wait parked for their dependencies.
    expect(started.currentRun.steps.map((s: Json) => [s.stepId, s.stepId === 'a' || s.run.status, s.run.parentRunId])).toEqual(
      ['a', 'b', 'c', 'd'].map((s) => [s, s === 'a' || 'queued', started.currentRun.run.id]),
    );
    const m = await ended(id);
    expect(m.currentRun.run).toMatchObject({ kind: 'mission', status: 'succeeded', statusReason: '4 of 4 steps succeeded.' });
    expect(m.status).toBe('succeeded');
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((s) => stepRun(m, s));
    const t = (r: Json, k: string) => Date.parse(r.timings[k]);
    expect(t(b, 'startedAt')).toBeGreaterThanOrEqual(t(a, 'finishedAt'));
    expect(t(c, 'startedAt')).toBeGreaterThanOrEqual(t(a, 'finishedAt'));
    // B and C overlapped (each held its call 1.5 s).
    expect(t(b, 'startedAt')).toBeLessThan(t(c, 'finishedAt'));
    expect(t(c, 'startedAt')).toBeLessThan(t(b, 'finishedAt'));
    expect(t(d, 'startedAt')).toBeGreaterThanOrEqual(Math.max(t(b, 'finishedAt'), t(c, 'finishedAt')));
    expect(b.input).toBe(`Draft from ${a.output} [mock:latency=1500]`);
    expect(d.input).toBe(`Publish:\n${b.output}\n---\n${c.output}`);
    // Cost by label: the mission's steps, and the whole mission (its two copilot runs too).
    expect(m.currentRun.cost.runs).toBe(4);
    expect(m.currentRun.cost.byLabel.estimated.costMicroUsd).toBe([a, b, c, d].reduce((n, r) => n + r.costMicroUsd, 0));
    expect(m.cost.runs).toBe(5);
    const events = (await api().get(`/api/v1/runs/${m.currentRun.run.id}`)).body.events.filter((e: Json) => e.type === 'succeeded');
    expect(events).toHaveLength(1);
  }, 60_000);

  it('stop at first failure cancels the rest; continue lets independent branches finish and skips what depended on the failure', async () => {
    const failing = (policy: string) =>
      scripted({
        title: policy,
        failurePolicy: policy,
        steps: [
          step('a', 'Researcher', 'Start'),
          step('b', 'Writer', 'Break [mock:fail=provider_rejected] {{steps.a.output}}', ['a']),
          step('c', 'Editor', 'Slow but fine [mock:latency=1500] {{steps.a.output}}', ['a']),
          step('d', 'Publisher', '{{steps.b.output}} {{steps.c.output}}', ['b', 'c']),
        ],
      });
    const stopId = await newMission('Stop policy');
    await approve(stopId, lastPlan(await ask(stopId, failing('stop'))).id);
    const stopped = await ended(stopId);
    expect(stopped.currentRun.run.status).toBe('failed');
    expect(stopped.currentRun.run.statusReason).toMatch(/^1 of 4 steps succeeded; step "b" failed: /);
    expect(stepRun(stopped, 'b')).toMatchObject({ status: 'failed', error: { code: 'provider_rejected' } });
    expect(stepRun(stopped, 'c')).toMatchObject({ status: 'cancelled', error: { code: 'mission_stopped' } });
    expect(stepRun(stopped, 'd')).toMatchObject({ status: 'cancelled' });
    expect(stopped.status).toBe('failed');

    const goOnId = await newMission('Continue policy');
    await approve(goOnId, lastPlan(await ask(goOnId, failing('continue'))).id);
    const continued = await ended(goOnId);
    expect(continued.currentRun.run.status).toBe('failed');
    expect(continued.currentRun.run.statusReason).toMatch(/^2 of 4 steps succeeded; step "b" failed: /);
    expect(stepRun(continued, 'c').status).toBe('succeeded');
    expect(stepRun(continued, 'd')).toMatchObject({ status: 'cancelled', error: { code: 'step_skipped' } });
    expect(stepRun(continued, 'd').statusReason).toContain('step "b" failed');
  }, 90_000);

  it('cancelling the mission cancels its steps, running calls included', async () => {
    const id = await newMission('Cancel');
    const plan = lastPlan(await ask(id, scripted({ title: 'Long', failurePolicy: 'stop', steps: [step('a', 'Researcher', 'Slow [mock:latency=20000]'), step('b', 'Writer', '{{steps.a.output}}', ['a'])] })));
    await approve(id, plan.id);
    await waitUntil(async () => stepRun(await mission(id), 'a').status === 'running', 20_000, 'step a running');
    const res = await api().post(`/api/v1/missions/${id}/cancel`, {});
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelled');
    await waitUntil(async () => {
      const m = await mission(id);
      return m.currentRun.steps.every((s: Json) => s.run.status === 'cancelled');
    }, 20_000, 'every step cancelled');
    const m = await mission(id);
    expect(m.currentRun.run.status).toBe('cancelled');
    expect(stepRun(m, 'a').providerCalls).toBe(1);
    expect(stepRun(m, 'b').providerCalls).toBe(0);
    // Approving (it starts paid runs) and cancelling are audited, with who did it.
    const audit = (await as(stack.admin).get('/api/v1/audit-events?action=mission.')).body.items.filter((e: Json) => e.target?.id === id);
    expect(audit.map((e: Json) => e.action).sort()).toEqual(['mission.cancel', 'mission.plan_approve']);
    expect(audit.find((e: Json) => e.action === 'mission.plan_approve')).toMatchObject({ actor: { label: stack.ws.users.member.email }, metadata: { planId: plan.id, steps: 2, failurePolicy: 'stop', missionRunId: m.currentRun.run.id } });
  }, 60_000);

  it('a budget that blocks a step mid-plan: the mission names the step and the budget', async () => {
    const id = await newMission('Budget');
    const plan = lastPlan(await ask(id, scripted({ title: 'Pricey', failurePolicy: 'stop', steps: [step('cheap', 'Researcher', 'Short'), step('pricey', 'Writer', '{{steps.cheap.output}}', ['cheap'])] })));
    // An operator budget on the Writer too small for one worst case: flagged before approval, blocks the step.
    const budget = await as(stack.admin).post('/api/v1/budgets', { name: 'Writer pennies', scope: { type: 'operator', id: ops.Writer }, period: 'month', capMicroUsd: 1 });
    expect(budget.status).toBe(201);
    try {
      const flagged = lastPlan(await mission(id));
      expect(flagged.estimate.budgets).toEqual([expect.objectContaining({ budgetId: budget.body.id, name: 'Writer pennies', exceeded: true })]);
      await approve(id, plan.id);
      const m = await ended(id);
      expect(stepRun(m, 'cheap').status).toBe('succeeded');
      expect(stepRun(m, 'pricey')).toMatchObject({ status: 'blocked', blockedBy: { budgetId: budget.body.id, budgetName: 'Writer pennies' }, error: { code: 'budget_exhausted' } });
      expect(m.currentRun.run).toMatchObject({ status: 'failed', blockedBy: { budgetId: budget.body.id, budgetName: 'Writer pennies' }, error: { code: 'budget_exhausted' } });
      expect(m.currentRun.run.statusReason).toMatch(/^1 of 2 steps succeeded; step "pricey" was blocked by budget "Writer pennies": /);
    } finally {
      await as(stack.admin).delete(`/api/v1/budgets/${budget.body.id}`);
    }
  }, 60_000);

  it('a worker SIGKILLed mid-mission: another finishes the mission, exactly once', async () => {
    await worker?.stop();
    worker = null;
    const first = await spawnWorkerProcess(stack.workerEnv);
    let second: Awaited<ReturnType<typeof spawnWorkerProcess>> | null = null;
    try {
      const id = await newMission('Crash');
      const plan = lastPlan(
        await ask(id, scripted({ title: 'Crash', failurePolicy: 'stop', steps: [step('a', 'Researcher', 'Long [mock:latency=2500]'), step('b', 'Writer', 'Then {{steps.a.output}}', ['a']), step('c', 'Editor', 'Also {{steps.a.output}}', ['a'])] })),
      );
      await approve(id, plan.id);
      await waitUntil(async () => stepRun(await mission(id), 'a').status === 'running', 20_000, 'step a running');
      await first.kill();
      second = await spawnWorkerProcess(stack.workerEnv);
      const m = await ended(id, 60_000);
      expect(m.currentRun.run).toMatchObject({ status: 'succeeded', statusReason: '3 of 3 steps succeeded.' });
      expect(m.currentRun.steps.map((s: Json) => s.run.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      expect(stepRun(m, 'a').providerCalls).toBe(2);
      const detail = (await api().get(`/api/v1/runs/${m.currentRun.run.id}`)).body;
      expect(detail.events.filter((e: Json) => ['succeeded', 'failed', 'cancelled'].includes(e.type))).toHaveLength(1);
    } finally {
      await second?.stop();
      // stop() never rejects: it resolves with the exit code (at once when the kill above already ended it).
      await first.stop();
      worker = await startTestWorker(stack.workerEnv);
    }
  }, 120_000);

  it('a message sent twice with the same Idempotency-Key (or twice at once) is one message and one copilot run', async () => {
    const id = await newMission('Idempotent');
    const send = (content: string, key: string) => stack.member.agent.post(`/api/v1/missions/${id}/messages`).set('x-csrf-token', stack.member.csrf).set('idempotency-key', key).send({ content });
    const [a, b] = await Promise.all([send('What can you do?', 'msg-1'), send('What can you do?', 'msg-1')]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect([b.body.message.id, b.body.run.id]).toEqual([a.body.message.id, a.body.run.id]);
    const again = await send('What can you do?', 'msg-1');
    expect([again.status, again.body.message.id, again.headers['idempotent-replayed']]).toEqual([202, a.body.message.id, 'true']);
    // With another text, the key is a conflict on this mission (on another mission it is another message, below).
    const conflict = await send('Something else', 'msg-1');
    expect([conflict.status, conflict.body.code]).toEqual([409, 'idempotency_key_reused']);
    await waitUntil(async () => (await mission(id)).messages.some((x: Json) => x.role === 'assistant'), 20_000, 'the copilot answer');
    const m = await mission(id);
    expect(m.messages.map((x: Json) => x.role)).toEqual(['user', 'assistant']);
    const runs = (await api().get(`/api/v1/runs?kind=copilot`)).body.items.filter((r: Json) => r.missionId === id);
    expect(runs.map((r: Json) => r.id)).toEqual([a.body.run.id]);
    const other = await newMission('Idempotent elsewhere');
    const elsewhere = await stack.member.agent.post(`/api/v1/missions/${other}/messages`).set('x-csrf-token', stack.member.csrf).set('idempotency-key', 'msg-1').send({ content: 'What can you do?' });
    expect(elsewhere.status).toBe(202);
    expect(elsewhere.body.message.id).not.toBe(a.body.message.id);
  }, 40_000);

  it('lists missions newest first with cursor paging; a bad cursor or limit is a 400 naming it', async () => {
    for (const n of [1, 2, 3]) await newMission(`Paging ${n}`);
    const seen: Json[] = [];
    let cursor: string | null = null;
    do {
      const res = await api().get(`/api/v1/missions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    const [{ n }] = await stack.api.db.query(`SELECT count(*)::int AS n FROM missions WHERE workspace_id = $1`, [stack.ws.id]);
    expect(new Set(seen.map((m) => m.id)).size).toBe(n);
    expect(seen.slice(0, 3).map((m) => m.title)).toEqual(['Paging 3', 'Paging 2', 'Paging 1']);
    const times = seen.map((m) => m.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    for (const [query, field] of [['cursor=nope', 'cursor'], ['limit=0', 'limit'], ['limit=201', 'limit']]) {
      const bad = await api().get(`/api/v1/missions?${query}`);
      expect([query, bad.status, bad.body.errors?.[0]?.field]).toEqual([query, 400, field]);
    }
  }, 30_000);

  it('a viewer reads missions but cannot start one or talk to the Copilot; bad input is a 400 naming the field', async () => {
    const id = await newMission('Authz');
    const viewer = await (await import('../../../test/support/api.js')).signIn(stack.api.url, stack.ws.users.viewer);
    expect((await as(viewer).get(`/api/v1/missions/${id}`)).status).toBe(200);
    expect((await as(viewer).post(`/api/v1/missions/${id}/messages`, { content: 'plan' })).status).toBe(403);
    expect((await as(viewer).post('/api/v1/missions', { title: 'x' })).status).toBe(403);
    for (const content of ['', '  \n ', 42]) {
      const bad = await api().post(`/api/v1/missions/${id}/messages`, { content });
      expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'content']);
    }
    const blank = await api().post('/api/v1/missions', { title: '   ' });
    expect([blank.status, blank.body.errors?.[0]]).toEqual([400, { field: 'title', message: 'must not be blank' }]);
  }, 30_000);

  it('Redis flushed mid-mission: the reconcilers re-add the steps’ jobs, the gate keeps the order, the mission still ends once', async () => {
    const redis = await startPrivateRedis();
    const env = { REDIS_URL: redis.url };
    const own = await startStack({ apiEnv: env, workerEnv: env });
    try {
      const client = as(own.member);
      for (const name of ['Researcher', 'Writer', 'Editor', 'Publisher']) expect((await client.post('/api/v1/operators', { name, maxOutputTokens: 40 })).status).toBe(201);
      const id = (await client.post('/api/v1/missions', { title: 'Flush' })).body.id;
      const plan = {
        title: 'Diamond',
        failurePolicy: 'stop',
        steps: [step('a', 'Researcher', 'Slow start [mock:latency=2500]'), step('b', 'Writer', 'B {{steps.a.output}}', ['a']), step('c', 'Editor', 'C {{steps.a.output}}', ['a']), step('d', 'Publisher', '{{steps.b.output}} + {{steps.c.output}}', ['b', 'c'])],
      };
      expect((await client.post(`/api/v1/missions/${id}/plans`, plan)).status).toBe(201);
      const get = async () => (await client.get(`/api/v1/missions/${id}`)).body as Json;
      const planId = (await get()).plans[0].id;
      expect((await client.post(`/api/v1/missions/${id}/plans/${planId}/approve`, {})).status).toBe(202);
      await waitUntil(async () => stepRun(await get(), 'a').status === 'running', 20_000, 'step a running');
      // Every job is gone: the flow parent, the parked steps, the running step's job.
      const r = new Redis(redis.url);
      await r.flushall();
      r.disconnect();
      let m: Json = {};
      await waitUntil(async () => {
        m = await get();
        return ['succeeded', 'failed', 'cancelled'].includes(m.currentRun.run.status);
      }, 60_000, 'the mission to end after the flush');
      expect(m.currentRun.run).toMatchObject({ status: 'succeeded', statusReason: '4 of 4 steps succeeded.' });
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((s) => stepRun(m, s));
      expect([a, b, c, d].map((r) => [r.status, r.providerCalls])).toEqual([
        ['succeeded', 1],
        ['succeeded', 1],
        ['succeeded', 1],
        ['succeeded', 1],
      ]);
      expect(Date.parse(d.timings.startedAt)).toBeGreaterThanOrEqual(Math.max(Date.parse(b.timings.finishedAt), Date.parse(c.timings.finishedAt)));
      expect(d.input).toBe(`${b.output} + ${c.output}`);
      const events = (await client.get(`/api/v1/runs/${m.currentRun.run.id}`)).body.events.filter((e: Json) => ['succeeded', 'failed', 'cancelled'].includes(e.type));
      expect(events).toHaveLength(1);
    } finally {
      await own.close();
      await redis.stop();
    }
  }, 90_000);
});
