import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Run } from '@vaultrun/db';
import { COPILOT_REPLY_SCHEMA, estimateRequestPromptTokens } from '@vaultrun/providers';
import { boundHistory, COPILOT_MAX_OUTPUT_TOKENS, copilotInstructions, promptRequestOf } from '@vaultrun/engine';
import { DomainError, Forbidden } from '@vaultrun/vault-core';
import { overridesOf, precheckBudgets, quoteRun, refusalError } from '@vaultrun/money';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { assertSameRequest, isUniqueViolation, requestHashOf } from '../../common/idempotency.js';
import { assertWorkspaceActive } from '../../common/suspension.js';
import { principalKey, type RequestContext } from '../auth/principal.js';
import { toDto as runDto } from '../runs/run-view.js';
import { assertRunnable } from '../vault/provider-accounts.service.js';
import { listedViewer } from '../vault/visibility.js';
import { insertCopilotRun, runView } from './mission-runs.store.js';
import { calibrationOf, copilotSetting, priceOverrides, workspaceOperators } from './mission-workspace.store.js';
import { conversationTurns, findMission, insertMission, insertUserMessage, messageWithKey, touchMission } from './missions.store.js';
import type { CreateMissionDto, MissionDto, SentMessageDto } from './missions.dto.js';
import { missionDto, sentMessageDto } from './missions.mapper.js';
import { MissionJobsService } from './mission-jobs.service.js';

