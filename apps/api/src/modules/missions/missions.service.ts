import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PlanStep } from '@vaultrun/db';
import { COPILOT_REPLY_SCHEMA, estimateRequestPromptTokens } from '@vaultrun/providers';
import {
  assistantTurnText,
  boundHistory,
  checkPlan,
  COPILOT_MAX_OUTPUT_TOKENS,
  copilotInstructions,
  MissionEngine,
  missionFlow,
  promptRequestOf,
  referencesIn,
  RUN_JOB_OPTIONS,
  RunBus,
  STEP_PARK_MS,
  topologicalOrder,
  toRun,
  type Turn,
} from '@vaultrun/engine';
import { Conflict, DomainError, Forbidden, NotFound, ValidationFailed } from '@vaultrun/vault-core';
import { type CostLabel, overridesOf, precheckBudgets, type PriceOverrideRow, quoteRun, refusalError } from '@vaultrun/money';
import { FlowProducer, type Queue } from 'bullmq';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { assertSameRequest, isUniqueViolation, requestHashOf } from '../../common/idempotency.js';
import { decodeCursor, nextCursorOf } from '../../common/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, principalKey, type RequestContext } from '../auth/principal.js';
import { accountViewer, accountVisibleSql, listedViewer, positional, runVisibleSql } from '../vault/visibility.js';
import { assertRunnable } from '../vault/provider-accounts.service.js';
import { addToSplit, emptySplit } from '../money/spend.service.js';
import { RUN_BUS, RUNS_QUEUE } from '../runs/runs.tokens.js';
import type { RunDto } from '../runs/runs.dto.js';
import { RUN_SELECT, type RunView, toDto as runDto } from '../runs/runs.service.js';
import type {
  CreateMissionDto,
  CreatePlanDto,
  ListMissionsQueryDto,
  MissionDetailDto,
  MissionDto,
  MissionMessageDto,
  MissionPageDto,
  PlanDto,
  PlanEstimateDto,
  SentMessageDto,
} from './missions.dto.js';

interface AccountRow {
  id: string;
  name: string;
  kind: string;
  status: string;
  default_model: string | null;
  usable: boolean;
}

