import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { getDataSourceToken, InjectDataSource } from '@nestjs/typeorm';
import {
  AccountLimiter,
  accountWaker,
  cancelChannel,
  finishLostGatewayCalls,
  MissionEngine,
  type MissionJobs,
  ProviderCache,
  QUEUES,
  reconcileRuns,
  RUN_JOB_OPTIONS,
  RunBus,
  RunExecutor,
} from '@vaultrun/engine';
import { alertJobId, pendingAlerts } from '@vaultrun/money';
import type { SecretStore } from '@vaultrun/vault-core';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { WORKER_CONFIG, type WorkerConfig } from './config.js';
import { WorkerMetrics } from './metrics.js';
import { SECRET_STORE } from './vault.providers.js';
import { RecurringJobs } from './recurring-jobs.js';

export const REDIS = Symbol('REDIS');
export const RUN_EXECUTOR = Symbol('RUN_EXECUTOR');
export const RUN_BUS = Symbol('RUN_BUS');
export const LIMITER = Symbol('LIMITER');
export const MISSION_ENGINE = Symbol('MISSION_ENGINE');

/** Wakes and removes run jobs for the mission engine. A step's job is a flow child: promoted in place, never re-added while it exists. */
export function missionJobs(queue: Queue): MissionJobs {
  return {
    async wake(ids) {
      for (const id of ids) {
        const job = await queue.getJob(id);
        if (!job) await queue.add('execute-run', { runId: id }, { ...RUN_JOB_OPTIONS, jobId: id });
        else if (await job.isDelayed()) await job.promote().catch(() => undefined);
      }
    },
    async remove(ids) {
      for (const id of ids) await queue.remove(id).catch(() => undefined);
    },
  };
}

/** Late-bound so the executor can wake runs through the queue (set up once the queue exists). */
export const WAKE = { fn: async (_accountId: string, _ids: string[]): Promise<void> => undefined };

export const RUNS_PROVIDERS: Provider[] = [
  {
    provide: REDIS,
    inject: [WORKER_CONFIG],
    useFactory: (config: WorkerConfig) => new Redis(config.redisUrl, { connectionName: 'vaultrun-worker-app', maxRetriesPerRequest: 2 }),
  },
  { provide: LIMITER, inject: [REDIS, WORKER_CONFIG], useFactory: (redis: Redis, c: WorkerConfig) => new AccountLimiter(redis, c.redisPrefix, c.runLeaseMs) },
  { provide: RUN_BUS, inject: [REDIS, WORKER_CONFIG], useFactory: (redis: Redis, c: WorkerConfig) => new RunBus(redis, c.redisPrefix) },
  {
    provide: MISSION_ENGINE,
    inject: [getDataSourceToken(), RUN_BUS, getQueueToken(QUEUES.runs)],
    useFactory: (db: DataSource, bus: RunBus, queue: Queue) => new MissionEngine({ db, bus, jobs: missionJobs(queue) }),
  },
  {
    provide: RUN_EXECUTOR,
    inject: [getDataSourceToken(), SECRET_STORE, LIMITER, RUN_BUS, WORKER_CONFIG, WorkerMetrics, MISSION_ENGINE, PinoLogger],
    useFactory: (db: DataSource, secrets: SecretStore, limiter: AccountLimiter, bus: RunBus, c: WorkerConfig, metrics: WorkerMetrics, missions: MissionEngine, logger: PinoLogger) => {
      logger.setContext(RunExecutor.name);
      return new RunExecutor({
        db,
        limiter,
        bus,
        providers: new ProviderCache(db, secrets, { ttlMs: 60_000, timeoutMs: c.providerTimeoutMs, outbound: c.providerOutbound }),
        workerId: c.workerId,
        leaseTtlMs: c.runLeaseMs,
        holdTtlMs: c.budgetHoldTtlMs,
        retry: c.retry,
        observer: metrics.executorObserver(),
        log: { warn: (details, message) => logger.warn(details, message) },
        wake: (accountId, ids) => WAKE.fn(accountId, ids),
        missions,
      });
    },
  },
];

