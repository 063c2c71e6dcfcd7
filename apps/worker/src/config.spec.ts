import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

const KEYS = { VAULTRUN_MASTER_KEYS: `1:${Buffer.alloc(32, 7).toString('base64')}` };

describe('worker config', () => {
  it('treats an empty variable as unset, as docker-compose passes ${VAR:-}', () => {
    expect(loadConfig({ ...KEYS, VAULTRUN_RUNS_CONCURRENCY: '' }).runsConcurrency).toBe(50);
    expect(() => loadConfig({ VAULTRUN_MASTER_KEYS: '' })).toThrow(/No master key configured/);
  });

  it('names the variable at fault', () => {
    expect(() => loadConfig({ ...KEYS, VAULTRUN_RUNS_CONCURRENCY: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...KEYS, VAULTRUN_RUNS_CONCURRENCY: '0' })).toThrow(/VAULTRUN_RUNS_CONCURRENCY/);
  });
});
