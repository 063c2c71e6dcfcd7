import type { QueryRunner } from 'typeorm';

// The ledger's functions as of the BudgetOverage migration (they replace those of 1795425439100-money-ledger.ts;
// see that file for folding, batching and lock order). What changed, and why (docs/budgets.md):
// - A settlement above its hold is an **overage**: the settlement folds its periods at once (same transaction),
//   which records the overage, marks the period exhausted and writes the `budget.overage` audit entry. An exhausted
//   period admits nothing until every hold that was open then has closed (the damage is known) — so the overshoot
//   is bounded by what was already in flight.
// - Reservations may **shrink** a run's max output tokens to fit budgets that opt in (never below their floor), and
//   record it on the run and its timeline in the same transaction as the hold.
// - `vaultrun_calibrate` keeps the provider-counted ÷ estimated prompt ratio per account and model.

export const OVERAGE_LEDGER_FUNCTIONS = [
  'vaultrun_reserve(uuid[], bigint[], timestamptz, bigint[], bigint[], integer[])',
  'vaultrun_calibrate(uuid, uuid, text, integer, integer)',
  'vaultrun_format_usd(bigint)',
];

export async function createOverageLedgerFunctions(q: QueryRunner): Promise<void> {
  // $1.234567 as the console and messages write it (formatUsd in packages/providers): at least two decimals.
  await q.query(`CREATE FUNCTION vaultrun_format_usd(p bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p < 0 THEN '-' ELSE '' END || '$' || (abs(p) / 1000000)::text || '.' ||
           CASE WHEN length(rtrim(lpad((abs(p) % 1000000)::text, 6, '0'), '0')) >= 2 THEN rtrim(lpad((abs(p) % 1000000)::text, 6, '0'), '0')
                ELSE left(lpad((abs(p) % 1000000)::text, 6, '0'), 2) END $$`);

  await q.query(`DROP FUNCTION vaultrun_budgets_for(uuid, uuid, uuid, uuid)`);
  await q.query(`CREATE FUNCTION vaultrun_budgets_for(p_workspace uuid, p_account uuid, p_operator uuid, p_token uuid)
    RETURNS TABLE (id uuid, name text, period text, cap_micro_usd bigint, shrink_min_output_tokens integer) LANGUAGE sql STABLE AS $$
    SELECT b.id, b.name, b.period, b.cap_micro_usd, b.shrink_min_output_tokens FROM budgets b
     WHERE b.workspace_id = p_workspace AND (b.scope_type = 'workspace'
        OR (b.scope_type = 'account' AND b.scope_id = p_account)
        OR (b.scope_type = 'operator' AND b.scope_id = p_operator)
        OR (b.scope_type = 'token' AND b.scope_id = p_token))
     ORDER BY b.id $$`);

  // Readers' view: as before, plus the overage columns and whether the period is exhausted right now (an overage
  // episode with runs from before it still in flight).
  await q.query(`CREATE OR REPLACE VIEW budget_balances AS
    SELECT bp.budget_id, bp.period_start,
           bp.spent_micro_usd + COALESCE(u.charged, 0) AS spent_micro_usd,
           bp.held_micro_usd - COALESCE(u.amount, 0) AS held_micro_usd,
           bp.alerted_at, bp.alert_delivered_at,
           bp.overage_micro_usd, bp.overage_at, bp.exhausted_at, bp.overage_delivered_at,
           (bp.exhausted_at IS NOT NULL AND bp.held_micro_usd - COALESCE(u.amount, 0) > 0) AS exhausted
      FROM budget_periods bp
      LEFT JOIN LATERAL (SELECT sum(h.charged_micro_usd) AS charged, sum(h.amount_micro_usd) AS amount FROM budget_holds h
                          WHERE h.budget_id = bp.budget_id AND h.period_start = bp.period_start AND h.status <> 'held' AND NOT h.folded) u ON true`);

  // Locks a period (creating it first if needed) and folds its closed holds in. A closed hold charged more than it
  // held is an overage: the first one of an episode marks the period exhausted (exhausted_at, overage_at — the
  // webhook outbox — and the audit entry, with what was in flight at that instant); later ones add to the overage.
  // Once no hold of the period is open any more, the episode is over: exhausted_at is cleared.
  await q.query(`DROP FUNCTION vaultrun_lock_period(uuid, timestamptz)`);
  await q.query(`CREATE FUNCTION vaultrun_lock_period(p_budget uuid, p_period timestamptz, OUT spent bigint, OUT held bigint, OUT exhausted boolean, OUT overage bigint)
    LANGUAGE plpgsql AS $$
    DECLARE c bigint; a bigint; o bigint; n integer; cur record; b record; marked timestamptz;
    BEGIN
      SELECT bp.spent_micro_usd, bp.held_micro_usd, bp.exhausted_at INTO cur FROM budget_periods bp WHERE bp.budget_id = p_budget AND bp.period_start = p_period FOR UPDATE;
      IF NOT FOUND THEN
        INSERT INTO budget_periods (budget_id, period_start) VALUES (p_budget, p_period) ON CONFLICT DO NOTHING;
        SELECT bp.spent_micro_usd, bp.held_micro_usd, bp.exhausted_at INTO cur FROM budget_periods bp WHERE bp.budget_id = p_budget AND bp.period_start = p_period FOR UPDATE;
      END IF;
      WITH f AS (UPDATE budget_holds h SET folded = true WHERE h.budget_id = p_budget AND h.period_start = p_period AND h.status <> 'held' AND NOT h.folded
                 RETURNING h.charged_micro_usd, h.amount_micro_usd)
      SELECT COALESCE(sum(f.charged_micro_usd), 0), COALESCE(sum(f.amount_micro_usd), 0), COALESCE(sum(greatest(f.charged_micro_usd - f.amount_micro_usd, 0)), 0),
             count(*) FILTER (WHERE f.charged_micro_usd > f.amount_micro_usd)
        INTO c, a, o, n FROM f;
      IF c <> 0 OR a <> 0 THEN PERFORM vaultrun_apply(p_budget, p_period, -a, c); END IF;
      IF o > 0 THEN
        marked := clock_timestamp();
        UPDATE budget_periods bp SET overage_micro_usd = bp.overage_micro_usd + o,
               overage_at = CASE WHEN bp.exhausted_at IS NULL THEN marked ELSE bp.overage_at END,
               overage_delivered_at = CASE WHEN bp.exhausted_at IS NULL THEN NULL ELSE bp.overage_delivered_at END,
               exhausted_at = COALESCE(bp.exhausted_at, marked)
         WHERE bp.budget_id = p_budget AND bp.period_start = p_period;
        IF cur.exhausted_at IS NULL THEN
          SELECT bu.workspace_id, bu.name, bu.period, bu.cap_micro_usd INTO b FROM budgets bu WHERE bu.id = p_budget;
          INSERT INTO audit_events (workspace_id, actor_type, actor_label, action, target_type, target_id, outcome, metadata)
          VALUES (b.workspace_id, 'system', 'budget guardrail', 'budget.overage', 'budget', p_budget::text, 'success',
                  jsonb_build_object('name', b.name, 'period', b.period, 'periodStart', p_period, 'capMicroUsd', b.cap_micro_usd::text,
                                     'overageMicroUsd', o::text, 'runsOverHold', n, 'spentMicroUsd', (cur.spent_micro_usd + c)::text,
                                     'inFlightMicroUsd', cur.held_micro_usd::text, 'exhaustedAt', marked));
        END IF;
      END IF;
      SELECT bp.spent_micro_usd, bp.held_micro_usd, bp.exhausted_at IS NOT NULL, bp.overage_micro_usd INTO spent, held, exhausted, overage
        FROM budget_periods bp WHERE bp.budget_id = p_budget AND bp.period_start = p_period;
      IF exhausted AND held = 0 THEN
        UPDATE budget_periods bp SET exhausted_at = NULL WHERE bp.budget_id = p_budget AND bp.period_start = p_period;
        exhausted := false;
      END IF;
    END $$`);

  // Settle as before; a charge above the hold folds the affected periods at once (budget-id order, as everywhere),
  // so the overage is recorded, the period exhausted and the audit entry written in the settling transaction.
  await q.query(`CREATE OR REPLACE FUNCTION vaultrun_settle(p_run uuid, p_attempt integer, p_actual bigint) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE n integer; over_budgets uuid[]; over_periods timestamptz[]; i integer;
    BEGIN
      WITH closed AS (
        UPDATE budget_holds h SET status = CASE WHEN p_actual IS NULL THEN 'kept' ELSE 'settled' END,
               charged_micro_usd = COALESCE(p_actual, h.amount_micro_usd), closed_at = clock_timestamp()
         WHERE h.run_id = p_run AND h.status = 'held' AND (p_attempt IS NULL OR h.attempt = p_attempt)
        RETURNING h.budget_id, h.period_start, h.charged_micro_usd > h.amount_micro_usd AS over)
      SELECT count(*)::int, array_agg(closed.budget_id ORDER BY closed.budget_id) FILTER (WHERE closed.over),
             array_agg(closed.period_start ORDER BY closed.budget_id) FILTER (WHERE closed.over)
        INTO n, over_budgets, over_periods FROM closed;
      FOR i IN 1..coalesce(array_length(over_budgets, 1), 0) LOOP
        PERFORM vaultrun_lock_period(over_budgets[i], over_periods[i]);
      END LOOP;
      RETURN n;
    END $$`);

  // Release as before, with the closing statement's clock time (as settle): a hold's created_at and closed_at order it
  // against an overage's exhausted_at, which is taken under the period lock.
  await q.query(`CREATE OR REPLACE FUNCTION vaultrun_release(p_run uuid, p_attempt integer) RETURNS integer LANGUAGE sql AS $$
    WITH closed AS (
      UPDATE budget_holds h SET status = 'released', charged_micro_usd = 0, closed_at = clock_timestamp()
       WHERE h.run_id = p_run AND h.status = 'held' AND (p_attempt IS NULL OR h.attempt = p_attempt) RETURNING 1)
    SELECT count(*)::int FROM closed $$`);

  // Reserve, as before (lock every period of the batch in budget-id order, then each run all or nothing), plus:
  // - an exhausted period refuses every run;
  // - a run that does not fit may shrink: when every budget it does not fit opts in (shrink_min_output_tokens), its
  //   max output tokens become the most that fit the smallest headroom — p_prompt_cost_e6 (prompt tokens held × input
  //   price per 1M) and p_output_prices (per 1M) price them — if that is at least the highest floor among those
  //   budgets. The run's max_output_tokens, requested_max_output_tokens, estimate and a timeline event are written
  //   with the hold.
  // - a hold's created_at is the clock time of its insert, under the period locks: a hold created after an overage's
  //   exhausted_at was admitted after it (see vaultrun_lock_period).
  await q.query(`DROP FUNCTION vaultrun_reserve(uuid[], bigint[], timestamptz)`);
  await q.query(`CREATE FUNCTION vaultrun_reserve(p_runs uuid[], p_amounts bigint[], p_expires timestamptz, p_prompt_cost_e6 bigint[], p_output_prices bigint[], p_max_output integer[])
    RETURNS TABLE (run_id uuid, ok boolean, budgets integer, attempt integer, amount_micro_usd bigint, max_output_tokens integer,
                   budget_id uuid, budget_name text, cap_micro_usd bigint, spent_micro_usd bigint, held_micro_usd bigint,
                   exhausted boolean, overage_micro_usd bigint, shrink_floor integer)
    LANGUAGE plpgsql AS $$
    DECLARE
      r record; b record; i integer; k integer; n integer; amount bigint; refused integer; room bigint; headroom bigint; tight integer;
      floor_tokens integer; granted bigint;
      ids uuid[] := '{}'; pers timestamptz[] := '{}'; spent bigint[] := '{}'; held bigint[] := '{}'; added bigint[] := '{}';
      exh boolean[] := '{}'; over bigint[] := '{}';
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
        exh := exh || r.exhausted; over := over || r.overage;
      END LOOP;
      FOR i IN 1..coalesce(array_length(p_runs, 1), 0) LOOP
        SELECT ru.workspace_id, ru.account_id, ru.operator_id, ru.provider_calls, ru.max_output_tokens, CASE WHEN ru.started_by_type = 'token' THEN ru.started_by_id END AS token_id
          INTO r FROM runs ru WHERE ru.id = p_runs[i];
        CONTINUE WHEN NOT FOUND;
        amount := p_amounts[i];
        n := 0; refused := NULL; headroom := NULL; tight := NULL; floor_tokens := NULL; granted := NULL;
        FOR b IN SELECT * FROM vaultrun_budgets_for(r.workspace_id, r.account_id, r.operator_id, r.token_id) LOOP
          n := n + 1;
          k := array_position(ids, b.id);
          room := b.cap_micro_usd - spent[k] - held[k];
          IF amount IS NULL OR exh[k] THEN
            refused := k;
            RETURN QUERY SELECT p_runs[i], false, n, r.provider_calls, amount, NULL::integer, b.id, b.name, b.cap_micro_usd, spent[k], held[k], exh[k], over[k], NULL::integer;
            EXIT;
          END IF;
          CONTINUE WHEN amount <= room;
          IF b.shrink_min_output_tokens IS NULL OR coalesce(p_output_prices[i], 0) = 0 OR p_prompt_cost_e6[i] IS NULL OR p_max_output[i] IS NULL THEN
            refused := k;
            RETURN QUERY SELECT p_runs[i], false, n, r.provider_calls, amount, NULL::integer, b.id, b.name, b.cap_micro_usd, spent[k], held[k], false, over[k], NULL::integer;
            EXIT;
          END IF;
          floor_tokens := greatest(coalesce(floor_tokens, 0), b.shrink_min_output_tokens);
          IF headroom IS NULL OR room < headroom THEN headroom := room; tight := k; END IF;
        END LOOP;
        CONTINUE WHEN refused IS NOT NULL;
        IF tight IS NOT NULL THEN
          -- The most output tokens whose worst case fits: ceil((prompt cost + t × output price) / 1e6) ≤ headroom.
          granted := CASE WHEN headroom::numeric * 1000000 < p_prompt_cost_e6[i] THEN -1
                          ELSE least(p_max_output[i], floor((headroom::numeric * 1000000 - p_prompt_cost_e6[i]) / p_output_prices[i])) END;
          IF granted < floor_tokens THEN
            SELECT bu.id, bu.name, bu.cap_micro_usd INTO b FROM budgets bu WHERE bu.id = ids[tight];
            RETURN QUERY SELECT p_runs[i], false, n, r.provider_calls, amount, NULL::integer, b.id, b.name, b.cap_micro_usd, spent[tight], held[tight], false, over[tight], floor_tokens;
            CONTINUE;
          END IF;
          amount := ceil((p_prompt_cost_e6[i] + granted::numeric * p_output_prices[i]) / 1000000)::bigint;
          SELECT bu.name INTO b FROM budgets bu WHERE bu.id = ids[tight];
          UPDATE runs ru SET requested_max_output_tokens = COALESCE(ru.requested_max_output_tokens, ru.max_output_tokens), max_output_tokens = granted,
                 estimate_micro_usd = amount, updated_at = now()
           WHERE ru.id = p_runs[i];
          INSERT INTO run_events (run_id, workspace_id, type, message, data)
          VALUES (p_runs[i], r.workspace_id, 'max_output_reduced',
                  format('Max output tokens reduced from %s to %s to fit budget "%s" (%s of headroom; this run may now cost up to %s)',
                         r.max_output_tokens, granted, b.name, vaultrun_format_usd(headroom), vaultrun_format_usd(amount)),
                  jsonb_build_object('from', r.max_output_tokens, 'to', granted, 'budgetId', ids[tight], 'budgetName', b.name,
                                     'headroomMicroUsd', headroom, 'worstCaseMicroUsd', amount, 'floor', floor_tokens));
        END IF;
        FOR b IN SELECT * FROM vaultrun_budgets_for(r.workspace_id, r.account_id, r.operator_id, r.token_id) LOOP
          k := array_position(ids, b.id);
          held[k] := held[k] + amount;
          added[k] := added[k] + amount;
          INSERT INTO budget_holds (run_id, budget_id, period_start, amount_micro_usd, attempt, status, expires_at, created_at)
          VALUES (p_runs[i], b.id, pers[k], amount, r.provider_calls, 'held', p_expires, clock_timestamp());
        END LOOP;
        RETURN QUERY SELECT p_runs[i], true, n, r.provider_calls, amount, granted::integer, NULL::uuid, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::boolean, NULL::bigint, NULL::integer;
      END LOOP;
      FOR k IN 1..coalesce(array_length(ids, 1), 0) LOOP
        IF added[k] <> 0 THEN PERFORM vaultrun_apply(ids[k], pers[k], added[k], 0); END IF;
      END LOOP;
    END $$`);

  // Calibration: one observed ratio (provider-counted ÷ estimated prompt tokens, in thousandths, rounded up) for an
  // account and model. Called from the run's settling statement, so it must stay cheap and never queue behind other
  // settlements: it reads the row without a lock and writes only when the ratio raises the high (an overshoot: the
  // next holds must already be big enough) or the row is more than 10 s old (a sample, so the window follows the
  // provider downwards too). The window keeps the latest 32 ratios; holds use its maximum.
  await q.query(`CREATE FUNCTION vaultrun_calibrate(p_workspace uuid, p_account uuid, p_model text, p_estimated integer, p_observed integer) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE ratio integer; cur record; n integer;
    BEGIN
      IF p_estimated IS NULL OR p_estimated <= 0 OR p_observed IS NULL OR p_observed < 0 OR p_account IS NULL THEN RETURN 0; END IF;
      ratio := least(ceil(p_observed * 1000.0 / p_estimated), 1000000)::integer;
      SELECT c.high_ratio_permille, c.updated_at INTO cur FROM token_calibrations c WHERE c.account_id = p_account AND c.model = p_model;
      IF NOT FOUND THEN
        INSERT INTO token_calibrations (account_id, model, workspace_id, ratios_permille, high_ratio_permille, samples, raised_at, updated_at)
        VALUES (p_account, p_model, p_workspace, ARRAY[ratio], ratio, 1, CASE WHEN ratio > 1000 THEN now() END, now())
        ON CONFLICT (account_id, model) DO NOTHING;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n = 1 THEN RETURN 1; END IF;
      ELSIF ratio <= cur.high_ratio_permille AND cur.updated_at >= now() - interval '10 seconds' THEN
        RETURN 0;
      END IF;
      -- The window is rebuilt from the row as it is when updated (a concurrent settlement may have changed it).
      UPDATE token_calibrations c SET ratios_permille = (c.ratios_permille || ratio)[greatest(1, cardinality(c.ratios_permille) - 30):],
             high_ratio_permille = (SELECT max(x) FROM unnest((c.ratios_permille || ratio)[greatest(1, cardinality(c.ratios_permille) - 30):]) x),
             samples = c.samples + 1, raised_at = CASE WHEN ratio > c.high_ratio_permille THEN now() ELSE c.raised_at END, updated_at = now()
       WHERE c.account_id = p_account AND c.model = p_model AND (ratio > c.high_ratio_permille OR c.updated_at < now() - interval '10 seconds');
      GET DIAGNOSTICS n = ROW_COUNT;
      RETURN n;
    END $$`);
}
