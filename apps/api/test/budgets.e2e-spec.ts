import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, bearer, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';

const DAY_MS = 86_400_000;

describe('budgets', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let admin: Session;
  let member: Session;
  let viewer: Session;

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    [admin, member, viewer] = await Promise.all([signIn(api.url, ws.users.admin), signIn(api.url, ws.users.member), signIn(api.url, ws.users.viewer)]);
  });
  afterAll(() => api.close());

  const create = (body: object, s: Session = admin) => as(s).post('/api/v1/budgets', { name: `b-${randomUUID().slice(0, 8)}`, period: 'month', capMicroUsd: 10_000_000, scope: { type: 'workspace', id: null }, ...body });
  /** The budget's ledger row for its current period (the worker writes these; this test has no worker). */
  const seedPeriod = (budgetId: string, period: string, values: { spent?: number; held?: number; alertedAt?: Date | null }) =>
    api.db.query(
      `INSERT INTO budget_periods (budget_id, period_start, spent_micro_usd, held_micro_usd, alerted_at) VALUES ($1, vaultrun_period_start($2, now()), $3, $4, $5)
       ON CONFLICT (budget_id, period_start) DO UPDATE SET spent_micro_usd = EXCLUDED.spent_micro_usd, held_micro_usd = EXCLUDED.held_micro_usd, alerted_at = EXCLUDED.alerted_at`,
      [budgetId, period, values.spent ?? 0, values.held ?? 0, values.alertedAt ?? null],
    );

  it('creates, reads, changes and deletes a budget, with its current UTC period, and audits each change', async () => {
    const created = await as(admin).post('/api/v1/budgets', { name: 'Team monthly', scope: { type: 'workspace', id: null }, period: 'month', capMicroUsd: 50_000_000 });
    expect(created.status).toBe(201);
    const now = new Date();
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'Team monthly',
      scope: { type: 'workspace', id: null, label: ws.name },
      period: 'month',
      countFrom: 'creation',
      capMicroUsd: 50_000_000,
      softThresholdPct: 80,
      shrinkToFit: null,
      currentPeriod: {
        periodStart: monthStart.toISOString(),
        periodEnd: nextMonth.toISOString(),
        countingFrom: created.body.createdAt,
        spentMicroUsd: 0,
        openingMicroUsd: 0,
        heldMicroUsd: 0,
        remainingMicroUsd: 50_000_000,
        projectedMicroUsd: 0,
        alertedAt: null,
        softThresholdReached: false,
        overageMicroUsd: 0,
        overageAt: null,
        exhausted: false,
      },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const id = created.body.id;

    expect((await as(member).get('/api/v1/budgets')).body.items.map((b: { id: string }) => b.id)).toContain(id);
    expect((await as(viewer).get(`/api/v1/budgets/${id}`)).body.name).toBe('Team monthly');

    const patched = await as(admin).patch(`/api/v1/budgets/${id}`, { name: 'Team cap', capMicroUsd: 60_000_000, softThresholdPct: 50, period: 'month', scope: { type: 'workspace', id: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Team cap', capMicroUsd: 60_000_000, softThresholdPct: 50, period: 'month', currentPeriod: { remainingMicroUsd: 60_000_000 } });

    const deleted = await as(admin).delete(`/api/v1/budgets/${id}`);
    expect(deleted.status).toBe(204);
    expect((await as(admin).get(`/api/v1/budgets/${id}`)).status).toBe(404);
    expect((await as(admin).delete(`/api/v1/budgets/${id}`)).status).toBe(404);

    const audit: { action: string; metadata: Record<string, unknown> }[] = await api.db.query(
      `SELECT action, metadata FROM audit_events WHERE workspace_id = $1 AND target_id = $2 ORDER BY created_at`,
      [ws.id, id],
    );
    expect(audit.map((a) => a.action)).toEqual(['budget.create', 'budget.update', 'budget.delete']);
    expect(audit[1]!.metadata).toMatchObject({ name: { from: 'Team monthly', to: 'Team cap' }, capMicroUsd: { from: 50_000_000, to: 60_000_000 }, softThresholdPct: { from: 80, to: 50 } });
  });

  it('keeps scope and period fixed: changing either is a 400 naming the field', async () => {
    const { body } = await create({ period: 'day' });
    const scope = await as(admin).patch(`/api/v1/budgets/${body.id}`, { scope: { type: 'account', id: ws.mockAccountId } });
    expect(scope.status).toBe(400);
    expect(scope.body.errors).toEqual([{ field: 'scope', message: expect.stringContaining('cannot be changed') }]);
    const period = await as(admin).patch(`/api/v1/budgets/${body.id}`, { period: 'week' });
    expect(period.status).toBe(400);
    expect(period.body.errors[0].field).toBe('period');
    expect((await as(admin).get(`/api/v1/budgets/${body.id}`)).body).toMatchObject({ period: 'day', scope: { type: 'workspace' } });
  });

  it('refuses bad input with 400 naming the field', async () => {
    const cases: [object, string][] = [
      [{ capMicroUsd: 1.5 }, 'capMicroUsd'],
      [{ capMicroUsd: -1 }, 'capMicroUsd'],
      [{ capMicroUsd: '1000' }, 'capMicroUsd'],
      [{ capMicroUsd: 2 ** 53 }, 'capMicroUsd'],
      [{ softThresholdPct: 0 }, 'softThresholdPct'],
      [{ softThresholdPct: 101 }, 'softThresholdPct'],
      [{ period: 'year' }, 'period'],
      [{ name: '' }, 'name'],
      [{ scope: { type: 'team', id: null } }, 'scope.type'],
      [{ scope: { type: 'workspace', id: ws.mockAccountId } }, 'scope.id'],
      [{ scope: { type: 'account', id: null } }, 'scope.id'],
      [{ scope: { type: 'account', id: 'not-a-uuid' } }, 'scope.id'],
      [{ scope: { type: 'account', id: randomUUID() } }, 'scope.id'],
      [{ scope: { type: 'operator', id: ws.mockAccountId } }, 'scope.id'],
      [{ scope: { type: 'token', id: randomUUID() } }, 'scope.id'],
      [{ scope: 'workspace' }, 'scope'],
      [{ scope: { type: 'workspace', id: null, extra: 1 } }, 'scope.extra'],
      [{ color: 'red' }, 'color'],
      [{ shrinkToFit: { minOutputTokens: 0 } }, 'shrinkToFit.minOutputTokens'],
      [{ shrinkToFit: { minOutputTokens: 12.5 } }, 'shrinkToFit.minOutputTokens'],
      [{ shrinkToFit: { minOutputTokens: '64' } }, 'shrinkToFit.minOutputTokens'],
      [{ shrinkToFit: { minOutputTokens: 200_001 } }, 'shrinkToFit.minOutputTokens'],
      [{ shrinkToFit: {} }, 'shrinkToFit.minOutputTokens'],
      [{ shrinkToFit: { minOutputTokens: 64, max: 1 } }, 'shrinkToFit.max'],
      [{ shrinkToFit: 64 }, 'shrinkToFit'],
    ];
    for (const [body, field] of cases) {
      const res = await create(body);
      expect([JSON.stringify(body), res.status, res.body.errors?.map((e: { field: string }) => e.field)]).toEqual([JSON.stringify(body), 400, expect.arrayContaining([field])]);
    }
    const patch = await as(admin).patch(`/api/v1/budgets/${(await create({})).body.id}`, { capMicroUsd: -5 });
    expect(patch.body.errors[0].field).toBe('capMicroUsd');
    const [{ n }] = await api.db.query(`SELECT count(*)::int AS n FROM budgets WHERE workspace_id = $1 AND cap_micro_usd < 0`, [ws.id]);
    expect(n).toBe(0);
  });

  it('scopes to an account, operator or API token of this workspace, labelled with its name', async () => {
    const op = (await as(admin).post('/api/v1/operators', { name: `Summariser ${randomUUID().slice(0, 6)}` })).body;
    const token = (await as(admin).post('/api/v1/tokens', { name: `bot-${randomUUID().slice(0, 6)}`, scopes: ['run'] })).body;
    const account = await create({ scope: { type: 'account', id: ws.mockAccountId } });
    expect(account.status).toBe(201);
    expect(account.body.scope).toEqual({ type: 'account', id: ws.mockAccountId, label: 'Mock provider' });
    expect((await create({ scope: { type: 'operator', id: op.id } })).body.scope).toEqual({ type: 'operator', id: op.id, label: op.name });
    const byToken = await create({ scope: { type: 'token', id: token.id } });
    expect(byToken.body.scope).toEqual({ type: 'token', id: token.id, label: token.name });
    // A revoked token can no longer run anything: a new budget for it is refused.
    await as(admin).delete(`/api/v1/tokens/${token.id}`);
    expect((await create({ scope: { type: 'token', id: token.id } })).body.errors[0].field).toBe('scope.id');
    // The operator goes; its budget stays, without a label.
    await as(admin).delete(`/api/v1/operators/${op.id}`);
    const list = (await as(admin).get('/api/v1/budgets')).body.items as { scope: { id: string; label: string | null } }[];
    expect(list.find((b) => b.scope.id === op.id)!.scope.label).toBeNull();
  });

  it('shows the current period from the ledger: spent, held, remaining, projection, threshold', async () => {
    // Counting from the period's start, as the seeded spend does (a budget counting from its creation extrapolates from then).
    const { body } = await create({ period: 'day', capMicroUsd: 1_000_000, softThresholdPct: 50, countFrom: 'period_start' });
    const alertedAt = new Date(Date.now() - 60_000);
    await seedPeriod(body.id, 'day', { spent: 600_000, held: 300_000, alertedAt });
    // Yesterday's row is another period: it does not count.
    await api.db.query(`INSERT INTO budget_periods (budget_id, period_start, spent_micro_usd) VALUES ($1, vaultrun_period_start('day', now()) - interval '1 day', 999999)`, [body.id]);
    const before = Date.now();
    const res = await as(viewer).get(`/api/v1/budgets/${body.id}`);
    const after = Date.now();
    const p = res.body.currentPeriod;
    expect(p).toMatchObject({ spentMicroUsd: 600_000, heldMicroUsd: 300_000, remainingMicroUsd: 100_000, alertedAt: alertedAt.toISOString(), softThresholdReached: true });
    const start = Date.parse(p.periodStart);
    expect(Date.parse(p.periodEnd) - start).toBe(DAY_MS);
    expect(start % DAY_MS).toBe(0);
    // Linear: spent × period length ÷ time elapsed so far.
    const projection = (now: number) => (600_000 * DAY_MS) / Math.max(1, now - start);
    expect(p.projectedMicroUsd).toBeLessThanOrEqual(Math.ceil(projection(before - 5)));
    expect(p.projectedMicroUsd).toBeGreaterThanOrEqual(Math.floor(projection(after + 5)));
    expect(p.projectedMicroUsd).toBeGreaterThanOrEqual(600_000);

    // Over the cap: remaining is 0, never negative.
    await seedPeriod(body.id, 'day', { spent: 900_000, held: 300_000 });
    expect((await as(viewer).get(`/api/v1/budgets/${body.id}`)).body.currentPeriod.remainingMicroUsd).toBe(0);

    const lifetime = await create({ period: 'lifetime', capMicroUsd: 100 });
    expect(lifetime.body.currentPeriod).toMatchObject({ periodStart: '1970-01-01T00:00:00.000Z', periodEnd: null, projectedMicroUsd: null });
    const week = await create({ period: 'week' });
    const weekStart = new Date(week.body.currentPeriod.periodStart);
    expect(weekStart.getUTCDay()).toBe(1); // ISO weeks start on Monday
    expect(Date.parse(week.body.currentPeriod.periodEnd) - weekStart.getTime()).toBe(7 * DAY_MS);
  });

  it('re-arms the soft-threshold alert when a raised cap puts the period back under it', async () => {
    const { body } = await create({ period: 'month', capMicroUsd: 1_000_000, softThresholdPct: 80 });
    await seedPeriod(body.id, 'month', { spent: 850_000, alertedAt: new Date() });
    const lowered = await as(admin).patch(`/api/v1/budgets/${body.id}`, { name: 'renamed' });
    expect(lowered.body.currentPeriod.alertedAt).not.toBeNull();
    const raised = await as(admin).patch(`/api/v1/budgets/${body.id}`, { capMicroUsd: 2_000_000 });
    expect(raised.body.currentPeriod).toMatchObject({ alertedAt: null, softThresholdReached: false, spentMicroUsd: 850_000 });
  });

  it('shrink-to-fit is set with a floor, changed, turned off with null, and audited', async () => {
    const { body, status } = await create({ shrinkToFit: { minOutputTokens: 256 } });
    expect([status, body.shrinkToFit]).toEqual([201, { minOutputTokens: 256 }]);
    const changed = await as(admin).patch(`/api/v1/budgets/${body.id}`, { shrinkToFit: { minOutputTokens: 64 } });
    expect(changed.body.shrinkToFit).toEqual({ minOutputTokens: 64 });
    // Absent: unchanged.
    expect((await as(admin).patch(`/api/v1/budgets/${body.id}`, { name: 'still shrinking' })).body.shrinkToFit).toEqual({ minOutputTokens: 64 });
    const bad = await as(admin).patch(`/api/v1/budgets/${body.id}`, { shrinkToFit: { minOutputTokens: -1 } });
    expect([bad.status, bad.body.code, bad.body.errors]).toEqual([400, 'validation_failed', [{ field: 'shrinkToFit.minOutputTokens', message: expect.any(String) }]]);
    expect((await as(admin).patch(`/api/v1/budgets/${body.id}`, { shrinkToFit: null })).body.shrinkToFit).toBeNull();
    const audit: { metadata: Record<string, unknown> }[] = await api.db.query(
      `SELECT metadata FROM audit_events WHERE workspace_id = $1 AND target_id = $2 AND action = 'budget.update' ORDER BY created_at`,
      [ws.id, body.id],
    );
    expect(audit.map((a) => a.metadata.shrinkMinOutputTokens)).toEqual([{ from: 256, to: 64 }, undefined, { from: 64, to: null }]);
  });

  it('shows an overage and a paused period; changing the cap lets it admit runs again', async () => {
    const { body } = await create({ period: 'month', capMicroUsd: 1_000_000 });
    // As the ledger leaves it after a settlement above its hold, with a run from before still in flight.
    await seedPeriod(body.id, 'month', { spent: 400_000, held: 100_000 });
    const at = new Date(Date.now() - 60_000);
    await api.db.query(`UPDATE budget_periods SET overage_micro_usd = 12345, overage_at = $2, exhausted_at = $2 WHERE budget_id = $1`, [body.id, at]);
    const shown = (await as(viewer).get(`/api/v1/budgets/${body.id}`)).body.currentPeriod;
    expect(shown).toMatchObject({ overageMicroUsd: 12_345, overageAt: at.toISOString(), exhausted: true, spentMicroUsd: 400_000, remainingMicroUsd: 500_000 });
    // A renamed budget stays paused; a changed cap is an admin's answer to the overage.
    expect((await as(admin).patch(`/api/v1/budgets/${body.id}`, { name: 'looked at' })).body.currentPeriod.exhausted).toBe(true);
    const raised = await as(admin).patch(`/api/v1/budgets/${body.id}`, { capMicroUsd: 2_000_000 });
    expect(raised.body.currentPeriod).toMatchObject({ exhausted: false, overageMicroUsd: 12_345, overageAt: at.toISOString() });
  });

  it('lets owners, admins and admin tokens manage budgets; members, viewers and other tokens only read them', async () => {
    const { body } = await create({});
    for (const s of [member, viewer]) {
      expect((await create({}, s)).status).toBe(403);
      expect((await as(s).patch(`/api/v1/budgets/${body.id}`, { capMicroUsd: 1 })).status).toBe(403);
      expect((await as(s).delete(`/api/v1/budgets/${body.id}`)).status).toBe(403);
      expect((await as(s).get(`/api/v1/budgets/${body.id}`)).status).toBe(200);
    }
    const owner = await signIn(api.url, ws.users.owner);
    expect((await create({}, owner)).status).toBe(201);
    const tokens = Object.fromEntries(
      await Promise.all((['read', 'run', 'admin'] as const).map(async (scope) => [scope, (await as(owner).post('/api/v1/tokens', { name: `t-${scope}-${randomUUID()}`, scopes: [scope] })).body.token])),
    ) as Record<string, string>;
    const newBudget = { name: 'by token', scope: { type: 'workspace', id: null }, period: 'day', capMicroUsd: 5 };
    expect((await bearer(api.url, tokens.read!).post('/api/v1/budgets', newBudget)).status).toBe(403);
    expect((await bearer(api.url, tokens.run!).post('/api/v1/budgets', newBudget)).status).toBe(403);
    expect((await bearer(api.url, tokens.run!).get('/api/v1/budgets')).status).toBe(200);
    const byAdminToken = await bearer(api.url, tokens.admin!).post('/api/v1/budgets', newBudget);
    expect(byAdminToken.status).toBe(201);
    expect(byAdminToken.body.capMicroUsd).toBe(5);
    expect((await as(admin).get(`/api/v1/budgets/${body.id}`)).body.capMicroUsd).toBe(10_000_000);
  });

  it("keeps another workspace's budgets invisible: 404 for its ids, never in a list, its scopes refused", async () => {
    const { body } = await create({ name: `A-secret-${randomUUID()}` });
    const other = await seedWorkspace(api.db);
    const stranger = await signIn(api.url, other.users.owner);
    expect((await as(stranger).get(`/api/v1/budgets/${body.id}`)).status).toBe(404);
    expect((await as(stranger).patch(`/api/v1/budgets/${body.id}`, { capMicroUsd: 1 })).status).toBe(404);
    expect((await as(stranger).delete(`/api/v1/budgets/${body.id}`)).status).toBe(404);
    expect(JSON.stringify((await as(stranger).get('/api/v1/budgets')).body)).not.toContain(body.name);
    const onForeignAccount = await as(stranger).post('/api/v1/budgets', { name: 'x', scope: { type: 'account', id: ws.mockAccountId }, period: 'day', capMicroUsd: 1 });
    expect(onForeignAccount.status).toBe(400);
    expect(onForeignAccount.body.errors[0].field).toBe('scope.id');
    expect((await as(admin).get(`/api/v1/budgets/${body.id}`)).body.capMicroUsd).toBe(10_000_000);
  });
});
