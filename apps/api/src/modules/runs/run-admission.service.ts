import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { preparedQuery, type Run } from '@vaultrun/db';
import { estimateRequestPromptTokens } from '@vaultrun/providers';
import { promptRequestOf, RUN_JOB_OPTIONS, RunBus, type RunRow, runFromRow } from '@vaultrun/engine';
import { DomainError, Forbidden, ValidationFailed, WorkspaceSuspended } from '@vaultrun/vault-core';
import { costCapRefusal, overridesOf, precheckBudgets, type PriceOverrideRow, quoteRun, refusalError } from '@vaultrun/money';
import type { Queue } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { within } from '../../common/bounded.js';
import { assertSameRequest, requestHashOf } from '../../common/idempotency.js';
import { microUsd } from '../../common/money.js';
import { principalKey, type RequestContext } from '../auth/principal.js';
import { assertBillingAllows, assertRunnable } from '../vault/provider-accounts.service.js';
import { accountVisibleSql, listedViewer, positional } from '../vault/visibility.js';
import { RUN_SELECT, runViewFromRow, type RunViewRow, toDto } from './run-view.js';
import type { CreateRunDto, RunDto } from './runs.dto.js';
import { RUN_BUS, RUNS_QUEUE } from './runs.tokens.js';

/** The admission statement's row: the operator, the workspace's defaults, the account to use and the caller's right to it. */
interface Resolution {
  workspace_suspended: boolean;
  suspended_reason: string | null;
  operator_name: string;
  instructions: string;
  temperature: number | null;
  max_output_tokens: number;
  output_schema: Record<string, unknown> | null;
  operator_model: string | null;
  workspace_model: string | null;
  account_id: string | null;
  account_name: string;
  account_status: string;
  account_model: string | null;
  account_usable: boolean;
  account_named: boolean;
  account_kind: string;
  account_base_url: string | null;
  /** A managed connector's price multiplier (docs/managed.md); null for the workspace's own accounts. */
  price_multiplier_permille: number | null;
  cost_cap_micro_usd: string | null;
  /** The workspace's price overrides, only fetched when a budget exists or the operator has a cost cap. */
  price_overrides: PriceOverrideRow[] | null;
  /** The account's calibrated prompt ratio for the model (token_calibrations), fetched with the overrides. */
  calibration: number | null;
  has_budgets: boolean;
}

/**
 * Starting a run (POST /runs, and each side of a comparison): admission checks, the money pre-check, the row and
 * its first event, then the job. Idempotent per workspace key.
 */