/**
 * Cancel requests arrive on Redis pub/sub (every worker hears them; the one running the run aborts the call),
 * and the reconciler keeps Postgres and the queue in step. It runs on a timer in the process — not as a
 * scheduled job — because it must work after Redis lost everything, schedules included.
 */
@Injectable()
export class RunsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscriber?: Redis;
  private timer?: NodeJS.Timeout;
  /** The pass in progress, if any: a second caller waits for it instead of starting another. */
  private reconciling: Promise<void> | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(RUN_EXECUTOR) private readonly executor: RunExecutor,
    @Inject(getQueueToken(QUEUES.runs)) private readonly queue: Queue,
    @Inject(getQueueToken(QUEUES.notifications)) private readonly notifications: Queue,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LIMITER) private readonly limiter: AccountLimiter,
    @Inject(MISSION_ENGINE) private readonly missions: MissionEngine,
    private readonly recurring: RecurringJobs,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(RunsLifecycle.name);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Runs and gateway calls wait in the same line; whoever a release woke is brought back (engine `accountWaker`).
    WAKE.fn = accountWaker({ limiter: this.limiter, queue: this.queue, redis: this.redis, prefix: this.config.redisPrefix, log: { warn: (d, m) => this.logger.warn(d, m) } });
    this.subscriber = this.redis.duplicate({ connectionName: 'vaultrun-worker-cancel' });
    this.subscriber.on('error', () => undefined);
    await this.subscriber.subscribe(cancelChannel(this.config.redisPrefix));
    this.subscriber.on('message', (_channel, runId: string) => {
      if (this.executor.abort(runId, 'cancelled')) this.logger.info({ runId }, 'cancelled a running provider call');
    });
    this.timer = setInterval(() => void this.reconcile(), this.config.reconcileEveryMs);
    this.timer.unref();
    void this.reconcile();
  }

  /** One reconciler at a time across all workers (a Postgres advisory lock), every few seconds. */
  reconcile(): Promise<void> {
    return (this.reconciling ??= this.reconcilePass().finally(() => {
      this.reconciling = null;
    }));
  }

  private async reconcilePass(): Promise<void> {
    const runner = this.db.createQueryRunner();
    try {
      await runner.connect();
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtext('vaultrun:reconcile-runs')) AS locked`);
      if (!locked) return;
      try {
        const result = await reconcileRuns(this.db, async (runs) => {
          await this.queue.addBulk(runs.map((r) => ({ name: 'execute-run', data: { runId: r.id }, opts: { ...RUN_JOB_OPTIONS, jobId: r.id, delay: r.delayMs } })));
        });
        if (result.recovered) this.logger.warn({ recovered: result.recovered }, 'recovered runs whose worker stopped');
        if (result.holds.settled || result.holds.expired) this.logger.warn(result.holds, 'swept budget holds no worker closed');
        const lostCalls = await finishLostGatewayCalls(this.db);
        if (lostCalls) this.logger.warn({ lostCalls }, 'finished gateway calls whose API process stopped mid-call (worst case kept)');
        const missions = await this.missions.reconcile();
        if (missions.answers || missions.finished) this.logger.warn(missions, 'caught up on missions (copilot answers recorded, missions finished)');
        await this.recurring.ensure();
        // The alert outbox: one job per undelivered alert (the job id makes re-adding a no-op while it is pending).
        const alerts = await pendingAlerts(this.db);
        if (alerts.length) {
          await this.notifications.addBulk(
            alerts.map((a) => ({ name: 'budget-alert', data: a, opts: { jobId: alertJobId(a) } })),
          );
        }
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext('vaultrun:reconcile-runs'))`);
      }
    } catch (err) {
      this.logger.warn({ err }, 'run reconciliation failed; retrying on the next tick');
    } finally {
      await runner.release().catch(() => undefined);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
