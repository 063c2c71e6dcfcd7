import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AccountLimiter, QUEUES, RunBus } from '@vaultrun/engine';
import type { Queue } from 'bullmq';
import { apiQueue } from '../../common/queues.js';
import type { Redis } from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import { REDIS } from '../../common/redis.js';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { OperatorsModule } from '../operators/operators.module.js';
import { RunStreamService } from './run-stream.service.js';
import { RunsController } from './runs.controller.js';
import { QueueHealthService } from './queue-health.service.js';
import { RunAdmissionService } from './run-admission.service.js';
import { RunCancellationService } from './run-cancellation.service.js';
import { RunsService } from './runs.service.js';
import { RUN_BUS, RUN_LIMITER, RUNS_QUEUE } from './runs.tokens.js';

@Module({
  imports: [OperatorsModule],
  controllers: [RunsController],
  providers: [
    RunAdmissionService,
    RunsService,
    RunCancellationService,
    QueueHealthService,
    RunStreamService,
    {
      provide: RUNS_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => apiQueue(QUEUES.runs, config, 'vaultrun-api-queue'),
    },
    {
      provide: RUN_BUS,
      inject: [REDIS, APP_CONFIG, PinoLogger],
      useFactory: (redis: Redis, config: AppConfig, logger: PinoLogger) => {
        logger.setContext(RunBus.name);
        return new RunBus(redis, config.redisPrefix, { warn: (details, message) => logger.warn(details, message) });
      },
    },
    { provide: RUN_LIMITER, inject: [REDIS, APP_CONFIG], useFactory: (redis: Redis, config: AppConfig) => new AccountLimiter(redis, config.redisPrefix) },
  ],
  exports: [RunAdmissionService, RunsService, RunCancellationService, RUNS_QUEUE, RUN_BUS],
})
export class RunsModule implements OnApplicationShutdown {
  constructor(@Inject(RUNS_QUEUE) private readonly queue: Queue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
