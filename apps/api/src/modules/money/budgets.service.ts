import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiToken, Budget, type BudgetCountFrom, type BudgetPeriod, type BudgetScope, CREDITS_BUDGET_NAME, Operator, ProviderAccount } from '@vaultrun/db';
import { Forbidden, NotFound, ValidationFailed } from '@vaultrun/vault-core';
import { type DataSource, type EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import type { BudgetDto, BudgetScopeInputDto, CreateBudgetDto, UpdateBudgetDto } from './budgets.dto.js';

/**
 * Budgets with their current period in one query: the period (UTC, `vaultrun_period_start` — the ledger's own
 * rule), its end, its ledger row (none yet = nothing spent) and the scope's name.
 */
const BUDGET_SELECT = `
  SELECT b.id, b.name, b.scope_type, b.scope_id, b.period, b.count_from, b.cap_micro_usd, b.soft_threshold_pct, b.shrink_min_output_tokens, b.created_at, b.updated_at,
         p.start AS period_start,
         CASE WHEN b.count_from = 'creation' AND b.created_at > p.start THEN b.created_at ELSE p.start END AS counting_from,
         COALESCE((SELECT o.opening_micro_usd FROM budget_periods o WHERE o.budget_id = b.id AND o.period_start = p.start), 0) AS opening,
         CASE b.period WHEN 'day' THEN p.start + interval '1 day'
                       WHEN 'week' THEN p.start + interval '7 days'
                       WHEN 'month' THEN ((p.start AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC' END AS period_end,
         COALESCE(bp.spent_micro_usd, 0) AS spent, COALESCE(bp.held_micro_usd, 0) AS held, bp.alerted_at, now() AS now,
         COALESCE(bp.overage_micro_usd, 0) AS overage, bp.overage_at, COALESCE(bp.exhausted, false) AS exhausted,
         CASE b.scope_type WHEN 'workspace' THEN w.name WHEN 'account' THEN a.name WHEN 'operator' THEN o.name WHEN 'token' THEN t.name END AS scope_label
    FROM budgets b
    JOIN workspaces w ON w.id = b.workspace_id
    CROSS JOIN LATERAL (SELECT vaultrun_period_start(b.period, now()) AS start) p
    LEFT JOIN budget_balances bp ON bp.budget_id = b.id AND bp.period_start = p.start
    LEFT JOIN provider_accounts a ON b.scope_type = 'account' AND a.id = b.scope_id AND a.workspace_id = b.workspace_id
    LEFT JOIN operators o ON b.scope_type = 'operator' AND o.id = b.scope_id AND o.workspace_id = b.workspace_id
    LEFT JOIN api_tokens t ON b.scope_type = 'token' AND t.id = b.scope_id AND t.workspace_id = b.workspace_id`;

interface BudgetRow {
  id: string;
  name: string;
  scope_type: BudgetScope;
  scope_id: string | null;
  period: BudgetPeriod;
  count_from: BudgetCountFrom;
  counting_from: Date;
  opening: string;
  cap_micro_usd: string;
  soft_threshold_pct: number;
  shrink_min_output_tokens: number | null;
  created_at: Date;
  updated_at: Date;
  period_start: Date;
  period_end: Date | null;
  spent: string;
  held: string;
  alerted_at: Date | null;
  overage: string;
  overage_at: Date | null;
  exhausted: boolean;
  now: Date;
  scope_label: string | null;
}

const SCOPE_NOUN: Record<Exclude<BudgetScope, 'workspace' | 'credits'>, string> = { account: 'a provider account', operator: 'an operator', token: 'an API token' };

/** The credits budget is the instance's (docs/managed.md): the workspace reads it but cannot change or delete it. */
function assertNotCredits(b: Budget): void {
  if (b.scopeType === 'credits') {
    throw new Forbidden('This is your Vaultrun credits balance: only the instance administrators can add credits. Ask them, or move your work to your own key (Credits page).', 'credits_budget');
  }
}

function assertNameNotReserved(name: string | undefined): void {
  if (name !== undefined && name.trim().toLowerCase() === CREDITS_BUDGET_NAME.toLowerCase()) {
    throw ValidationFailed.field('name', `"${CREDITS_BUDGET_NAME}" is reserved for the credits balance: choose another name`);
  }
}

@Injectable()
export class BudgetsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(workspaceId: string): Promise<BudgetDto[]> {
    const rows: BudgetRow[] = await this.db.query(`${BUDGET_SELECT} WHERE b.workspace_id = $1 ORDER BY b.name, b.id`, [workspaceId]);
    return rows.map(toDto);
  }

  async get(workspaceId: string, budgetId: string, m: EntityManager = this.db.manager): Promise<BudgetDto> {
    const rows: BudgetRow[] = await m.query(`${BUDGET_SELECT} WHERE b.workspace_id = $1 AND b.id = $2`, [workspaceId, budgetId]);
    if (!rows[0]) throw new NotFound('Budget');
    return toDto(rows[0]);
  }

  async create(ctx: RequestContext, input: CreateBudgetDto): Promise<BudgetDto> {
    assertNameNotReserved(input.name);
    return this.db.transaction(async (m) => {
      const scopeId = await this.checkScope(m, ctx.workspaceId, input.scope);
      const saved = await m.getRepository(Budget).save({
        workspaceId: ctx.workspaceId,
        name: input.name.trim(),
        scopeType: input.scope.type,
        scopeId,
        period: input.period,
        countFrom: input.countFrom ?? 'creation',
        capMicroUsd: String(input.capMicroUsd),
        softThresholdPct: input.softThresholdPct ?? 80,
        shrinkMinOutputTokens: input.shrinkToFit?.minOutputTokens ?? null,
        createdById: ctx.principal.kind === 'user' ? ctx.principal.userId : null,
      });
      const opening = saved.countFrom === 'period_start' ? await this.openPeriod(m, ctx.workspaceId, saved) : null;
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'budget.create',
          targetType: 'budget',
          targetId: saved.id,
          metadata: {
            name: saved.name,
            scope: { type: saved.scopeType, id: saved.scopeId },
            period: saved.period,
            countFrom: saved.countFrom,
            capMicroUsd: input.capMicroUsd,
            softThresholdPct: saved.softThresholdPct,
            shrinkMinOutputTokens: saved.shrinkMinOutputTokens,
            ...(opening === null ? {} : { openingMicroUsd: opening }),
          },
        },
        m,
      );
      return this.get(ctx.workspaceId, saved.id, m);
    });
  }

  async update(ctx: RequestContext, budgetId: string, input: UpdateBudgetDto): Promise<BudgetDto> {
    return this.db.transaction(async (m) => {
      const b = await m.getRepository(Budget).findOne({ where: { id: budgetId, workspaceId: ctx.workspaceId }, lock: { mode: 'pessimistic_write' } });
      if (!b) throw new NotFound('Budget');
      assertNotCredits(b);
      assertNameNotReserved(input.name);
      // Scope and period decide which runs and which ledger rows the budget covers: changing them would rewrite history.
      if (input.scope !== undefined && (input.scope.type !== b.scopeType || (input.scope.id ?? null) !== b.scopeId)) {
        throw ValidationFailed.field('scope', 'cannot be changed after creation: create a new budget instead');
      }
      if (input.period !== undefined && input.period !== b.period) {
        throw ValidationFailed.field('period', 'cannot be changed after creation: create a new budget instead');
      }
      if (input.countFrom !== undefined && input.countFrom !== b.countFrom) {
        throw ValidationFailed.field('countFrom', 'cannot be changed after creation: create a new budget instead');
      }
      const before = { name: b.name, capMicroUsd: Number(b.capMicroUsd), softThresholdPct: b.softThresholdPct, shrinkMinOutputTokens: b.shrinkMinOutputTokens };
      const after = {
        name: input.name?.trim() ?? b.name,
        capMicroUsd: input.capMicroUsd ?? before.capMicroUsd,
        softThresholdPct: input.softThresholdPct ?? b.softThresholdPct,
        shrinkMinOutputTokens: input.shrinkToFit === undefined ? b.shrinkMinOutputTokens : (input.shrinkToFit?.minOutputTokens ?? null),
      };
      const changed = (Object.keys(before) as (keyof typeof before)[]).filter((k) => before[k] !== after[k]);
      if (changed.length) {
        await m.getRepository(Budget).update(
          { id: b.id },
          { name: after.name, capMicroUsd: String(after.capMicroUsd), softThresholdPct: after.softThresholdPct, shrinkMinOutputTokens: after.shrinkMinOutputTokens },
        );
        if (changed.includes('capMicroUsd')) {
          // An admin who changes the cap has seen the budget: a period paused by an overage admits runs again under
          // the new cap (the ledger's ordinary rule), without waiting for the runs in flight to settle.
          await m.query(`UPDATE budget_periods SET exhausted_at = NULL WHERE budget_id = $1 AND period_start = vaultrun_period_start($2, now()) AND exhausted_at IS NOT NULL`, [
            b.id,
            b.period,
          ]);
        }
        if (changed.includes('capMicroUsd') || changed.includes('softThresholdPct')) {
          // A raised cap (or threshold) that puts this period back under the threshold re-arms its alert; a lowered
          // one alerts when the ledger next folds spend into the period (every reservation, and the sweeper).
          await m.query(
            `UPDATE budget_periods bp SET alerted_at = NULL, alert_delivered_at = NULL FROM budget_balances bb
              WHERE bp.budget_id = $1 AND bp.period_start = vaultrun_period_start($2, now()) AND bp.alerted_at IS NOT NULL
                AND bb.budget_id = bp.budget_id AND bb.period_start = bp.period_start AND bb.spent_micro_usd * 100 < $3::bigint * $4::int`,
            [b.id, b.period, after.capMicroUsd, after.softThresholdPct],
          );
        }
        await this.audit.record(
          {
            workspaceId: ctx.workspaceId,
            actor: actorOf(ctx),
            action: 'budget.update',
            targetType: 'budget',
            targetId: b.id,
            metadata: { name: after.name, ...Object.fromEntries(changed.map((k) => [k, { from: before[k], to: after[k] }])) },
          },
          m,
        );
      }
      return this.get(ctx.workspaceId, b.id, m);
    });
  }

  async remove(ctx: RequestContext, budgetId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const b = await m.getRepository(Budget).findOne({ where: { id: budgetId, workspaceId: ctx.workspaceId } });
      if (!b) throw new NotFound('Budget');
      assertNotCredits(b);
      // Its periods and holds go with it (ON DELETE CASCADE); runs it blocked keep blocked_budget_id and show no name.
      await m.getRepository(Budget).delete({ id: b.id });
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'budget.delete',
          targetType: 'budget',
          targetId: b.id,
          metadata: { name: b.name, scope: { type: b.scopeType, id: b.scopeId }, period: b.period, capMicroUsd: Number(b.capMicroUsd) },
        },
        m,
      );
    });
  }

  /**
   * A budget that counts from the period's start: writes its current period's row with what the runs in its scope
   * have cost since the period began (settled costs of runs that finished before now; those in flight hold against the
   * budgets that existed when they started, not this one). Returns that opening balance.
   */
  private async openPeriod(m: EntityManager, workspaceId: string, budget: Budget): Promise<number> {
    const scope: Record<BudgetScope, string> = {
      workspace: 'TRUE',
      credits: `r.paid_with = 'credits'`,
      account: 'r.account_id = $3',
      operator: 'r.operator_id = $3',
      token: `r.started_by_type = 'token' AND r.started_by_id = $3`,
    };
    const params: unknown[] = [budget.id, workspaceId];
    if (budget.scopeType !== 'workspace') params.push(budget.scopeId);
    params.push(budget.period);
    const period = `$${params.length}`;
    const [row]: { opening: string }[] = await m.query(
      `INSERT INTO budget_periods (budget_id, period_start, spent_micro_usd, opening_micro_usd)
       SELECT $1, p.start, s.total, s.total
         FROM (SELECT vaultrun_period_start(${period}, now()) AS start) p
         CROSS JOIN LATERAL (SELECT COALESCE(sum(r.cost_micro_usd), 0) AS total FROM runs r
                              WHERE r.workspace_id = $2 AND r.finished_at >= p.start AND r.cost_micro_usd IS NOT NULL AND ${scope[budget.scopeType]}) s
       RETURNING opening_micro_usd AS opening`,
      params,
    );
    return Number(row?.opening ?? 0);
  }

  /** A workspace budget has no id; any other names an account, operator or (live) API token of this workspace. */
  private async checkScope(m: EntityManager, workspaceId: string, scope: BudgetScopeInputDto): Promise<string | null> {
    const id = scope.id ?? null;
    if (scope.type === 'credits') throw ValidationFailed.field('scope.type', 'credits are granted by the instance administrators, not created as a budget');
    if (scope.type === 'workspace') {
      if (id !== null) throw ValidationFailed.field('scope.id', 'must be null for a workspace budget');
      return null;
    }
    if (id === null) throw ValidationFailed.field('scope.id', `is required: the id of ${SCOPE_NOUN[scope.type]} of this workspace`);
    const exists =
      scope.type === 'account'
        ? await m.getRepository(ProviderAccount).exists({ where: { id, workspaceId } })
        : scope.type === 'operator'
          ? await m.getRepository(Operator).exists({ where: { id, workspaceId } })
          : await m.getRepository(ApiToken).exists({ where: { id, workspaceId, revokedAt: IsNull() } });
    if (!exists) throw ValidationFailed.field('scope.id', `is not ${SCOPE_NOUN[scope.type]} of this workspace`);
    return id;
  }
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** Spend extrapolated linearly from the time counted so far to the whole period (integer arithmetic, rounded half up). */
function projectSpend(spent: number, start: Date, end: Date | null, now: Date): number | null {
  if (!end) return null;
  const total = BigInt(new Date(end).getTime() - new Date(start).getTime());
  const elapsed = BigInt(Math.max(1, new Date(now).getTime() - new Date(start).getTime()));
  return Number((2n * BigInt(spent) * total + elapsed) / (2n * elapsed));
}

