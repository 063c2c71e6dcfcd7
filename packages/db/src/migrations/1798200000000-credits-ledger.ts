import type { QueryRunner } from 'typeorm';

// The managed connector and credits in SQL (docs/managed.md).
//
// - A workspace's credit balance is a **budget** (scope `credits`, period `lifetime`, named "Vaultrun credits") whose
//   cap is what it was given minus what expired unused. `vaultrun_budgets_for` applies it to every run on a managed
//   connector, so credits are held and settled by the very reserve-then-settle ledger every budget uses: the balance
//   can never go below zero under concurrency, and the workspace cannot raise it (the budget routes refuse it).
// - Grants are consumed first-in-first-out by expiry. `vaultrun_credits_sweep` allocates the spend settled since its
//   last call to the grants (soonest expiry first) and forfeits what is left of expired ones — never more than the
//   headroom, so work already in flight keeps what it holds.
// - Connectors: `vaultrun_connect_workspace` gives a workspace its handle on a managed account (a provider account with
//   `managed_source_id`, the share limits as its limits, no secret) and its credits budget; a new workspace gets one
//   for every account offered to all.
// - `runs.paid_with` / `price_multiplier_permille` are set by a trigger whenever a run's account is set.

export const CREDITS_FUNCTIONS = [
  'vaultrun_credits_sweep(uuid)',
  'vaultrun_ensure_credits_budget(uuid)',
  'vaultrun_connect_workspace(uuid, uuid)',
  'vaultrun_sync_connectors(uuid)',
  'vaultrun_workspace_connectors()',
  'vaultrun_runs_paid_with()',
];

