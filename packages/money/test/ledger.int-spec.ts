/**
 * The budget ledger's SQL functions against a real Postgres: all-or-nothing reservations, idempotent settlement,
 * attempt-scoped holds, the sweeper, cost-sync adjustments, the soft-threshold alert — and a model-based property
 * test that no interleaving of operations breaks the ledger's invariants.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createDataSource, pgPoolOf } from '@vaultrun/db';
import type { DataSource } from 'typeorm';
import { scratchDatabase } from '../../../test/support/scratch-db.js';
import { BudgetReserver, type BudgetScope, budgetsFor, closeHolds, precheckBudgets, reserveBudgets, reserveBudgetsBatch, sweepHolds } from '../src/ledger.js';
import fc from 'fast-check';

describe('budget ledger (Postgres)', () => {
  let db: DataSource;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const scratch = await scratchDatabase();
    drop = scratch.drop;
    db = createDataSource({ url: scratch.url, poolSize: 12 });
    await db.initialize();
  });
  afterAll(async () => {
    await db.destroy();
    await drop();
  });

  const later = () => new Date(Date.now() + 60_000);

  async function workspace() {
    const [ws] = await db.query(`INSERT INTO workspaces (name) VALUES ('ledger') RETURNING id`);
    const [acct] = await db.query(`INSERT INTO provider_accounts (workspace_id, name, kind) VALUES ($1, 'Mock', 'mock') RETURNING id`, [ws.id]);
    return { ws: ws.id as string, account: acct.id as string };
  }

  async function budget(ws: string, cap: number, scope: { type: string; id?: string } = { type: 'workspace' }, extra: { period?: string; soft?: number; shrinkFloor?: number } = {}) {
    const [b] = await db.query(
      `INSERT INTO budgets (workspace_id, name, scope_type, scope_id, period, cap_micro_usd, soft_threshold_pct, shrink_min_output_tokens) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [ws, `${scope.type} cap ${cap}`, scope.type, scope.id ?? null, extra.period ?? 'month', cap, extra.soft ?? 80, extra.shrinkFloor ?? null],
    );
    return b.id as string;
  }

  /** A run as the worker sees it after claiming it (provider_calls counts the attempt). */
  async function run(ws: string, account: string, status = 'running', calls = 1, maxOutputTokens = 10) {
    const [r] = await db.query(
      `INSERT INTO runs (workspace_id, account_id, kind, started_by_type, model, input, max_output_tokens, queued_at, status, provider_calls)
       VALUES ($1, $2, 'operator', 'user', 'mock-fast', 'hi', $5, now(), $3, $4) RETURNING id`,
      [ws, account, status, calls, maxOutputTokens],
    );
    return r.id as string;
  }

  const period = async (b: string) => {
    const [p] = await db.query(`SELECT spent_micro_usd::int AS spent, held_micro_usd::int AS held, alerted_at FROM budget_balances WHERE budget_id = $1`, [b]);
    return p as { spent: number; held: number; alerted_at: Date | null };
  };
  const holds = (runId: string): Promise<{ budget_id: string; status: string; amount: number; charged: number | null; attempt: number }[]> =>
    db.query(`SELECT budget_id, status, amount_micro_usd::int AS amount, charged_micro_usd::int AS charged, attempt FROM budget_holds WHERE run_id = $1 ORDER BY created_at, budget_id`, [runId]);
  /** spent = Σ charged of closed holds + Σ adjustments; held = Σ open holds. */
  async function ledgerOf(b: string) {
    const [l] = await db.query(
      `SELECT COALESCE((SELECT sum(charged_micro_usd) FROM budget_holds WHERE budget_id = $1 AND status <> 'held'), 0)
            + COALESCE((SELECT sum(amount_micro_usd) FROM budget_adjustments WHERE budget_id = $1), 0) AS spent,
              COALESCE((SELECT sum(amount_micro_usd) FROM budget_holds WHERE budget_id = $1 AND status = 'held'), 0) AS held`,
      [b],
    );
    return { spent: Number(l.spent), held: Number(l.held) };
  }

  it('reserves against every budget that applies, all or nothing, and names the one that refused', async () => {
    const { ws, account } = await workspace();
    const wide = await budget(ws, 1_000);
    const narrow = await budget(ws, 300, { type: 'account', id: account });
    const r1 = await run(ws, account);
    expect(await reserveBudgets(db, r1, 200, later(), 'mock-fast')).toEqual({ ok: true, budgets: 2, attempt: 1, heldMicroUsd: 200, maxOutputTokens: null });
    const r2 = await run(ws, account);
    const refused = await reserveBudgets(db, r2, 200, later(), 'mock-fast');
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.refusal).toMatchObject({ code: 'budget_exhausted', budgetId: narrow, details: { capMicroUsd: 300, spentMicroUsd: 0, heldMicroUsd: 200, worstCaseMicroUsd: 200 } });
    expect(refused.refusal.message).toContain('Budget "account cap 300"');
    expect(refused.refusal.message).toContain('cap $0.0003');
    // Nothing was held for the refused run, not even in the budget that had room.
    expect(await holds(r2)).toEqual([]);
    expect(await period(wide)).toMatchObject({ spent: 0, held: 200 });
  });

  it('settles to the actual cost once, whatever is retried; a release charges nothing', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 1_000);
    const r = await run(ws, account);
    await reserveBudgets(db, r, 400, later(), 'mock-fast');
    expect(await closeHolds(db, r, 1, { charge: 150 })).toBe(1);
    expect(await closeHolds(db, r, 1, { charge: 150 })).toBe(0);
    expect(await closeHolds(db, r, 1, 'release')).toBe(0);
    expect(await period(b)).toMatchObject({ spent: 150, held: 0 });

    const r2 = await run(ws, account);
    await reserveBudgets(db, r2, 400, later(), 'mock-fast');
    expect(await closeHolds(db, r2, 1, 'release')).toBe(1);
    expect(await period(b)).toMatchObject({ spent: 150, held: 0 });
    expect(await ledgerOf(b)).toEqual({ spent: 150, held: 0 });
  });

  it('an unknown outcome keeps the worst case as spend', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 1_000);
    const r = await run(ws, account);
    await reserveBudgets(db, r, 400, later(), 'mock-fast');
    await closeHolds(db, r, 1, { charge: null });
    expect(await holds(r)).toEqual([expect.objectContaining({ status: 'kept', charged: 400 })]);
    expect(await period(b)).toMatchObject({ spent: 400, held: 0 });
  });

  it('a late close of an old attempt never touches the next attempt; a dead attempt’s hold is kept when the run is reserved again', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 1_000);
    const r = await run(ws, account, 'running', 1);
    await reserveBudgets(db, r, 300, later(), 'mock-fast');
    // The worker died; the run was recovered and claimed again (attempt 2) without anyone closing attempt 1.
    await db.query(`UPDATE runs SET provider_calls = 2 WHERE id = $1`, [r]);
    expect(await reserveBudgets(db, r, 300, later(), 'mock-fast')).toEqual({ ok: true, budgets: 1, attempt: 2, heldMicroUsd: 300, maxOutputTokens: null });
    expect((await holds(r)).map((h) => [h.attempt, h.status, h.charged])).toEqual([
      [1, 'kept', 300],
      [2, 'held', null],
    ]);
    // The first worker wakes up and settles "its" attempt: nothing left to settle.
    expect(await closeHolds(db, r, 1, { charge: 10 })).toBe(0);
    expect(await closeHolds(db, r, 2, { charge: 120 })).toBe(1);
    expect(await period(b)).toMatchObject({ spent: 420, held: 0 });
    expect(await ledgerOf(b)).toEqual({ spent: 420, held: 0 });
  });

  it('a model without a price is refused under a budget and allowed without one', async () => {
    const { ws, account } = await workspace();
    const r = await run(ws, account);
    expect(await reserveBudgets(db, r, null, later(), 'llama-local')).toEqual({ ok: true, budgets: 0, attempt: 1, heldMicroUsd: null, maxOutputTokens: null });
    const b = await budget(ws, 1_000_000);
    const refused = await reserveBudgets(db, await run(ws, account), null, later(), 'llama-local');
    expect(refused).toMatchObject({ ok: false, refusal: { code: 'unpriced_model', budgetId: b } });
    if (!refused.ok) expect(refused.refusal.message).toMatch(/add a price override for "llama-local"/);
  });

  it('the sweeper settles a finished run to its recorded cost and counts an expired hold as spent, once', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 10_000);
    const finished = await run(ws, account);
    const stuck = await run(ws, account);
    const live = await run(ws, account);
    await reserveBudgets(db, finished, 500, later(), 'mock-fast');
    await reserveBudgets(db, stuck, 700, new Date(Date.now() - 1000), 'mock-fast');
    await reserveBudgets(db, live, 900, later(), 'mock-fast');
    // As if the worker recorded the result and died before closing the hold.
    await db.query(`UPDATE runs SET status = 'succeeded', cost_micro_usd = 123, updated_at = now() - interval '1 minute' WHERE id = $1`, [finished]);

    const swept = await sweepHolds(db);
    expect(swept).toEqual({ settled: 1, expired: 1 });
    expect(await sweepHolds(db)).toEqual({ settled: 0, expired: 0 });
    expect((await holds(finished))[0]).toMatchObject({ status: 'settled', charged: 123 });
    expect((await holds(stuck))[0]).toMatchObject({ status: 'expired', charged: 700 });
    expect((await holds(live))[0]).toMatchObject({ status: 'held' });
    expect(await period(b)).toMatchObject({ spent: 823, held: 900 });
    expect(await ledgerOf(b)).toEqual({ spent: 823, held: 900 });
  });

  it('crossing the soft threshold records one alert (with its audit entry) per period', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 1_000, { type: 'workspace' }, { soft: 50 });
    for (const charge of [300, 199, 1, 100, 100]) {
      const r = await run(ws, account);
      await reserveBudgets(db, r, charge, later(), 'mock-fast');
      await closeHolds(db, r, 1, { charge });
    }
    expect((await period(b)).alerted_at).not.toBeNull();
    const audits = await db.query(`SELECT action, target_id, metadata FROM audit_events WHERE workspace_id = $1`, [ws]);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ action: 'budget.soft_threshold_crossed', target_id: b, metadata: { spentMicroUsd: '500', capMicroUsd: '1000', softThresholdPct: 50 } });
  });

  it('cost-sync adjustments apply the difference since the last check, to workspace and account budgets only', async () => {
    const { ws, account } = await workspace();
    const wide = await budget(ws, 10_000, { type: 'workspace' }, { period: 'lifetime' });
    const acct = await budget(ws, 10_000, { type: 'account', id: account }, { period: 'lifetime' });
    const [op] = await db.query(`INSERT INTO operators (workspace_id, name) VALUES ($1, 'op') RETURNING id`, [ws]);
    const opBudget = await budget(ws, 10_000, { type: 'operator', id: op.id }, { period: 'lifetime' });
    const today = new Date().toISOString().slice(0, 10);
    const [{ n }] = await db.query(`SELECT vaultrun_adjust($1, $2::date, 250) AS n`, [account, today]);
    expect(n).toBe(2);
    await db.query(`SELECT vaultrun_adjust($1, $2::date, 250)`, [account, today]);
    await db.query(`SELECT vaultrun_adjust($1, $2::date, 100)`, [account, today]);
    for (const b of [wide, acct]) {
      expect(await period(b)).toMatchObject({ spent: 100 });
      expect(await ledgerOf(b)).toEqual({ spent: 100, held: 0 });
    }
    expect(await period(opBudget)).toBeUndefined();
    // A budget created after that day is not corrected for it.
    const [{ n: old }] = await db.query(`SELECT vaultrun_adjust($1, '2020-01-01'::date, 999) AS n`, [account]);
    expect(old).toBe(0);
  });

  it('the API pre-check counts settled spend, not holds of runs in flight', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 1_000);
    const scope = { workspaceId: ws, accountId: account, operatorId: null, tokenId: null };
    const r = await run(ws, account);
    await reserveBudgets(db, r, 900, later(), 'mock-fast');
    expect(await precheckBudgets(db, scope, { worstCaseMicroUsd: 500, shrink: null }, 'mock-fast')).toBeNull();
    await closeHolds(db, r, 1, { charge: 600 });
    expect(await precheckBudgets(db, scope, { worstCaseMicroUsd: 400, shrink: null }, 'mock-fast')).toBeNull();
    expect(await precheckBudgets(db, scope, { worstCaseMicroUsd: 401, shrink: null }, 'mock-fast')).toMatchObject({ code: 'budget_exhausted', budgetId: b, details: { spentMicroUsd: 600 } });
    expect(await precheckBudgets(db, scope, { worstCaseMicroUsd: null, shrink: null }, 'x')).toMatchObject({ code: 'unpriced_model', budgetId: b });
  });

  it('budgetsFor names, per scope, the budgets reservations would hold against, with their balance now', async () => {
    const { ws, account } = await workspace();
    const [other] = await db.query(`INSERT INTO provider_accounts (workspace_id, name, kind) VALUES ($1, 'Other', 'mock') RETURNING id`, [ws]);
    const [op] = await db.query(`INSERT INTO operators (workspace_id, name) VALUES ($1, 'Writer') RETURNING id`, [ws]);
    const token = '00000000-0000-4000-8000-000000000001';
    const whole = await budget(ws, 5_000);
    const onAccount = await budget(ws, 1_000, { type: 'account', id: account });
    const onOperator = await budget(ws, 2_000, { type: 'operator', id: op.id });
    const onToken = await budget(ws, 3_000, { type: 'token', id: token });
    // Another workspace's budget never applies.
    await budget((await workspace()).ws, 10);
    const r = await run(ws, account);
    await reserveBudgets(db, r, 300, later(), 'mock-fast');
    await closeHolds(db, r, 1, { charge: 200 });
    await reserveBudgets(db, await run(ws, account), 50, later(), 'mock-fast');

    const scopes: BudgetScope[] = [
      { accountId: account, operatorId: null, tokenId: null },
      { accountId: other.id, operatorId: op.id, tokenId: token },
      { accountId: null, operatorId: null, tokenId: null },
    ];
    const { budgets, covering } = await budgetsFor(db, ws, scopes);
    expect(covering.map((ids) => [...ids].sort())).toEqual([[whole, onAccount].sort(), [whole, onOperator, onToken].sort(), [whole]]);
    // Each budget once, by name, with settled spend and open holds of its current period.
    expect(budgets.map((b) => b.id)).toEqual([onAccount, onOperator, onToken, whole]);
    expect(budgets.find((b) => b.id === onAccount)).toEqual({ id: onAccount, name: 'account cap 1000', capMicroUsd: 1_000, spentMicroUsd: 200, heldMicroUsd: 50 });
    expect(budgets.find((b) => b.id === onToken)).toMatchObject({ capMicroUsd: 3_000, spentMicroUsd: 0, heldMicroUsd: 0 });
    // The same rule as the pre-check and the reservation: the account budget is the one that refuses.
    expect(await precheckBudgets(db, { workspaceId: ws, accountId: account, operatorId: null, tokenId: null }, { worstCaseMicroUsd: 801, shrink: null }, 'mock-fast')).toMatchObject({ budgetId: onAccount });
    expect(await budgetsFor(db, ws, [])).toEqual({ budgets: [], covering: [] });
  });

  it('a batch reserves run by run: later runs see what earlier ones in the same batch held, across workspaces', async () => {
    const a = await workspace();
    const b = await workspace();
    const capA = await budget(a.ws, 1_000);
    const capB = await budget(b.ws, 250);
    const runs = [await run(a.ws, a.account), await run(b.ws, b.account), await run(a.ws, a.account), await run(b.ws, b.account), await run(a.ws, a.account)];
    const results = await reserveBudgetsBatch(db, runs.map((runId) => ({ runId, worstCase: 200, model: 'mock-fast' })), later());
    expect(runs.map((r) => results.get(r)!.ok)).toEqual([true, true, true, false, true]);
    const refused = results.get(runs[3]!)!;
    expect(refused.ok ? null : refused.refusal).toMatchObject({ budgetId: capB, details: { heldMicroUsd: 200, capMicroUsd: 250 } });
    expect(await period(capA)).toMatchObject({ spent: 0, held: 600 });
    expect(await period(capB)).toMatchObject({ spent: 0, held: 200 });
  });

  it('closing a hold never touches the period row; the next reservation or the sweeper folds it in (and raises the alert)', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 1_000, { type: 'workspace' }, { soft: 50 });
    const r = await run(ws, account);
    await reserveBudgets(db, r, 800, later(), 'mock-fast');
    await closeHolds(db, r, 1, { charge: 600 });
    const raw = async () => (await db.query(`SELECT spent_micro_usd::int AS spent, held_micro_usd::int AS held, alerted_at FROM budget_periods WHERE budget_id = $1`, [b]))[0];
    expect(await raw()).toMatchObject({ spent: 0, held: 800, alerted_at: null });
    expect(await period(b)).toMatchObject({ spent: 600, held: 0 });
    await sweepHolds(db);
    expect(await raw()).toMatchObject({ spent: 600, held: 0 });
    expect((await raw()).alerted_at).not.toBeNull();
  });

  it('the in-process reserver batches concurrent reservations and answers each run', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 1_000);
    const runs = await Promise.all(Array.from({ length: 40 }, () => run(ws, account)));
    const reserver = new BudgetReserver(db, 60_000);
    // Prepared statements go to TypeORM's pg pool (packages/db/src/sql.ts): count the reservation statements there.
    const spy = jest.spyOn(pgPoolOf(db), 'query');
    let calls: number[];
    try {
      const results = await Promise.all(runs.map((runId) => reserver.reserve({ runId, worstCase: 100, model: 'mock-fast' })));
      expect(results.filter((x) => x.ok)).toHaveLength(10);
      calls = spy.mock.calls
        .map(([cfg]: unknown[]) => cfg as { text?: string; values?: unknown[][] })
        .filter((cfg) => cfg?.text?.includes('vaultrun_reserve'))
        .map((cfg) => cfg.values![0]!.length);
    } finally {
      spy.mockRestore();
    }
    expect(calls.reduce((x, y) => x + y, 0)).toBe(40);
    expect(calls.length).toBeLessThan(40);
    expect(await period(b)).toMatchObject({ held: 1_000 });
  });

  it('80 concurrent reservations on a pool of 12 connections never hold more than the cap', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 1_000);
    const runs = await Promise.all(Array.from({ length: 80 }, () => run(ws, account)));
    const results = await Promise.all(runs.map((r) => reserveBudgets(db, r, 30, later(), 'mock-fast')));
    expect(results.filter((x) => x.ok)).toHaveLength(33);
    expect(await period(b)).toMatchObject({ spent: 0, held: 990 });
  });

  const overageOf = async (b: string) =>
    (await db.query(`SELECT overage_micro_usd::int AS overage, overage_at, exhausted_at, exhausted FROM budget_balances WHERE budget_id = $1`, [b]))[0] as {
      overage: number;
      overage_at: Date | null;
      exhausted_at: Date | null;
      exhausted: boolean;
    };

  it('a settlement above its hold is charged in full, recorded as an overage and exhausts the budget at once, until the runs then in flight have settled', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 10_000);
    const scope = { workspaceId: ws, accountId: account, operatorId: null, tokenId: null };
    const [r1, r2] = [await run(ws, account), await run(ws, account)];
    await reserveBudgets(db, r1, 1_000, later(), 'mock-fast');
    await reserveBudgets(db, r2, 1_000, later(), 'mock-fast');

    // The provider counted more than the hold allowed: the settlement itself (no later fold) records it.
    expect(await closeHolds(db, r1, 1, { charge: 1_500 })).toBe(1);
    const raw = (await db.query(`SELECT spent_micro_usd::int AS spent, held_micro_usd::int AS held, overage_micro_usd::int AS overage, exhausted_at FROM budget_periods WHERE budget_id = $1`, [b]))[0];
    expect(raw).toMatchObject({ spent: 1_500, held: 1_000, overage: 500 });
    expect(raw.exhausted_at).not.toBeNull();
    expect(await overageOf(b)).toMatchObject({ overage: 500, exhausted: true });
    expect((await holds(r1))[0]).toMatchObject({ status: 'settled', amount: 1_000, charged: 1_500 });
    const audits = await db.query(`SELECT action, target_id, metadata FROM audit_events WHERE workspace_id = $1 AND action = 'budget.overage'`, [ws]);
    expect(audits).toEqual([
      expect.objectContaining({
        target_id: b,
        metadata: expect.objectContaining({ overageMicroUsd: '500', runsOverHold: 1, spentMicroUsd: '1500', inFlightMicroUsd: '2000', capMicroUsd: '10000' }),
      }),
    ]);

    // Nothing is admitted while a run from before the overage is in flight — not even one that fits the cap easily.
    const r3 = await run(ws, account);
    const refused = await reserveBudgets(db, r3, 100, later(), 'mock-fast');
    expect(refused).toMatchObject({ ok: false, refusal: { code: 'budget_exhausted', budgetId: b, details: { exhausted: true, overageMicroUsd: 500 } } });
    if (!refused.ok) expect(refused.refusal.message).toMatch(/^Budget "workspace cap 10000" is paused after an overage: a provider charged \$0\.0005 more than was held/);
    expect(await holds(r3)).toEqual([]);
    expect(await precheckBudgets(db, scope, { worstCaseMicroUsd: 1, shrink: null }, 'mock-fast')).toMatchObject({ code: 'budget_exhausted', details: { exhausted: true } });

    // The second run in flight also overshoots: added to the overage, no second alert for the same episode.
    await closeHolds(db, r2, 1, { charge: 1_200 });
    expect(await db.query(`SELECT 1 FROM audit_events WHERE workspace_id = $1 AND action = 'budget.overage'`, [ws])).toHaveLength(1);
    // Every run of before has settled: the damage is known, and the ordinary rule admits runs again.
    expect(await overageOf(b)).toMatchObject({ overage: 700, exhausted: false });
    expect(await precheckBudgets(db, scope, { worstCaseMicroUsd: 1, shrink: null }, 'mock-fast')).toBeNull();
    expect(await reserveBudgets(db, await run(ws, account), 100, later(), 'mock-fast')).toMatchObject({ ok: true });
    expect((await overageOf(b)).exhausted_at).toBeNull();
    expect(await period(b)).toMatchObject({ spent: 2_700, held: 100 });
    expect(await ledgerOf(b)).toEqual({ spent: 2_700, held: 100 });
  });

  it('the sweeper records an overage too: a finished run whose recorded cost is above its hold', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 10_000);
    const r = await run(ws, account);
    await reserveBudgets(db, r, 500, later(), 'mock-fast');
    await db.query(`UPDATE runs SET status = 'succeeded', cost_micro_usd = 800, updated_at = now() - interval '1 minute' WHERE id = $1`, [r]);
    expect(await sweepHolds(db)).toEqual({ settled: 1, expired: 0 });
    expect(await overageOf(b)).toMatchObject({ overage: 300, exhausted: false });
    expect((await overageOf(b)).overage_at).not.toBeNull();
    expect(await db.query(`SELECT 1 FROM audit_events WHERE workspace_id = $1 AND action = 'budget.overage'`, [ws])).toHaveLength(1);
  });

  // 100 prompt tokens at $1/1M (100 µ$) plus 10 µ$ per output token: 100 output tokens = a worst case of 1,100 µ$.
  const shrink = { promptCostE6: String(100 * 1_000_000), outputPricePerM: 10_000_000, maxOutputTokens: 100 };
  const events = (runId: string) => db.query(`SELECT type, message, data FROM run_events WHERE run_id = $1 AND type = 'max_output_reduced'`, [runId]);

  it('shrink-to-fit: a run that does not fit gets the max output tokens that do, recorded on the run; below the floor it is blocked', async () => {
    const { ws, account } = await workspace();
    const b = await budget(ws, 1_000, { type: 'workspace' }, { shrinkFloor: 40 });
    const r1 = await run(ws, account, 'running', 1, 100);
    expect(await reserveBudgets(db, r1, 1_100, later(), 'mock-fast', shrink)).toEqual({ ok: true, budgets: 1, attempt: 1, heldMicroUsd: 1_000, maxOutputTokens: 90 });
    const [row] = await db.query(`SELECT max_output_tokens, requested_max_output_tokens, estimate_micro_usd::int AS estimate FROM runs WHERE id = $1`, [r1]);
    expect(row).toEqual({ max_output_tokens: 90, requested_max_output_tokens: 100, estimate: 1_000 });
    expect(await events(r1)).toEqual([
      {
        type: 'max_output_reduced',
        message: 'Max output tokens reduced from 100 to 90 to fit budget "workspace cap 1000" ($0.001 of headroom; this run may now cost up to $0.001)',
        data: expect.objectContaining({ from: 100, to: 90, budgetId: b, headroomMicroUsd: 1_000, worstCaseMicroUsd: 1_000, floor: 40 }),
      },
    ]);
    await closeHolds(db, r1, 1, { charge: 600 });

    // 400 µ$ left: 30 output tokens would fit, below the floor of 40 → blocked, saying so.
    const r2 = await run(ws, account, 'running', 1, 100);
    const refused = await reserveBudgets(db, r2, 1_100, later(), 'mock-fast', shrink);
    expect(refused).toMatchObject({ ok: false, refusal: { code: 'budget_exhausted', budgetId: b, details: { shrinkFloor: 40 } } });
    if (!refused.ok) expect(refused.refusal.message).toBe('Budget "workspace cap 1000" has no headroom for this run, even with max output tokens reduced to its floor of 40: cap $0.001, spent $0.0006; at that floor this run may cost up to $0.0005.');
    expect(await holds(r2)).toEqual([]);
    const [unchanged] = await db.query(`SELECT max_output_tokens, requested_max_output_tokens FROM runs WHERE id = $1`, [r2]);
    expect(unchanged).toEqual({ max_output_tokens: 100, requested_max_output_tokens: null });
    // The API pre-check agrees: at the floor it does not fit the settled spend either.
    const scope = { workspaceId: ws, accountId: account, operatorId: null, tokenId: null };
    expect(await precheckBudgets(db, scope, { worstCaseMicroUsd: 1_100, shrink }, 'mock-fast')).toMatchObject({ details: { shrinkFloor: 40 } });
    expect(await period(b)).toMatchObject({ spent: 600, held: 0 });
  });

  it('shrink-to-fit only when every budget the run does not fit opts in', async () => {
    const { ws, account } = await workspace();
    const wide = await budget(ws, 5_000, { type: 'workspace' });
    const narrow = await budget(ws, 800, { type: 'account', id: account }, { shrinkFloor: 1 });
    const r1 = await run(ws, account, 'running', 1, 100);
    // Only the opted-in account budget is too small: shrunk to 70 tokens (100 + 700 = 800 µ$).
    expect(await reserveBudgets(db, r1, 1_100, later(), 'mock-fast', shrink)).toMatchObject({ ok: true, heldMicroUsd: 800, maxOutputTokens: 70 });
    expect(await period(wide)).toMatchObject({ held: 800 });
    // Now the workspace budget (no shrink-to-fit) does not fit either: blocked by it, unchanged.
    await db.query(`UPDATE budgets SET cap_micro_usd = $2 WHERE id = $1`, [wide, 1_500]);
    await db.query(`UPDATE budgets SET cap_micro_usd = $2 WHERE id = $1`, [narrow, 5_000]);
    const r2 = await run(ws, account, 'running', 1, 100);
    expect(await reserveBudgets(db, r2, 1_100, later(), 'mock-fast', shrink)).toMatchObject({ ok: false, refusal: { budgetId: wide, details: { shrinkFloor: null } } });
    // Without the run's prices (an unpriced model, or an old caller) nothing is shrunk.
    await db.query(`UPDATE budgets SET cap_micro_usd = $2 WHERE id = $1`, [wide, 5_000]);
    await db.query(`UPDATE budgets SET cap_micro_usd = $2 WHERE id = $1`, [narrow, 800]);
    expect(await reserveBudgets(db, await run(ws, account, 'running', 1, 100), 1_100, later(), 'mock-fast')).toMatchObject({ ok: false, refusal: { budgetId: narrow } });
  });

  it('calibration keeps the latest 32 ratios per account and model, writes at once when a ratio raises the high, else at most every 10 s', async () => {
    const { ws, account } = await workspace();
    const calibrate = async (estimated: number, observed: number) =>
      Number((await db.query(`SELECT vaultrun_calibrate($1, $2, 'gpt-4o-mini', $3, $4) AS n`, [ws, account, estimated, observed]))[0].n);
    const row = async () =>
      (await db.query(`SELECT ratios_permille, high_ratio_permille AS high, samples FROM token_calibrations WHERE account_id = $1 AND model = 'gpt-4o-mini'`, [account]))[0];
    expect(await calibrate(1_000, 900)).toBe(1);
    expect(await row()).toEqual({ ratios_permille: [900], high: 900, samples: 1 });
    // Below the high and fresh: a read, no write.
    expect(await calibrate(1_000, 800)).toBe(0);
    // An overshoot: written at once, and the high follows (rounded up: 2001/1000 → 2001‰).
    expect(await calibrate(1_000, 2_001)).toBe(1);
    expect(await row()).toEqual({ ratios_permille: [900, 2001], high: 2001, samples: 2 });
    // Stale rows take a sample; the window keeps 32 and the high is its maximum.
    for (let i = 0; i < 40; i++) {
      await db.query(`UPDATE token_calibrations SET updated_at = now() - interval '1 minute' WHERE account_id = $1`, [account]);
      await calibrate(1_000, 1_000 + i);
    }
    const after = await row();
    expect(after.ratios_permille).toHaveLength(32);
    expect(after.high).toBe(1_039);
    expect(after.samples).toBe(42);
    // Nonsense is ignored.
    expect(await calibrate(0, 100)).toBe(0);
  });

  it('property: any interleaving of reserve / settle / keep / release / sweep keeps spend + held within the cap and the ledger balanced', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('reserve' as const), amount: fc.integer({ min: 1, max: 400 }) }),
      fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant('keep' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('expire' as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), fc.integer({ min: 100, max: 2_000 }), async (ops, cap) => {
        const { ws, account } = await workspace();
        const b = await budget(ws, cap);
        const open: { run: string; amount: number }[] = [];
        for (const o of ops) {
          if (o.kind === 'reserve') {
            const r = await run(ws, account);
            const res = await reserveBudgets(db, r, o.amount, later(), 'mock-fast');
            if (res.ok) open.push({ run: r, amount: o.amount });
          } else if (open.length) {
            const [h] = open.splice(o.pick % open.length, 1);
            if (o.kind === 'settle') await closeHolds(db, h!.run, 1, { charge: Math.floor(h!.amount * o.fraction) });
            else if (o.kind === 'keep') await closeHolds(db, h!.run, 1, { charge: null });
            else if (o.kind === 'release') await closeHolds(db, h!.run, 1, 'release');
            else {
              await db.query(`UPDATE budget_holds SET expires_at = now() - interval '1 second' WHERE run_id = $1`, [h!.run]);
              await sweepHolds(db);
            }
          }
          const p = (await period(b)) ?? { spent: 0, held: 0 };
          if (p.spent + p.held > cap) return false;
          const l = await ledgerOf(b);
          if (l.spent !== p.spent || l.held !== p.held) return false;
        }
        return true;
      }),
      { numRuns: 25 },
    );
  });
});
