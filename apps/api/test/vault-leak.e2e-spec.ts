/**
 * Leak canary. A unique key is stored and pushed through every vault endpoint and error path; then every
 * API response (body and headers), every line the API and the worker logged, every Redis key and value, and
 * every Postgres table (except the two ciphertext columns) are searched for the key or any 12-character
 * piece of it. The expected count everywhere is zero.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QUEUES } from '@vaultrun/engine';
import { accountsDueForReverify } from '@vaultrun/vault-core';
import { apiKeyPrefix } from '@vaultrun/providers';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { as, bearer, seedWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';
import { testEnv } from '../../../test/support/env.js';
import { type FakeAnthropic, startFakeAnthropic } from '../../../test/support/fake-anthropic.js';
import { type FakeAzureOpenAI, startFakeAzureOpenAI } from '../../../test/support/fake-azure-openai.js';
import { type FakeGemini, startFakeGemini } from '../../../test/support/fake-gemini.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { CapturedLogs } from '../../../test/support/logs.js';
import { scratchDatabase } from '../../../test/support/scratch-db.js';
import { eventually } from '../../../test/support/runs.js';
import { startTestWorker } from '../../../test/support/worker.js';
import type supertest from 'supertest';

const canary = (tag = '') => `sk-proj-canary${tag}${randomBytes(10).toString('hex')}`;
/**
 * Every 12-character window of a secret, except one that is wholly the key's kind prefix (sk-ant-admin…): that is
 * public — every key of the kind starts with it, and the hint shows it.
 */
const pieces = (secret: string) =>
  Array.from({ length: secret.length - 11 }, (_, i) => secret.slice(i, i + 12)).filter((piece, i) => i + 12 > apiKeyPrefix(secret).length);

