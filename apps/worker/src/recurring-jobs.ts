import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { QUEUES } from '@vaultrun/engine';
import type { Queue } from 'bullmq';
import { WORKER_CONFIG, type WorkerConfig } from './config.js';

/** Keeps the recurring jobs scheduled (idempotent upserts at every boot). */
@Injectable()
export class RecurringJobs implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QUEUES.maintenance) private readonly maintenance: Queue,
    @InjectQueue(QUEUES.vault) private readonly vault: Queue,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.ensure();
  }

  /** Also called by the reconciler: after Redis lost its data, the schedules come back within one tick. */
  async ensure(): Promise<void> {
    if (!(await this.maintenance.getJobScheduler('purge-expired-sessions'))) {
      await this.maintenance.upsertJobScheduler('purge-expired-sessions', { every: this.config.sessionPurgeEveryMs }, { name: 'purge-expired-sessions', data: {} });
    }
    if (!(await this.vault.getJobScheduler('reverify-provider-accounts'))) {
      await this.vault.upsertJobScheduler('reverify-provider-accounts', { every: this.config.reverifyEveryMs }, { name: 'reverify-provider-accounts', data: {} });
    }
    // Re-upserted when the configured interval changed, so a new VAULTRUN_COST_SYNC_EVERY_MINUTES takes effect.
    const costSync = await this.maintenance.getJobScheduler('cost-sync');
    if (!costSync || Number(costSync.every) !== this.config.costSyncEveryMs) {
      await this.maintenance.upsertJobScheduler('cost-sync', { every: this.config.costSyncEveryMs }, { name: 'cost-sync', data: {} });
    }
  }
}