@Injectable()
export class RunAdmissionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RUNS_QUEUE) private readonly queue: Queue,
    @Inject(RUN_BUS) private readonly bus: RunBus,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(RunAdmissionService.name);
  }

  /**
   * Accepts a run: resolves the account and model (run override > operator > workspace default), checks the
   * caller may use that account, stores the run (Postgres is the source of truth), then enqueues its job
   * (id = run id, payload = ids only). If Redis is down the run is still accepted (202, within the enqueue
   * timeout); the reconciler enqueues it once Redis is back.
   */
  async create(
    ctx: RequestContext,
    input: CreateRunDto,
    idempotencyKey: string | undefined,
    kind: 'operator' | 'comparison' = 'operator',
  ): Promise<{ run: RunDto; replayed: boolean }> {
    const requestHash = requestHashOf([input.operatorId, input.input, input.accountId ?? null, input.model ?? null]);
    if (idempotencyKey) {
      const existing = await this.findByIdempotencyKey(ctx.workspaceId, idempotencyKey, requestHash);
      if (existing) return { run: existing, replayed: true };
    }
    if (!ctx.principal.permissions.has('vault:use')) throw new Forbidden('Starting a run needs the vault:use permission.', 'forbidden', { permission: 'vault:use' });

    // Operator, workspace defaults and the account to use (run override > operator > workspace default), and
    // whether the caller may use that account — one prepared statement on this hot path.
    const [principalType, principalId] = principalKey(ctx.principal);
    const params: unknown[] = [ctx.workspaceId, input.operatorId, input.accountId ?? null];
    // The manager override is applied below, so the statement's text stays the same for every caller.
    const usable = accountVisibleSql('a', listedViewer(ctx.principal), positional(params));
    const modelParam = positional(params)(input.model ?? null);
    const { rows } = await preparedQuery<Resolution>(
      this.db,
      `SELECT (w.suspended_at IS NOT NULL) AS workspace_suspended, w.suspended_reason, o.name AS operator_name, o.instructions, o.temperature, o.max_output_tokens, o.output_schema, o.model AS operator_model, w.default_model AS workspace_model,
              a.id AS account_id, a.name AS account_name, a.status AS account_status, a.default_model AS account_model, a.kind AS account_kind,
              COALESCE(src.base_url, a.base_url) AS account_base_url,
              CASE WHEN src.id IS NOT NULL THEN COALESCE((SELECT s.price_multiplier_permille FROM instance_settings s), 1000) END AS price_multiplier_permille,
              ${usable} AS account_usable,
              (COALESCE($3::uuid, o.account_id, w.default_account_id) IS NOT NULL) AS account_named,
              o.cost_cap_micro_usd, b.has_budgets,
              CASE WHEN b.has_budgets OR o.cost_cap_micro_usd IS NOT NULL THEN
                (SELECT jsonb_agg(jsonb_build_object('model', po.model, 'inputMicroUsdPerM', po.input_micro_usd_per_m,
                        'cachedInputMicroUsdPerM', po.cached_input_micro_usd_per_m, 'outputMicroUsdPerM', po.output_micro_usd_per_m))
                   FROM price_overrides po WHERE po.workspace_id = COALESCE(src.workspace_id, o.workspace_id)) END AS price_overrides,
              CASE WHEN b.has_budgets OR o.cost_cap_micro_usd IS NOT NULL THEN
                (SELECT c.high_ratio_permille FROM token_calibrations c
                  WHERE c.account_id = a.id AND c.model = COALESCE(${modelParam}::text, o.model, a.default_model, w.default_model)) END AS calibration
         FROM operators o JOIN workspaces w ON w.id = o.workspace_id
         CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM budgets bu WHERE bu.workspace_id = o.workspace_id) AS has_budgets) b
         LEFT JOIN provider_accounts a ON a.workspace_id = o.workspace_id AND a.id = COALESCE($3::uuid, o.account_id, w.default_account_id)
         LEFT JOIN provider_accounts src ON src.id = a.managed_source_id
        WHERE o.id = $2 AND o.workspace_id = $1`,
      params,
    );
    const r = rows[0];
    if (!r) throw ValidationFailed.field('operatorId', 'is not an operator of this workspace');
    if (r.workspace_suspended) throw new WorkspaceSuspended(r.suspended_reason);
    if (!r.account_named) {
      throw new DomainError('no_account', 'unprocessable', 'No provider account to run on: choose one on the operator or set a workspace default account.');
    }
    if (!r.account_id || !(r.account_usable || ctx.principal.permissions.has('vault:manage'))) {
      throw ValidationFailed.field('accountId', 'is not a provider account of this workspace that you may use');
    }
    assertRunnable({ name: r.account_name, status: r.account_status });
    assertBillingAllows(ctx.principal, { name: r.account_name, managed: r.price_multiplier_permille !== null });
    const model = input.model ?? r.operator_model ?? r.account_model ?? r.workspace_model;
    if (!model) throw new DomainError('no_model', 'unprocessable', `No model to run: set one on the operator or a default model on "${r.account_name}".`);
    const operator = { id: input.operatorId, instructions: r.instructions, temperature: r.temperature, maxOutputTokens: r.max_output_tokens, outputSchema: r.output_schema };
    const account = { id: r.account_id, name: r.account_name };
    const costCap = microUsd(r.cost_cap_micro_usd);
    const tokenId = ctx.principal.kind === 'token' ? ctx.principal.tokenId : null;
    const estimate = await this.precheckMoney(ctx.workspaceId, r, { operatorId: operator.id, accountId: account.id, tokenId, model, input: input.input, costCap });

    const { rows: inserted } = await preparedQuery<RunRow>(
      this.db,
      `WITH ins AS (
         INSERT INTO runs (workspace_id, kind, operator_id, started_by_type, started_by_id, account_id, model, instructions, input, temperature,
                           max_output_tokens, output_schema, status, max_attempts, idempotency_key, request_hash, request_id, queued_at,
                           cost_cap_micro_usd, estimate_micro_usd)
         VALUES ($1, $19, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, 'queued', $12, $13, $14, $15, now(), $17, $18)
         ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING *),
       ev AS (INSERT INTO run_events (run_id, workspace_id, type, message, data) SELECT id, workspace_id, 'queued', $16, '{}'::jsonb FROM ins)
       SELECT * FROM ins`,
      [
        ctx.workspaceId,
        operator.id,
        principalType,
        principalId,
        account.id,
        model,
        operator.instructions,
        input.input,
        operator.temperature,
        operator.maxOutputTokens,
        operator.outputSchema ? JSON.stringify(operator.outputSchema) : null,
        this.config.runMaxAttempts,
        idempotencyKey ?? null,
        requestHash,
        ctx.requestId,
        `Queued on ${account.name} (${model})`,
        costCap,
        estimate,
        kind,
      ],
    );
    if (!inserted[0]) {
      // Lost a race with the same idempotency key: answer with the run that won.
      const existing = await this.findByIdempotencyKey(ctx.workspaceId, idempotencyKey!, requestHash);
      if (!existing) throw new Error('idempotent insert conflicted but no run was found');
      return { run: existing, replayed: true };
    }
    const run = runFromRow(inserted[0]);
    await this.announceAndEnqueue(run, ctx.requestId);
    const startedByLabel = ctx.principal.kind === 'user' ? ctx.principal.email : ctx.principal.tokenName;
    return { run: toDto({ ...run, operatorName: r.operator_name, startedByLabel, accountName: account.name }), replayed: false };
  }

  /**
   * The run is accepted (it is in Postgres): tells the consoles, then adds its job. Both wait for Redis within one
   * deadline (VAULTRUN_ENQUEUE_TIMEOUT_MS), so a Redis outage delays the answer by at most that; a run left without
   * a job is enqueued by the reconciler once Redis answers again (the job id is the run id: never twice).
   */
  private async announceAndEnqueue(run: Run, requestId: string): Promise<void> {
    const deadline = Date.now() + this.config.enqueueTimeoutMs;
    // Announce first: a fast worker's "running" must never reach a console before "queued".
    const announced = await within(
      this.config.enqueueTimeoutMs,
      this.bus.changed({ id: run.id, workspaceId: run.workspaceId, status: 'queued', kind: run.kind, operatorId: run.operatorId, accountId: run.accountId }),
    );
    // Redis did not even take the announcement: adding the job would only wait out the deadline too.
    const added = announced.outcome === 'timed_out' ? announced : await within(deadline - Date.now(), this.queue.add('execute-run', { runId: run.id, requestId }, { ...RUN_JOB_OPTIONS, jobId: run.id }));
    if (added.outcome !== 'done') {
      this.logger.warn({ runId: run.id, outcome: added.outcome, err: added.outcome === 'failed' ? added.error : undefined }, 'run accepted without its job (Redis unavailable); the reconciler will enqueue it');
    }
  }

  /**
   * Refuses at once what the worker would block: the operator's per-run cost cap, then every budget that applies
   * (settled spend + this run's worst case over the cap; an unpriced model under a budget). Returns the worst case
   * (null when nothing needed a quote). The worker's atomic reservation remains what guarantees the caps.
   */
  private async precheckMoney(
    workspaceId: string,
    r: Resolution,
    run: { operatorId: string; accountId: string; tokenId: string | null; model: string; input: string; costCap: number | null },
  ): Promise<number | null> {
    if (!r.has_budgets && run.costCap === null) return null;
    // The same quote as the worker's: everything the request will send, the account's calibrated factor.
    const request = promptRequestOf({ kind: 'operator', instructions: r.instructions, input: run.input, outputSchema: r.output_schema });
    const quote = quoteRun({
      kind: r.account_kind,
      baseUrl: r.account_base_url,
      model: run.model,
      overrides: overridesOf(r.price_overrides),
      promptTokens: estimateRequestPromptTokens(r.account_kind, run.model, request).tokens,
      maxOutputTokens: r.max_output_tokens,
      calibration: r.calibration,
      multiplierPermille: r.price_multiplier_permille,
    });
    const capRefusal = costCapRefusal(run.costCap, quote.worstCaseMicroUsd, run.model);
    if (capRefusal) throw refusalError(capRefusal);
    if (r.has_budgets) {
      const refusal = await precheckBudgets(this.db, { workspaceId, accountId: run.accountId, operatorId: run.operatorId, tokenId: run.tokenId }, quote, run.model);
      if (refusal) throw refusalError(refusal);
    }
    return quote.worstCaseMicroUsd;
  }

  private async findByIdempotencyKey(workspaceId: string, key: string, requestHash: string): Promise<RunDto | null> {
    const rows: RunViewRow[] = await this.db.query(`${RUN_SELECT} WHERE r.workspace_id = $1 AND r.idempotency_key = $2`, [workspaceId, key]);
    if (!rows[0]) return null;
    const run = runViewFromRow(rows[0]);
    assertSameRequest(run.requestHash, requestHash, 'run', { runId: run.id });
    return toDto(run);
  }
}
