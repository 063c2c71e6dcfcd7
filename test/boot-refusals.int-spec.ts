/**
 * Both processes fail closed before serving: missing, malformed or wrong master keys, or a key version that
 * stored data needs but the ring lacks → exit 1 with a sentence naming the version, never key material.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, seedWorkspace, signIn, startTestApi } from './support/api.js';
import { testEnv } from './support/env.js';
import { scratchDatabase } from './support/scratch-db.js';
import { runBuilt } from './support/spawn.js';

const newKey = () => randomBytes(32).toString('base64');

describe.each([
  ['API', 'apps/api/dist/main.js', { VAULTRUN_API_PORT: '0' }],
  ['worker', 'apps/worker/dist/main.js', { VAULTRUN_WORKER_HEALTH_PORT: '0' }],
])('%s boot with a bad master key ring', (_name, entry, extra) => {
  // The first process to see a key version records its key check; make sure that was the real key.
  beforeAll(async () => (await startTestApi()).close());

  const boot = (env: Record<string, string>) => runBuilt(entry, { DATABASE_URL: testEnv().databaseUrl, VAULTRUN_REDIS_PREFIX: `${testEnv().redisPrefix}:boot`, ...extra, ...env });

  it('refuses to start without one', () => {
    const res = boot({});
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Invalid master key configuration: No master key configured\. Set VAULTRUN_MASTER_KEYS/);
  });

  it('refuses a malformed one, without echoing it', () => {
    const secret = newKey().slice(0, 20);
    const res = boot({ VAULTRUN_MASTER_KEYS: `1:${secret}` });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Master key version 1 is \d+ bytes after base64 decoding; it must be exactly 32/);
    expect(res.stderr).not.toContain(secret);
  });

  it('refuses a key that does not match what version 1 was created with', () => {
    const wrong = newKey();
    const res = boot({ VAULTRUN_MASTER_KEYS: `1:${wrong}` });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Master key version 1 does not match the key check stored in the database');
    expect(res.stderr).not.toContain(wrong);
  });
});

describe('a ring that lacks a version stored data still uses', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  const v1 = newKey();
  const v2 = newKey();

  beforeAll(async () => {
    db = await scratchDatabase();
    const api = await startTestApi({ DATABASE_URL: db.url, VAULTRUN_MASTER_KEYS: `1:${v1},2:${v2}` });
    try {
      const ws = await seedWorkspace(api.db);
      const owner = await signIn(api.url, ws.users.owner);
      const res = await as(owner).post('/api/v1/provider-accounts', { name: 'on v2', kind: 'openai', apiKey: 'sk-proj-test-v2', verify: false });
      expect(res.status).toBe(201);
    } finally {
      await api.close();
    }
  });
  afterAll(() => db.drop());

  it.each([
    ['API', 'apps/api/dist/main.js', { VAULTRUN_API_PORT: '0' }],
    ['worker', 'apps/worker/dist/main.js', { VAULTRUN_WORKER_HEALTH_PORT: '0' }],
  ])('%s refuses, naming the missing version', (_name, entry, extra) => {
    const res = runBuilt(entry, { DATABASE_URL: db.url, VAULTRUN_MASTER_KEYS: `1:${v1}`, VAULTRUN_REDIS_PREFIX: `${testEnv().redisPrefix}:boot2`, ...extra });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Stored secrets use master key version 2, which the key ring does not contain');
    expect(res.stderr).not.toContain(v1);
  });
});
