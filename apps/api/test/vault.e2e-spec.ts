import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { as, bearer, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';

/** Obviously fake test keys: a recognisable shape and a short random tail. */
const key = (tag = '') => `sk-proj-test${tag ? `-${tag}` : ''}-${randomBytes(6).toString('hex')}`;

describe('Provider Vault', () => {
  let api: TestApi;
  let fake: FakeOpenAI;
  let ws: SeededWorkspace;
  let admin: Session;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ['gpt-4.1-mini', 'gpt-4.1', 'o4-mini'] });
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    admin = await signIn(api.url, ws.users.admin);
  });
  afterAll(async () => {
    await api.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const create = (body: object) => as(admin).post('/api/v1/provider-accounts', { kind: 'openai', baseUrl: fake.url, name: `acct-${randomBytes(4).toString('hex')}`, ...body });

  it('stores a key write-only: verified models, a hint and a fingerprint, never the key', async () => {
    const k = key();
    const res = await create({ apiKey: k, defaultModel: 'gpt-4.1-mini' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      kind: 'openai',
      status: 'active',
      models: ['gpt-4.1', 'gpt-4.1-mini', 'o4-mini'],
      key: { hint: `sk-proj-…${k.slice(-4)}`, fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{16}$/), shape: 'project' },
      lastError: null,
      lastVerifiedAt: expect.any(String),
    });
    expect(res.body.providerLimits.requests.limit).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain(k.slice(8));
    // "List the available models" reached the provider with the stored key.
    expect(fake.requests.map((r) => [r.method, r.path, r.key])).toEqual([['GET', '/v1/models', k]]);

    const [row] = await api.db.query(`SELECT s.ciphertext, a.dek_wrapped, a.kek_version, a.dek_version FROM provider_secrets s JOIN provider_accounts a ON a.id = s.account_id WHERE a.id = $1`, [res.body.id]);
    expect(row.ciphertext).toMatch(/^v2\.1\.[A-Za-z0-9_-]+$/);
    expect(row.dek_wrapped).toMatch(/^v1\.1\.1\.[A-Za-z0-9_-]+$/);
    expect(row.kek_version).toBe(1);
    expect(row.ciphertext).not.toContain(k);

    for (const path of ['/api/v1/provider-accounts', `/api/v1/provider-accounts/${res.body.id}`]) {
      const got = await admin.agent.get(path);
      expect(got.headers['cache-control']).toBe('no-store');
      expect(JSON.stringify(got.body)).not.toContain(k.slice(8));
    }
  });

  it.each([
    ['invalid', 'invalid_key', 'invalid_api_key', 'Invalid API key — verify the full key was copied'],
    ['quota', 'quota_exhausted', 'insufficient_quota', "Insufficient quota — check the provider's billing"],
    ['ratelimit', 'rate_limited', 'rate_limited', 'Rate limit exceeded — waiting and retrying'],
    ['nomodel', 'unverified', 'model_not_found', 'Model not found — verify model access'],
    ['broken', 'unverified', 'provider_unavailable', 'Provider unavailable'],
  ])('maps a provider answer for a "%s" key to status %s and code %s, in words', async (tag, status, code, message) => {
    const k = key(tag);
    const res = await create({ apiKey: k });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe(status);
    expect(res.body.lastError).toEqual({ code, message });
    expect(res.body.lastVerifiedAt).toBeNull();
    expect(res.body.lastCheckedAt).not.toBeNull();
    if (tag === 'ratelimit') {
      const until = Date.parse(res.body.rateLimitedUntil);
      expect(until).toBeGreaterThan(Date.now());
      expect(until).toBeLessThan(Date.now() + 10_000);
    }
    // Exactly one call: Vaultrun does not let the SDK retry behind its back.
    expect(fake.requests).toHaveLength(1);
    expect(JSON.stringify(res.body)).not.toContain(k.slice(8));
  });

  it('refuses an admin key as an inference key, and warns about an unknown shape', async () => {
    const refused = await create({ apiKey: `sk-admin-test-${randomBytes(6).toString('hex')}` });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].field).toBe('apiKey');
    expect(refused.body.errors[0].message).toMatch(/admin key/);
    const odd = await create({ apiKey: `weird-${randomBytes(6).toString('hex')}` });
    expect(odd.status).toBe(201);
    expect(odd.body.key.shape).toBe('unknown');
    expect(odd.body.warnings.map((w: { code: string }) => w.code)).toContain('unknown_key_shape');
    expect((await create({ apiKey: 'sk-proj-has spaces' })).status).toBe(400);
    expect((await create({})).body.errors[0]).toMatchObject({ field: 'apiKey' });
    expect((await as(admin).post('/api/v1/provider-accounts', { name: 'compat', kind: 'openai-compatible' })).body.errors[0].field).toBe('baseUrl');
    expect((await as(admin).post('/api/v1/provider-accounts', { name: 'mock2', kind: 'mock', apiKey: 'sk-x' })).body.errors[0].field).toBe('apiKey');
  });

  it('gives every workspace the mock provider, usable without any key', async () => {
    const list = await admin.agent.get('/api/v1/provider-accounts');
    const mock = list.body.items.find((a: { kind: string }) => a.kind === 'mock');
    expect(mock).toMatchObject({ name: 'Mock provider', status: 'active', key: null, models: ['mock-fast', 'mock-smart'] });
    const verified = await as(admin).post(`/api/v1/provider-accounts/${mock.id}/verify`);
    expect(verified.body).toMatchObject({ ok: true, account: { status: 'active' } });
    const created = await as(admin).post('/api/v1/workspaces', { name: `fresh-${randomBytes(3).toString('hex')}` });
    expect(created.status).toBe(201);
    const fresh = await admin.agent.get('/api/v1/provider-accounts');
    expect(fresh.body.items).toEqual([expect.objectContaining({ kind: 'mock', name: 'Mock provider' })]);
    await as(admin).post('/api/v1/auth/workspace', { workspaceId: ws.id });
  });

  it('fingerprints a key with the instance HMAC: equal for the same key in this instance, not a plain SHA-256', async () => {
    const k = key();
    const first = await create({ apiKey: k, verify: false });
    const second = await create({ apiKey: k, verify: false });
    const other = await create({ apiKey: key(), verify: false });
    expect(first.body.key.fingerprint).toMatch(/^hmac-sha256:[0-9a-f]{16}$/);
    expect(second.body.key.fingerprint).toBe(first.body.key.fingerprint);
    expect(other.body.key.fingerprint).not.toBe(first.body.key.fingerprint);
    expect(first.body.key.fingerprint).not.toContain(createHash('sha256').update(k).digest('hex').slice(0, 16));
    // Another process of the same instance (same database, same master key) computes the same fingerprint.
    const again = await startTestApi();
    try {
      const session = await signIn(again.url, ws.users.admin);
      const rotated = await as(session).post(`/api/v1/provider-accounts/${other.body.id}/rotate`, { apiKey: k, verify: false });
      expect(rotated.body.key.fingerprint).toBe(first.body.key.fingerprint);
    } finally {
      await again.close();
    }
  });

  it('never changes the key on a metadata update, even when the hint is echoed back', async () => {
    const k = key();
    const { body } = await create({ apiKey: k });
    const before = await api.db.query(`SELECT ciphertext FROM provider_secrets WHERE account_id = $1`, [body.id]);
    const renamed = await as(admin).patch(`/api/v1/provider-accounts/${body.id}`, { name: `${body.name}-renamed`, defaultModel: 'gpt-4.1', limits: { maxConcurrency: 2, requestsPerMinute: 100 } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ defaultModel: 'gpt-4.1', limits: { maxConcurrency: 2, requestsPerMinute: 100, tokensPerMinute: null }, key: body.key });
    const echoed = await as(admin).patch(`/api/v1/provider-accounts/${body.id}`, { name: 'x', key: body.key, apiKey: body.key.hint });
    expect(echoed.status).toBe(400);
    const after = await api.db.query(`SELECT ciphertext FROM provider_secrets WHERE account_id = $1`, [body.id]);
    expect(after).toEqual(before);
    await as(admin).post(`/api/v1/provider-accounts/${body.id}/verify`);
    expect(fake.requests.at(-1)!.key).toBe(k);
  });

  it('rotates in place: same id, the next call uses the new key, the old ciphertext is gone', async () => {
    const oldKey = key();
    const { body } = await create({ apiKey: oldKey });
    const [before] = await api.db.query(`SELECT s.ciphertext, a.dek_wrapped, a.dek_version FROM provider_secrets s JOIN provider_accounts a ON a.id = s.account_id WHERE a.id = $1`, [body.id]);
    const newKey = `sk-svcacct-test-${randomBytes(6).toString('hex')}`;
    const rotated = await as(admin).post(`/api/v1/provider-accounts/${body.id}/rotate`, { apiKey: newKey });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ id: body.id, status: 'active', key: { hint: `sk-svcacct-…${newKey.slice(-4)}`, shape: 'service_account' } });
    expect(rotated.body.key.fingerprint).not.toBe(body.key.fingerprint);
    const [after] = await api.db.query(`SELECT s.ciphertext, a.dek_wrapped, a.dek_version FROM provider_secrets s JOIN provider_accounts a ON a.id = s.account_id WHERE a.id = $1`, [body.id]);
    expect(after.dek_version).toBe(before.dek_version + 1);
    expect(after.ciphertext).not.toBe(before.ciphertext);
    expect(after.dek_wrapped).not.toBe(before.dek_wrapped);

    fake.reset();
    await as(admin).post(`/api/v1/provider-accounts/${body.id}/verify`);
    expect(fake.requests.map((r) => r.key)).toEqual([newKey]);
    const audit = await admin.agent.get('/api/v1/audit-events?action=vault.account.rotate');
    expect(audit.body.items[0]).toMatchObject({ outcome: 'success', target: { id: body.id }, metadata: { fromHint: body.key.hint, toHint: rotated.body.key.hint, verified: true } });
  });

  it('keeps the old key when the new one is refused by the provider', async () => {
    const oldKey = key();
    const { body } = await create({ apiKey: oldKey });
    const refused = await as(admin).post(`/api/v1/provider-accounts/${body.id}/rotate`, { apiKey: key('invalid') });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('invalid_api_key');
    expect(refused.body.detail).toMatch(/not saved.*Invalid API key.*previous key is still in use/);
    expect((await admin.agent.get(`/api/v1/provider-accounts/${body.id}`)).body.key).toEqual(body.key);
    fake.reset();
    await as(admin).post(`/api/v1/provider-accounts/${body.id}/verify`);
    expect(fake.requests.map((r) => r.key)).toEqual([oldKey]);
    // Without verification the key is switched at once and the account waits to be verified.
    const unchecked = await as(admin).post(`/api/v1/provider-accounts/${body.id}/rotate`, { apiKey: key(), verify: false });
    expect(unchecked.body.status).toBe('unverified');
  });

  it('stores an admin key as its own secret, without disturbing the API key', async () => {
    const k = key();
    const { body } = await create({ apiKey: k });
    expect((await as(admin).put(`/api/v1/provider-accounts/${body.id}/admin-key`, { adminKey: key() })).status).toBe(400);
    const adminKey = `sk-admin-test-${randomBytes(6).toString('hex')}`;
    const set = await as(admin).put(`/api/v1/provider-accounts/${body.id}/admin-key`, { adminKey });
    expect(set.body.adminKey).toMatchObject({ hint: `sk-admin-…${adminKey.slice(-4)}`, shape: 'admin' });
    expect(set.body.key).toMatchObject({ hint: body.key.hint, fingerprint: body.key.fingerprint });
    fake.reset();
    await as(admin).post(`/api/v1/provider-accounts/${body.id}/verify`);
    expect(fake.requests.map((r) => r.key)).toEqual([k]);
    const cleared = await as(admin).delete(`/api/v1/provider-accounts/${body.id}/admin-key`);
    expect(cleared.body.adminKey).toBeNull();
    const rows = await api.db.query(`SELECT purpose FROM provider_secrets WHERE account_id = $1`, [body.id]);
    expect(rows).toEqual([{ purpose: 'api_key' }]);
  });

  it('deletes an account and destroys its ciphertext', async () => {
    const { body } = await create({ apiKey: key() });
    expect((await as(admin).delete(`/api/v1/provider-accounts/${body.id}`)).status).toBe(204);
    expect((await admin.agent.get(`/api/v1/provider-accounts/${body.id}`)).status).toBe(404);
    const [{ n }] = await api.db.query(`SELECT count(*)::int AS n FROM provider_secrets WHERE account_id = $1`, [body.id]);
    expect(n).toBe(0);
    const audit = await admin.agent.get('/api/v1/audit-events?action=vault.account.delete');
    expect(audit.body.items[0]).toMatchObject({ target: { id: body.id }, metadata: { name: body.name, keyHint: body.key.hint } });
  });

  it('shares: restricted accounts are invisible to everyone not listed; members use, viewers only read', async () => {
    const member = await signIn(api.url, ws.users.member);
    const viewer = await signIn(api.url, ws.users.viewer);
    const tokenRes = await as(admin).post('/api/v1/tokens', { name: 'app', scopes: ['run'] });
    const restricted = await create({ apiKey: key(), visibility: 'restricted', allowedUserIds: [ws.users.member.id], allowedTokenIds: [tokenRes.body.id] });
    expect(restricted.body.access).toEqual({ userIds: [ws.users.member.id], tokenIds: [tokenRes.body.id] });
    const id = restricted.body.id;

    expect((await member.agent.get(`/api/v1/provider-accounts/${id}`)).status).toBe(200);
    expect((await bearer(api.url, tokenRes.body.token).get(`/api/v1/provider-accounts/${id}`)).status).toBe(200);
    expect((await viewer.agent.get(`/api/v1/provider-accounts/${id}`)).status).toBe(404);
    expect((await viewer.agent.get('/api/v1/provider-accounts')).body.items.map((a: { id: string }) => a.id)).not.toContain(id);
    expect((await as(member).post(`/api/v1/provider-accounts/${id}/verify`)).status).toBe(403);
    expect((await as(member).patch(`/api/v1/provider-accounts/${id}`, { name: 'mine' })).status).toBe(403);

    const shared = await as(admin).patch(`/api/v1/provider-accounts/${id}`, { visibility: 'workspace' });
    expect(shared.body.visibility).toBe('workspace');
    expect((await viewer.agent.get(`/api/v1/provider-accounts/${id}`)).status).toBe(200);
    const audit = await admin.agent.get('/api/v1/audit-events?action=vault.account.sharing_change');
    expect(audit.body.items[0]).toMatchObject({ target: { id }, metadata: { visibilityFrom: 'restricted', visibilityTo: 'workspace' } });

    const stranger = await seedWorkspace(api.db);
    const bad = await create({ apiKey: key(), visibility: 'restricted', allowedUserIds: [stranger.users.member.id] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toEqual({ field: 'allowedUserIds.0', message: 'is not a member of this workspace' });
  });

  it('keeps the provider-reported limits and warns when Vaultrun\'s exceed them', async () => {
    fake.reset();
    const { body } = await create({ apiKey: key(), limits: { requestsPerMinute: 10_000, tokensPerMinute: 1_000_000 } });
    expect(body.providerLimits).toMatchObject({ requests: { limit: 500 }, tokens: { limit: 30000 } });
    const codes = body.warnings.map((w: { code: string; message: string }) => w.code);
    expect(codes.filter((c: string) => c === 'limits_exceed_provider')).toHaveLength(2);
    const within = await as(admin).patch(`/api/v1/provider-accounts/${body.id}`, { limits: { requestsPerMinute: 400, tokensPerMinute: 20_000 } });
    expect(within.body.warnings).toEqual([]);
  });

  it('refuses duplicate names and audits every add, verify and delete', async () => {
    const name = `dup-${randomBytes(3).toString('hex')}`;
    expect((await create({ name, apiKey: key() })).status).toBe(201);
    const dup = await create({ name, apiKey: key() });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('account_name_taken');
    const audit = await admin.agent.get('/api/v1/audit-events?action=vault.account.');
    const actions = new Set(audit.body.items.map((e: { action: string }) => e.action));
    for (const a of ['vault.account.create', 'vault.account.verify', 'vault.account.rotate', 'vault.account.delete', 'vault.account.admin_key_set', 'vault.account.update']) {
      expect(actions).toContain(a);
    }
  });

  it('isolates tenants: workspace B cannot list, read, verify, rotate, share, delete or even detect A\'s account', async () => {
    const k = key();
    const { body: account } = await create({ apiKey: k });
    const b = await seedWorkspace(api.db);
    const randomId = '3f1e8c52-7a4b-4c1d-9e2f-0a6b5c4d3e21';
    fake.reset();
    const strip = (r: { status: number; body: Record<string, unknown> }) => {
      const { instance: _i, requestId: _r, ...rest } = r.body ?? {};
      return { status: r.status, body: rest };
    };
    for (const role of ['owner', 'admin', 'member', 'viewer'] as const) {
      const s = await signIn(api.url, b.users[role]);
      const list = await s.agent.get('/api/v1/provider-accounts');
      expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(account.id);
      const attempts = (id: string) => [
        s.agent.get(`/api/v1/provider-accounts/${id}`),
        as(s).post(`/api/v1/provider-accounts/${id}/verify`),
        as(s).post(`/api/v1/provider-accounts/${id}/rotate`, { apiKey: 'sk-proj-test-takeover', verify: false }),
        as(s).patch(`/api/v1/provider-accounts/${id}`, { visibility: 'workspace' }),
        as(s).put(`/api/v1/provider-accounts/${id}/admin-key`, { adminKey: 'sk-admin-test-takeover' }),
        as(s).delete(`/api/v1/provider-accounts/${id}`),
      ];
      const real = await Promise.all(attempts(account.id));
      const absent = await Promise.all(attempts(randomId));
      // Exactly the answers an id that exists nowhere gets: nothing to detect.
      expect(real.map(strip)).toEqual(absent.map(strip));
      // Owners and admins (who could act on an account of their own) get 404 everywhere; the read is 404 for all.
      if (role === 'owner' || role === 'admin') expect(real.map((r) => r.status)).toEqual([404, 404, 404, 404, 404, 404]);
      expect(real[0]!.status).toBe(404);
    }
    expect(fake.requests).toEqual([]);
    const intact = await admin.agent.get(`/api/v1/provider-accounts/${account.id}`);
    expect(intact.body).toMatchObject({ key: account.key, visibility: 'workspace', adminKey: null });
    await as(admin).post(`/api/v1/provider-accounts/${account.id}/verify`);
    expect(fake.requests.map((r) => r.key)).toEqual([k]);
  });
});
