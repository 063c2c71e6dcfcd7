import type { QueryRunner } from 'typeorm';

// The budget ledger's atomic operations (part of the Money migration). Amounts are integer micro-USD (bigint).
//
// A budget's period row (budget_periods) is the one place every run of that budget meets, so it is written as
// rarely as possible: only reservations (which must see and change it atomically) lock it. Closing a hold —
// settle, release, keep, expire — writes the hold row alone; the next reservation (or the sweeper), already
// holding the period's lock, folds closed holds into the totals. Readers use the `budget_balances` view, which
// adds the closed-but-unfolded holds, so they always see the exact balance. Reservations come in batches (one
// per worker round trip), and every function takes period locks in budget-id order, so nothing can deadlock.
// See docs/budgets.md.

export const LEDGER_FUNCTIONS = [
  'vaultrun_adjust(uuid, date, bigint)',
  'vaultrun_sweep_holds(integer)',
  'vaultrun_release(uuid, integer)',
  'vaultrun_reserve(uuid[], bigint[], timestamptz)',
  'vaultrun_settle(uuid, integer, bigint)',
  'vaultrun_lock_period(uuid, timestamptz)',
  'vaultrun_apply(uuid, timestamptz, bigint, bigint)',
  'vaultrun_budgets_for(uuid, uuid, uuid, uuid)',
  'vaultrun_period_start(text, timestamptz)',
];

