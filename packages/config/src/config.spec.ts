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
