import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig as load } from './config.js';

const KEYS = { VAULTRUN_MASTER_KEYS: `1:${Buffer.alloc(32, 7).toString('base64')}` };
const loadConfig = (env: Record<string, string>) => load({ ...KEYS, ...env });

describe('API config', () => {
  it('has working defaults for a local install', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, redisPrefix: 'vr', publicUrl: 'http://localhost:3000', consoleOrigin: 'http://localhost:3000', secureCookies: false });
    expect(c.bootstrap.email).toBe('admin@vaultrun.local');
  });

  it('marks cookies Secure when the console is served over HTTPS', () => {
    const c = loadConfig({ VAULTRUN_PUBLIC_URL: 'https://vaultrun.example.com/' });
    expect(c.secureCookies).toBe(true);
    expect(c.publicUrl).toBe('https://vaultrun.example.com');
  });

  it('refuses to start without a usable master key, naming the problem but not the key', () => {
    expect(() => load({})).toThrow(/Invalid master key configuration: No master key configured/);
    expect(() => load({ VAULTRUN_MASTER_KEYS: '1:c2hvcnQ=' })).toThrow(/version 1 is 5 bytes/);
    expect(() => load({ ...KEYS, VAULTRUN_MASTER_KEY_ACTIVE: '2' })).toThrow(/active master key version 2 is not in the key ring/);
    const c = loadConfig({ VAULTRUN_MASTER_KEYS: `2:${Buffer.alloc(32, 1).toString('base64')},1:${Buffer.alloc(32, 2).toString('base64')}` });
    expect(c.keyRing.active).toBe(2);
  });

  it('treats an empty variable as unset, as docker-compose passes ${VAR:-}', () => {
    const c = loadConfig({ VAULTRUN_ADMIN_PASSWORD: '', VAULTRUN_API_PORT: '', VAULTRUN_CONSOLE_DIST: '' });
    expect(c.bootstrap.password).toBeUndefined(); // generated at first start, not refused as too short
    expect(c.port).toBe(3000);
    expect(c.consoleDist).toBeUndefined();
    expect(() => load({ VAULTRUN_MASTER_KEYS: '' })).toThrow(/No master key configured/);
  });

  it('trusts X-Forwarded-For from exactly the proxies it is told of: none by default', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ VAULTRUN_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    // `true` used to mean "every hop" (a client could pick its own address): it now means the one proxy in front.
    expect(loadConfig({ VAULTRUN_TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(loadConfig({ VAULTRUN_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ VAULTRUN_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
    for (const bad of ['0.5', '99', 'nginx', '10.0.0.0/33', '1.2.3.4/8/1']) {
      expect(() => loadConfig({ VAULTRUN_TRUST_PROXY: bad })).toThrow(/VAULTRUN_TRUST_PROXY: must be false, a number of proxy hops/);
    }
  });

  it('reads its part of the shared schema only: a worker setting, even a bad one, does not stop the API', () => {
    expect(loadConfig({ VAULTRUN_RUNS_CONCURRENCY: '0', VAULTRUN_RUN_LEASE_MS: 'soon' })).toMatchObject({ port: 3000, redisPrefix: 'vr' });
    expect(loadConfig({})).not.toHaveProperty('runsConcurrency');
  });

  it('names every variable at fault', () => {
    expect(() => loadConfig({ VAULTRUN_API_PORT: '99999', REDIS_URL: 'http://x', VAULTRUN_ADMIN_PASSWORD: 'short' })).toThrow(ConfigError);
    try {
      loadConfig({ VAULTRUN_API_PORT: '99999', REDIS_URL: 'http://x', VAULTRUN_ADMIN_PASSWORD: 'short' });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('VAULTRUN_API_PORT');
      expect(msg).toContain('REDIS_URL');
      expect(msg).toContain('VAULTRUN_ADMIN_PASSWORD: must be at least 12 characters');
      expect(msg).not.toContain('short');
    }
  });
});
