/** Budgets that count their first period from its start (month-to-date) or from their creation (issue 14). */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';

describe('budget periods: count from the period start or from creation', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let admin: Session;
  let operator: { id: string };
  let other: { id: string };

  /** A finished run at `at` (SQL: no worker), in this workspace. */
  const finishedRun = (at: string, cost: number | null, operatorId: string | null, workspaceId = ws.id, accountId = ws.mockAccountId) =>
    api.db.query(
      `INSERT INTO runs (workspace_id, kind, operator_id, started_by_type, account_id, model, input, max_output_tokens, status, queued_at, finished_at, cost_micro_usd, cost_label)
       VALUES ($1, 'operator', $2, 'user', $3, 'mock-fast', 'x', 100, 'succeeded', ${at} - interval '1 second', ${at}, $4, CASE WHEN $4::bigint IS NULL THEN 'unavailable' ELSE 'estimated' END)`,
      [workspaceId, operatorId, accountId, cost],
    );

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    admin = await signIn(api.url, ws.users.admin);
    operator = (await as(admin).post('/api/v1/operators', { name: `Counted ${randomUUID().slice(0, 6)}` })).body;
    other = (await as(admin).post('/api/v1/operators', { name: `Other ${randomUUID().slice(0, 6)}` })).body;
    const monthStart = `(date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;
    // This month, before any budget exists (the first millisecond of the month is always in the past):
    await finishedRun(`(${monthStart} + interval '1 millisecond')`, 3000, operator.id);
    await finishedRun(`(${monthStart} + interval '2 milliseconds')`, 500, other.id);
    await finishedRun(`(${monthStart} + interval '3 milliseconds')`, null, operator.id);
    // Last month: never in this month's period.
    await finishedRun(`(${monthStart} - interval '1 hour')`, 90_000, operator.id);
    // Another workspace's run: never counted here.
    const neighbour = await seedWorkspace(api.db);
    await finishedRun(`(${monthStart} + interval '1 millisecond')`, 70_000, null, neighbour.id, neighbour.mockAccountId);
  });
  afterAll(() => api.close());

  const create = (body: object) => as(admin).post('/api/v1/budgets', { name: `b-${randomUUID().slice(0, 6)}`, capMicroUsd: 1_000_000, ...body });

  it('from the period start: the month-to-date spend of the runs in scope opens the period', async () => {
    const workspace = await create({ scope: { type: 'workspace', id: null }, period: 'month', countFrom: 'period_start' });
    expect(workspace.status).toBe(201);
    expect(workspace.body.countFrom).toBe('period_start');
    expect(workspace.body.currentPeriod).toMatchObject({ spentMicroUsd: 3500, openingMicroUsd: 3500, remainingMicroUsd: 996_500 });
    expect(workspace.body.currentPeriod.countingFrom).toBe(workspace.body.currentPeriod.periodStart);

    const byOperator = await create({ scope: { type: 'operator', id: operator.id }, period: 'month', countFrom: 'period_start' });
    expect(byOperator.body.currentPeriod).toMatchObject({ spentMicroUsd: 3000, openingMicroUsd: 3000 });
    // And the audit entry says what was counted.
    const [event] = (await as(admin).get(`/api/v1/audit-events?action=budget.create&targetId=${byOperator.body.id}`)).body.items;
    expect(event.metadata).toMatchObject({ countFrom: 'period_start', openingMicroUsd: 3000 });
    // A lifetime budget counting from the start counts everything the scope ever cost.
    const lifetime = await create({ scope: { type: 'operator', id: operator.id }, period: 'lifetime', countFrom: 'period_start' });
    expect(lifetime.body.currentPeriod.spentMicroUsd).toBe(93_000);
  });

  it('from creation (the default): the first period counts from the moment the budget was created', async () => {
    const res = await create({ scope: { type: 'workspace', id: null }, period: 'month' });
    expect(res.body.countFrom).toBe('creation');
    expect(res.body.currentPeriod).toMatchObject({ spentMicroUsd: 0, openingMicroUsd: 0 });
    expect(res.body.currentPeriod.countingFrom).toBe(res.body.createdAt);
    expect(Date.parse(res.body.currentPeriod.countingFrom)).toBeGreaterThan(Date.parse(res.body.currentPeriod.periodStart));
  });

  it('the opening balance holds runs back like any spend: the pre-check refuses a run that no longer fits', async () => {
    const tight = await create({ scope: { type: 'operator', id: operator.id }, period: 'month', countFrom: 'period_start', capMicroUsd: 3000 });
    expect(tight.body.currentPeriod.remainingMicroUsd).toBe(0);
    const run = await as(admin).post('/api/v1/runs', { operatorId: operator.id, input: 'hello' });
    expect([run.status, run.body.code]).toEqual([402, 'budget_exhausted']);
    expect(run.body.detail).toContain(tight.body.name);
    await as(admin).delete(`/api/v1/budgets/${tight.body.id}`);
  });

  it('is fixed at creation: a change answers 400 naming countFrom; a bad value too', async () => {
    const res = await create({ scope: { type: 'workspace', id: null }, period: 'week', countFrom: 'creation' });
    const change = await as(admin).patch(`/api/v1/budgets/${res.body.id}`, { countFrom: 'period_start' });
    expect([change.status, change.body.errors?.[0]?.field]).toEqual([400, 'countFrom']);
    const same = await as(admin).patch(`/api/v1/budgets/${res.body.id}`, { countFrom: 'creation', name: 'renamed' });
    expect([same.status, same.body.name]).toEqual([200, 'renamed']);
    const bad = await create({ scope: { type: 'workspace', id: null }, period: 'week', countFrom: 'yesterday' });
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'countFrom']);
  });
});
