import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { AccountLimiter, accountWaker, QUEUES } from '@vaultrun/engine';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import { WORKER_CONFIG, type WorkerConfig } from './config.js';
import { LIMITER, REDIS } from './runs.tokens.js';

/**
 * Wakes whoever a released slot was reserved for (the executor's `wake`): runs and gateway calls wait in the same
 * line, and the engine's `accountWaker` brings each back — a run's delayed job to the head of the wait list, a gateway
 * call through its process's channel (see its docs for every case).
 */
@Injectable()
export class RunWaker {
  private readonly wakeWaiters: (accountId: string, ids: string[]) => Promise<void>;

  constructor(
    @Inject(getQueueToken(QUEUES.runs)) queue: Queue,
    @Inject(LIMITER) limiter: AccountLimiter,
    @Inject(REDIS) redis: Redis,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(RunWaker.name);
    this.wakeWaiters = accountWaker({ limiter, queue, redis, prefix: config.redisPrefix, log: { warn: (details, message) => this.logger.warn(details, message) } });
  }

  wake(accountId: string, ids: string[]): Promise<void> {
    return this.wakeWaiters(accountId, ids);
  }
}
