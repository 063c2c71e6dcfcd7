import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MissionPlan, type Operator, type PlanStep } from '@vaultrun/db';
import { checkPlan, topologicalOrder } from '@vaultrun/engine';
import { Conflict, DomainError, Forbidden, NotFound } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { assertWorkspaceActive } from '../../common/suspension.js';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, principalKey, type RequestContext } from '../auth/principal.js';
import { assertRunnable } from '../vault/provider-accounts.service.js';
import { listedViewer } from '../vault/visibility.js';
import { insertMissionRun, insertStepRun } from './mission-runs.store.js';
import { type StepAccount, stepAccounts, workspaceOperators } from './mission-workspace.store.js';
import { findMission, lockPlan, touchMission } from './missions.store.js';
import type { MissionDetailDto } from './missions.dto.js';
import { MissionJobsService } from './mission-jobs.service.js';
import { MissionsReadService } from './missions-read.service.js';

/** A plan step resolved like any run: its operator, the account it runs on and the model. */
interface ResolvedStep {
  operator: Operator;
  account: StepAccount;
  model: string;
}

/** Approving a plan starts a mission run; cancelling stops it. */
@Injectable()
export class MissionExecutionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: MissionJobsService,
    private readonly read: MissionsReadService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Approval starts a mission run: the plan is checked again (operators may have changed), each step is resolved
   * to its operator, account and model like any run, the runs are written, and the flow is added — the mission
   * run's `finish-mission` job with one child job per step. Written first, queued second, within the enqueue bound:
   * if Redis is down, the reconcilers add the jobs (the gate keeps the order) and end the mission run.
   */
  async approve(ctx: RequestContext, missionId: string, planId: string): Promise<MissionDetailDto> {
    await assertWorkspaceActive(this.db, ctx.workspaceId);
    if (!ctx.principal.permissions.has('vault:use')) throw new Forbidden('Approving a plan starts runs: it needs the vault:use permission.', 'forbidden', { permission: 'vault:use' });
    const startedBy = principalKey(ctx.principal);
    const started = await this.db.transaction(async (m) => {
      const mission = await findMission(m, ctx.workspaceId, missionId, true);
      if (mission.status === 'running') throw new Conflict('mission_running', 'This mission is already running a plan: wait for it to end, or cancel it.');
      const plan = await lockPlan(m, missionId, planId);
      if (!plan) throw new NotFound('Plan');
      if (plan.status !== 'proposed') throw new Conflict('plan_not_proposed', `This plan is ${plan.status}: only a proposed plan can be approved.`, { planStatus: plan.status });
      const operators = await workspaceOperators(m, ctx.workspaceId);
      const check = checkPlan({ steps: plan.steps.map((s) => ({ id: s.id, operator: s.operatorId ?? s.operatorName, input: s.input, dependsOn: s.dependsOn })) }, operators);
      if (!check.ok) {
        await m.getRepository(MissionPlan).update({ id: planId }, { status: 'invalid', errors: check.errors });
        return { ok: false as const, errors: check.errors };
      }
      const resolved = await this.resolveSteps(m, ctx, check.steps, operators);
      const ordered = topologicalOrder(check.steps);
      const missionRunId = await insertMissionRun(m, ctx, { missionId, startedBy, title: plan.title || mission.title, steps: ordered.length });
      const steps: { runId: string; parked: boolean }[] = [];
      for (const s of ordered) {
        const r = resolved.get(s.id)!;
        const runId = await insertStepRun(m, ctx, { missionId, missionRunId, step: s, startedBy, ...r, maxAttempts: this.config.runMaxAttempts });
        steps.push({ runId, parked: s.dependsOn.length > 0 });
      }
      await m.getRepository(MissionPlan).update({ id: planId }, { status: 'approved', missionRunId, approvedById: startedBy[1], approvedAt: () => 'now()' });
      await touchMission(m, missionId, missionRunId);
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'mission.plan_approve',
          targetType: 'mission',
          targetId: missionId,
          metadata: { planId, missionRunId, steps: ordered.length, failurePolicy: plan.failurePolicy },
        },
        m,
      );
      return { ok: true as const, missionRunId, steps };
    });
    if (!started.ok) {
      throw new DomainError('invalid_plan', 'unprocessable', `The plan cannot run: ${started.errors.join(' ')}`, { errors: started.errors.map((message) => ({ field: 'steps', message })) });
    }
    await this.jobs.missionStarted({ workspaceId: ctx.workspaceId, missionId, missionRunId: started.missionRunId, steps: started.steps }, ctx.requestId);
    return this.read.get(ctx, missionId);
  }

  /** Each step's operator, account and model (operator > workspace default), checked like POST /runs checks a run. */
  private async resolveSteps(m: EntityManager, ctx: RequestContext, steps: PlanStep[], operators: Operator[]): Promise<Map<string, ResolvedStep>> {
    const accounts = await stepAccounts(m, ctx.workspaceId, listedViewer(ctx.principal));
    const out = new Map<string, ResolvedStep>();
    for (const s of steps) {
      // checkPlan resolved every step to an operator of the workspace.
      const operator = operators.find((o) => o.id === s.operatorId)!;
      const account = accounts.find((a) => a.id === operator.accountId) ?? accounts.find((a) => a.workspaceDefault);
      const where = `Step "${s.id}" (${operator.name})`;
      if (!account) throw new DomainError('no_account', 'unprocessable', `${where}: no provider account to run on — choose one on the operator or set a workspace default account.`);
      if (!(account.usable || ctx.principal.permissions.has('vault:manage'))) throw new Forbidden(`${where} runs on "${account.name}", which you may not use.`);
      assertRunnable(account, where);
      const model = operator.model ?? account.defaultModel ?? account.workspaceModel;
      if (!model) throw new DomainError('no_model', 'unprocessable', `${where}: no model — set one on the operator or a default model on "${account.name}".`);
      out.set(s.id, { operator, account, model });
    }
    return out;
  }

  async cancel(ctx: RequestContext, missionId: string): Promise<MissionDetailDto> {
    const mission = await findMission(this.db, ctx.workspaceId, missionId);
    if (mission.status !== 'running' || !mission.currentRunId) throw new Conflict('mission_not_running', 'This mission is not running a plan.');
    const who = ctx.principal.kind === 'user' ? ctx.principal.email : `token ${ctx.principal.tokenName}`;
    await this.jobs.engine.cancel(mission.currentRunId, who);
    await this.audit.record({ workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'mission.cancel', targetType: 'mission', targetId: missionId, metadata: { missionRunId: mission.currentRunId } });
    return this.read.get(ctx, missionId);
  }
}
