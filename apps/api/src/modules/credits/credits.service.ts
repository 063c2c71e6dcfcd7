import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CreditGrant, type GatewayRouteTarget } from '@vaultrun/db';
import { creditState } from '@vaultrun/money';
import { type AuditActor, Conflict, NotFound, recordAudit, ValidationFailed } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { actorOf, type RequestContext } from '../auth/principal.js';
import { ProviderAccountsService } from '../vault/provider-accounts.service.js';
import type { CreditGrantDto, CreditsDto, CreditsHistoryDto, GrantCreditsDto, SwitchedDto, SwitchToOwnKeyDto } from './credits.dto.js';

/** Who gives credits: an instance administrator (console) or the billing webhook. */
export interface Giver {
  audit: AuditActor;
  userId: string | null;
  label: string;
}

interface BalanceRow {
  cap: string;
  spent: string;
  held: string;
  pct: number;
}

/**
 * Credits (docs/managed.md): the balance a workspace spends on managed connectors. The balance is the credits budget
 * (`scope_type = 'credits'`), held and settled by the ledger like every budget; this service gives credits (raising
 * its cap under the period lock), reads the balance and its grants (after `vaultrun_credits_sweep` has allocated the
 * latest spend and expired what is due), and moves a workspace's work to its own key.
 */
