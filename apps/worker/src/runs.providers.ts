import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { getDataSourceToken, InjectDataSource } from '@nestjs/typeorm';
import {
  AccountLimiter,
  finishLostGatewayCalls,
  cancelChannel,
  createRedisConnection,
  type EngineLog,
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
import type { Redis } from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { WORKER_CONFIG, type WorkerConfig } from './config.js';
import { WorkerMetrics } from './metrics.js';
import { RecurringJobs } from './recurring-jobs.js';
import { RunWaker } from './run-waker.js';
import { LIMITER, MISSION_ENGINE, REDIS, RUN_BUS, RUN_EXECUTOR } from './runs.tokens.js';
import { SECRET_STORE } from './vault.providers.js';

/** The engine's log lines, through this worker's logger under `context`. */
function engineLog(logger: PinoLogger, context: string): EngineLog {
  logger.setContext(context);
  return { warn: (details, message) => logger.warn(details, message) };
}

/** Wakes and removes run jobs for the mission engine. A step's job is a flow child: promoted in place, never re-added while it exists. */
export function missionJobs(queue: Queue, log: EngineLog): MissionJobs {
  return {
    async wake(ids) {
      for (const id of ids) {
        const job = await queue.getJob(id);
        if (!job) await queue.add('execute-run', { runId: id }, { ...RUN_JOB_OPTIONS, jobId: id });
        else if (await job.isDelayed()) {
          // Not delayed any more (it started, or was promoted meanwhile): it runs anyway, and its gate reads the step's
          // dependencies again when it does.
          await job.promote().catch((err: unknown) => log.warn({ runId: id, err }, 'could not promote a woken mission step; it runs when its timer ends'));
        }
      }
    },
    async remove(ids) {
      for (const id of ids) {
        // A job that cannot be removed (it is running) finds its run final when it loads it, and does nothing.
        await queue.remove(id).catch((err: unknown) => log.warn({ runId: id, err }, 'could not remove the job of an ended mission step; it will find the step ended'));
      }
    },
  };
}

export const RUNS_PROVIDERS: Provider[] = [
  {
    provide: REDIS,
    inject: [WORKER_CONFIG],
    useFactory: (config: WorkerConfig) => createRedisConnection(config.redis, 'vaultrun-worker-app', { maxRetriesPerRequest: 2 }),
  },
  { provide: LIMITER, inject: [REDIS, WORKER_CONFIG], useFactory: (redis: Redis, c: WorkerConfig) => new AccountLimiter(redis, c.redisPrefix, c.runLeaseMs) },
  {
    provide: RUN_BUS,
    inject: [REDIS, WORKER_CONFIG, PinoLogger],
    useFactory: (redis: Redis, c: WorkerConfig, logger: PinoLogger) => new RunBus(redis, c.redisPrefix, engineLog(logger, RunBus.name)),
  },
  {
    provide: MISSION_ENGINE,
    inject: [getDataSourceToken(), RUN_BUS, getQueueToken(QUEUES.runs), PinoLogger],
    useFactory: (db: DataSource, bus: RunBus, queue: Queue, logger: PinoLogger) => new MissionEngine({ db, bus, jobs: missionJobs(queue, engineLog(logger, MissionEngine.name)) }),
  },
  RunWaker,
  {
    provide: RUN_EXECUTOR,
    inject: [getDataSourceToken(), SECRET_STORE, LIMITER, RUN_BUS, WORKER_CONFIG, WorkerMetrics, MISSION_ENGINE, RunWaker, PinoLogger],
    useFactory: (db: DataSource, secrets: SecretStore, limiter: AccountLimiter, bus: RunBus, c: WorkerConfig, metrics: WorkerMetrics, missions: MissionEngine, waker: RunWaker, logger: PinoLogger) =>
      new RunExecutor({
        db,
        limiter,
        bus,
        providers: new ProviderCache(db, secrets, { ttlMs: 60_000, timeoutMs: c.providerTimeoutMs, outbound: c.providerOutbound }),
        workerId: c.workerId,
        leaseTtlMs: c.runLeaseMs,
        holdTtlMs: c.budgetHoldTtlMs,
        retry: c.retry,
        observer: metrics.executorObserver(),
        log: engineLog(logger, RunExecutor.name),
        wake: (accountId, ids) => waker.wake(accountId, ids),
        missions,
      }),
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
    @Inject(MISSION_ENGINE) private readonly missions: MissionEngine,
    private readonly recurring: RecurringJobs,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(RunsLifecycle.name);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscriber = this.redis.duplicate({ connectionName: 'vaultrun-worker-cancel' });
    // ioredis reports every failed reconnection as an error: one line per outage, re-armed once it is ready again.
    // Meanwhile a cancel is still heard: the call's next lease renewal finds the run cancelled.
    let failing = false;
    this.subscriber.on('error', (err: Error) => {
      if (!failing) this.logger.warn({ err }, 'cancel channel: Redis unavailable; cancels are heard at the next lease renewal until it is back');
      failing = true;
    });
    this.subscriber.on('ready', () => (failing = false));
    await this.subscriber.subscribe(cancelChannel(this.config.redisPrefix));
    this.subscriber.on('message', (_channel, runId: string) => {
      if (this.executor.abort(runId, 'cancelled')) this.logger.info({ runId }, 'cancelled a running provider call');
    });
    this.timer = setInterval(() => void this.reconcile(), this.config.reconcileEveryMs);
    this.timer.unref();
    void this.reconcile();
  }

  /**
   * One reconciler at a time across all workers, every few seconds: a transaction-level advisory lock held by a
   * transaction left open on one connection for the pass. Never a session-level lock: behind PgBouncer in
   * transaction mode the session is not ours between statements (DATABASE_POOL_MODE=transaction), while an open
   * transaction keeps its server connection. The pass's own statements run on other pool connections.
   */
  reconcile(): Promise<void> {
    return (this.reconciling ??= this.reconcilePass().finally(() => {
      this.reconciling = null;
    }));
  }

  private async reconcilePass(): Promise<void> {
    const runner = this.db.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_xact_lock(hashtext('vaultrun:reconcile-runs')) AS locked`);
      if (!locked) return;
      const result = await reconcileRuns(this.db, async (runs) => {
        await this.queue.addBulk(runs.map((r) => ({ name: 'execute-run', data: { runId: r.id }, opts: { ...RUN_JOB_OPTIONS, jobId: r.id, delay: r.delayMs } })));
      });
      if (result.recovered) this.logger.warn({ recovered: result.recovered }, 'recovered runs whose worker stopped');
      if (result.holds.settled || result.holds.expired) this.logger.warn(result.holds, 'swept budget holds no worker closed');
      if (result.credits.forfeitedMicroUsd) this.logger.info(result.credits, 'expired credits that were due (their unused part is forfeited)');
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
    } catch (err) {
      this.logger.warn({ err }, 'run reconciliation failed; retrying on the next tick');
    } finally {
      // Ending the transaction releases the lock (it wrote nothing: rollback). A connection that cannot end it
      // (Postgres went away) is dropped by the pool; the lock ends with its transaction, so another worker can reconcile.
      if (runner.isTransactionActive) {
        await runner.rollbackTransaction().catch((err: unknown) => this.logger.warn({ err }, 'could not end the reconciler lock transaction'));
      }
      await runner.release().catch((err: unknown) => this.logger.warn({ err }, 'could not release the reconciler connection'));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
