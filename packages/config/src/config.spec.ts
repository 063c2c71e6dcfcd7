import { describe, expect, it } from '@jest/globals';
import { apiConfig } from './api-config.js';
import { ConfigError } from './parse.js';
import { apiEnvSchema, envSchema, VARIABLE_NAMES, variablesReadBy, workerEnvSchema } from './variables.js';
import { workerConfig } from './worker-config.js';

describe('one schema for the whole environment', () => {
  it('gives each process exactly the variables it reads; the whole schema is their union', () => {
    expect(Object.keys(apiEnvSchema.shape).sort()).toEqual(variablesReadBy('api').sort());
    expect(Object.keys(workerEnvSchema.shape).sort()).toEqual(variablesReadBy('worker').sort());
    expect(Object.keys(envSchema.shape).sort()).toEqual([...new Set([...variablesReadBy('api'), ...variablesReadBy('worker')])].sort());
    expect(Object.keys(envSchema.shape)).toEqual(VARIABLE_NAMES);
    // The connection, prefix and key variables are one definition read by both, so the two cannot disagree.
    for (const shared of ['DATABASE_URL', 'REDIS_URL', 'VAULTRUN_REDIS_PREFIX', 'VAULTRUN_MASTER_KEYS', 'LOG_LEVEL', 'VAULTRUN_PROVIDER_ALLOW_PRIVATE']) {
      expect(apiEnvSchema.shape).toHaveProperty(shared);
      expect(workerEnvSchema.shape).toHaveProperty(shared);
    }
  });

  it("validates only the reading process's part: a bad value of the other's variable does not stop it", () => {
    expect(apiConfig({ VAULTRUN_RUNS_CONCURRENCY: '0', VAULTRUN_WORKER_HEALTH_PORT: 'nope' }).port).toBe(3000);
    expect(workerConfig({ VAULTRUN_API_PORT: '99999', VAULTRUN_ADMIN_PASSWORD: 'short' }).runsConcurrency).toBe(50);
    expect(() => apiConfig({ VAULTRUN_API_PORT: '99999' })).toThrow(ConfigError);
    expect(() => workerConfig({ VAULTRUN_RUNS_CONCURRENCY: '0' })).toThrow(ConfigError);
  });

  it('reads a shared variable the same way in both processes', () => {
    const env = { REDIS_URL: 'rediss://cache.internal:6380', VAULTRUN_REDIS_PREFIX: 'acme:vr', VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'true', VAULTRUN_MASTER_KEYS: '1:abc' };
    const a = apiConfig(env);
    const w = workerConfig(env);
    expect([a.redisUrl, a.bullPrefix, a.providerOutbound, a.masterKeys]).toEqual([w.redisUrl, w.bullPrefix, w.providerOutbound, w.masterKeys]);
    expect(a.bullPrefix).toBe('acme:vr:bull');
  });

  it('names every variable at fault, never a value', () => {
    let message = '';
    try {
      workerConfig({ REDIS_URL: 'http://secret-host', VAULTRUN_RUN_LEASE_MS: '5', DATABASE_URL: 'mysql://user:hunter2@db' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Invalid configuration:/);
    for (const name of ['REDIS_URL', 'VAULTRUN_RUN_LEASE_MS', 'DATABASE_URL']) expect(message).toContain(`  ${name}: `);
    expect(message).not.toMatch(/secret-host|hunter2/);
  });
});

describe('scaling out: Sentinel, PgBouncer transaction mode, a Cluster hash tag', () => {
  it('reads the sentinels as host:port pairs; REDIS_URL stays the source of password, db and TLS', () => {
    const env = {
      REDIS_URL: 'rediss://:pw@ignored:6379/2',
      REDIS_SENTINELS: 'sentinel-1:26379, 10.0.0.7:26380,sentinel-3:26381',
      REDIS_SENTINEL_MASTER: 'vaultrun',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    };
    for (const c of [apiConfig(env), workerConfig(env)]) {
      expect(c.redis).toEqual({
        url: 'rediss://:pw@ignored:6379/2',
        sentinels: [
          { host: 'sentinel-1', port: 26379 },
          { host: '10.0.0.7', port: 26380 },
          { host: 'sentinel-3', port: 26381 },
        ],
        sentinelMaster: 'vaultrun',
        sentinelPassword: 'sentinel-secret',
      });
    }
    // Without sentinels: the URL alone, and the default master name waiting for them.
    expect(apiConfig({}).redis).toEqual({ url: 'redis://127.0.0.1:6379', sentinelMaster: 'mymaster' });
  });

  it('refuses a sentinel list that is not host:port, naming the variable', () => {
    for (const bad of ['sentinel-1', 'sentinel-1:26379,', 'a:1 b:2', 'http://s:26379']) {
      expect(() => workerConfig({ REDIS_SENTINELS: bad })).toThrow(/REDIS_SENTINELS: must be a comma-separated list of host:port/);
    }
  });

  it('DATABASE_POOL_MODE is session unless set to transaction', () => {
    expect(apiConfig({}).databasePoolMode).toBe('session');
    expect(workerConfig({ DATABASE_POOL_MODE: 'transaction' }).databasePoolMode).toBe('transaction');
    expect(() => apiConfig({ DATABASE_POOL_MODE: 'statement' })).toThrow(/DATABASE_POOL_MODE/);
  });

  it('admits one {hash tag} in the Redis prefix (Redis Cluster keeps the keys in one slot), not a broken one', () => {
    expect(apiConfig({ VAULTRUN_REDIS_PREFIX: '{vr}' }).bullPrefix).toBe('{vr}:bull');
    expect(workerConfig({ VAULTRUN_REDIS_PREFIX: 'acme:{vr}' }).redisPrefix).toBe('acme:{vr}');
    for (const bad of ['{vr', 'vr}', '{}', '{a}{b}', '{{vr}}', 'v r']) {
      expect(() => apiConfig({ VAULTRUN_REDIS_PREFIX: bad })).toThrow(/VAULTRUN_REDIS_PREFIX/);
    }
  });
});
