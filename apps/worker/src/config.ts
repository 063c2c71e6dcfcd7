import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { loadKeyRing, MasterKeyError } from '@vaultrun/vault-core';
import { z } from 'zod';

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/vaultrun'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  VAULTRUN_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('vr'),
  VAULTRUN_WORKER_HEALTH_HOST: z.string().default('127.0.0.1'),
  /** 0 picks a free port (tests). */
  VAULTRUN_WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  VAULTRUN_SESSION_PURGE_EVERY_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
  /** How long SIGTERM waits for in-flight jobs before giving up on them. */
  VAULTRUN_WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(10 * 60_000).default(30_000),
  /** How often active provider accounts are verified again ("list the models"). */
  VAULTRUN_REVERIFY_EVERY_HOURS: z.coerce.number().min(0.01).max(24 * 30).default(24),
  /** How often provider cost sync reads the Costs API of every OpenAI account with an admin key. */
  VAULTRUN_COST_SYNC_EVERY_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
  /** Runs executed at once by this process (provider calls are I/O-bound). */
  VAULTRUN_RUNS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  /** A run's lease (and concurrency slot) lasts this long without renewal; renewed every third of it. */
  VAULTRUN_RUN_LEASE_MS: z.coerce.number().int().min(1000).max(10 * 60_000).default(30_000),
  /** How often the reconciler looks for runs without a job or with a dead worker. */
  VAULTRUN_RECONCILE_EVERY_MS: z.coerce.number().int().min(500).max(10 * 60_000).default(10_000),
  VAULTRUN_RETRY_BASE_MS: z.coerce.number().int().min(10).max(10 * 60_000).default(1000),
  VAULTRUN_RETRY_MAX_MS: z.coerce.number().int().min(10).max(60 * 60_000).default(60_000),
  VAULTRUN_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(1000).max(30 * 60_000).default(120_000),
  /** Names this process in run leases and logs (default: host and pid). */
  VAULTRUN_WORKER_ID: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/).optional(),
  VAULTRUN_MASTER_KEYS: z.string().optional(),
  VAULTRUN_MASTER_KEYS_FILE: z.string().optional(),
  VAULTRUN_MASTER_KEY_ACTIVE: z.coerce.number().int().min(1).optional(),
  /** Let the budget alert webhook reach this host or its private network (must match the API's setting). */
  VAULTRUN_WEBHOOK_ALLOW_PRIVATE: z.stringbool().default(false),
  /** Let provider base URLs reach this host or its private network (self-hosted models; must match the API's setting). */
  VAULTRUN_PROVIDER_ALLOW_PRIVATE: z.stringbool().default(false),
});

export type WorkerConfig = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof schema>) {
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    redisUrl: env.REDIS_URL,
    redisPrefix: env.VAULTRUN_REDIS_PREFIX,
    /** BullMQ keys live under the same prefix as everything else Vaultrun keeps in Redis. */
    bullPrefix: `${env.VAULTRUN_REDIS_PREFIX}:bull`,
    healthHost: env.VAULTRUN_WORKER_HEALTH_HOST,
    healthPort: env.VAULTRUN_WORKER_HEALTH_PORT,
    sessionPurgeEveryMs: env.VAULTRUN_SESSION_PURGE_EVERY_MINUTES * 60_000,
    shutdownGraceMs: env.VAULTRUN_WORKER_SHUTDOWN_GRACE_MS,
    reverifyEveryMs: Math.round(env.VAULTRUN_REVERIFY_EVERY_HOURS * 3600_000),
    costSyncEveryMs: env.VAULTRUN_COST_SYNC_EVERY_MINUTES * 60_000,
    runsConcurrency: env.VAULTRUN_RUNS_CONCURRENCY,
    runLeaseMs: env.VAULTRUN_RUN_LEASE_MS,
    reconcileEveryMs: env.VAULTRUN_RECONCILE_EVERY_MS,
    retry: { baseDelayMs: env.VAULTRUN_RETRY_BASE_MS, maxDelayMs: env.VAULTRUN_RETRY_MAX_MS },
    providerTimeoutMs: env.VAULTRUN_PROVIDER_TIMEOUT_MS,
    webhookAllowPrivate: env.VAULTRUN_WEBHOOK_ALLOW_PRIVATE,
    /** Where provider calls (runs, re-verification, cost sync) may connect; link-local and metadata never. */
    providerOutbound: { allowPrivate: env.VAULTRUN_PROVIDER_ALLOW_PRIVATE },
    /** A budget hold outlives the longest provider call; after that the sweeper counts it as spent. */
    budgetHoldTtlMs: env.VAULTRUN_PROVIDER_TIMEOUT_MS + 60_000,
    workerId: env.VAULTRUN_WORKER_ID ?? `${hostname()}-${process.pid}`,
    /** Master key-encryption keys. Never log this object. */
    keyRing: loadKeyRing({
      keys: env.VAULTRUN_MASTER_KEYS,
      file: env.VAULTRUN_MASTER_KEYS_FILE,
      active: env.VAULTRUN_MASTER_KEY_ACTIVE,
      readFile: (path) => readFileSync(path, 'utf8'),
    }),
  };
}

export class ConfigError extends Error {}

/**
 * An empty variable counts as unset: docker-compose's `${VAR:-}` and a blank line in `.env` pass "", which would
 * otherwise fail validation (e.g. a password shorter than 12 characters) instead of taking the default.
 */
const setVariables = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = schema.safeParse(setVariables(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  try {
    return toConfig(parsed.data);
  } catch (err) {
    if (err instanceof MasterKeyError) throw new ConfigError(`Invalid master key configuration: ${err.message}`);
    throw err;
  }
}

export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

/** "Now" for jobs that work in days (cost sync): injectable so a test can pin the date instead of racing midnight. */
export type Clock = () => Date;
export const CLOCK = Symbol('CLOCK');
