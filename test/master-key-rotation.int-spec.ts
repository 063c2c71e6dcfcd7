/**
 * Master-key rotation, online: the API keeps serving (verifications decrypting keys, provider-key rotations
 * writing new data keys) while `vaultrun vault:rotate` re-wraps every data key in small batches. Afterwards
 * every key decrypts with the new master key alone and the old version can be retired.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from './support/api.js';
import { testEnv } from './support/env.js';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.js';
import { scratchDatabase } from './support/scratch-db.js';
import { ROOT, runBuilt } from './support/spawn.js';

const v1 = `1:${randomBytes(32).toString('base64')}`;
const v2 = `2:${randomBytes(32).toString('base64')}`;
const ACCOUNTS = 40;

describe('master-key rotation while requests are served', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let fake: FakeOpenAI;
  let api: TestApi;
  let owner: Session;
  let ws: SeededWorkspace;
  const accounts: { id: string; key: string }[] = [];

  beforeAll(async () => {
    db = await scratchDatabase();
    fake = await startFakeOpenAI();
    const first = await startTestApi({ DATABASE_URL: db.url, VAULTRUN_MASTER_KEYS: v1 });
    ws = await seedWorkspace(first.db);
    const session = await signIn(first.url, ws.users.owner);
    for (let i = 0; i < ACCOUNTS; i++) {
      const key = `sk-proj-test-${i}-${randomBytes(4).toString('hex')}`;
      const res = await as(session).post('/api/v1/provider-accounts', { name: `acct-${i}`, kind: 'openai', baseUrl: fake.url, apiKey: key, verify: false });
      accounts.push({ id: res.body.id, key });
    }
    await first.close();
    // The operator adds version 2 and restarts: new data keys use v2, v1 still decrypts.
    api = await startTestApi({ DATABASE_URL: db.url, VAULTRUN_MASTER_KEYS: `${v1},${v2}` });
    owner = await signIn(api.url, ws.users.owner);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
    await db?.drop();
  });

  it('re-wraps everything online, with no failed request, and v1 can then be retired', async () => {
    const [{ before }] = await api.db.query(`SELECT count(*)::int AS before FROM provider_accounts WHERE kek_version = 1`);
    expect(before).toBe(ACCOUNTS);

    // A process someone forgot to give the new key: it booted fine (every secret was still on v1)…
    const stale = await startTestApi({ DATABASE_URL: db.url, VAULTRUN_MASTER_KEYS: v1 });
    expect((await supertest(stale.url).get('/ready')).status).toBe(200);

    let serving = true;
    const statuses: number[] = [];
    const load = (async () => {
      let i = 0;
      while (serving) {
        const a = accounts[i++ % ACCOUNTS]!;
        if (i % 7 === 0) {
          // A provider-key rotation writes a brand-new data key while the re-wrap runs.
          a.key = `sk-proj-test-rot-${randomBytes(4).toString('hex')}`;
          statuses.push((await as(owner).post(`/api/v1/provider-accounts/${a.id}/rotate`, { apiKey: a.key, verify: false })).status);
        } else {
          statuses.push((await as(owner).post(`/api/v1/provider-accounts/${a.id}/verify`)).status);
        }
      }
    })();

    const env = { DATABASE_URL: db.url, VAULTRUN_MASTER_KEYS: `${v1},${v2}`, REDIS_URL: testEnv().redisUrl, PATH: process.env.PATH ?? '' };
    const rotation = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [`${ROOT}/apps/api/dist/cli.js`, 'vault:rotate', '--batch', '3'], { cwd: '/', env });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (out += c));
      child.on('exit', (code) => resolve({ code, out }));
    });
    serving = false;
    await load;

    expect(rotation.out).toMatch(/Re-wrapped \d+ data key\(s\) under master key version 2/);
    expect(rotation.code).toBe(0);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const byVersion = await api.db.query(`SELECT kek_version, count(*)::int AS n FROM provider_accounts WHERE dek_wrapped IS NOT NULL GROUP BY kek_version`);
    expect(byVersion).toEqual([{ kek_version: 2, n: ACCOUNTS }]);

    // …and now says it is not ready (its ring lacks v2), so an orchestrator takes it out of service; the others are ready.
    const staleReady = await supertest(stale.url).get('/ready');
    expect(staleReady.status).toBe(503);
    expect(staleReady.body.checks).toMatchObject({ postgres: 'ok', redis: 'ok', masterKey: expect.stringContaining('master key version 2') });
    expect((await supertest(api.url).get('/ready')).body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', masterKey: 'ok' } });
    await stale.close();

    const status = runBuilt('apps/api/dist/cli.js', { DATABASE_URL: db.url, VAULTRUN_MASTER_KEYS: `${v1},${v2}` }, ['vault:status']);
    expect(status.stdout).toContain('Can be retired now: 1');

    // v1 retired: a process with only v2 boots and decrypts every key, including the ones rotated mid-way.
    await api.close();
    api = await startTestApi({ DATABASE_URL: db.url, VAULTRUN_MASTER_KEYS: v2 });
    owner = await signIn(api.url, ws.users.owner);
    fake.reset();
    for (const a of accounts) expect((await as(owner).post(`/api/v1/provider-accounts/${a.id}/verify`)).body.ok).toBe(true);
    expect(fake.requests.map((r) => r.key)).toEqual(accounts.map((a) => a.key));
  });
});