/** The conversation: missions are started, and each user message is answered by a copilot run (a queued job like any run). */
@Injectable()
export class MissionChatService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: MissionJobsService,
  ) {}

  async create(ctx: RequestContext, input: CreateMissionDto): Promise<MissionDto> {
    await assertWorkspaceActive(this.db, ctx.workspaceId);
    const [createdByType, createdById] = principalKey(ctx.principal);
    const mission = await insertMission(this.db, { workspaceId: ctx.workspaceId, title: input.title.trim(), goal: (input.goal ?? '').trim(), createdByType, createdById });
    return missionDto(mission);
  }

  /**
   * A user message: stored, and answered by a copilot run. Both are in Postgres before the answer; the job is added
   * within the enqueue bound (VAULTRUN_ENQUEUE_TIMEOUT_MS), so a Redis outage never holds the request — the
   * reconciler enqueues the run once Redis is back.
   */
  async sendMessage(ctx: RequestContext, missionId: string, content: string, idempotencyKey?: string): Promise<{ sent: SentMessageDto; replayed: boolean }> {
    await assertWorkspaceActive(this.db, ctx.workspaceId);
    const requestHash = requestHashOf([content]);
    if (!ctx.principal.permissions.has('vault:use')) throw new Forbidden('Talking to the Copilot needs the vault:use permission.', 'forbidden', { permission: 'vault:use' });
    const mission = await findMission(this.db, ctx.workspaceId, missionId);
    if (idempotencyKey) {
      const replay = await this.sentWithKey(ctx, missionId, idempotencyKey, requestHash);
      if (replay) return { sent: replay, replayed: true };
    }
    const { account, model } = await copilotSetting(this.db, ctx.workspaceId, listedViewer(ctx.principal));
    if (!account) throw new DomainError('no_account', 'unprocessable', 'No provider account for the Copilot: set the workspace default account (or a copilot account) first.');
    if (!(account.usable || ctx.principal.permissions.has('vault:manage'))) throw new Forbidden(`You may not use the provider account "${account.name}" that the Copilot runs on.`);
    assertRunnable(account, 'The Copilot');
    if (!model) throw new DomainError('no_model', 'unprocessable', `No model for the Copilot: set a copilot model or a default model on "${account.name}".`);

    const operators = await workspaceOperators(this.db, ctx.workspaceId);
    const { kept, dropped } = boundHistory(await conversationTurns(this.db, missionId));
    const instructions = copilotInstructions(
      { title: mission.title, goal: mission.goal },
      operators.map((o) => ({ name: o.name, description: o.description, output: o.outputFormat === 'json_schema' ? 'json' : 'text' })),
      dropped,
    );
    const request = promptRequestOf({ kind: 'copilot', instructions, input: content, history: kept, outputSchema: COPILOT_REPLY_SCHEMA });
    const estimate = await this.precheck(ctx, { accountId: account.id, kind: account.kind, baseUrl: account.baseUrl, model, request, maxOutputTokens: COPILOT_MAX_OUTPUT_TOKENS });
    const startedBy = principalKey(ctx.principal);
    let created: { run: Run; message: Awaited<ReturnType<typeof insertUserMessage>> };
    try {
      created = await this.db.transaction(async (m) => {
        const run = await insertCopilotRun(m, ctx, {
          missionId,
          startedBy,
          account,
          model,
          instructions,
          input: content,
          history: kept,
          maxOutputTokens: COPILOT_MAX_OUTPUT_TOKENS,
          outputSchema: COPILOT_REPLY_SCHEMA,
          maxAttempts: this.config.runMaxAttempts,
          estimateMicroUsd: estimate,
        });
        const message = await insertUserMessage(m, {
          workspaceId: ctx.workspaceId,
          missionId,
          content,
          authorType: startedBy[0],
          authorId: startedBy[1],
          copilotRunId: run.id,
          idempotencyKey: idempotencyKey ?? null,
          requestHash: idempotencyKey ? requestHash : null,
        });
        await touchMission(m, missionId);
        return { run, message };
      });
    } catch (err) {
      // Lost a race with the same key (the whole transaction rolled back): answer with the message that won.
      const winner = idempotencyKey && isUniqueViolation(err, 'mission_messages_idempotency_key') ? await this.sentWithKey(ctx, missionId, idempotencyKey, requestHash) : null;
      if (!winner) throw err;
      return { sent: winner, replayed: true };
    }
    const { run, message } = created;
    await this.jobs.copilotQueued(run, ctx.requestId);
    return { sent: sentMessageDto(message, runDto({ ...run, operatorName: null, startedByLabel: null })), replayed: false };
  }

  /** The message sent earlier with this key, with its copilot run as it is now; a 409 when the key came with another message. */
  private async sentWithKey(ctx: RequestContext, missionId: string, key: string, requestHash: string): Promise<SentMessageDto | null> {
    const message = await messageWithKey(this.db, missionId, key);
    if (!message) return null;
    assertSameRequest(message.requestHash, requestHash, 'message', { messageId: message.id });
    const run = message.copilotRunId ? await runView(this.db, ctx.workspaceId, message.copilotRunId) : null;
    // A user message and its copilot run are written in one transaction, and runs are never deleted alone.
    if (!run) throw new Error(`message ${message.id} has no copilot run`);
    return sentMessageDto(message, runDto(run));
  }

  /** Refuses at once what budgets would block (as POST /runs does, with the worker's quote); returns the worst case. */
  private async precheck(
    ctx: RequestContext,
    run: { accountId: string; kind: string; baseUrl: string | null; model: string; request: ReturnType<typeof promptRequestOf>; maxOutputTokens: number },
  ): Promise<number | null> {
    const quote = quoteRun({
      kind: run.kind,
      baseUrl: run.baseUrl,
      model: run.model,
      overrides: overridesOf(await priceOverrides(this.db, ctx.workspaceId)),
      promptTokens: estimateRequestPromptTokens(run.kind, run.model, run.request).tokens,
      maxOutputTokens: run.maxOutputTokens,
      calibration: await calibrationOf(this.db, run.accountId, run.model),
    });
    const tokenId = ctx.principal.kind === 'token' ? ctx.principal.tokenId : null;
    // A copilot run has no operator: workspace, account and token budgets apply.
    const refusal = await precheckBudgets(this.db, { workspaceId: ctx.workspaceId, accountId: run.accountId, operatorId: null, tokenId }, quote, run.model);
    if (refusal) throw refusalError(refusal);
    return quote.worstCaseMicroUsd;
  }
}
