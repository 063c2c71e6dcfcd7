import type { DataSource } from 'typeorm';

/** Test fixtures and ledger readings for budgets (SQL, so worker tests do not depend on the budgets API). */
export async function insertBudget(
  db: DataSource,
  workspaceId: string,
  options: { capMicroUsd: number; name?: string; scope?: { type: 'workspace' | 'account' | 'operator' | 'token'; id?: string }; period?: string; softThresholdPct?: number },
): Promise<string> {
  const scope = options.scope ?? { type: 'workspace' };
  const [b] = await db.query(
    `INSERT INTO budgets (workspace_id, name, scope_type, scope_id, period, cap_micro_usd, soft_threshold_pct) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [workspaceId, options.name ?? 'Test budget', scope.type, scope.id ?? null, options.period ?? 'month', options.capMicroUsd, options.softThresholdPct ?? 80],
  );
  return b.id;
}

export async function insertPriceOverride(db: DataSource, workspaceId: string, model: string, price: { input: number; output: number; cachedInput?: number }): Promise<void> {
  await db.query(
    `INSERT INTO price_overrides (workspace_id, model, input_micro_usd_per_m, cached_input_micro_usd_per_m, output_micro_usd_per_m) VALUES ($1, $2, $3, $4, $5)`,
    [workspaceId, model, price.input, price.cachedInput ?? price.input, price.output],
  );
}

/** The budget's current period as the ledger keeps it (zeros before the first reservation). */
export async function budgetPeriod(db: DataSource, budgetId: string): Promise<{ spent: number; held: number; alertedAt: Date | null; alertDeliveredAt: Date | null }> {
  const [p] = await db.query(
    `SELECT spent_micro_usd, held_micro_usd, alerted_at, alert_delivered_at FROM budget_balances bp JOIN budgets b ON b.id = bp.budget_id
      WHERE bp.budget_id = $1 AND bp.period_start = vaultrun_period_start(b.period, now())`,
    [budgetId],
  );
  return { spent: Number(p?.spent_micro_usd ?? 0), held: Number(p?.held_micro_usd ?? 0), alertedAt: p?.alerted_at ?? null, alertDeliveredAt: p?.alert_delivered_at ?? null };
}

/** What the entries say: Σ charged of closed holds + Σ adjustments, and Σ open holds. */
export async function ledgerSums(db: DataSource, budgetId: string): Promise<{ spent: number; held: number }> {
  const [l] = await db.query(
    `SELECT COALESCE((SELECT sum(charged_micro_usd) FROM budget_holds WHERE budget_id = $1 AND status <> 'held'), 0)
          + COALESCE((SELECT sum(amount_micro_usd) FROM budget_adjustments WHERE budget_id = $1), 0) AS spent,
            COALESCE((SELECT sum(amount_micro_usd) FROM budget_holds WHERE budget_id = $1 AND status = 'held'), 0) AS held`,
    [budgetId],
  );
  return { spent: Number(l.spent), held: Number(l.held) };
}

export async function statusCounts(db: DataSource, ids: string[]): Promise<Record<string, number>> {
  const rows: { status: string; n: number }[] = await db.query(`SELECT status, count(*)::int AS n FROM runs WHERE id = ANY($1) GROUP BY status`, [ids]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
