/**
 * The budget ledger's SQL functions against a real Postgres: all-or-nothing reservations, idempotent settlement,
 * attempt-scoped holds, the sweeper, cost-sync adjustments, the soft-threshold alert — and a model-based property
 * test that no interleaving of operations breaks the ledger's invariants.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDataSource } from '@vaultrun/db';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { scratchDatabase } from '../../../test/support/scratch-db.js';
import { BudgetReserver, closeHolds, precheckBudgets, reserveBudgets, reserveBudgetsBatch, sweepHolds } from '../src/money/ledger.js';

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

  async function budget(ws: string, cap: number, scope: { type: string; id?: string } = { type: 'workspace' }, extra: { period?: string; soft?: number } = {}) {
    const [b] = await db.query(
      `INSERT INTO budgets (workspace_id, name, scope_type, scope_id, period, cap_micro_usd, soft_threshold_pct) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [ws, `${scope.type} cap ${cap}`, scope.type, scope.id ?? null, extra.period ?? 'month', cap, extra.soft ?? 80],
    );
    return b.id as string;
  }

  /** A run as the worker sees it after claiming it (provider_calls counts the attempt). */
  async function run(ws: string, account: string, status = 'running', calls = 1) {
    const [r] = await db.query(
      `INSERT INTO runs (workspace_id, account_id, kind, started_by_type, model, input, max_output_tokens, queued_at, status, provider_calls)
       VALUES ($1, $2, 'operator', 'user', 'mock-fast', 'hi', 10, now(), $3, $4) RETURNING id`,
      [ws, account, status, calls],
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
    expect(await reserveBudgets(db, r1, 200, later(), 'mock-fast')).toEqual({ ok: true, budgets: 2, attempt: 1 });
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
    expect(await reserveBudgets(db, r, 300, later(), 'mock-fast')).toEqual({ ok: true, budgets: 1, attempt: 2 });
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
    expect(await reserveBudgets(db, r, null, later(), 'llama-local')).toEqual({ ok: true, budgets: 0, attempt: 1 });
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
    expect(await precheckBudgets(db, scope, 500, 'mock-fast')).toBeNull();
    await closeHolds(db, r, 1, { charge: 600 });
    expect(await precheckBudgets(db, scope, 400, 'mock-fast')).toBeNull();
    expect(await precheckBudgets(db, scope, 401, 'mock-fast')).toMatchObject({ code: 'budget_exhausted', budgetId: b, details: { spentMicroUsd: 600 } });
    expect(await precheckBudgets(db, scope, null, 'x')).toMatchObject({ code: 'unpriced_model', budgetId: b });
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
    const calls: number[] = [];
    const spy = db.driver as unknown as { master: { query: (...a: unknown[]) => unknown } };
    const original = spy.master.query.bind(spy.master);
    spy.master.query = (...a: unknown[]) => {
      const cfg = a[0] as { text?: string; values?: unknown[][] };
      if (cfg?.text?.includes('vaultrun_reserve')) calls.push(cfg.values![0]!.length);
      return original(...a);
    };
    try {
      const results = await Promise.all(runs.map((runId) => reserver.reserve({ runId, worstCase: 100, model: 'mock-fast' })));
      expect(results.filter((x) => x.ok)).toHaveLength(10);
    } finally {
      spy.master.query = original;
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
