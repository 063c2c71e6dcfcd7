import { createRedisConnection, type RedisSettings } from '@vaultrun/engine';
import type { Redis } from 'ioredis';

export const REDIS = Symbol('REDIS');

/** The API's command connection (Sentinel or a single Redis, as configured). */
export function createRedis(settings: RedisSettings, name: string): Redis {
  const redis = createRedisConnection(settings, name, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  // Connection trouble surfaces through /ready and failing commands; keep it off stderr.
  redis.on('error', () => undefined);
  return redis;
}
