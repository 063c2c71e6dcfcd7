import { Redis } from 'ioredis';

export const REDIS = Symbol('REDIS');

export function createRedis(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    connectTimeout: 3000,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  // Connection trouble surfaces through /ready and failing commands; keep it off stderr.
  redis.on('error', () => undefined);
  return redis;
}