interface OperatorRow {
  id: string;
  name: string;
  description: string;
  instructions: string;
  temperature: number | null;
  max_output_tokens: number;
  output_format: string;
  output_schema: Record<string, unknown> | null;
  model: string | null;
  cost_cap_micro_usd: string | null;
  account_id: string | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** A mission with its status, derived from its current mission run (so the two can never disagree). */
const MISSION_SELECT = `SELECT m.*, CASE WHEN cr.id IS NULL THEN 'open' WHEN cr.status IN ('queued', 'waiting', 'running') THEN 'running' ELSE cr.status END AS status
  FROM missions m LEFT JOIN runs cr ON cr.id = m.current_run_id`;

@Injectable()
export class MissionsService implements OnApplicationShutdown {
  private readonly flows: FlowProducer;
  private readonly engine: MissionEngine;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RUNS_QUEUE) private readonly queue: Queue,
    @Inject(RUN_BUS) private readonly bus: RunBus,
    private readonly audit: AuditService,
  ) {
    this.flows = new FlowProducer({ connection: { url: config.redisUrl, connectionName: 'vaultrun-api-flows' }, prefix: config.bullPrefix });
    this.flows.on('error', () => undefined); // as for the API's queues (common/queues.ts): adding the flow fails visibly
    this.engine = new MissionEngine({
      db,
      bus,
      jobs: {
        wake: async () => undefined,
        remove: async (ids) => {
          for (const id of ids) await this.queue.remove(id).catch(() => undefined);
        },
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flows.close();
  }

  async create(ctx: RequestContext, input: CreateMissionDto): Promise<MissionDto> {
    const [principalType, principalId] = principalKey(ctx.principal);
    const [row] = (await this.db.query(
      `INSERT INTO missions (workspace_id, title, goal, created_by_type, created_by_id) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [ctx.workspaceId, input.title.trim(), (input.goal ?? '').trim(), principalType, principalId],
    )) as Record<string, unknown>[];
    return missionDto({ ...row!, status: 'open' });
  }

  async list(workspaceId: string, query: ListMissionsQueryDto): Promise<MissionPageDto> {
    const limit = query.limit ?? 50;
    const cursor = decodeCursor(query.cursor);
    const rows: Record<string, unknown>[] = await this.db.query(
      `${MISSION_SELECT} WHERE m.workspace_id = $1 AND ($2::timestamptz IS NULL OR (m.created_at, m.id) < ($2, $3::uuid)) ORDER BY m.created_at DESC, m.id DESC LIMIT $4`,
      [workspaceId, cursor?.createdAt ?? null, cursor?.id ?? null, limit],
    );
    return { items: rows.map(missionDto), nextCursor: nextCursorOf(rows.map((r) => ({ createdAt: r.created_at as Date, id: String(r.id) })), limit) };
  }

  private async mission(db: DataSource | EntityManager, workspaceId: string, missionId: string, lock = false): Promise<Record<string, unknown>> {
    const [row] = (await db.query(`${MISSION_SELECT} WHERE m.id = $1 AND m.workspace_id = $2${lock ? ' FOR UPDATE OF m' : ''}`, [missionId, workspaceId])) as Record<string, unknown>[];
    if (!row) throw new NotFound('Mission');
    return row;
  }

  /** The account and model the Copilot answers with: the workspace's copilot settings, else its defaults. */
  private async copilotAccount(ctx: RequestContext): Promise<{ account: AccountRow | null; model: string | null }> {
    const params: unknown[] = [ctx.workspaceId];
    const usable = accountVisibleSql('a', listedViewer(ctx.principal), positional(params));
    const rows: (AccountRow & { copilot_model: string | null; workspace_model: string | null })[] = await this.db.query(
      `SELECT a.id, a.name, a.kind, a.status, a.default_model, w.copilot_model, w.default_model AS workspace_model, ${usable} AS usable
         FROM workspaces w LEFT JOIN provider_accounts a ON a.workspace_id = w.id AND a.id = COALESCE(w.copilot_account_id, w.default_account_id)
        WHERE w.id = $1`,
      params,
    );
    const r = rows[0];
    if (!r?.id) return { account: null, model: r?.copilot_model ?? r?.workspace_model ?? null };
    return { account: r, model: r.copilot_model ?? r.default_model ?? r.workspace_model };
  }

  /** A user message: stored, and answered by a copilot run (a queued job like any run). */
  async sendMessage(ctx: RequestContext, missionId: string, content: string, idempotencyKey?: string): Promise<{ sent: SentMessageDto; replayed: boolean }> {
    const { requestId } = ctx;
    const requestHash = requestHashOf([content]);
    if (!ctx.principal.permissions.has('vault:use')) throw new Forbidden('Talking to the Copilot needs the vault:use permission.', 'forbidden', { permission: 'vault:use' });
    const mission = await this.mission(this.db, ctx.workspaceId, missionId);
    if (idempotencyKey) {
      const replay = await this.sentWithKey(ctx, missionId, idempotencyKey, requestHash);
      if (replay) return { sent: replay, replayed: true };
    }
    const { account, model } = await this.copilotAccount(ctx);
    if (!account) throw new DomainError('no_account', 'unprocessable', 'No provider account for the Copilot: set the workspace default account (or a copilot account) first.');
    if (!(account.usable || ctx.principal.permissions.has('vault:manage'))) throw new Forbidden(`You may not use the provider account "${account.name}" that the Copilot runs on.`);
    assertRunnable(account, 'The Copilot');
    if (!model) throw new DomainError('no_model', 'unprocessable', `No model for the Copilot: set a copilot model or a default model on "${account.name}".`);

    const operators: OperatorRow[] = await this.db.query(`SELECT * FROM operators WHERE workspace_id = $1 ORDER BY name`, [ctx.workspaceId]);
    const history = await this.turns(missionId);
    const { kept, dropped } = boundHistory(history);
    const instructions = copilotInstructions(
      { title: String(mission.title), goal: String(mission.goal) },
      operators.map((o) => ({ name: o.name, description: o.description, output: o.output_format === 'json_schema' ? 'json' : 'text' })),
      dropped,
    );
    const estimate = await this.precheck(ctx, {
      accountId: account.id,
      kind: account.kind,
      operatorId: null,
      model,
      request: promptRequestOf({ kind: 'copilot', instructions, input: content, history: kept, outputSchema: COPILOT_REPLY_SCHEMA }),
      maxOutputTokens: COPILOT_MAX_OUTPUT_TOKENS,
    });
    const [principalType, principalId] = principalKey(ctx.principal);
    let created: { run: RunView; message: Record<string, unknown> };
    try {
      created = await this.db.transaction(async (m) => {
        const [inserted] = (await m.query(
          `INSERT INTO runs (workspace_id, kind, mission_id, started_by_type, started_by_id, account_id, model, instructions, input, history, max_output_tokens,
                             output_schema, status, max_attempts, request_id, queued_at, estimate_micro_usd)
           VALUES ($1, 'copilot', $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11::jsonb, 'queued', $12, $13, now(), $14) RETURNING *`,
          [ctx.workspaceId, missionId, principalType, principalId, account.id, model, instructions, content, JSON.stringify(kept), COPILOT_MAX_OUTPUT_TOKENS, JSON.stringify(COPILOT_REPLY_SCHEMA), this.config.runMaxAttempts, requestId, estimate],
        )) as Record<string, unknown>[];
        await m.query(`INSERT INTO run_events (run_id, workspace_id, type, message) VALUES ($1, $2, 'queued', $3)`, [inserted!.id, ctx.workspaceId, `Copilot queued on ${account.name} (${model})`]);
        const [msg] = (await m.query(
          `INSERT INTO mission_messages (workspace_id, mission_id, role, content, author_type, author_id, copilot_run_id, idempotency_key, request_hash)
           VALUES ($1, $2, 'user', $3, $4, $5, $6, $7, $8) RETURNING *`,
          [ctx.workspaceId, missionId, content, principalType, principalId, inserted!.id, idempotencyKey ?? null, idempotencyKey ? requestHash : null],
        )) as Record<string, unknown>[];
        await m.query(`UPDATE missions SET updated_at = now() WHERE id = $1`, [missionId]);
        return { run: toRun(inserted!) as RunView, message: msg! };
      });
    } catch (err) {
      // Lost a race with the same key (the whole transaction rolled back): answer with the message that won.
      const winner = idempotencyKey && isUniqueViolation(err, 'mission_messages_idempotency_key') ? await this.sentWithKey(ctx, missionId, idempotencyKey, requestHash) : null;
      if (!winner) throw err;
      return { sent: winner, replayed: true };
    }
    const { run, message } = created;
    await this.bus.changed({ id: run.id, workspaceId: ctx.workspaceId, status: 'queued', kind: 'copilot', accountId: run.accountId, missionId });
    await this.queue.add('execute-run', { runId: run.id, requestId }, { ...RUN_JOB_OPTIONS, jobId: run.id }).catch(() => undefined);
    return { sent: sentMessageDto(message, runDto({ ...run, operatorName: null, startedByLabel: null })), replayed: false };
  }

  /** The message sent earlier with this key, with its copilot run as it is now; a 409 when the key came with another message. */
  private async sentWithKey(ctx: RequestContext, missionId: string, key: string, requestHash: string): Promise<SentMessageDto | null> {
    const [message] = (await this.db.query(`SELECT * FROM mission_messages WHERE mission_id = $1 AND idempotency_key = $2`, [missionId, key])) as Record<string, unknown>[];
    if (!message) return null;
    assertSameRequest(message.request_hash as string | null, requestHash, 'message', { messageId: message.id });
    const [run] = (await this.db.query(`${RUN_SELECT} WHERE r.id = $1 AND r.workspace_id = $2`, [message.copilot_run_id, ctx.workspaceId])) as Record<string, unknown>[];
    return sentMessageDto(message, runDto(toRun(run!) as RunView));
  }

  /** The conversation so far, as the Copilot reads it (assistant turns carry the plan they proposed). */
  private async turns(missionId: string): Promise<Turn[]> {
    const rows: { role: 'user' | 'assistant'; content: string; title: string | null; failure_policy: string | null; steps: PlanStep[] | null }[] = await this.db.query(
      `SELECT mm.role, mm.content, p.title, p.failure_policy, p.steps FROM mission_messages mm LEFT JOIN mission_plans p ON p.id = mm.plan_id
        WHERE mm.mission_id = $1 ORDER BY mm.created_at, mm.role DESC`,
      [missionId],
    );
    return rows.map((r) => ({
      role: r.role,
      content:
        r.role === 'assistant' && r.steps
          ? assistantTurnText(r.content, { title: r.title, failurePolicy: r.failure_policy, steps: r.steps.map((s) => ({ id: s.id, operator: s.operatorName, input: s.input, dependsOn: s.dependsOn })) })
          : r.content,
    }));
  }

  private priceOverrides(workspaceId: string): Promise<PriceOverrideRow[]> {
    return this.db.query(
      `SELECT model, input_micro_usd_per_m AS "inputMicroUsdPerM", cached_input_micro_usd_per_m AS "cachedInputMicroUsdPerM", output_micro_usd_per_m AS "outputMicroUsdPerM"
         FROM price_overrides WHERE workspace_id = $1`,
      [workspaceId],
    );
  }

  /** The account's calibrated prompt ratio for a model (token_calibrations), as the worker's quote uses it. */
  private async calibration(accountId: string, model: string): Promise<number | null> {
    const [row] = (await this.db.query(`SELECT high_ratio_permille FROM token_calibrations WHERE account_id = $1 AND model = $2`, [accountId, model])) as { high_ratio_permille: number }[];
    return row?.high_ratio_permille ?? null;
  }

  /** Refuses at once what budgets or a cost cap would block (as POST /runs does, with the worker's quote); returns the worst case. */
  private async precheck(
    ctx: RequestContext,
    run: { accountId: string; kind: string; operatorId: string | null; model: string; request: ReturnType<typeof promptRequestOf>; maxOutputTokens: number },
  ): Promise<number | null> {
    const overrides = await this.priceOverrides(ctx.workspaceId);
    const quote = quoteRun({
      kind: run.kind,
      model: run.model,
      overrides: overridesOf(overrides),
      promptTokens: estimateRequestPromptTokens(run.kind, run.model, run.request).tokens,
      maxOutputTokens: run.maxOutputTokens,
      calibration: await this.calibration(run.accountId, run.model),
    });
    const tokenId = ctx.principal.kind === 'token' ? ctx.principal.tokenId : null;
    const refusal = await precheckBudgets(this.db, { workspaceId: ctx.workspaceId, accountId: run.accountId, operatorId: run.operatorId, tokenId }, quote, run.model);
    if (refusal) throw refusalError(refusal);
    return quote.worstCaseMicroUsd;
  }

  /** A person's plan (often an edit of the Copilot's): checked at once — an invalid one is refused with every problem. */
  async createPlan(ctx: RequestContext, missionId: string, input: CreatePlanDto): Promise<PlanDto> {
    await this.mission(this.db, ctx.workspaceId, missionId);
    const operators: { id: string; name: string }[] = await this.db.query(`SELECT id, name FROM operators WHERE workspace_id = $1`, [ctx.workspaceId]);
    const check = checkPlan({ steps: input.steps }, operators);
    if (!check.ok) throw new DomainError('invalid_plan', 'invalid_input', `The plan cannot run: ${check.errors.join(' ')}`, { errors: check.errors.map((message) => ({ field: 'steps', message })) });
    if (input.basedOnPlanId) {
      const [base] = (await this.db.query(`SELECT id FROM mission_plans WHERE id = $1 AND mission_id = $2`, [input.basedOnPlanId, missionId])) as unknown[];
      if (!base) throw ValidationFailed.field('basedOnPlanId', 'is not a plan of this mission');
    }
    const [principalType, principalId] = principalKey(ctx.principal);
    const row = await this.db.transaction(async (m) => {
      await m.query(`UPDATE mission_plans SET status = 'superseded' WHERE mission_id = $1 AND status = 'proposed'`, [missionId]);
      const [inserted] = (await m.query(
        `INSERT INTO mission_plans (workspace_id, mission_id, based_on_plan_id, title, failure_policy, steps, status, created_by_type, created_by_id)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, 'proposed', $7, $8) RETURNING *`,
        [ctx.workspaceId, missionId, input.basedOnPlanId ?? null, (input.title ?? '').trim(), input.failurePolicy, JSON.stringify(check.steps), principalType, principalId],
      )) as Record<string, unknown>[];
      return inserted!;
    });
    return this.planDto(ctx, row);
  }

  /**
   * Approval starts a mission run: the plan is checked again (operators may have changed), each step is resolved
   * to its operator, account and model like any run, the runs are written, and the flow is added — the mission
   * run's `finish-mission` job with one child job per step.
   */
  async approve(ctx: RequestContext, missionId: string, planId: string): Promise<MissionDetailDto> {
    const { requestId } = ctx;
    if (!ctx.principal.permissions.has('vault:use')) throw new Forbidden('Approving a plan starts runs: it needs the vault:use permission.', 'forbidden', { permission: 'vault:use' });
    const [principalType, principalId] = principalKey(ctx.principal);
    const started = await this.db.transaction(async (m) => {
      const mission = await this.mission(m, ctx.workspaceId, missionId, true);
      if (mission.status === 'running') throw new Conflict('mission_running', 'This mission is already running a plan: wait for it to end, or cancel it.');
      const [plan] = (await m.query(`SELECT * FROM mission_plans WHERE id = $1 AND mission_id = $2 FOR UPDATE`, [planId, missionId])) as Record<string, unknown>[];
      if (!plan) throw new NotFound('Plan');
      if (plan.status !== 'proposed') throw new Conflict('plan_not_proposed', `This plan is ${String(plan.status)}: only a proposed plan can be approved.`, { planStatus: plan.status });
      const operators: OperatorRow[] = await m.query(`SELECT * FROM operators WHERE workspace_id = $1`, [ctx.workspaceId]);
      const stored = plan.steps as PlanStep[];
      const check = checkPlan({ steps: stored.map((s) => ({ id: s.id, operator: s.operatorId ?? s.operatorName, input: s.input, dependsOn: s.dependsOn })) }, operators);
      if (!check.ok) {
        await m.query(`UPDATE mission_plans SET status = 'invalid', errors = $2::jsonb WHERE id = $1`, [planId, JSON.stringify(check.errors)]);
        return { invalid: check.errors };
      }
      const resolved = await this.resolveSteps(m, ctx, check.steps, operators);
      const ordered = topologicalOrder(check.steps);
      const [missionRun] = (await m.query(
        `INSERT INTO runs (workspace_id, kind, mission_id, started_by_type, started_by_id, account_id, model, input, max_output_tokens, status, max_attempts,
                           request_id, queued_at, started_at, status_reason)
         VALUES ($1, 'mission', $2, $3, $4, NULL, '', $5, 1, 'running', 1, $6, now(), now(), $7) RETURNING id`,
        [ctx.workspaceId, missionId, principalType, principalId, String(plan.title || mission.title), requestId, `Running ${ordered.length} step${ordered.length > 1 ? 's' : ''}`],
      )) as { id: string }[];
      const missionRunId = missionRun!.id;
      await m.query(`INSERT INTO run_events (run_id, workspace_id, type, message) VALUES ($1, $2, 'running', $3)`, [missionRunId, ctx.workspaceId, `Plan approved: ${ordered.length} steps`]);
      const steps: { runId: string; parked: boolean }[] = [];
      for (const s of ordered) {
        const r = resolved.get(s.id)!;
        const [row] = (await m.query(
          `INSERT INTO runs (workspace_id, kind, operator_id, parent_run_id, mission_id, plan_step, started_by_type, started_by_id, account_id, model, instructions, input,
                             temperature, max_output_tokens, output_schema, status, status_reason, max_attempts, request_id, queued_at, cost_cap_micro_usd)
           VALUES ($1, 'operator', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, 'queued', $15, $16, $17, now(), $18) RETURNING id`,
          [
            ctx.workspaceId,
            r.operator.id,
            missionRunId,
            missionId,
            s.id,
            principalType,
            principalId,
            r.account.id,
            r.model,
            r.operator.instructions,
            s.input,
            r.operator.temperature,
            r.operator.max_output_tokens,
            r.operator.output_schema ? JSON.stringify(r.operator.output_schema) : null,
            s.dependsOn.length ? `Waits for step${s.dependsOn.length > 1 ? 's' : ''} ${s.dependsOn.map((d) => `"${d}"`).join(', ')}` : null,
            this.config.runMaxAttempts,
            requestId,
            r.operator.cost_cap_micro_usd,
          ],
        )) as { id: string }[];
        await m.query(`INSERT INTO run_events (run_id, workspace_id, type, message) VALUES ($1, $2, 'queued', $3)`, [row!.id, ctx.workspaceId, `Step "${s.id}" queued on ${r.account.name} (${r.model})`]);
        steps.push({ runId: row!.id, parked: s.dependsOn.length > 0 });
      }
      await m.query(`UPDATE mission_plans SET status = 'approved', mission_run_id = $2, approved_by_id = $3, approved_at = now() WHERE id = $1`, [planId, missionRunId, principalId]);
      await m.query(`UPDATE missions SET current_run_id = $2, updated_at = now() WHERE id = $1`, [missionId, missionRunId]);
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'mission.plan_approve',
          targetType: 'mission',
          targetId: missionId,
          metadata: { planId, missionRunId, steps: ordered.length, failurePolicy: plan.failure_policy },
        },
        m,
      );
      return { missionRunId, steps };
    });
    if ('invalid' in started) {
      throw new DomainError('invalid_plan', 'unprocessable', `The plan cannot run: ${started.invalid!.join(' ')}`, { errors: started.invalid!.map((message) => ({ field: 'steps', message })) });
    }
    // Written first, queued second: if Redis is down now, the reconciler adds the jobs (the gate keeps the order).
    await this.flows.add(missionFlow(started.missionRunId, started.steps, STEP_PARK_MS, requestId)).catch(() => undefined);
    await this.bus.changed({ id: started.missionRunId, workspaceId: ctx.workspaceId, status: 'running', kind: 'mission', accountId: null, missionId });
    for (const s of started.steps) await this.bus.changed({ id: s.runId, workspaceId: ctx.workspaceId, status: 'queued', kind: 'operator', missionId });
    return this.get(ctx, missionId);
  }

  /** Each step's operator, account and model (operator > workspace default), checked like POST /runs checks a run. */
  private async resolveSteps(m: EntityManager, ctx: RequestContext, steps: PlanStep[], operators: OperatorRow[]) {
    const params: unknown[] = [ctx.workspaceId];
    const usable = accountVisibleSql('a', listedViewer(ctx.principal), positional(params));
    const accounts: (AccountRow & { workspace_default: boolean; workspace_model: string | null })[] = await m.query(
      `SELECT a.id, a.name, a.kind, a.status, a.default_model, (a.id = w.default_account_id) AS workspace_default, w.default_model AS workspace_model, ${usable} AS usable
         FROM provider_accounts a JOIN workspaces w ON w.id = a.workspace_id WHERE a.workspace_id = $1`,
      params,
    );
    const out = new Map<string, { operator: OperatorRow; account: AccountRow; model: string }>();
    for (const s of steps) {
      const operator = operators.find((o) => o.id === s.operatorId)!;
      const account = accounts.find((a) => a.id === operator.account_id) ?? accounts.find((a) => a.workspace_default);
      const where = `Step "${s.id}" (${operator.name})`;
      if (!account) throw new DomainError('no_account', 'unprocessable', `${where}: no provider account to run on — choose one on the operator or set a workspace default account.`);
      if (!(account.usable || ctx.principal.permissions.has('vault:manage'))) throw new Forbidden(`${where} runs on "${account.name}", which you may not use.`);
      assertRunnable(account, where);
      const model = operator.model ?? account.default_model ?? account.workspace_model;
      if (!model) throw new DomainError('no_model', 'unprocessable', `${where}: no model — set one on the operator or a default model on "${account.name}".`);
      out.set(s.id, { operator, account, model });
    }
    return out;
  }

  async cancel(ctx: RequestContext, missionId: string): Promise<MissionDetailDto> {
    const mission = await this.mission(this.db, ctx.workspaceId, missionId);
    if (mission.status !== 'running' || !mission.current_run_id) throw new Conflict('mission_not_running', 'This mission is not running a plan.');
    const who = ctx.principal.kind === 'user' ? ctx.principal.email : `token ${ctx.principal.tokenName}`;
    await this.engine.cancel(String(mission.current_run_id), who);
    await this.audit.record({ workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'mission.cancel', targetType: 'mission', targetId: missionId, metadata: { missionRunId: mission.current_run_id } });
    return this.get(ctx, missionId);
  }

  /**
   * A mission as the caller may see it. The mission, its people's messages and their plans are the workspace's;
   * what runs made is shown only where the caller may see the run's account (../vault/visibility.ts): step runs
   * and copilot runs on other accounts are left out — and with a hidden copilot run, the answer it wrote and the
   * plan it proposed — and every cost figure counts only the runs shown.
   */
  async get(ctx: RequestContext, missionId: string): Promise<MissionDetailDto> {
    const mission = await this.mission(this.db, ctx.workspaceId, missionId);
    const runParams: unknown[] = [ctx.workspaceId, missionId];
    const runsVisible = runVisibleSql('r', accountViewer(ctx.principal), positional(runParams));
    const [allMessages, allPlans, runs, copilot] = await Promise.all([
      this.db.query(`SELECT * FROM mission_messages WHERE mission_id = $1 ORDER BY created_at, role DESC`, [missionId]) as Promise<Record<string, unknown>[]>,
      this.db.query(`SELECT * FROM mission_plans WHERE mission_id = $1 ORDER BY created_at`, [missionId]) as Promise<Record<string, unknown>[]>,
      this.db.query(`${RUN_SELECT} WHERE r.workspace_id = $1 AND r.mission_id = $2 AND ${runsVisible} ORDER BY r.created_at`, runParams) as Promise<Record<string, unknown>[]>,
      this.copilotAccount(ctx),
    ]);
    const views = runs.map((r) => toRun(r) as RunView);
    const byId = new Map(views.map((r) => [r.id, r]));
    const hiddenAnswer = (msg: Record<string, unknown>) => msg.role === 'assistant' && msg.copilot_run_id !== null && !byId.has(String(msg.copilot_run_id));
    const hiddenPlans = new Set(allMessages.filter(hiddenAnswer).flatMap((msg) => (msg.plan_id ? [String(msg.plan_id)] : [])));
    const messages = allMessages.filter((msg) => !hiddenAnswer(msg));
    const plans = allPlans.filter((p) => !hiddenPlans.has(String(p.id)));
    const copilotShown = copilot.account && (copilot.account.usable || ctx.principal.permissions.has('vault:manage')) ? copilot.account : null;
    const cost = emptySplit();
    for (const r of views) if (r.costLabel) addToSplit(cost, r.costLabel as CostLabel, 1, r.costMicroUsd);

    const current = mission.current_run_id ? byId.get(String(mission.current_run_id)) : undefined;
    const currentPlan = current ? plans.find((p) => p.mission_run_id === current.id) : undefined;
    let currentRun: MissionDetailDto['currentRun'] = null;
    if (current && currentPlan) {
      const planSteps = currentPlan.steps as PlanStep[];
      const stepRuns = views.filter((r) => r.parentRunId === current.id);
      const stepCost = emptySplit();
      for (const r of stepRuns) if (r.costLabel) addToSplit(stepCost, r.costLabel as CostLabel, 1, r.costMicroUsd);
      currentRun = {
        run: runDto(current),
        steps: planSteps.flatMap((p) => {
          const r = stepRuns.find((s) => s.planStep === p.id);
          return r ? [{ stepId: p.id, dependsOn: p.dependsOn, run: runDto(r) }] : [];
        }),
        cost: stepCost,
      };
    }
    const planDtos = await Promise.all(plans.map((p) => this.planDto(ctx, p)));
    return {
      ...missionDto(mission),
      copilot: { accountId: copilotShown?.id ?? null, accountName: copilotShown?.name ?? null, model: copilot.model },
      messages: messages.map((msg): MissionMessageDto => {
        const run = msg.copilot_run_id ? byId.get(String(msg.copilot_run_id)) : undefined;
        return {
          id: String(msg.id),
          role: msg.role as 'user' | 'assistant',
          content: String(msg.content),
          copilotRun: run ? { id: run.id, status: run.status, statusReason: run.statusReason } : null,
          planId: (msg.plan_id as string | null) ?? null,
          createdAt: iso(msg.created_at as Date),
        };
      }),
      plans: planDtos,
      currentRun,
      cost,
    };
  }

  private async planDto(ctx: RequestContext, p: Record<string, unknown>): Promise<PlanDto> {
    const steps = p.steps as PlanStep[];
    return {
      id: String(p.id),
      title: String(p.title),
      failurePolicy: p.failure_policy as PlanDto['failurePolicy'],
      status: p.status as PlanDto['status'],
      errors: (p.errors as string[] | null) ?? null,
      steps,
      createdBy: String(p.created_by_type ?? 'copilot'),
      basedOnPlanId: (p.based_on_plan_id as string | null) ?? null,
      missionRunId: (p.mission_run_id as string | null) ?? null,
      estimate: p.status === 'proposed' ? await this.estimate(ctx, steps) : null,
      createdAt: iso(p.created_at as Date),
    };
  }

  /**
   * A proposed plan's worst case, per step and per budget, against each budget's headroom now: flagged before
   * approval when it may not fit. A step's prompt counts the outputs it inserts at their producers' max tokens.
   */
  private async estimate(ctx: RequestContext, steps: PlanStep[]): Promise<PlanEstimateDto> {
    const params: unknown[] = [ctx.workspaceId];
    const accountShown = accountVisibleSql('a', accountViewer(ctx.principal), positional(params));
    const operators: (OperatorRow & { account_kind: string | null; resolved_account: string | null; resolved_model: string | null; account_shown: boolean | null; calibration: number | null })[] = await this.db.query(
      `SELECT o.*, a.kind AS account_kind, a.id AS resolved_account, COALESCE(o.model, a.default_model, w.default_model) AS resolved_model, ${accountShown} AS account_shown,
              (SELECT c.high_ratio_permille FROM token_calibrations c WHERE c.account_id = a.id AND c.model = COALESCE(o.model, a.default_model, w.default_model)) AS calibration
         FROM operators o JOIN workspaces w ON w.id = o.workspace_id
         LEFT JOIN provider_accounts a ON a.workspace_id = o.workspace_id AND a.id = COALESCE(o.account_id, w.default_account_id)
        WHERE o.workspace_id = $1`,
      params,
    );
    const overrides = await this.priceOverrides(ctx.workspaceId);
    const opOf = (s: PlanStep) => operators.find((o) => o.id === s.operatorId);
    const stepEstimates = steps.map((s) => {
      const o = opOf(s);
      if (!o || !o.resolved_account || !o.resolved_model || !o.account_kind) return { stepId: s.id, accountId: o?.resolved_account ?? null, model: o?.resolved_model ?? null, worstCaseMicroUsd: null, operatorId: s.operatorId };
      const inserted = referencesIn(s.input).reduce((n, ref) => n + (opOf(steps.find((x) => x.id === ref) ?? s)?.max_output_tokens ?? 0), 0);
      const request = promptRequestOf({ kind: 'operator', instructions: o.instructions, input: s.input, outputSchema: o.output_schema });
      const promptTokens = estimateRequestPromptTokens(o.account_kind, o.resolved_model, request).tokens + inserted;
      const quote = quoteRun({
        kind: o.account_kind,
        model: o.resolved_model,
        overrides: overridesOf(overrides),
        promptTokens,
        maxOutputTokens: o.max_output_tokens,
        calibration: o.calibration,
      });
      return { stepId: s.id, accountId: o.resolved_account, model: o.resolved_model, worstCaseMicroUsd: quote.worstCaseMicroUsd, operatorId: s.operatorId };
    });
    const sum = (xs: typeof stepEstimates) => (xs.some((x) => x.worstCaseMicroUsd === null) ? null : xs.reduce((n, x) => n + x.worstCaseMicroUsd!, 0));
    const tokenId = ctx.principal.kind === 'token' ? ctx.principal.tokenId : null;
    const budgets: { id: string; name: string; scope_type: string; scope_id: string | null; cap: string; spent: string; held: string }[] = await this.db.query(
      `SELECT b.id, b.name, b.scope_type, b.scope_id, b.cap_micro_usd AS cap, COALESCE(bb.spent_micro_usd, 0) AS spent, COALESCE(bb.held_micro_usd, 0) AS held
         FROM budgets b LEFT JOIN budget_balances bb ON bb.budget_id = b.id AND bb.period_start = vaultrun_period_start(b.period, now())
        WHERE b.workspace_id = $1 ORDER BY b.name`,
      [ctx.workspaceId],
    );
    const checks = budgets.flatMap((b) => {
      const covered = stepEstimates.filter(
        (s) => b.scope_type === 'workspace' || (b.scope_type === 'account' && b.scope_id === s.accountId) || (b.scope_type === 'operator' && b.scope_id === s.operatorId) || (b.scope_type === 'token' && b.scope_id === tokenId),
      );
      if (!covered.length) return [];
      const headroom = Math.max(0, Number(b.cap) - Number(b.spent) - Number(b.held));
      const worst = sum(covered);
      return [{ budgetId: b.id, name: b.name, capMicroUsd: Number(b.cap), headroomMicroUsd: headroom, planWorstCaseMicroUsd: worst, exceeded: worst === null || worst > headroom }];
    });
    // An account the caller may not see is not named (the step's worst case still counts against the budgets).
    const shown = (accountId: string | null) => (accountId && operators.some((o) => o.resolved_account === accountId && o.account_shown) ? accountId : null);
    return { worstCaseMicroUsd: sum(stepEstimates), steps: stepEstimates.map(({ operatorId: _o, ...s }) => ({ ...s, accountId: shown(s.accountId) })), budgets: checks };
  }
}

/** A user's message as POST …/messages answers it: the message and the copilot run that answers it. */
function sentMessageDto(message: Record<string, unknown>, run: RunDto): SentMessageDto {
  return {
    message: { id: String(message.id), role: 'user', content: String(message.content), copilotRun: { id: run.id, status: run.status, statusReason: run.statusReason }, planId: null, createdAt: iso(message.created_at as Date) },
    run,
  };
}

function missionDto(r: Record<string, unknown>): MissionDto {
  return {
    id: String(r.id),
    title: String(r.title),
    goal: String(r.goal),
    status: r.status as MissionDto['status'],
    currentRunId: (r.current_run_id as string | null) ?? null,
    createdAt: iso(r.created_at as Date),
    updatedAt: iso(r.updated_at as Date),
  };
}

