import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AccountVerifier, accountsDueForReverify, type JobName, type JobPayloads, QUEUES, recordAudit, SYSTEM_ACTOR } from '@vaultrun/vault-core';
import type { Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { WORKER_CONFIG, type WorkerConfig } from '../config.js';
import { HandlesJobs } from '../job-handlers.js';
import { LoggedWorkerHost } from '../queue-errors.js';
import { ACCOUNT_VERIFIER } from '../vault.providers.js';

@Processor(QUEUES.vault, { concurrency: 1 })
@HandlesJobs('reverify-provider-accounts')
export class VaultProcessor extends LoggedWorkerHost {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(ACCOUNT_VERIFIER) private readonly verifier: AccountVerifier,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly logger: PinoLogger,
  ) {
    super();
    this.logger.setContext(VaultProcessor.name);
  }

  async process(job: Job<JobPayloads[JobName], unknown, JobName>): Promise<unknown> {
    if (job.name !== 'reverify-provider-accounts') throw new Error(`vault queue received unknown job "${String(job.name)}"`);
    // Re-check accounts not checked within most of the interval, so a manual verify counts too.
    const due = await accountsDueForReverify(this.db, this.config.reverifyEveryMs * 0.9);
    let failed = 0;
    for (const account of due) {
      const outcome = await this.verifier.verify(account);
      if (!outcome.ok) failed++;
      await recordAudit(this.db.manager, {
        workspaceId: account.workspaceId,
        actor: SYSTEM_ACTOR('scheduled re-verification'),
        action: 'vault.account.verify',
        outcome: outcome.ok ? 'success' : 'failure',
        targetType: 'provider_account',
        targetId: account.id,
        metadata: { name: account.name, status: outcome.status, code: outcome.error?.code ?? null, models: outcome.models.length },
      });
    }
    this.logger.info({ jobId: job.id, checked: due.length, failed }, 're-verified provider accounts');
    return { checked: due.length, failed };
  }
}
