import { hostname } from 'node:os';
import type { MasterKeySource } from './api-config.js';
import { parseEnv, redisSettings } from './parse.js';
import { workerEnvSchema } from './variables.js';

export type WorkerSettings = ReturnType<typeof workerConfig>;

/** The worker's configuration: its part of the environment, validated (throws ConfigError naming every variable at fault). */
export function workerConfig(env: NodeJS.ProcessEnv) {
  const e = parseEnv(workerEnvSchema, env);
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databasePoolMode: e.DATABASE_POOL_MODE,
    redisUrl: e.REDIS_URL,
    /** Every Redis connection is built from this (engine's createRedisConnection): Sentinel or a single Redis. */
    redis: redisSettings(e),
    redisPrefix: e.VAULTRUN_REDIS_PREFIX,
    /** BullMQ keys live under the same prefix as everything else Vaultrun keeps in Redis. */
    bullPrefix: `${e.VAULTRUN_REDIS_PREFIX}:bull`,
    healthHost: e.VAULTRUN_WORKER_HEALTH_HOST,
    healthPort: e.VAULTRUN_WORKER_HEALTH_PORT,
    sessionPurgeEveryMs: e.VAULTRUN_SESSION_PURGE_EVERY_MINUTES * 60_000,
    shutdownGraceMs: e.VAULTRUN_WORKER_SHUTDOWN_GRACE_MS,
    reverifyEveryMs: Math.round(e.VAULTRUN_REVERIFY_EVERY_HOURS * 3600_000),
    costSyncEveryMs: e.VAULTRUN_COST_SYNC_EVERY_MINUTES * 60_000,
    runsConcurrency: e.VAULTRUN_RUNS_CONCURRENCY,
    runLeaseMs: e.VAULTRUN_RUN_LEASE_MS,
    reconcileEveryMs: e.VAULTRUN_RECONCILE_EVERY_MS,
    retry: { baseDelayMs: e.VAULTRUN_RETRY_BASE_MS, maxDelayMs: e.VAULTRUN_RETRY_MAX_MS },
    providerTimeoutMs: e.VAULTRUN_PROVIDER_TIMEOUT_MS,
    webhookAllowPrivate: e.VAULTRUN_WEBHOOK_ALLOW_PRIVATE,
    /** Where provider calls (runs, re-verification, cost sync) may connect; link-local and metadata never. */
    providerOutbound: { allowPrivate: e.VAULTRUN_PROVIDER_ALLOW_PRIVATE },
    /** A budget hold outlives the longest provider call; after that the sweeper counts it as spent. */
    budgetHoldTtlMs: e.VAULTRUN_PROVIDER_TIMEOUT_MS + 60_000,
    workerId: e.VAULTRUN_WORKER_ID ?? `${hostname()}-${process.pid}`,
    masterKeys: { keys: e.VAULTRUN_MASTER_KEYS, file: e.VAULTRUN_MASTER_KEYS_FILE, active: e.VAULTRUN_MASTER_KEY_ACTIVE } satisfies MasterKeySource,
  };
}