export function toDto(r: BudgetRow): BudgetDto {
  const cap = Number(r.cap_micro_usd);
  const spent = Number(r.spent);
  const held = Number(r.held);
  return {
    id: r.id,
    name: r.name,
    scope: { type: r.scope_type, id: r.scope_id, label: r.scope_label },
    period: r.period,
    countFrom: r.count_from,
    capMicroUsd: cap,
    softThresholdPct: r.soft_threshold_pct,
    shrinkToFit: r.shrink_min_output_tokens === null ? null : { minOutputTokens: r.shrink_min_output_tokens },
    currentPeriod: {
      periodStart: iso(r.period_start)!,
      periodEnd: iso(r.period_end),
      countingFrom: iso(r.counting_from)!,
      spentMicroUsd: spent,
      openingMicroUsd: Number(r.opening),
      heldMicroUsd: held,
      remainingMicroUsd: Math.max(0, cap - spent - held),
      // Counted since creation, the spend so far covers less than the elapsed period: extrapolate over what was counted.
      projectedMicroUsd: projectSpend(spent, r.counting_from, r.period_end, r.now),
      alertedAt: iso(r.alerted_at),
      // The ledger's own rule (vaultrun_charge): spent × 100 ≥ cap × threshold %.
      softThresholdReached: BigInt(spent) * 100n >= BigInt(cap) * BigInt(r.soft_threshold_pct),
      overageMicroUsd: Number(r.overage),
      overageAt: iso(r.overage_at),
      exhausted: r.exhausted,
    },
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}
