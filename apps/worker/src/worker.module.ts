import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from '@vaultrun/db';
import { assertJobHandlers, DEFAULT_JOB_OPTIONS, type JobName, QUEUES, redisOptions, RUN_JOB_OPTIONS } from '@vaultrun/engine';
import { Envelope, KeyFingerprints, prepareVault, REDACT_PATHS } from '@vaultrun/vault-core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { DataSource } from 'typeorm';
import { type Clock, CLOCK, WORKER_CONFIG, type WorkerConfig } from './config.js';
import { HANDLED_JOBS } from './job-handlers.js';
import { MaintenanceProcessor } from './processors/maintenance.processor.js';
import { MissionsProcessor } from './processors/missions.processor.js';
import { NotificationsProcessor } from './processors/notifications.processor.js';
import { RunsProcessor, runsProcessorFor } from './processors/runs.processor.js';
import { VaultProcessor } from './processors/vault.processor.js';
import { RecurringJobs } from './recurring-jobs.js';
import { QueueDepthMetrics } from './queue-depth.js';
import { QueueErrorLogging } from './queue-errors.js';
import { RUNS_PROVIDERS, RunsLifecycle } from './runs.providers.js';
import { WorkerMetrics } from './metrics.js';
import { ENVELOPE, KEY_FINGERPRINTS, VAULT_PROVIDERS } from './vault.providers.js';

/** Refuses to start when a job name has zero or several handlers (Immich's boot check). */
@Injectable()
export class JobContractCheck implements OnApplicationBootstrap {
  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    const handled: JobName[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const names = wrapper.metatype ? (Reflect.getMetadata(HANDLED_JOBS, wrapper.metatype) as JobName[] | undefined) : undefined;
      if (names) handled.push(...names);
    }
    assertJobHandlers(handled);
  }
}

/**
 * Fail closed: no job runs until the master key ring matches what the database was written with. Then secrets
 * stored by older versions are upgraded (v1 → endpoint-bound v2, HMAC fingerprints, wrapped webhook secrets).
 */
@Injectable()
export class MasterKeyBootCheck implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(ENVELOPE) private readonly envelope: Envelope,
    @Inject(KEY_FINGERPRINTS) private readonly fingerprints: KeyFingerprints,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await prepareVault(this.db, this.envelope, this.config.keyRing, this.fingerprints);
  }
}

@Module({})
export class WorkerModule {
  /**
   * `logDestination` lets tests read what the worker logs (production logs go to stdout); `clock` lets them pin the
   * date that day-based jobs (cost sync) consider "today".
   */
  static forRoot(config: WorkerConfig, logDestination?: DestinationStream, clock: Clock = () => new Date()): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        DiscoveryModule,
        LoggerModule.forRoot({
          pinoHttp: [
            { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[Redacted]' }, customProps: () => ({ service: 'worker' }) },
            logDestination ?? process.stdout,
          ],
        }),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions({ url: config.databaseUrl, poolSize: config.databasePoolSize, poolMode: config.databasePoolMode, applicationName: 'vaultrun-worker' }),
            retryAttempts: 5,
            retryDelay: 1000,
          }),
        }),
        BullModule.forRoot({ connection: redisOptions(config.redis, 'vaultrun-worker', { maxRetriesPerRequest: null }), prefix: config.bullPrefix }),
        BullModule.registerQueue(
          { name: QUEUES.maintenance, defaultJobOptions: DEFAULT_JOB_OPTIONS },
          { name: QUEUES.vault, defaultJobOptions: DEFAULT_JOB_OPTIONS },
          { name: QUEUES.runs, defaultJobOptions: RUN_JOB_OPTIONS },
          { name: QUEUES.notifications, defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, attempts: 8, backoff: { type: 'exponential', delay: 5000, jitter: 0.5 } } },
          { name: QUEUES.missions, defaultJobOptions: DEFAULT_JOB_OPTIONS },
        ),
      ],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
        ...RUNS_PROVIDERS,
        WorkerMetrics,
        QueueDepthMetrics,
        QueueErrorLogging,
        RunsLifecycle,
        { provide: RunsProcessor, useClass: runsProcessorFor(config) },
        ...VAULT_PROVIDERS,
        MasterKeyBootCheck,
        JobContractCheck,
        RecurringJobs,
        MaintenanceProcessor,
        VaultProcessor,
        NotificationsProcessor,
        MissionsProcessor,
      ],
    };
  }
}
