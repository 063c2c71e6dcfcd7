import { describe, expect, it } from '@jest/globals';
import { describeRedisTarget, redisOptions } from './redis-connection.js';

const sentinels = [
  { host: 's1', port: 26379 },
  { host: 's2', port: 26380 },
];

describe('redisOptions: one shape for every connection', () => {
  it('a single Redis: the URL as is, with the failover tuning and the caller’s overrides', () => {
    const o = redisOptions({ url: 'redis://:pw@cache:6380/3', sentinelMaster: 'mymaster' }, 'vaultrun-api', { enableOfflineQueue: false });
    expect(o).toMatchObject({ url: 'redis://:pw@cache:6380/3', connectionName: 'vaultrun-api', enableOfflineQueue: false, connectTimeout: 3000 });
    expect(o.sentinels).toBeUndefined();
  });

  it('Sentinel: the sentinels and master name; from REDIS_URL only password, user, database and TLS', () => {
    const o = redisOptions({ url: 'rediss://app:p%40ss@ignored-host:1/2', sentinels, sentinelMaster: 'vaultrun', sentinelPassword: 'spw' }, 'vaultrun-worker', { maxRetriesPerRequest: null });
    expect(o).toMatchObject({
      sentinels,
      name: 'vaultrun',
      sentinelPassword: 'spw',
      username: 'app',
      password: 'p@ss',
      db: 2,
      tls: {},
      enableTLSForSentinelMode: true,
      failoverDetector: true,
      connectionName: 'vaultrun-worker',
      maxRetriesPerRequest: null,
    });
    expect(o.url).toBeUndefined();
    expect(o.host).toBeUndefined();
    // Plain redis://: no TLS, database 0.
    const plain = redisOptions({ url: 'redis://127.0.0.1:6379', sentinels, sentinelMaster: 'm' }, 'x');
    expect([plain.db, 'tls' in plain, plain.password]).toEqual([0, false, undefined]);
  });

  it('retries for ever, quickly, and reconnects on READONLY (a write that reached a demoted primary)', () => {
    const o = redisOptions({ url: 'redis://x', sentinels, sentinelMaster: 'm' }, 'x') as {
      retryStrategy(n: number): number;
      sentinelRetryStrategy(n: number): number;
      reconnectOnError(e: Error): boolean | number;
    };
    expect([1, 3, 10, 1000].map((n) => o.retryStrategy(n))).toEqual([200, 800, 2000, 2000]);
    expect([1, 5, 50].map((n) => o.sentinelRetryStrategy(n))).toEqual([100, 500, 1000]);
    expect(o.reconnectOnError(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(o.reconnectOnError(new Error('ERR wrong number of arguments'))).toBe(false);
  });

  it('describes where it connects without the password', () => {
    expect(describeRedisTarget({ url: 'redis://:secret@cache:6379', sentinelMaster: 'm' })).toBe('redis://:***@cache:6379');
    expect(describeRedisTarget({ url: 'redis://:secret@x', sentinels, sentinelMaster: 'm' })).toBe('master "m" via sentinels s1:26379,s2:26380');
  });
});