@Injectable()
export class CreditsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly accounts: ProviderAccountsService,
  ) {}

  async summary(workspaceId: string): Promise<CreditsDto> {
    return this.db.transaction(async (m) => {
      await m.query(`SELECT vaultrun_credits_sweep($1)`, [workspaceId]);
      const [b]: (BalanceRow | undefined)[] = await m.query(
        `SELECT b.cap_micro_usd AS cap, COALESCE(bb.spent_micro_usd, 0) AS spent, COALESCE(bb.held_micro_usd, 0) AS held, b.soft_threshold_pct AS pct
           FROM budgets b LEFT JOIN budget_balances bb ON bb.budget_id = b.id AND bb.period_start = vaultrun_period_start('lifetime', now())
          WHERE b.workspace_id = $1 AND b.scope_type = 'credits'`,
        [workspaceId],
      );
      const grants = await m.getRepository(CreditGrant).find({ where: { workspaceId }, order: { createdAt: 'DESC', id: 'DESC' } });
      const accounts: { id: string; name: string; kind: string }[] = await m.query(
        `SELECT id, name, kind FROM provider_accounts WHERE workspace_id = $1 AND managed_source_id IS NOT NULL ORDER BY name`,
        [workspaceId],
      );
      const [settings]: { multiplier: number; pct: number }[] = await m.query(`SELECT price_multiplier_permille AS multiplier, low_balance_alert_pct AS pct FROM instance_settings`);
      const cap = BigInt(b?.cap ?? 0);
      const spent = BigInt(b?.spent ?? 0);
      const held = BigInt(b?.held ?? 0);
      const granted = grants.reduce((s, g) => s + BigInt(g.amountMicroUsd), 0n);
      const forfeited = grants.reduce((s, g) => s + BigInt(g.forfeitedMicroUsd), 0n);
      const balance = cap - spent;
      const available = balance - held > 0n ? balance - held : 0n;
      const pct = b?.pct ?? settings?.pct ?? 80;
      return {
        balanceMicroUsd: balance.toString(),
        heldMicroUsd: held.toString(),
        availableMicroUsd: available.toString(),
        grantedMicroUsd: granted.toString(),
        spentMicroUsd: spent.toString(),
        forfeitedMicroUsd: forfeited.toString(),
        priceMultiplierPermille: settings?.multiplier ?? 1000,
        lowBalanceAlertPct: pct,
        ...creditState(cap, spent, granted, pct),
        grants: grants.map(grantDto),
        accounts,
      };
    });
  }

  async history(workspaceId: string, days: number): Promise<CreditsHistoryDto> {
    const [daily, consumers] = await Promise.all([
      this.db.query(
        `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, COALESCE(s.spent, 0)::text AS spent, COALESCE(g.granted, 0)::text AS granted
           FROM generate_series((now() AT TIME ZONE 'UTC')::date - ($2::int - 1), (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)
           LEFT JOIN (SELECT (r.finished_at AT TIME ZONE 'UTC')::date AS day, sum(r.cost_micro_usd) AS spent FROM runs r
                       WHERE r.workspace_id = $1 AND r.paid_with = 'credits' AND r.finished_at >= now() - make_interval(days => $2::int) GROUP BY 1) s ON s.day = d.day
           LEFT JOIN (SELECT (c.created_at AT TIME ZONE 'UTC')::date AS day, sum(c.amount_micro_usd) AS granted FROM credit_grants c
                       WHERE c.workspace_id = $1 AND c.created_at >= now() - make_interval(days => $2::int) GROUP BY 1) g ON g.day = d.day
          ORDER BY d.day`,
        [workspaceId, days],
      ) as Promise<{ day: string; spent: string; granted: string }[]>,
      this.db.query(
        `SELECT x.type, x.id, COALESCE(o.name, t.name, u.email, 'deleted') AS name, x.runs, x.spent
           FROM (SELECT CASE WHEN r.kind = 'gateway' THEN 'gateway' WHEN r.operator_id IS NOT NULL THEN 'operator' WHEN r.started_by_type = 'token' THEN 'token' ELSE 'person' END AS type,
                        CASE WHEN r.kind <> 'gateway' AND r.operator_id IS NOT NULL THEN r.operator_id ELSE r.started_by_id END AS id,
                        count(*)::int AS runs, COALESCE(sum(r.cost_micro_usd), 0) AS spent
                   FROM runs r WHERE r.workspace_id = $1 AND r.paid_with = 'credits' AND r.created_at >= now() - make_interval(days => $2::int)
                  GROUP BY 1, 2) x
           LEFT JOIN operators o ON x.type = 'operator' AND o.id = x.id AND o.workspace_id = $1
           LEFT JOIN api_tokens t ON x.type IN ('gateway', 'token') AND t.id = x.id AND t.workspace_id = $1
           LEFT JOIN users u ON x.type = 'person' AND u.id = x.id
          ORDER BY x.spent DESC, x.runs DESC LIMIT 20`,
        [workspaceId, days],
      ) as Promise<{ type: 'operator' | 'token' | 'person' | 'gateway'; id: string | null; name: string; runs: number; spent: string }[]>,
    ]);
    return {
      days: daily.map((d) => ({ day: d.day, spentMicroUsd: d.spent, grantedMicroUsd: d.granted })),
      consumers: consumers.map((c) => ({ type: c.type, id: c.id, name: c.name, runs: c.runs, spentMicroUsd: String(c.spent) })),
    };
  }

  /**
   * Gives a workspace credits: under the credits period's lock (the one every reservation takes), the latest spend is
   * allocated to the grants it came from, then the grant is added and the cap raised by its amount. A top-up's
   * reference is unique per workspace: the same reference again answers the first top-up (`created: false`).
   */
  async grant(workspaceId: string, input: GrantCreditsDto, giver: Giver): Promise<{ grant: CreditGrantDto; created: boolean }> {
    if (input.kind === 'top_up' && !input.reference) throw ValidationFailed.field('reference', 'is required for a top-up: the payment or order reference');
    return this.db.transaction(async (m) => {
      const [ws]: { id: string; name: string }[] = await m.query(`SELECT id, name FROM workspaces WHERE id = $1 AND NOT is_instance`, [workspaceId]);
      if (!ws) throw new NotFound('Workspace');
      await m.query(`SELECT vaultrun_ensure_credits_budget($1)`, [workspaceId]);
      await m.query(`SELECT vaultrun_credits_sweep($1)`, [workspaceId]);
      if (input.reference) {
        const existing = await m.getRepository(CreditGrant).findOne({ where: { workspaceId, reference: input.reference } });
        if (existing) {
          if (existing.amountMicroUsd !== input.amountMicroUsd || existing.kind !== input.kind) {
            throw new Conflict('reference_reused', `Reference "${input.reference}" was already used for another ${existing.kind === 'top_up' ? 'top-up' : 'grant'} of this workspace.`);
          }
          return { grant: grantDto(existing), created: false };
        }
      }
      const saved = await m.getRepository(CreditGrant).save({
        workspaceId,
        kind: input.kind,
        amountMicroUsd: input.amountMicroUsd,
        expiresAt: input.expiresAt ?? null,
        reference: input.reference ?? null,
        note: input.note ?? null,
        createdById: giver.userId,
        createdByLabel: giver.label,
      });
      const [budget]: { id: string; cap: string }[] = await m.query(
        `UPDATE budgets SET cap_micro_usd = cap_micro_usd + $2::bigint, updated_at = now() WHERE workspace_id = $1 AND scope_type = 'credits' RETURNING id, cap_micro_usd AS cap`,
        [workspaceId, input.amountMicroUsd],
      );
      // Back under the low-balance threshold: its alert is re-armed for the next time.
      await m.query(
        `UPDATE budget_periods bp SET alerted_at = NULL, alert_delivered_at = NULL FROM budgets b
          WHERE b.id = $1 AND bp.budget_id = b.id AND bp.period_start = vaultrun_period_start('lifetime', now()) AND bp.alerted_at IS NOT NULL
            AND bp.spent_micro_usd * 100 < b.cap_micro_usd * b.soft_threshold_pct`,
        [budget!.id],
      );
      const metadata = {
        workspaceName: ws.name,
        kind: saved.kind,
        amountMicroUsd: saved.amountMicroUsd,
        expiresAt: saved.expiresAt?.toISOString() ?? null,
        reference: saved.reference,
        capMicroUsd: budget!.cap,
      };
      const action = saved.kind === 'top_up' ? 'credits.top_up' : 'credits.grant';
      await recordAudit(m, { workspaceId, actor: giver.audit, action, targetType: 'credit_grant', targetId: saved.id, metadata });
      await recordAudit(m, { workspaceId: null, actor: giver.audit, action: `instance.${action}`, targetType: 'workspace', targetId: workspaceId, metadata: { ...metadata, grantId: saved.id } });
      return { grant: grantDto(saved), created: true };
    });
  }

  /**
   * Moves every operator, gateway route target and workspace default on the managed connector(s) to one of the
   * workspace's own accounts, in one transaction.
   */
  async switchToOwnKey(ctx: RequestContext, input: SwitchToOwnKeyDto): Promise<SwitchedDto> {
    return this.db.transaction(async (m) => {
      const to = await this.accounts.findVisible(ctx, input.toAccountId, m).catch(() => {
        throw ValidationFailed.field('toAccountId', 'is not a provider account of this workspace');
      });
      if (to.managedSourceId) throw ValidationFailed.field('toAccountId', 'is a managed connector: choose one of your own accounts');
      if (to.status === 'disabled' || to.status === 'invalid_key') throw ValidationFailed.field('toAccountId', `cannot run (${to.status}): fix the account first`);
      const connectors: { id: string; name: string }[] = await m.query(
        `SELECT id, name FROM provider_accounts WHERE workspace_id = $1 AND managed_source_id IS NOT NULL AND ($2::uuid IS NULL OR id = $2) ORDER BY name`,
        [ctx.workspaceId, input.fromAccountId ?? null],
      );
      if (input.fromAccountId && !connectors.length) throw ValidationFailed.field('fromAccountId', 'is not a managed connector of this workspace');
      const from = connectors.map((c) => c.id);
      const [, operators] = (await m.query(`UPDATE operators SET account_id = $2, updated_at = now() WHERE workspace_id = $1 AND account_id = ANY($3::uuid[])`, [
        ctx.workspaceId,
        to.id,
        from,
      ])) as [unknown, number];
      const routes: { id: string; targets: GatewayRouteTarget[] }[] = await m.query(`SELECT id, targets FROM gateway_routes WHERE workspace_id = $1 FOR UPDATE`, [ctx.workspaceId]);
      let routeTargets = 0;
      for (const r of routes) {
        const moved = r.targets.map((t) => (from.includes(t.accountId) ? (routeTargets++, { ...t, accountId: to.id }) : t));
        if (moved.some((t, i) => t !== r.targets[i])) await m.query(`UPDATE gateway_routes SET targets = $2::jsonb, updated_at = now() WHERE id = $1`, [r.id, JSON.stringify(moved)]);
      }
      const [defaults]: { n: number }[] = await m.query(
        `WITH d AS (UPDATE workspaces SET default_account_id = CASE WHEN default_account_id = ANY($3::uuid[]) THEN $2 ELSE default_account_id END,
                           copilot_account_id = CASE WHEN copilot_account_id = ANY($3::uuid[]) THEN $2 ELSE copilot_account_id END
                     WHERE id = $1 AND (default_account_id = ANY($3::uuid[]) OR copilot_account_id = ANY($3::uuid[]))
                     RETURNING (default_account_id = $2)::int + (copilot_account_id = $2)::int AS n)
         SELECT COALESCE(sum(n), 0)::int AS n FROM d`,
        [ctx.workspaceId, to.id, from],
      );
      const result = { operators, routeTargets, defaults: defaults?.n ?? 0 };
      await recordAudit(m, {
        workspaceId: ctx.workspaceId,
        actor: actorOf(ctx),
        action: 'credits.switch_to_own_key',
        targetType: 'provider_account',
        targetId: to.id,
        metadata: { to: to.name, from: connectors.map((c) => c.name), ...result },
      });
      return result;
    });
  }
}

export function grantDto(g: CreditGrant): CreditGrantDto {
  const remaining = BigInt(g.amountMicroUsd) - BigInt(g.usedMicroUsd) - BigInt(g.forfeitedMicroUsd);
  const expired = g.expiresAt !== null && g.expiresAt.getTime() <= Date.now();
  return {
    id: g.id,
    kind: g.kind,
    amountMicroUsd: String(g.amountMicroUsd),
    usedMicroUsd: String(g.usedMicroUsd),
    forfeitedMicroUsd: String(g.forfeitedMicroUsd),
    remainingMicroUsd: remaining.toString(),
    expiresAt: g.expiresAt?.toISOString() ?? null,
    reference: g.reference,
    note: g.note,
    status: BigInt(g.forfeitedMicroUsd) > 0n || (expired && remaining > 0n) ? 'expired' : remaining > 0n ? 'active' : 'used',
    createdBy: g.createdByLabel,
    createdAt: g.createdAt.toISOString(),
  };
}
