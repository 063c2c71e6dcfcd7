import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ProviderAccount } from '@vaultrun/db';
import { accountsDueForReverify, AccountVerifier, recordAudit, SYSTEM_ACTOR, VERIFY_ERRORS, type VerifyOutcome } from '@vaultrun/vault-core';
import { type JobName, type JobPayloads, QUEUES } from '@vaultrun/engine';
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
    // One account must never stop the others from being checked: each is verified, marked and audited on its own.
    for (const account of due) {
      const outcome = await this.reverify(account);
      if (!outcome.ok) failed++;
      try {
        await recordAudit(this.db.manager, {
          workspaceId: account.workspaceId,
          actor: SYSTEM_ACTOR('scheduled re-verification'),
          action: 'vault.account.verify',
          outcome: outcome.ok ? 'success' : 'failure',
          targetType: 'provider_account',
          targetId: account.id,
          metadata: { name: account.name, status: outcome.status, code: outcome.error?.code ?? null, models: outcome.models.length },
        });
      } catch (err) {
        // The account row already says how the check went; the next accounts are still checked.
        this.logger.error({ err, jobId: job.id, accountId: account.id }, 'could not audit a scheduled verification');
      }
    }
    this.logger.info({ jobId: job.id, checked: due.length, failed }, 're-verified provider accounts');
    return { checked: due.length, failed };
  }

  /**
   * Verifies one account. The verifier reports provider refusals and unreadable keys as outcomes; anything it throws
   * (a bug, the database failing for this row) marks the account `verify_failed`, so people see the check failed.
   */
  private async reverify(account: ProviderAccount): Promise<VerifyOutcome> {
    try {
      return await this.verifier.verify(account);
    } catch (err) {
      this.logger.error({ err, accountId: account.id, workspaceId: account.workspaceId }, 'scheduled verification of a provider account failed unexpectedly');
      try {
        await this.db.getRepository(ProviderAccount).update({ id: account.id }, { lastCheckedAt: new Date(), lastErrorCode: 'verify_failed' });
      } catch (markErr) {
        // Not even marked: it stays due, so the next run of this job checks it again.
        this.logger.error({ err: markErr, accountId: account.id }, 'could not mark a provider account whose verification failed');
      }
      return { ok: false, status: account.status, error: { code: 'verify_failed', message: VERIFY_ERRORS.verify_failed }, models: account.models };
    }
  }
}