export async function createLedgerFunctions(q: QueryRunner): Promise<void> {
  // The UTC calendar period containing p_at (lifetime budgets have a single period starting at the epoch).
  await q.query(`CREATE FUNCTION vaultrun_period_start(p_period text, p_at timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_period
      WHEN 'day' THEN date_trunc('day', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      WHEN 'week' THEN date_trunc('week', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      WHEN 'month' THEN date_trunc('month', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      ELSE timestamptz '1970-01-01 00:00:00+00' END $$`);

  // Every budget that applies to a run of this account, operator and API token (p_token NULL for a person).
  await q.query(`CREATE FUNCTION vaultrun_budgets_for(p_workspace uuid, p_account uuid, p_operator uuid, p_token uuid)
    RETURNS TABLE (id uuid, name text, period text, cap_micro_usd bigint) LANGUAGE sql STABLE AS $$
    SELECT b.id, b.name, b.period, b.cap_micro_usd FROM budgets b
     WHERE b.workspace_id = p_workspace AND (b.scope_type = 'workspace'
        OR (b.scope_type = 'account' AND b.scope_id = p_account)
        OR (b.scope_type = 'operator' AND b.scope_id = p_operator)
        OR (b.scope_type = 'token' AND b.scope_id = p_token))
     ORDER BY b.id $$`);

  // The exact balance of every period: its folded totals plus the holds closed since the last fold.
  await q.query(`CREATE VIEW budget_balances AS
    SELECT bp.budget_id, bp.period_start,
           bp.spent_micro_usd + COALESCE(u.charged, 0) AS spent_micro_usd,
           bp.held_micro_usd - COALESCE(u.amount, 0) AS held_micro_usd,
           bp.alerted_at, bp.alert_delivered_at
      FROM budget_periods bp
      LEFT JOIN LATERAL (SELECT sum(h.charged_micro_usd) AS charged, sum(h.amount_micro_usd) AS amount FROM budget_holds h
                          WHERE h.budget_id = bp.budget_id AND h.period_start = bp.period_start AND h.status <> 'held' AND NOT h.folded) u ON true`);

  // Changes a period's totals (the caller holds its lock). The first time spend reaches the soft threshold in a
  // period, the alert is recorded here — audit entry included — in the same transaction: exactly once.
  await q.query(`CREATE FUNCTION vaultrun_apply(p_budget uuid, p_period timestamptz, p_held_delta bigint, p_spent_delta bigint) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE over boolean; b record;
    BEGIN
      UPDATE budget_periods bp SET spent_micro_usd = bp.spent_micro_usd + p_spent_delta, held_micro_usd = bp.held_micro_usd + p_held_delta
        FROM budgets bu WHERE bp.budget_id = p_budget AND bp.period_start = p_period AND bu.id = bp.budget_id
        RETURNING bp.alerted_at IS NULL AND bp.spent_micro_usd * 100 >= bu.cap_micro_usd * bu.soft_threshold_pct INTO over;
      IF over THEN
        UPDATE budget_periods bp SET alerted_at = now() FROM budgets bu WHERE bp.budget_id = p_budget AND bp.period_start = p_period AND bu.id = bp.budget_id
          RETURNING bu.workspace_id, bu.name, bu.period, bu.cap_micro_usd, bu.soft_threshold_pct, bp.spent_micro_usd INTO b;
        INSERT INTO audit_events (workspace_id, actor_type, actor_label, action, target_type, target_id, outcome, metadata)
        VALUES (b.workspace_id, 'system', 'budget guardrail', 'budget.soft_threshold_crossed', 'budget', p_budget::text, 'success',
                jsonb_build_object('name', b.name, 'period', b.period, 'periodStart', p_period, 'capMicroUsd', b.cap_micro_usd::text,
                                   'spentMicroUsd', b.spent_micro_usd::text, 'softThresholdPct', b.soft_threshold_pct));
      END IF;
    END $$`);

  // Locks a period (creating it first if needed) and folds its closed holds in: returns the exact balance.
  await q.query(`CREATE FUNCTION vaultrun_lock_period(p_budget uuid, p_period timestamptz, OUT spent bigint, OUT held bigint) LANGUAGE plpgsql AS $$
    DECLARE c bigint; a bigint;
    BEGIN
      PERFORM 1 FROM budget_periods bp WHERE bp.budget_id = p_budget AND bp.period_start = p_period FOR UPDATE;
      IF NOT FOUND THEN
        INSERT INTO budget_periods (budget_id, period_start) VALUES (p_budget, p_period) ON CONFLICT DO NOTHING;
        PERFORM 1 FROM budget_periods bp WHERE bp.budget_id = p_budget AND bp.period_start = p_period FOR UPDATE;
      END IF;
      WITH f AS (UPDATE budget_holds h SET folded = true WHERE h.budget_id = p_budget AND h.period_start = p_period AND h.status <> 'held' AND NOT h.folded
                 RETURNING h.charged_micro_usd, h.amount_micro_usd)
      SELECT COALESCE(sum(f.charged_micro_usd), 0), COALESCE(sum(f.amount_micro_usd), 0) INTO c, a FROM f;
      IF c <> 0 OR a <> 0 THEN PERFORM vaultrun_apply(p_budget, p_period, -a, c); END IF;
      SELECT bp.spent_micro_usd, bp.held_micro_usd INTO spent, held FROM budget_periods bp WHERE bp.budget_id = p_budget AND bp.period_start = p_period;
    END $$`);

  // Settle: charge the actual cost — or, with p_actual NULL (outcome unknown), the held worst case — and close the
  // holds. p_attempt NULL closes every open hold of the run. Only open holds are touched: settling twice is a no-op.
  await q.query(`CREATE FUNCTION vaultrun_settle(p_run uuid, p_attempt integer, p_actual bigint) RETURNS integer LANGUAGE sql AS $$
    WITH closed AS (
      UPDATE budget_holds h SET status = CASE WHEN p_actual IS NULL THEN 'kept' ELSE 'settled' END,
             charged_micro_usd = COALESCE(p_actual, h.amount_micro_usd), closed_at = now()
       WHERE h.run_id = p_run AND h.status = 'held' AND (p_attempt IS NULL OR h.attempt = p_attempt) RETURNING 1)
    SELECT count(*)::int FROM closed $$`);

  // Release: the call certainly cost nothing (never sent, or answered with an error): drop the holds.
  await q.query(`CREATE FUNCTION vaultrun_release(p_run uuid, p_attempt integer) RETURNS integer LANGUAGE sql AS $$
    WITH closed AS (
      UPDATE budget_holds h SET status = 'released', charged_micro_usd = 0, closed_at = now()
       WHERE h.run_id = p_run AND h.status = 'held' AND (p_attempt IS NULL OR h.attempt = p_attempt) RETURNING 1)
    SELECT count(*)::int FROM closed $$`);

  // Reserve, for a batch of runs in one transaction: lock the current period of every budget that applies to any
  // of them (in budget-id order), then take each run in turn — all or nothing per run: if a budget lacks headroom
  // for its worst case the run gets that budget back, else the worst case is held in each of its budgets.
  // The caller has claimed the runs (each is 'running' under its lease), so an open hold found here was left by an
  // attempt whose worker died: its outcome is unknown and it is kept as spend first.
  // p_amounts[i] NULL = the model has no known price: refused by the first budget that applies.
  await q.query(`CREATE FUNCTION vaultrun_reserve(p_runs uuid[], p_amounts bigint[], p_expires timestamptz)
    RETURNS TABLE (run_id uuid, ok boolean, budgets integer, attempt integer, budget_id uuid, budget_name text, cap_micro_usd bigint, spent_micro_usd bigint, held_micro_usd bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      r record; b record; i integer; k integer; n integer; amount bigint; refused integer;
      ids uuid[] := '{}'; pers timestamptz[] := '{}'; spent bigint[] := '{}'; held bigint[] := '{}'; added bigint[] := '{}';
    BEGIN
      FOR i IN 1..coalesce(array_length(p_runs, 1), 0) LOOP
        PERFORM vaultrun_settle(p_runs[i], NULL, NULL);
      END LOOP;
      FOR b IN SELECT DISTINCT bu.id, vaultrun_period_start(bu.period, now()) AS per
                 FROM unnest(p_runs) rid JOIN runs ru ON ru.id = rid
                 CROSS JOIN LATERAL vaultrun_budgets_for(ru.workspace_id, ru.account_id, ru.operator_id, CASE WHEN ru.started_by_type = 'token' THEN ru.started_by_id END) bu
                ORDER BY bu.id LOOP
        SELECT * INTO r FROM vaultrun_lock_period(b.id, b.per);
        ids := ids || b.id; pers := pers || b.per; spent := spent || r.spent; held := held || r.held; added := added || 0::bigint;
      END LOOP;
      FOR i IN 1..coalesce(array_length(p_runs, 1), 0) LOOP
        SELECT ru.workspace_id, ru.account_id, ru.operator_id, ru.provider_calls, CASE WHEN ru.started_by_type = 'token' THEN ru.started_by_id END AS token_id
          INTO r FROM runs ru WHERE ru.id = p_runs[i];
        CONTINUE WHEN NOT FOUND;
        amount := p_amounts[i];
        n := 0;
        refused := NULL;
        FOR b IN SELECT * FROM vaultrun_budgets_for(r.workspace_id, r.account_id, r.operator_id, r.token_id) LOOP
          n := n + 1;
          k := array_position(ids, b.id);
          IF amount IS NULL OR spent[k] + held[k] + amount > b.cap_micro_usd THEN
            refused := k;
            RETURN QUERY SELECT p_runs[i], false, n, r.provider_calls, b.id, b.name, b.cap_micro_usd, spent[k], held[k];
            EXIT;
          END IF;
        END LOOP;
        CONTINUE WHEN refused IS NOT NULL;
        FOR b IN SELECT * FROM vaultrun_budgets_for(r.workspace_id, r.account_id, r.operator_id, r.token_id) LOOP
          k := array_position(ids, b.id);
          held[k] := held[k] + amount;
          added[k] := added[k] + amount;
          INSERT INTO budget_holds (run_id, budget_id, period_start, amount_micro_usd, attempt, status, expires_at)
          VALUES (p_runs[i], b.id, pers[k], amount, r.provider_calls, 'held', p_expires);
        END LOOP;
        RETURN QUERY SELECT p_runs[i], true, n, r.provider_calls, NULL::uuid, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint;
      END LOOP;
      FOR k IN 1..coalesce(array_length(ids, 1), 0) LOOP
        IF added[k] <> 0 THEN PERFORM vaultrun_apply(ids[k], pers[k], added[k], 0); END IF;
      END LOOP;
    END $$`);

  // Sweep: holds nobody closed. A finished run whose cost is recorded is settled to it; any other expired hold (or
  // a finished run's hold with no recorded cost) counts its worst case as spend: the call's outcome is unknown.
  // Then folds the periods that have closed holds waiting (so totals and soft alerts catch up on quiet budgets).
  await q.query(`CREATE FUNCTION vaultrun_sweep_holds(p_limit integer) RETURNS TABLE (settled integer, expired integer) LANGUAGE plpgsql AS $$
    DECLARE s integer; e integer; p record;
    BEGIN
      WITH stale AS (
        SELECT bh.id, r.cost_micro_usd, r.status IN ('succeeded', 'failed', 'cancelled', 'blocked') AS final
          FROM budget_holds bh JOIN runs r ON r.id = bh.run_id
         WHERE bh.status = 'held' AND (bh.expires_at < now() OR (r.status IN ('succeeded', 'failed', 'cancelled', 'blocked') AND r.updated_at < now() - interval '5 seconds'))
         LIMIT p_limit FOR UPDATE OF bh SKIP LOCKED),
      closed AS (
        UPDATE budget_holds h SET status = CASE WHEN stale.final AND stale.cost_micro_usd IS NOT NULL THEN 'settled' ELSE 'expired' END,
               charged_micro_usd = CASE WHEN stale.final AND stale.cost_micro_usd IS NOT NULL THEN stale.cost_micro_usd ELSE h.amount_micro_usd END,
               closed_at = now()
          FROM stale WHERE h.id = stale.id RETURNING h.status)
      SELECT count(*) FILTER (WHERE closed.status = 'settled'), count(*) FILTER (WHERE closed.status = 'expired') INTO s, e FROM closed;
      FOR p IN SELECT DISTINCT h.budget_id, h.period_start FROM budget_holds h WHERE h.status <> 'held' AND NOT h.folded ORDER BY 1, 2 LIMIT p_limit LOOP
        PERFORM vaultrun_lock_period(p.budget_id, p.period_start);
      END LOOP;
      RETURN QUERY SELECT s, e;
    END $$`);

  // Cost sync: the provider's figure for one account-day differs from Vaultrun's by p_delta. The workspace's
  // budgets and the account's budgets (those that existed that day) get that correction, once: a re-check of the
  // same day applies only the change since the last one.
  await q.query(`CREATE FUNCTION vaultrun_adjust(p_account uuid, p_day date, p_delta bigint) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE b record; per timestamptz; prev bigint; n integer := 0;
    BEGIN
      FOR b IN SELECT bu.id, bu.period FROM budgets bu JOIN provider_accounts a ON a.id = p_account AND a.workspace_id = bu.workspace_id
                WHERE (bu.scope_type = 'workspace' OR (bu.scope_type = 'account' AND bu.scope_id = p_account))
                  AND bu.created_at < (p_day + 1)::timestamp AT TIME ZONE 'UTC'
                ORDER BY bu.id LOOP
        per := vaultrun_period_start(b.period, p_day::timestamp AT TIME ZONE 'UTC');
        PERFORM vaultrun_lock_period(b.id, per);
        SELECT ad.amount_micro_usd INTO prev FROM budget_adjustments ad WHERE ad.budget_id = b.id AND ad.account_id = p_account AND ad.day = p_day;
        prev := COALESCE(prev, 0);
        CONTINUE WHEN prev = p_delta;
        INSERT INTO budget_adjustments (budget_id, account_id, day, period_start, amount_micro_usd) VALUES (b.id, p_account, p_day, per, p_delta)
          ON CONFLICT (budget_id, account_id, day) DO UPDATE SET amount_micro_usd = EXCLUDED.amount_micro_usd, updated_at = now();
        PERFORM vaultrun_apply(b.id, per, 0, p_delta - prev);
        n := n + 1;
      END LOOP;
      RETURN n;
    END $$`);
}
