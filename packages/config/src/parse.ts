import type { z } from 'zod';

/** The environment is invalid; the message names every variable at fault (never a value: it may be a secret). */
export class ConfigError extends Error {}

/**
 * An empty variable counts as unset: docker-compose's `${VAR:-}` and a blank line in `.env` pass "", which would
 * otherwise fail validation (e.g. a password shorter than 12 characters) instead of taking the default.
 */
export function setVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/** Validates `env` against one process's part of the schema; variables it does not read are ignored. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const parsed = schema.safeParse(setVariables(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/**
 * Where Redis is: REDIS_URL alone, or the sentinels of REDIS_SENTINELS (already validated as `host:port,…`) with
 * REDIS_URL supplying only the password, database and TLS. The engine's createRedisConnection takes this as is.
 */
export function redisSettings(e: { REDIS_URL: string; REDIS_SENTINELS?: string | undefined; REDIS_SENTINEL_MASTER: string; REDIS_SENTINEL_PASSWORD?: string | undefined }) {
  const sentinels = e.REDIS_SENTINELS?.split(',').map((entry) => {
    const [host, port] = entry.trim().split(':');
    return { host: host!, port: Number(port) };
  });
  return {
    url: e.REDIS_URL,
    ...(sentinels?.length ? { sentinels } : {}),
    sentinelMaster: e.REDIS_SENTINEL_MASTER,
    ...(e.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}),
  };
}
