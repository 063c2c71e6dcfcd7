import { createDataSource } from '@vaultrun/db';
import { createRedisConnection, describeRedisTarget, type RedisSettings } from './redis-connection.js';

const HOW_TO_START: Record<string, string> = {
  PostgreSQL:
    'Start it with `docker compose up -d postgres`, or on Debian `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, and check DATABASE_URL.',
  Redis: 'Start it with `docker compose up -d redis`, or `redis-server --daemonize yes`, and check REDIS_URL.',
};

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** One sentence naming the service, where we looked, why it failed and how to start it. */
export function describeConnectionFailure(service: 'PostgreSQL' | 'Redis', where: string, err: unknown): string {
  const reason = err instanceof Error ? err.message : String(err);
  return `Cannot reach ${service} at ${where} (${reason}). ${HOW_TO_START[service]}`;
}

export async function probeRedis(settings: RedisSettings): Promise<void> {
  const redis = createRedisConnection(settings, 'vaultrun-preflight', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
    failoverDetector: false,
  });
  // The failure surfaces as connect()'s rejection below; the listener only keeps it from also being unhandled.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(describeConnectionFailure('Redis', describeRedisTarget(settings), err), { cause: err });
  } finally {
    redis.disconnect();
  }
}

/**
 * Before a process serves: PostgreSQL reachable and fully migrated, Redis reachable. Each failure is one
 * sentence naming the service and how to fix it (never a stack trace, never a password).
 */
export async function preflight(input: { databaseUrl: string; redis: RedisSettings; applicationName: string }): Promise<void> {
  const ds = createDataSource({ url: input.databaseUrl, poolSize: 1, applicationName: `${input.applicationName}-preflight` });
  try {
    await ds.initialize();
  } catch (err) {
    throw new Error(describeConnectionFailure('PostgreSQL', redactUrl(input.databaseUrl), err), { cause: err });
  }
  try {
    if (await ds.showMigrations()) {
      throw new Error('The database has pending migrations. Run `pnpm db:migrate` first (the start script does this).');
    }
  } finally {
    await ds.destroy();
  }
  await probeRedis(input.redis);
}
