import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

const KEYS = { VAULTRUN_MASTER_KEYS: `1:${Buffer.alloc(32, 7).toString('base64')}` };

describe('worker config', () => {
  it('treats an empty variable as unset, as docker-compose passes ${VAR:-}', () => {
    expect(loadConfig({ ...KEYS, VAULTRUN_RUNS_CONCURRENCY: '' }).runsConcurrency).toBe(50);
    expect(() => loadConfig({ VAULTRUN_MASTER_KEYS: '' })).toThrow(/No master key configured/);
  });

  it('reads its part of the shared schema only: an API setting, even a bad one, does not stop the worker', () => {
    expect(loadConfig({ ...KEYS, VAULTRUN_API_PORT: '99999', VAULTRUN_ADMIN_PASSWORD: 'short', VAULTRUN_TRUST_PROXY: 'nginx' })).toMatchObject({ runsConcurrency: 50, bullPrefix: 'vr:bull' });
    expect(loadConfig(KEYS)).not.toHaveProperty('bootstrap');
  });

  it('refuses to start without a usable master key, like the API', () => {
    expect(() => loadConfig({})).toThrow(/Invalid master key configuration: No master key configured/);
    expect(loadConfig(KEYS).keyRing.active).toBe(1);
  });

  it('names the variable at fault', () => {
    expect(() => loadConfig({ ...KEYS, VAULTRUN_RUNS_CONCURRENCY: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...KEYS, VAULTRUN_RUNS_CONCURRENCY: '0' })).toThrow(/VAULTRUN_RUNS_CONCURRENCY/);
  });
});
