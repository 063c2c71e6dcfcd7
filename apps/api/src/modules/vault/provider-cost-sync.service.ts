import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ProviderSecret } from '@vaultrun/db';
import { costSyncProviderName, isCostSyncKind } from '@vaultrun/providers';
import { Conflict, DomainError } from '@vaultrun/vault-core';
import { DEFAULT_JOB_OPTIONS } from '@vaultrun/engine';
import type { Queue } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { within } from '../../common/bounded.js';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import { costSyncDay, costSyncHistory, costSyncStatus } from './provider-account.mapper.js';
import type { CostSyncDaysDto, CostSyncRequestedDto } from './provider-accounts.dto.js';
import { ProviderAccountsService } from './provider-accounts.service.js';
import { MAINTENANCE_QUEUE } from './vault.tokens.js';

/** Days of cost sync history shown per account. */
const COST_SYNC_HISTORY_DAYS = 31;
/** How long POST …/cost-sync waits for Redis before answering 503. */
const ENQUEUE_TIMEOUT_MS = 5_000;

/** Provider cost sync of an OpenAI or Anthropic account (with an admin key): what it found per day, and a sync on demand. */
@Injectable()
export class ProviderCostSyncService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(MAINTENANCE_QUEUE) private readonly maintenance: Queue,
    private readonly accounts: ProviderAccountsService,
    private readonly audit: AuditService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(ProviderCostSyncService.name);
  }

  /** The account's cost sync summary and its last checked days, newest first. */
  async costSyncDays(ctx: RequestContext, accountId: string): Promise<CostSyncDaysDto> {
    const account = await this.accounts.findChangeable(ctx, accountId);
    if (!isCostSyncKind(account.kind)) return { costSync: null, items: [] };
    const rows = await costSyncHistory(this.db, ctx.workspaceId, accountId, COST_SYNC_HISTORY_DAYS);
    const enabled = await this.db.getRepository(ProviderSecret).exists({ where: { accountId, purpose: 'admin_key' } });
    return { costSync: costSyncStatus(account, enabled, rows[0]), items: rows.map(costSyncDay) };
  }

  /** Queues a cost sync of this account now (the schedule runs every VAULTRUN_COST_SYNC_EVERY_MINUTES anyway). */
  async requestCostSync(ctx: RequestContext, accountId: string): Promise<CostSyncRequestedDto> {
    const account = await this.accounts.findChangeable(ctx, accountId);
    if (!isCostSyncKind(account.kind)) {
      throw new DomainError(
        'cost_sync_unsupported',
        'invalid_input',
        "Cost sync reads a provider's cost report: only OpenAI (Costs API) and Anthropic (Admin API cost report) accounts have one. This account's costs stay Estimated by Vaultrun.",
      );
    }
    if (!(await this.db.getRepository(ProviderSecret).exists({ where: { accountId, purpose: 'admin_key' } }))) {
      const example = account.kind === 'anthropic' ? 'sk-ant-admin…' : 'sk-admin-…';
      throw new Conflict('cost_sync_not_configured', `This account has no admin key: add a ${costSyncProviderName(account.kind)} admin key (${example}) to enable cost sync.`);
    }
    // Ids only: the worker reads the admin key itself.
    const added = await within(ENQUEUE_TIMEOUT_MS, this.maintenance.add('cost-sync', { accountId, requestId: ctx.requestId }, DEFAULT_JOB_OPTIONS));
    if (added.outcome !== 'done') {
      this.logger.warn({ accountId, outcome: added.outcome, err: added.outcome === 'failed' ? added.error : undefined }, 'cost sync not queued (Redis unavailable)');
      throw new DomainError('queue_unavailable', 'unavailable', 'The job queue is unavailable; the scheduled cost sync will still run. Try again shortly.');
    }
    const jobId = added.value.id;
    await this.audit.record({
      workspaceId: ctx.workspaceId,
      actor: actorOf(ctx),
      action: 'vault.account.cost_sync_request',
      targetType: 'provider_account',
      targetId: accountId,
      metadata: { name: account.name, jobId: jobId ?? null },
    });
    return { jobId: jobId ?? '', accountId };
  }
}
