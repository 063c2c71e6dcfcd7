import { Redis, type RedisOptions } from 'ioredis';

/**
 * Where Redis is, as the configuration says (REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_MASTER,
 * REDIS_SENTINEL_PASSWORD). Every ioredis connection Vaultrun opens — the API's and the worker's command
 * connections, BullMQ's queues and workers, pub/sub subscribers, the start-up probe — is built from it here, so a
 * Sentinel deployment and a single Redis behave the same everywhere.
 */
export interface RedisSettings {
  url: string;
  /** Set: connect through Sentinel; `url` then only supplies the password, database number and TLS (`rediss`). */
  sentinels?: { host: string; port: number }[];
  sentinelMaster: string;
  sentinelPassword?: string;
}

/**
 * Reconnection tuned for a failover: Sentinel promotes a replica within seconds (down-after-milliseconds + the
 * election), so a connection retries quickly, for ever, at most every 2 s. After a promotion a connection that still
 * reaches the old primary (now a replica) gets READONLY on a write: it reconnects — asking the sentinels for the new
 * primary — and resends the command.
 */
const FAILOVER_TUNING = {
  connectTimeout: 3000,
  retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
} satisfies RedisOptions;

/** The settings in `url` that Sentinel mode keeps: credentials, database number and TLS. */
function urlParts(url: string): RedisOptions {
  const u = new URL(url);
  const db = Number(u.pathname.replace(/^\//, '') || '0');
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number.isInteger(db) ? db : 0,
    ...(u.protocol === 'rediss:' ? { tls: {}, enableTLSForSentinelMode: true } : {}),
  };
}

/**
 * ioredis options for one connection (also what BullMQ takes as `connection`). `overrides` are the caller's own
 * (e.g. `enableOfflineQueue: false`, `maxRetriesPerRequest`); BullMQ sets `maxRetriesPerRequest: null` itself on the
 * blocking connections of its workers.
 */
export function redisOptions(settings: RedisSettings, connectionName: string, overrides: RedisOptions = {}): RedisConnectionOptions {
  return { ...typedRedisOptions(settings, connectionName, overrides) } as RedisConnectionOptions;
}

/**
 * ioredis options plus BullMQ's `url`, typed loosely on the way out: BullMQ declares its own RedisOptions (every key
 * optional, `[key: string]: any`), which ioredis's — `T | undefined` under exactOptionalPropertyTypes — do not match.
 */
export type RedisConnectionOptions = { url?: string } & Record<string, unknown>;

function typedRedisOptions(settings: RedisSettings, connectionName: string, overrides: RedisOptions): RedisOptions & { url?: string } {
  if (!settings.sentinels?.length) return { url: settings.url, connectionName, ...FAILOVER_TUNING, ...overrides };
  return {
    ...urlParts(settings.url),
    sentinels: settings.sentinels,
    name: settings.sentinelMaster,
    ...(settings.sentinelPassword ? { sentinelPassword: settings.sentinelPassword } : {}),
    // Ask the sentinels again quickly while none answers (they may be restarting too); never give up.
    sentinelRetryStrategy: (times: number) => Math.min(100 * times, 1000),
    // Subscribes to the sentinels' +switch-master: connections move to the new primary as soon as it is elected,
    // not at their next failed command.
    failoverDetector: true,
    connectionName,
    ...FAILOVER_TUNING,
    ...overrides,
  };
}

/** One ioredis connection, Sentinel or not. The caller handles (or silences) its `error` events. */
export function createRedisConnection(settings: RedisSettings, connectionName: string, overrides: RedisOptions = {}): Redis {
  const { url, ...options } = typedRedisOptions(settings, connectionName, overrides);
  return url ? new Redis(url, options) : new Redis(options);
}

/** Where the configuration points, without secrets: for error messages. */
export function describeRedisTarget(settings: RedisSettings): string {
  if (settings.sentinels?.length) {
    return `master "${settings.sentinelMaster}" via sentinels ${settings.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
  }
  try {
    const u = new URL(settings.url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
