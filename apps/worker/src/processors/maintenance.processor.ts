import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CostSync, type CostSyncAccountResult } from '@vaultrun/money';
import { type JobName, type JobPayloads, QUEUES } from '@vaultrun/engine';
import { purgeExpiredSessions, SecretStore } from '@vaultrun/vault-core';
import type { Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { type Clock, CLOCK, WORKER_CONFIG, type WorkerConfig } from '../config.js';
import { HandlesJobs } from '../job-handlers.js';
import { LoggedWorkerHost } from '../queue-errors.js';
import { WorkerMetrics } from '../metrics.js';
import { SECRET_STORE } from '../vault.providers.js';

/** What a cost-sync job returns (kept in Redis for a while): counts and figures, never a key or a message. */
export interface CostSyncJobResult {
  accounts: number;
  failed: number;
  matched: number;
  drift: number;
  notPublished: number;
}

@Processor(QUEUES.maintenance, { concurrency: 1 })
@HandlesJobs('purge-expired-sessions', 'cost-sync')
export class MaintenanceProcessor extends LoggedWorkerHost {
  private readonly costSync: CostSync;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SECRET_STORE) secrets: SecretStore,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    private readonly metrics: WorkerMetrics,
    private readonly logger: PinoLogger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
    this.logger.setContext(MaintenanceProcessor.name);
    this.costSync = new CostSync(db, secrets, undefined, config.providerOutbound);
  }

  async process(job: Job<JobPayloads[JobName], unknown, JobName>): Promise<unknown> {
    switch (job.name) {
      case 'purge-expired-sessions': {
        const result = await purgeExpiredSessions(this.db);
        this.logger.info({ jobId: job.id, requestId: job.data.requestId, ...result }, 'purged expired sessions and invites');
        return result;
      }
      case 'cost-sync':
        return this.syncCosts(job as Job<JobPayloads['cost-sync']>);
      default:
        throw new Error(`maintenance queue received unknown job "${String(job.name)}"`);
    }
  }

  /**
   * Every OpenAI or Anthropic account with an admin key (or the one asked for), one after the other. A refused admin key or a
   * provider outage is logged with the account id and the mapped code only, and the job moves on to the next one.
   */
  private async syncCosts(job: Job<JobPayloads['cost-sync']>): Promise<CostSyncJobResult> {
    const accounts = await this.costSync.accountsToSync(job.data.accountId);
    const total: CostSyncJobResult = { accounts: accounts.length, failed: 0, matched: 0, drift: 0, notPublished: 0 };
    for (const account of accounts) {
      let result: CostSyncAccountResult;
      try {
        result = await this.costSync.syncAccount(account, this.clock());
      } catch (err) {
        // Postgres trouble while recording: the next run picks the days up again. Only the error's name is logged.
        total.failed++;
        this.metrics.costSyncFailed('internal');
        this.logger.error({ jobId: job.id, accountId: account.id, error: err instanceof Error ? err.name : 'unknown' }, 'cost sync could not record an account');
        continue;
      }
      if (!result.ok) {
        total.failed++;
        this.metrics.costSyncFailed(result.code);
        this.logger.warn({ jobId: job.id, accountId: account.id, code: result.code }, 'cost sync could not read provider costs');
        continue;
      }
      for (const day of result.days) {
        total[day.status]++;
        this.metrics.costSyncChecked(day.status);
        if (day.status === 'drift') {
          this.logger.warn(
            { jobId: job.id, accountId: account.id, day: day.day, providerMicroUsd: day.providerMicroUsd, vaultrunMicroUsd: day.vaultrunMicroUsd, driftMicroUsd: day.driftMicroUsd },
            day.driftMicroUsd > 0 ? 'provider billed more than Vaultrun recorded (key used outside Vaultrun, or prices differ)' : 'provider billed less than Vaultrun recorded',
          );
        }
      }
      total.notPublished += result.notPublished.length;
      this.metrics.costSyncChecked('not_published', result.notPublished.length);
    }
    this.logger.info({ jobId: job.id, requestId: job.data.requestId, ...total }, 'provider cost sync done');
    return total;
  }
}
