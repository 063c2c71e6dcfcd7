import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { QUEUES } from '@vaultrun/engine';
import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { WorkerMetrics } from './metrics.js';

/** Queue depth by state, read from BullMQ when Prometheus scrapes. */
@Injectable()
export class QueueDepthMetrics implements OnApplicationBootstrap {
  constructor(
    private readonly metrics: WorkerMetrics,
    @InjectQueue(QUEUES.runs) private readonly runs: Queue,
    @InjectQueue(QUEUES.maintenance) private readonly maintenance: Queue,
    @InjectQueue(QUEUES.vault) private readonly vault: Queue,
    @InjectQueue(QUEUES.notifications) private readonly notifications: Queue,
    @InjectQueue(QUEUES.missions) private readonly missions: Queue,
  ) {}

  onApplicationBootstrap(): void {
    const queues = [this.runs, this.maintenance, this.vault, this.notifications, this.missions];
    new Gauge({
      name: 'vaultrun_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.metrics.registry],
      async collect() {
        for (const q of queues) {
          const counts = await q.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed');
          for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
        }
      },
    });
  }
}
