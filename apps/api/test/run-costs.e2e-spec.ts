/**
 * POST /runs refuses at once what a budget or the operator's cost cap would block (no worker runs here: spend is
 * seeded into the ledger directly), and runs carry their cost fields.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { estimatePromptTokens } from '@vaultrun/providers';
import { messagesOf } from '@vaultrun/engine';
import { quoteRun } from '@vaultrun/money';
import { as, bearer, type SeededWorkspace, seedWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';

describe('run costs and the POST /runs pre-check', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  /** A fresh workspace per case: budgets apply workspace-wide. */
  async function workspace(): Promise<{ ws: SeededWorkspace; admin: Session; member: Session }> {
    const ws = await seedWorkspace(api.db);
    const [admin, member] = await Promise.all([signIn(api.url, ws.users.admin), signIn(api.url, ws.users.member)]);
    return { ws, admin, member };
  }
  const operator = async (s: Session, body: object = {}) => {
    const res = await as(s).post('/api/v1/operators', { name: `op-${randomUUID().slice(0, 8)}`, instructions: 'Answer briefly.', maxOutputTokens: 1000, ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string; costCapMicroUsd: number | null };
  };
  const budget = async (s: Session, body: object = {}) => {
    const res = await as(s).post('/api/v1/budgets', { name: `Budget ${randomUUID().slice(0, 8)}`, scope: { type: 'workspace', id: null }, period: 'day', capMicroUsd: 1_000, ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  };
  const spend = (budgetId: string, spent: number, held = 0) =>
    api.db.query(`INSERT INTO budget_periods (budget_id, period_start, spent_micro_usd, held_micro_usd) VALUES ($1, vaultrun_period_start('day', now()), $2, $3)`, [budgetId, spent, held]);
  const runsOf = async (operatorId: string) => (await api.db.query(`SELECT count(*)::int AS n FROM runs WHERE operator_id = $1`, [operatorId]))[0].n as number;
  /** What the API must hold for a run: mock prices are exact (same tokenizer), so the test can compute it. */
  const worstCase = (model: string, input: string, overrides = {}) =>
    quoteRun({ kind: 'mock', model, overrides, promptTokens: estimatePromptTokens(messagesOf({ instructions: 'Answer briefly.', input })), maxOutputTokens: 1000 }).worstCaseMicroUsd;

  it('answers 402 naming the budget when its spend plus the worst case would pass the cap; nothing is queued', async () => {
    const { member, admin } = await workspace();
    const op = await operator(member);
    const b = await budget(admin, { capMicroUsd: 1_000 });
    const worst = worstCase('mock-fast', 'Hello')!;
    expect(worst).toBeGreaterThan(400); // 1000 output tokens × $0.40 / 1M
    await spend(b.id, 1_000 - worst + 1);

    const res = await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'Hello' });
    expect(res.status).toBe(402);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      code: 'budget_exhausted',
      status: 402,
      budgetId: b.id,
      budgetName: b.name,
      capMicroUsd: 1_000,
      spentMicroUsd: 1_000 - worst + 1,
      heldMicroUsd: 0,
      worstCaseMicroUsd: worst,
    });
    expect(res.body.detail).toContain(`Budget "${b.name}"`);
    expect(res.body.detail).toContain('cap $0.001');
    expect(await runsOf(op.id)).toBe(0);

    // Exactly at the cap is still allowed (spent + worst ≤ cap), and the run carries its estimate.
    await api.db.query(`UPDATE budget_periods SET spent_micro_usd = $2 WHERE budget_id = $1`, [b.id, 1_000 - worst]);
    const ok = await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'Hello' });
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ status: 'queued', estimateMicroUsd: worst, costCapMicroUsd: null, costMicroUsd: null, costLabel: null, blockedBy: null });
  });

  it('does not count holds of runs in flight in the pre-check (they may still be released; the worker decides)', async () => {
    const { member, admin } = await workspace();
    const op = await operator(member);
    const b = await budget(admin, { capMicroUsd: 1_000 });
    await spend(b.id, 0, 1_000);
    expect((await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'x' })).status).toBe(202);
  });

  it('checks only the budgets that apply: its operator, its account, the token that starts it', async () => {
    const { ws, member, admin } = await workspace();
    const op = await operator(member);
    const otherOp = await operator(member);
    const token = (await as(admin).post('/api/v1/tokens', { name: `bot-${randomUUID().slice(0, 6)}`, scopes: ['run'] })).body;
    const opBudget = await budget(admin, { scope: { type: 'operator', id: otherOp.id } });
    const tokenBudget = await budget(admin, { scope: { type: 'token', id: token.id } });
    await spend(opBudget.id, 1_000);
    await spend(tokenBudget.id, 1_000);

    expect((await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'x' })).status).toBe(202);
    const byOtherOp = await as(member).post('/api/v1/runs', { operatorId: otherOp.id, input: 'x' });
    expect([byOtherOp.status, byOtherOp.body.budgetId]).toEqual([402, opBudget.id]);
    const byToken = await bearer(api.url, token.token).post('/api/v1/runs', { operatorId: op.id, input: 'x' });
    expect([byToken.status, byToken.body.budgetId]).toEqual([402, tokenBudget.id]);

    const accountBudget = await budget(admin, { scope: { type: 'account', id: ws.mockAccountId } });
    await spend(accountBudget.id, 1_000);
    const byAccount = await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'x' });
    expect([byAccount.status, byAccount.body.budgetId]).toEqual([402, accountBudget.id]);
  });

  it('refuses a model with no price under a budget (422 unpriced_model); a price override makes it runnable', async () => {
    const { member, admin } = await workspace();
    const op = await operator(member, { model: 'mock-custom' });
    // No budget: an unpriced model may run (its cost will be labelled unavailable, never $0).
    const free = await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'x' });
    expect(free.status).toBe(202);
    expect(free.body.estimateMicroUsd).toBeNull();

    const b = await budget(admin, { capMicroUsd: 10_000_000 });
    const refused = await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'x' });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'unpriced_model', budgetId: b.id, budgetName: b.name, worstCaseMicroUsd: null });
    expect(refused.body.detail).toContain('mock-custom');
    expect(await runsOf(op.id)).toBe(1);

    expect((await as(admin).post('/api/v1/price-overrides', { model: 'mock-custom', inputMicroUsdPerM: 2_000_000, outputMicroUsdPerM: 8_000_000 })).status).toBe(201);
    const priced = await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'x' });
    expect(priced.status).toBe(202);
    expect(priced.body.estimateMicroUsd).toBe(worstCase('mock-custom', 'x', { 'mock-custom': { input: 2_000_000, cachedInput: 2_000_000, output: 8_000_000 } }));
    expect(priced.body.estimateMicroUsd).toBeGreaterThan(8_000); // 1000 output tokens × $8 / 1M
  });

  it("enforces the operator's per-run cost cap (402 cost_cap_exceeded) and copies it onto the run", async () => {
    const { member } = await workspace();
    const worst = worstCase('mock-fast', 'x')!;
    const tight = await operator(member, { costCapMicroUsd: worst - 1 });
    expect(tight.costCapMicroUsd).toBe(worst - 1);
    const refused = await as(member).post('/api/v1/runs', { operatorId: tight.id, input: 'x' });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ code: 'cost_cap_exceeded', costCapMicroUsd: worst - 1, worstCaseMicroUsd: worst });
    expect(await runsOf(tight.id)).toBe(0);

    const roomy = await operator(member, { costCapMicroUsd: worst });
    const ok = await as(member).post('/api/v1/runs', { operatorId: roomy.id, input: 'x' });
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ costCapMicroUsd: worst, estimateMicroUsd: worst });
    const [row] = await api.db.query(`SELECT cost_cap_micro_usd, estimate_micro_usd FROM runs WHERE id = $1`, [ok.body.id]);
    expect([Number(row.cost_cap_micro_usd), Number(row.estimate_micro_usd)]).toEqual([worst, worst]);

    // A cap cannot be checked against an unknown price.
    const unpriced = await operator(member, { model: 'mock-custom', costCapMicroUsd: 1_000_000 });
    const noPrice = await as(member).post('/api/v1/runs', { operatorId: unpriced.id, input: 'x' });
    expect([noPrice.status, noPrice.body.code]).toEqual([422, 'unpriced_model']);
  });

  it('takes the operator cost cap as an integer of micro-USD (400 for anything else)', async () => {
    const { member } = await workspace();
    for (const bad of ['50000', 1.5, -1, 2 ** 53, true]) {
      const res = await as(member).post('/api/v1/operators', { name: `op-${randomUUID()}`, costCapMicroUsd: bad });
      expect([bad, res.status, res.body.errors?.[0]?.field]).toEqual([bad, 400, 'costCapMicroUsd']);
    }
    const op = await operator(member, { costCapMicroUsd: 50_000 });
    expect((await as(member).get(`/api/v1/operators/${op.id}`)).body.costCapMicroUsd).toBe(50_000);
    const cleared = await as(member).patch(`/api/v1/operators/${op.id}`, { costCapMicroUsd: null });
    expect(cleared.body.costCapMicroUsd).toBeNull();
    const set = await as(member).patch(`/api/v1/operators/${op.id}`, { costCapMicroUsd: Number.MAX_SAFE_INTEGER });
    expect(set.body.costCapMicroUsd).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('shows cost, label and the blocking budget on runs (the budget\'s name goes when it is deleted)', async () => {
    const { member, admin } = await workspace();
    const op = await operator(member);
    const b = await budget(admin, { capMicroUsd: 1_000_000 });
    const run = (await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'x' })).body;
    const other = (await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'y' })).body;
    // What the worker writes when a budget stops a run, and when a run finishes with a cost.
    await api.db.query(`UPDATE runs SET status = 'blocked', error_code = 'budget_exhausted', error_message = 'Budget says no', blocked_budget_id = $2, finished_at = now() WHERE id = $1`, [run.id, b.id]);
    await api.db.query(`UPDATE runs SET status = 'succeeded', cost_micro_usd = 1234, cost_label = 'estimated', finished_at = now() WHERE id = $1`, [other.id]);

    const blocked = (await as(member).get(`/api/v1/runs/${run.id}`)).body;
    expect(blocked).toMatchObject({ status: 'blocked', blockedBy: { budgetId: b.id, budgetName: b.name }, error: { code: 'budget_exhausted' }, costMicroUsd: null, costLabel: null });
    const list = (await as(member).get(`/api/v1/runs?operatorId=${op.id}`)).body.items as Record<string, unknown>[];
    expect(list.find((r) => r.id === other.id)).toMatchObject({ costMicroUsd: 1234, costLabel: 'estimated', blockedBy: null });
    expect(list.find((r) => r.id === run.id)).toMatchObject({ blockedBy: { budgetId: b.id, budgetName: b.name } });

    await as(admin).delete(`/api/v1/budgets/${b.id}`);
    expect((await as(member).get(`/api/v1/runs/${run.id}`)).body.blockedBy).toEqual({ budgetId: b.id, budgetName: null });
  });
});
