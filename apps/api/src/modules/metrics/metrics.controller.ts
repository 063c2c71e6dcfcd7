import { Controller, Get, Header, Inject, type OnModuleInit } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/decorators.js';
import { RUNS_QUEUE } from '../runs/runs.tokens.js';

/**
 * Prometheus metrics of the API: runs by status (all workspaces), the runs queue's depth by state, and the
 * process. Values are read when scraped. Nothing here carries a secret, an input or a workspace name.
 */
@ApiTags('health')
@Controller()
export class MetricsController implements OnModuleInit {
  private readonly registry = new Registry();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(RUNS_QUEUE) private readonly queue: Queue,
  ) {}

  onModuleInit(): void {
    const { db, queue } = this;
    collectDefaultMetrics({ register: this.registry, prefix: 'vaultrun_api_' });
    new Gauge({
      name: 'vaultrun_runs',
      help: 'Runs by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const rows: { status: string; n: number }[] = await db.query(`SELECT status, count(*)::int AS n FROM runs GROUP BY status`);
        this.reset();
        for (const r of rows) this.set({ status: r.status }, r.n);
      },
    });
    new Gauge({
      name: 'vaultrun_queue_jobs',
      help: 'Jobs of the runs queue by state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
      },
    });
  }

  @Get('metrics')
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ operationId: 'metrics', summary: 'Prometheus metrics' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format' })
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