export async function createCreditsFunctions(q: QueryRunner): Promise<void> {
  await q.query(`CREATE OR REPLACE FUNCTION vaultrun_budgets_for(p_workspace uuid, p_account uuid, p_operator uuid, p_token uuid)
    RETURNS TABLE (id uuid, name text, period text, cap_micro_usd bigint, shrink_min_output_tokens integer) LANGUAGE sql STABLE AS $$
    SELECT b.id, b.name, b.period, b.cap_micro_usd, b.shrink_min_output_tokens FROM budgets b
     WHERE b.workspace_id = p_workspace AND (b.scope_type = 'workspace'
        OR (b.scope_type = 'account' AND b.scope_id = p_account)
        OR (b.scope_type = 'operator' AND b.scope_id = p_operator)
        OR (b.scope_type = 'token' AND b.scope_id = p_token)
        OR (b.scope_type = 'credits' AND EXISTS (SELECT 1 FROM provider_accounts a WHERE a.id = p_account AND a.managed_source_id IS NOT NULL)))
     ORDER BY b.id $$`);

  // Under the credits period's lock (the one reservations take): allocate, then expire.
  await q.query(`CREATE FUNCTION vaultrun_credits_sweep(p_workspace uuid, OUT expired integer, OUT forfeited bigint) LANGUAGE plpgsql AS $$
    DECLARE bud uuid; r record; g record; delta bigint; take bigint; headroom bigint; f bigint; cap bigint;
    BEGIN
      expired := 0; forfeited := 0;
      SELECT b.id INTO bud FROM budgets b WHERE b.workspace_id = p_workspace AND b.scope_type = 'credits';
      IF NOT FOUND THEN RETURN; END IF;
      SELECT * INTO r FROM vaultrun_lock_period(bud, vaultrun_period_start('lifetime', now()));
      SELECT b.cap_micro_usd INTO cap FROM budgets b WHERE b.id = bud;
      SELECT r.spent - COALESCE(sum(cg.used_micro_usd), 0) INTO delta FROM credit_grants cg WHERE cg.workspace_id = p_workspace;
      FOR g IN SELECT cg.id, cg.amount_micro_usd - cg.used_micro_usd - cg.forfeited_micro_usd AS remaining FROM credit_grants cg
                WHERE cg.workspace_id = p_workspace AND cg.amount_micro_usd > cg.used_micro_usd + cg.forfeited_micro_usd
                ORDER BY cg.expires_at ASC NULLS LAST, cg.created_at, cg.id FOR UPDATE LOOP
        EXIT WHEN delta <= 0;
        take := least(delta, g.remaining);
        UPDATE credit_grants SET used_micro_usd = used_micro_usd + take WHERE id = g.id;
        delta := delta - take;
      END LOOP;
      headroom := cap - r.spent - r.held;
      FOR g IN SELECT cg.id, cg.amount_micro_usd - cg.used_micro_usd - cg.forfeited_micro_usd AS remaining FROM credit_grants cg
                WHERE cg.workspace_id = p_workspace AND cg.expires_at <= now() AND cg.amount_micro_usd > cg.used_micro_usd + cg.forfeited_micro_usd
                ORDER BY cg.expires_at, cg.created_at, cg.id FOR UPDATE LOOP
        f := least(g.remaining, greatest(headroom, 0));
        CONTINUE WHEN f <= 0;
        UPDATE credit_grants SET forfeited_micro_usd = forfeited_micro_usd + f WHERE id = g.id;
        headroom := headroom - f; cap := cap - f; expired := expired + 1; forfeited := forfeited + f;
      END LOOP;
      IF forfeited > 0 THEN
        UPDATE budgets SET cap_micro_usd = cap, updated_at = now() WHERE id = bud;
        INSERT INTO audit_events (workspace_id, actor_type, actor_label, action, target_type, target_id, outcome, metadata)
        VALUES (p_workspace, 'system', 'credits', 'credits.expire', 'budget', bud::text, 'success',
                jsonb_build_object('grants', expired, 'forfeitedMicroUsd', forfeited::text, 'balanceMicroUsd', (cap - r.spent)::text));
      END IF;
    END $$`);

  // A workspace's credits budget, created (with the instance's alert threshold) the first time it is needed.
  await q.query(`CREATE FUNCTION vaultrun_ensure_credits_budget(p_workspace uuid) RETURNS void LANGUAGE sql AS $$
    INSERT INTO budgets (workspace_id, name, scope_type, scope_id, period, cap_micro_usd, soft_threshold_pct, count_from)
    VALUES (p_workspace, 'Vaultrun credits', 'credits', NULL, 'lifetime', 0, COALESCE((SELECT s.low_balance_alert_pct FROM instance_settings s), 80), 'creation')
    ON CONFLICT (workspace_id) WHERE scope_type = 'credits' DO NOTHING $$`);

  await q.query(`CREATE FUNCTION vaultrun_connect_workspace(p_account uuid, p_workspace uuid) RETURNS uuid LANGUAGE plpgsql AS $$
    DECLARE src record; m record; cid uuid; nm text; i integer := 1;
    BEGIN
      SELECT a.name, a.kind, a.default_model, a.models, a.status INTO src FROM provider_accounts a WHERE a.id = p_account;
      SELECT * INTO m FROM managed_accounts ma WHERE ma.account_id = p_account;
      SELECT a.id INTO cid FROM provider_accounts a WHERE a.workspace_id = p_workspace AND a.managed_source_id = p_account;
      IF cid IS NULL THEN
        nm := src.name;
        WHILE EXISTS (SELECT 1 FROM provider_accounts a WHERE a.workspace_id = p_workspace AND a.name = nm) LOOP
          i := i + 1; nm := src.name || ' (' || i || ')';
        END LOOP;
        INSERT INTO provider_accounts (workspace_id, name, kind, default_model, models, status, max_concurrency, requests_per_minute, tokens_per_minute, visibility, managed_source_id)
        VALUES (p_workspace, nm, src.kind, src.default_model, src.models, src.status, m.share_max_concurrency, m.share_requests_per_minute, m.share_tokens_per_minute, 'workspace', p_account)
        RETURNING id INTO cid;
      ELSE
        UPDATE provider_accounts a SET kind = src.kind, default_model = src.default_model, models = src.models, status = src.status,
               max_concurrency = m.share_max_concurrency, requests_per_minute = m.share_requests_per_minute, tokens_per_minute = m.share_tokens_per_minute, updated_at = now()
         WHERE a.id = cid;
      END IF;
      PERFORM vaultrun_ensure_credits_budget(p_workspace);
      RETURN cid;
    END $$`);

  // Connects every workspace the account is offered to and removes the connectors of the others; returns how many
  // workspaces it is offered to.
  await q.query(`CREATE FUNCTION vaultrun_sync_connectors(p_account uuid) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE w record; n integer := 0;
    BEGIN
      DELETE FROM provider_accounts c WHERE c.managed_source_id = p_account AND c.workspace_id NOT IN (
        SELECT ws.id FROM workspaces ws JOIN managed_accounts m ON m.account_id = p_account
         WHERE NOT ws.is_instance AND (m.offer = 'all' OR EXISTS (SELECT 1 FROM managed_account_workspaces mw WHERE mw.account_id = p_account AND mw.workspace_id = ws.id)));
      FOR w IN SELECT ws.id FROM workspaces ws JOIN managed_accounts m ON m.account_id = p_account
                WHERE NOT ws.is_instance AND (m.offer = 'all' OR EXISTS (SELECT 1 FROM managed_account_workspaces mw WHERE mw.account_id = p_account AND mw.workspace_id = ws.id))
                ORDER BY ws.id LOOP
        PERFORM vaultrun_connect_workspace(p_account, w.id);
        n := n + 1;
      END LOOP;
      RETURN n;
    END $$`);

  await q.query(`CREATE FUNCTION vaultrun_workspace_connectors() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE m record;
    BEGIN
      IF NOT NEW.is_instance THEN
        FOR m IN SELECT ma.account_id FROM managed_accounts ma WHERE ma.offer = 'all' ORDER BY ma.account_id LOOP
          PERFORM vaultrun_connect_workspace(m.account_id, NEW.id);
        END LOOP;
      END IF;
      RETURN NULL;
    END $$`);
  await q.query(`CREATE TRIGGER workspaces_managed_connectors AFTER INSERT ON workspaces FOR EACH ROW EXECUTE FUNCTION vaultrun_workspace_connectors()`);

  await q.query(`CREATE FUNCTION vaultrun_runs_paid_with() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.account_id IS NULL THEN
        NEW.paid_with := NULL; NEW.price_multiplier_permille := NULL;
      ELSIF EXISTS (SELECT 1 FROM provider_accounts a WHERE a.id = NEW.account_id AND a.managed_source_id IS NOT NULL) THEN
        NEW.paid_with := 'credits';
        NEW.price_multiplier_permille := COALESCE((SELECT s.price_multiplier_permille FROM instance_settings s), 1000);
      ELSE
        NEW.paid_with := 'own_key'; NEW.price_multiplier_permille := NULL;
      END IF;
      RETURN NEW;
    END $$`);
  await q.query(`CREATE TRIGGER runs_paid_with_insert BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION vaultrun_runs_paid_with()`);
  await q.query(`CREATE TRIGGER runs_paid_with_update BEFORE UPDATE OF account_id ON runs FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id) EXECUTE FUNCTION vaultrun_runs_paid_with()`);
}

export async function dropCreditsFunctions(q: QueryRunner): Promise<void> {
  await q.query(`DROP TRIGGER IF EXISTS runs_paid_with_update ON runs`);
  await q.query(`DROP TRIGGER IF EXISTS runs_paid_with_insert ON runs`);
  await q.query(`DROP TRIGGER IF EXISTS workspaces_managed_connectors ON workspaces`);
  for (const fn of CREDITS_FUNCTIONS) await q.query(`DROP FUNCTION IF EXISTS ${fn}`);
}
