// Vaultrun credits (docs/managed.md): a workspace's balance is its credits budget (cap = given − expired unused); these
// are the states the console and the API name.

/** Low balance (the alert threshold of the credits is used, some left) and exhausted (credits were given, none left). */
export function creditState(cap: bigint, spent: bigint, granted: bigint, alertPct: number): { lowBalance: boolean; exhausted: boolean } {
  const exhausted = granted > 0n && cap - spent <= 0n;
  return { exhausted, lowBalance: !exhausted && cap > 0n && spent * 100n >= cap * BigInt(alertPct) };
}

/**
 * Expires credits that are due, in every workspace that has some (at most `limit` workspaces per call; the reconciler
 * calls it every tick): `vaultrun_credits_sweep` allocates the latest spend to its grants, then forfeits what is left
 * of expired ones, never more than the headroom (work in flight keeps what it holds; the rest goes at a later tick).
 */
export async function sweepExpiredCredits(db: Queryable, limit = 100): Promise<{ workspaces: number; forfeitedMicroUsd: number }> {
  const rows = (await db.query(
    `SELECT s.forfeited FROM (SELECT DISTINCT g.workspace_id FROM credit_grants g
                               WHERE g.expires_at <= now() AND g.amount_micro_usd > g.used_micro_usd + g.forfeited_micro_usd LIMIT $1) w
       CROSS JOIN LATERAL vaultrun_credits_sweep(w.workspace_id) s`,
    [limit],
  )) as { forfeited: string }[];
  return { workspaces: rows.length, forfeitedMicroUsd: rows.reduce((n, r) => n + Number(r.forfeited), 0) };
}

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}
