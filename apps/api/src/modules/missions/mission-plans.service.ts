import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { MissionPlan, PlanStep } from '@vaultrun/db';
import { estimateRequestPromptTokens } from '@vaultrun/providers';
import { checkPlan, promptRequestOf, referencesIn } from '@vaultrun/engine';
import { DomainError, ValidationFailed } from '@vaultrun/vault-core';
import { budgetsFor, overridesOf, quoteRun } from '@vaultrun/money';
import type { DataSource } from 'typeorm';
import { principalKey, type RequestContext } from '../auth/principal.js';
import { accountViewer } from '../vault/visibility.js';
import { operatorQuoteInputs, priceOverrides, workspaceOperators } from './mission-workspace.store.js';
import { findMission, planExists, proposePlan } from './missions.store.js';
import type { CreatePlanDto, PlanDto, PlanEstimateDto } from './missions.dto.js';
import { planDto } from './missions.mapper.js';

/** Plans people propose, and what a proposed plan may cost before anyone approves it. */
@Injectable()
export class MissionPlansService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A person's plan (often an edit of the Copilot's): checked at once — an invalid one is refused with every problem. */
  async createPlan(ctx: RequestContext, missionId: string, input: CreatePlanDto): Promise<PlanDto> {
    await findMission(this.db, ctx.workspaceId, missionId);
    const check = checkPlan({ steps: input.steps }, await workspaceOperators(this.db, ctx.workspaceId));
    if (!check.ok) throw new DomainError('invalid_plan', 'invalid_input', `The plan cannot run: ${check.errors.join(' ')}`, { errors: check.errors.map((message) => ({ field: 'steps', message })) });
    if (input.basedOnPlanId && !(await planExists(this.db, missionId, input.basedOnPlanId))) throw ValidationFailed.field('basedOnPlanId', 'is not a plan of this mission');
    const [createdByType, createdById] = principalKey(ctx.principal);
    const plan = await this.db.transaction((m) =>
      proposePlan(m, {
        workspaceId: ctx.workspaceId,
        missionId,
        basedOnPlanId: input.basedOnPlanId ?? null,
        title: (input.title ?? '').trim(),
        failurePolicy: input.failurePolicy,
        steps: check.steps,
        createdByType,
        createdById,
      }),
    );
    return (await this.planDtos(ctx, [plan]))[0]!;
  }

  /** Plans as the caller reads them: a proposed plan with its estimate against the budgets now. */
  planDtos(ctx: RequestContext, plans: MissionPlan[]): Promise<PlanDto[]> {
    return Promise.all(plans.map(async (p) => planDto(p, p.status === 'proposed' ? await this.estimate(ctx, p.steps) : null)));
  }

  /**
   * A proposed plan's worst case, per step and per budget, against each budget's headroom now: flagged before
   * approval when it may not fit. A step's prompt counts the outputs it inserts at their producers' max tokens.
   * Which budgets cover a step is the ledger's own rule (budgetsFor: the function reservations use).
   */
  private async estimate(ctx: RequestContext, steps: PlanStep[]): Promise<PlanEstimateDto> {
    const operators = await operatorQuoteInputs(this.db, ctx.workspaceId, accountViewer(ctx.principal));
    const overrides = overridesOf(await priceOverrides(this.db, ctx.workspaceId));
    const opOf = (s: PlanStep) => operators.find((o) => o.id === s.operatorId);
    const stepEstimates = steps.map((s) => {
      const o = opOf(s);
      if (!o?.account || !o.model) return { stepId: s.id, accountId: o?.account?.id ?? null, model: o?.model ?? null, worstCaseMicroUsd: null, operatorId: s.operatorId };
      const inserted = referencesIn(s.input).reduce((n, ref) => n + (opOf(steps.find((x) => x.id === ref) ?? s)?.maxOutputTokens ?? 0), 0);
      const request = promptRequestOf({ kind: 'operator', instructions: o.instructions, input: s.input, outputSchema: o.outputSchema });
      const quote = quoteRun({
        kind: o.account.kind,
        baseUrl: o.account.baseUrl,
        model: o.model,
        overrides,
        promptTokens: estimateRequestPromptTokens(o.account.kind, o.model, request).tokens + inserted,
        maxOutputTokens: o.maxOutputTokens,
        calibration: o.calibration,
      });
      return { stepId: s.id, accountId: o.account.id, model: o.model, worstCaseMicroUsd: quote.worstCaseMicroUsd, operatorId: s.operatorId };
    });
    const sum = (xs: typeof stepEstimates) => (xs.some((x) => x.worstCaseMicroUsd === null) ? null : xs.reduce((n, x) => n + x.worstCaseMicroUsd!, 0));
    const tokenId = ctx.principal.kind === 'token' ? ctx.principal.tokenId : null;
    const { budgets, covering } = await budgetsFor(
      this.db,
      ctx.workspaceId,
      stepEstimates.map((s) => ({ accountId: s.accountId, operatorId: s.operatorId, tokenId })),
    );
    const checks = budgets.map((b) => {
      const worst = sum(stepEstimates.filter((_, i) => covering[i]!.includes(b.id)));
      const headroom = Math.max(0, b.capMicroUsd - b.spentMicroUsd - b.heldMicroUsd);
      return { budgetId: b.id, name: b.name, capMicroUsd: b.capMicroUsd, headroomMicroUsd: headroom, planWorstCaseMicroUsd: worst, exceeded: worst === null || worst > headroom };
    });
    // An account the caller may not see is not named (the step's worst case still counts against the budgets).
    const shown = (accountId: string | null) => (accountId && operators.some((o) => o.account?.id === accountId && o.account.shown) ? accountId : null);
    return { worstCaseMicroUsd: sum(stepEstimates), steps: stepEstimates.map(({ operatorId: _o, ...s }) => ({ ...s, accountId: shown(s.accountId) })), budgets: checks };
  }
}