describe('leak canary: a stored key appears nowhere', () => {
  let api: TestApi;
  let fake: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let azure: FakeAzureOpenAI;
  let gemini: FakeGemini;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  let owner: Session;
  // nestjs-pino keeps one logger per process (the first configuration wins), so the in-process API and
  // worker both write here; the worker's lines are recognisable by their context.
  const logs = new CapturedLogs();
  const responses: string[] = [];
  let gatewayCalls = 0;
  const tail = () => randomBytes(10).toString('hex');
  const keys = {
    main: canary(),
    rotated: canary('rot'),
    refused: canary('invalid'),
    quota: canary('quota'),
    admin: `sk-admin-canary${tail()}`,
    misplaced: canary('misplaced'),
    // An instance's managed account (docs/managed.md): created, offered, rotated, called by a workspace's runs and apps.
    managed: canary('managed'),
    managedRotated: canary('mrot'),
    // A key of each newer kind, a refused one of each, Anthropic's admin key, a preset's key, and a key pasted into the wrong kind.
    anthropic: `sk-ant-api03-canary${tail()}`,
    anthropicRefused: `sk-ant-api03-canaryinvalid${tail()}`,
    anthropicAdmin: `sk-ant-admin01-canary${tail()}`,
    azure: `canaryazure${tail()}`,
    azureRefused: `canaryazureinvalid${tail()}`,
    gemini: `AIzaSyCanary${tail()}`,
    geminiRefused: `AIzaSyCanaryinvalid${tail()}`,
    openrouter: `sk-or-v1-canary${tail()}`,
    wrongKind: `sk-ant-api03-canarywrong${tail()}`,
  };

  const keep = async (req: supertest.Test | Promise<supertest.Response>) => {
    const res = await req;
    responses.push(JSON.stringify(res.headers), res.text ?? '');
    return res;
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    [anthropic, azure, gemini] = await Promise.all([startFakeAnthropic(), startFakeAzureOpenAI(), startFakeGemini()]);
    const prefix = `${testEnv().redisPrefix}:leak${randomBytes(3).toString('hex')}`;
    scratch = await scratchDatabase();
    api = await startTestApi({ LOG_LEVEL: 'trace', VAULTRUN_REDIS_PREFIX: prefix, DATABASE_URL: scratch.url }, { logDestination: logs });
    worker = await startTestWorker({ LOG_LEVEL: 'trace', VAULTRUN_REDIS_PREFIX: prefix, DATABASE_URL: scratch.url }, { logDestination: logs });
    const ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);

    // Every endpoint and error path, with the canary in play.
    const created = await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary', kind: 'openai', baseUrl: fake.url, apiKey: keys.main }));
    const id = created.body.id as string;
    await keep(owner.agent.get('/api/v1/provider-accounts'));
    await keep(owner.agent.get(`/api/v1/provider-accounts/${id}`));
    await keep(as(owner).patch(`/api/v1/provider-accounts/${id}`, { name: 'canary-renamed', limits: { requestsPerMinute: 9999 } }));
    await keep(as(owner).patch(`/api/v1/provider-accounts/${id}`, { apiKey: keys.main }));
    // Endpoint changes: refused without the key, refused by the new endpoint, and done (then back again).
    await keep(as(owner).patch(`/api/v1/provider-accounts/${id}`, { baseUrl: fake.url.replace('127.0.0.1', 'localhost') }));
    await keep(as(owner).patch(`/api/v1/provider-accounts/${id}`, { baseUrl: fake.url.replace('127.0.0.1', 'localhost'), apiKey: keys.main.replace('canary', 'canaryinvalid') }));
    await keep(as(owner).patch(`/api/v1/provider-accounts/${id}`, { baseUrl: fake.url.replace('127.0.0.1', 'localhost'), apiKey: keys.main }));
    await keep(as(owner).patch(`/api/v1/provider-accounts/${id}`, { baseUrl: fake.url, apiKey: keys.main }));
    await keep(as(owner).patch(`/api/v1/provider-accounts/${id}`, { baseUrl: 'http://169.254.169.254/v1', apiKey: keys.main }));
    await keep(as(owner).post(`/api/v1/provider-accounts/${id}/verify`));
    await keep(as(owner).post(`/api/v1/provider-accounts/${id}/rotate`, { apiKey: keys.refused }));
    await keep(as(owner).post(`/api/v1/provider-accounts/${id}/rotate`, { apiKey: keys.quota }));
    await keep(as(owner).post(`/api/v1/provider-accounts/${id}/rotate`, { apiKey: keys.admin }));
    await keep(as(owner).post(`/api/v1/provider-accounts/${id}/rotate`, { apiKey: keys.rotated }));
    await keep(as(owner).put(`/api/v1/provider-accounts/${id}/admin-key`, { adminKey: keys.misplaced }));
    await keep(as(owner).put(`/api/v1/provider-accounts/${id}/admin-key`, { adminKey: keys.admin }));
    await keep(as(owner).post(`/api/v1/provider-accounts/${id}/verify`));
    await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary-renamed', kind: 'openai', baseUrl: fake.url, apiKey: keys.main }));
    await keep(as(owner).post('/api/v1/provider-accounts', { name: 'x', kind: 'openai', apiKey: keys.main, bogus: keys.main }));
    await keep(owner.agent.post('/api/v1/provider-accounts').set('x-csrf-token', owner.csrf).set('content-type', 'application/json').send(`{"apiKey": "${keys.main}", `));
    await keep(as(owner).post('/api/v1/provider-accounts', { name: 'big', kind: 'openai', apiKey: keys.main, baseUrl: `https://x/${'a'.repeat(2_000_000)}` }));
    await keep(bearer(api.url, keys.main).get('/api/v1/provider-accounts'));
    const broken = await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary-broken', kind: 'openai', baseUrl: fake.url, apiKey: keys.main.replace('canary', 'canaryinvalid') }));
    (keys as Record<string, string>).brokenVerify = keys.main.replace('canary', 'canaryinvalid');

    // The newer kinds: connect (verify), refused keys, the Anthropic admin key, rotation, a preset, a misplaced key.
    const claude = await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary-claude', kind: 'anthropic', baseUrl: anthropic.url, apiKey: keys.anthropic }));
    await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary-claude-bad', kind: 'anthropic', baseUrl: anthropic.url, apiKey: keys.anthropicRefused }));
    await keep(as(owner).post(`/api/v1/provider-accounts/${claude.body.id}/rotate`, { apiKey: keys.anthropicRefused }));
    await keep(as(owner).post(`/api/v1/provider-accounts/${claude.body.id}/rotate`, { apiKey: keys.anthropicAdmin }));
    await keep(as(owner).put(`/api/v1/provider-accounts/${claude.body.id}/admin-key`, { adminKey: keys.anthropic }));
    await keep(as(owner).put(`/api/v1/provider-accounts/${claude.body.id}/admin-key`, { adminKey: keys.anthropicAdmin }));
    const azureAccount = await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary-azure', kind: 'azure-openai', baseUrl: azure.url, apiKey: keys.azure }));
    await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary-azure-bad', kind: 'azure-openai', baseUrl: azure.url, apiKey: keys.azureRefused }));
    const geminiAccount = await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary-gemini', kind: 'gemini', baseUrl: gemini.url, apiKey: keys.gemini }));
    await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary-gemini-bad', kind: 'gemini', baseUrl: gemini.url, apiKey: keys.geminiRefused }));
    await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary-router', kind: 'openai-compatible', preset: 'openrouter', apiKey: keys.openrouter, verify: false }));
    await keep(as(owner).post('/api/v1/provider-accounts', { name: 'canary-wrong', kind: 'gemini', baseUrl: gemini.url, apiKey: keys.wrongKind }));
    await keep(as(owner).post(`/api/v1/provider-accounts/${claude.body.id}/cost-sync`));
    await keep(owner.agent.get('/api/v1/audit-events?limit=200'));

    // The worker re-verifies on schedule: run its job now, so its decrypt-and-call path is covered too.
    await api.db.query(`UPDATE provider_accounts SET last_checked_at = NULL, status = 'active' WHERE id = ANY($1)`, [[id, broken.body.id, claude.body.id, azureAccount.body.id, geminiAccount.body.id]]);
    const connection = { url: testEnv().redisUrl };
    const queue = new Queue(QUEUES.vault, { connection, prefix: `${worker.prefix}:bull` });
    const events = new QueueEvents(QUEUES.vault, { connection, prefix: `${worker.prefix}:bull` });
    await events.waitUntilReady();
    const job = await queue.add('reverify-provider-accounts', {});
    const result = (await job.waitUntilFinished(events, 30_000)) as { checked: number; failed: number };
    expect(result.checked).toBeGreaterThanOrEqual(2);
    expect(result.failed).toBeGreaterThanOrEqual(1);
    await events.close();
    await queue.close();

    // The gateway: an app's calls on the stored key — plain, streamed, and refused by the provider (which echoes the key).
    const app = (await keep(as(owner).post('/api/v1/tokens', { name: 'leak-app', scopes: ['inference'] }))).body.token as string;
    const gateway = async (body: object) => {
      const res = await fetch(`${api.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${app}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      responses.push(JSON.stringify(Object.fromEntries(res.headers.entries())), text);
      return { status: res.status, text };
    };
    await eventually(() => gateway({ model: 'canary-renamed/gpt-4o-mini', messages: [{ role: 'user', content: 'leak?' }] }), (r) => r.status === 200, 'gateway call on the canary account');
    expect((await gateway({ model: 'canary-renamed/gpt-4o-mini', messages: [{ role: 'user', content: 'stream?' }], stream: true })).text).toContain('data: [DONE]');
    await api.db.query(`UPDATE provider_accounts SET status = 'active' WHERE id = $1`, [broken.body.id]);
    const before = fake.requests.filter((r) => r.key === (keys as Record<string, string>).brokenVerify).length;
    const refused = await eventually(
      () => gateway({ model: 'canary-broken/gpt-4o-mini', messages: [{ role: 'user', content: 'echo the key' }] }),
      () => fake.requests.filter((r) => r.key === (keys as Record<string, string>).brokenVerify).length > before,
      'gateway call refused by the provider',
    );
    expect([refused.status, JSON.parse(refused.text).error.code]).toEqual([502, 'upstream_auth_failed']);
    gatewayCalls = fake.requests.filter((r) => r.path.startsWith('/v1/chat/completions')).length;
    // Cost sync decrypts the Anthropic admin key in the worker: run it for that account (created "two days ago", so it
    // has closed days to compare) and wait for it.
    await api.db.query(`UPDATE provider_accounts SET created_at = now() - interval '2 days' WHERE id = $1`, [claude.body.id]);
    const maintenance = new Queue(QUEUES.maintenance, { connection, prefix: `${worker.prefix}:bull` });
    const maintenanceEvents = new QueueEvents(QUEUES.maintenance, { connection, prefix: `${worker.prefix}:bull` });
    await maintenanceEvents.waitUntilReady();
    const sync = await maintenance.add('cost-sync', { accountId: claude.body.id });
    await sync.waitUntilFinished(maintenanceEvents, 30_000);
    await maintenanceEvents.close();
    await maintenance.close();

    // The instance's key: connected, offered to this workspace, rotated, and used by its runs and its app (on credits).
    await api.db.query(`UPDATE users SET is_instance_admin = true WHERE id = $1`, [ws.users.owner.id]);
    const instanceAdmin = await signIn(api.url, ws.users.owner);
    const managed = await keep(
      as(instanceAdmin).post('/api/v1/instance/managed-accounts', { name: 'canary-managed', kind: 'openai', baseUrl: fake.url, apiKey: keys.managed, defaultModel: 'gpt-4o-mini', offer: 'all', share: { maxConcurrency: 2 } }),
    );
    expect(managed.status).toBe(201);
    await keep(as(instanceAdmin).post(`/api/v1/instance/managed-accounts/${managed.body.id}/rotate`, { apiKey: keys.managed.replace('canary', 'canaryinvalid') }));
    await keep(as(instanceAdmin).post(`/api/v1/instance/managed-accounts/${managed.body.id}/rotate`, { apiKey: keys.managedRotated }));
    await keep(as(instanceAdmin).get('/api/v1/instance/managed-accounts'));
    await keep(as(instanceAdmin).post(`/api/v1/instance/workspaces/${ws.id}/credits`, { kind: 'grant', amountMicroUsd: '5000000' }));
    const connector = ((await keep(as(owner).get('/api/v1/provider-accounts'))).body.items as { id: string; managed: boolean }[]).find((a) => a.managed)!;
    await keep(as(owner).get(`/api/v1/provider-accounts/${connector.id}`));
    // The scheduled re-verification checks the managed account, never its key-less connectors.
    const due = (await accountsDueForReverify(api.db, 0)).map((a) => a.id);
    expect([due.includes(managed.body.id), due.includes(connector.id)]).toEqual([true, false]);
    await keep(as(owner).post(`/api/v1/provider-accounts/${connector.id}/verify`));
    const managedOp = (await keep(as(owner).post('/api/v1/operators', { name: 'on credits', accountId: connector.id }))).body.id as string;
    const managedRun = (await keep(as(owner).post('/api/v1/runs', { operatorId: managedOp, input: 'leak through the instance key?' }))).body.id as string;
    await eventually(() => keep(as(owner).get(`/api/v1/runs/${managedRun}`)), (r) => r.body.status === 'succeeded', 'a run on the managed connector');
    expect((await gateway({ model: 'canary-managed/gpt-4o-mini', messages: [{ role: 'user', content: 'managed?' }] })).status).toBe(200);
    await keep(owner.agent.get('/api/v1/credits'));

    await keep(as(owner).delete(`/api/v1/provider-accounts/${id}`));
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await fake?.close();
    await Promise.all([anthropic?.close(), azure?.close(), gemini?.close()]);
    await scratch?.drop();
  });

  it('really exercised the key: the provider saw it, the logs and answers are not empty', () => {
    expect(fake.requests.some((r) => r.key === keys.main)).toBe(true);
    expect(fake.requests.some((r) => r.key === keys.rotated)).toBe(true);
    expect(fake.requests.some((r) => r.key === keys.managedRotated && r.path.startsWith('/v1/chat/completions'))).toBe(true);
    for (const [server, key] of [
      [anthropic, keys.anthropic],
      [anthropic, keys.anthropicRefused],
      [azure, keys.azure],
      [azure, keys.azureRefused],
      [gemini, keys.gemini],
      [gemini, keys.geminiRefused],
    ] as const) {
      expect(server.requests.some((r) => r.key === key)).toBe(true);
    }
    expect(anthropic.costRequests().map((r) => r.key)).toContain(keys.anthropicAdmin);
    expect(logs.text).toMatch(/"context":"MaintenanceProcessor"/);
    expect(logs.lines.length).toBeGreaterThan(20);
    expect(logs.text).toMatch(/"context":"VaultProcessor".*"msg":"re-verified provider accounts"/);
    expect(logs.text).toContain('"req":{"id"');
    expect(responses.length).toBeGreaterThan(30);
    // The gateway used the stored key too (a call, a stream, and a refusal that echoed it).
    expect(gatewayCalls).toBeGreaterThanOrEqual(3);
    expect(logs.text).toContain('/v1/chat/completions');
  });

  function expectAbsent(where: string, haystack: string) {
    for (const [name, secret] of Object.entries(keys)) {
      const found = pieces(secret).filter((p) => haystack.includes(p));
      expect({ where, key: name, found }).toEqual({ where, key: name, found: [] });
    }
  }

  it('is in no API response body or header', () => expectAbsent('responses', responses.join('\n')));

  it('is in nothing the API or the worker logged', () => expectAbsent('logs', logs.text));

  it('is in no Redis key or value', async () => {
    const redis = new Redis(testEnv().redisUrl);
    try {
      const dump: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
        cursor = next;
        for (const k of batch) {
          dump.push(k);
          const type = await redis.type(k);
          if (type === 'string') dump.push(String(await redis.get(k)));
          else if (type === 'hash') dump.push(JSON.stringify(await redis.hgetall(k)));
          else if (type === 'list') dump.push(JSON.stringify(await redis.lrange(k, 0, -1)));
          else if (type === 'set') dump.push(JSON.stringify(await redis.smembers(k)));
          else if (type === 'zset') dump.push(JSON.stringify(await redis.zrange(k, 0, -1)));
          else if (type === 'stream') dump.push(JSON.stringify(await redis.xrange(k, '-', '+')));
        }
      } while (cursor !== '0');
      expect(dump.length).toBeGreaterThan(0);
      expectAbsent('redis', dump.join('\n'));
    } finally {
      redis.disconnect();
    }
  });

  it('is in no Postgres table, apart from the ciphertext columns', async () => {
    const tables: { table_name: string }[] = await api.db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
    const dump: string[] = [];
    for (const { table_name } of tables) {
      const rows: Record<string, unknown>[] = await api.db.query(`SELECT * FROM "${table_name}"`);
      for (const row of rows) {
        if (table_name === 'provider_secrets') delete row.ciphertext;
        if (table_name === 'provider_accounts') delete row.dek_wrapped;
        dump.push(JSON.stringify(row));
      }
    }
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['provider_accounts', 'provider_secrets', 'audit_events']));
    expectAbsent('postgres', dump.join('\n'));
  });
});
