import { randomUUID } from 'node:crypto';
import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { accountWaker, AccountLimiter, GatewayAdmissions, GatewayCapacity, GatewayUpstreams, GatewayWaiters, QUEUES, RunBus } from '@vaultrun/engine';
import type { SecretStore } from '@vaultrun/vault-core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { apiQueue } from '../../common/queues.js';
import { REDIS } from '../../common/redis.js';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { TokensCoreModule } from '../tokens/tokens.module.js';
import { SECRET_STORE } from '../vault/vault.tokens.js';
import { GatewayCalls } from './gateway-calls.service.js';
import { GatewayDirectory } from './gateway-directory.js';
import { GATEWAY_ADMISSIONS, GATEWAY_CAPACITY, GATEWAY_RUN_BUS, GATEWAY_RUNS_QUEUE, GATEWAY_UPSTREAMS, GATEWAY_WAITERS } from './gateway.tokens.js';

/** Identifies this process in the limiter's line and on gateway call records (their lease owner). */
const GATEWAY_PROCESS_ID = `api-${randomUUID().slice(0, 8)}`;

/**
 * The OpenAI-compatible gateway's data plane (docs/gateway.md): what serving /v1/* needs, and nothing else — so the API
 * mounts it beside everything, and `gateway-main.ts` boots it alone. The routes themselves are mounted on Fastify by
 * `registerGatewayRoutes` (gateway-http.ts). It needs a SECRET_STORE provider from outside (the vault module, or the
 * standalone gateway's own).
 */
@Module({
  imports: [TokensCoreModule],
  providers: [
    GatewayDirectory,
    GatewayCalls,
    {
      provide: GATEWAY_RUNS_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => apiQueue(QUEUES.runs, config, 'vaultrun-gateway-queue'),
    },
    {
      provide: GATEWAY_WAITERS,
      inject: [REDIS, APP_CONFIG, PinoLogger],
      useFactory: (redis: Redis, config: AppConfig, logger: PinoLogger) =>
        new GatewayWaiters(redis, config.redisPrefix, GATEWAY_PROCESS_ID, { warn: (d, m) => logger.warn(d, m) }),
    },
    {
      provide: GATEWAY_CAPACITY,
      inject: [REDIS, APP_CONFIG, GATEWAY_WAITERS, GATEWAY_RUNS_QUEUE, PinoLogger],
      useFactory: (redis: Redis, config: AppConfig, waiters: GatewayWaiters, queue: Queue, logger: PinoLogger) => {
        const limiter = new AccountLimiter(redis, config.redisPrefix);
        const log = { warn: (d: Record<string, unknown>, m: string) => logger.warn(d, m) };
        const wake = accountWaker({ limiter, queue, redis, prefix: config.redisPrefix, log });
        return new GatewayCapacity(limiter, waiters, wake, 30_000, log);
      },
    },
    { provide: GATEWAY_RUN_BUS, inject: [REDIS, APP_CONFIG], useFactory: (redis: Redis, config: AppConfig) => new RunBus(redis, config.redisPrefix) },
    {
      provide: GATEWAY_ADMISSIONS,
      inject: [getDataSourceToken(), APP_CONFIG],
      useFactory: (db: DataSource, config: AppConfig) => new GatewayAdmissions(db, config.gateway.holdTtlMs),
    },
    {
      provide: GATEWAY_UPSTREAMS,
      inject: [getDataSourceToken(), SECRET_STORE, APP_CONFIG],
      useFactory: (db: DataSource, secrets: SecretStore, config: AppConfig) => new GatewayUpstreams(db, secrets, { timeoutMs: config.gateway.timeoutMs, outbound: config.providerOutbound }),
    },
  ],
  exports: [GatewayCalls, GatewayDirectory],
})
export class GatewayModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(GATEWAY_WAITERS) private readonly waiters: GatewayWaiters,
    @Inject(GATEWAY_CAPACITY) private readonly capacity: GatewayCapacity,
    @Inject(GATEWAY_RUNS_QUEUE) private readonly queue: Queue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A wake-up that finds its call gone (it gave up meanwhile) passes the slot to the next waiter.
    await this.waiters.start((accountId, waiterId) => this.capacity.passOn(accountId, waiterId));
  }

  async onApplicationShutdown(): Promise<void> {
    this.capacity.stop();
    await this.waiters.stop();
    await this.queue.close();
  }
}
