import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { as, bearer, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';

describe('API tokens', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let admin: Session;

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    admin = await signIn(api.url, ws.users.admin);
  });
  afterAll(() => api.close());

  it('shows a new token once, stores only its hash, and lists only its prefix', async () => {
    const created = await as(admin).post('/api/v1/tokens', { name: 'Support bot', scopes: ['run'] });
    expect(created.status).toBe(201);
    const token: string = created.body.token;
    expect(token).toMatch(/^vr_[A-Za-z0-9_-]{43}$/); // 32 random bytes = 256 bits
    expect(created.body.prefix).toBe(token.slice(0, 11));

    const list = await admin.agent.get('/api/v1/tokens');
    expect(list.status).toBe(200);
    const row = list.body.items.find((t: { id: string }) => t.id === created.body.id);
    expect(row).toMatchObject({ name: 'Support bot', prefix: created.body.prefix, scopes: ['run'], status: 'active' });
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(row.token).toBeUndefined();

    const stored = await api.db.query(`SELECT * FROM api_tokens WHERE id = $1`, [created.body.id]);
    expect(JSON.stringify(stored)).not.toContain(token.slice(11));
  });

  it('authenticates programs by bearer token and records its last use', async () => {
    const { body } = await as(admin).post('/api/v1/tokens', { name: 'reader', scopes: ['read'] });
    const client = bearer(api.url, body.token);
    const me = await client.get('/api/v1/workspace');
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(ws.id);
    const [row] = await api.db.query(`SELECT last_used_at FROM api_tokens WHERE id = $1`, [body.id]);
    expect(row.last_used_at).not.toBeNull();
  });

  it('enforces scopes: read cannot write, admin scope cannot mint tokens, session-only routes refuse tokens', async () => {
    const read = bearer(api.url, (await as(admin).post('/api/v1/tokens', { name: 'r', scopes: ['read'] })).body.token);
    const adminScoped = bearer(api.url, (await as(admin).post('/api/v1/tokens', { name: 'a', scopes: ['admin'] })).body.token);
    expect((await read.get('/api/v1/members')).status).toBe(200);
    expect((await read.post('/api/v1/invites', { email: 'x@example.test', role: 'member' })).status).toBe(403);
    expect((await adminScoped.get('/api/v1/audit-events')).status).toBe(200);
    const mint = await adminScoped.post('/api/v1/tokens', { name: 'child', scopes: ['read'] });
    expect(mint.status).toBe(403);
    expect(mint.body.detail).toMatch(/tokens:manage/);
    const me = await read.get('/api/v1/auth/me');
    expect(me.status).toBe(403);
    expect(me.body.code).toBe('session_required');
  });

  it('does not require CSRF for bearer writes (no cookie, no ambient authority)', async () => {
    const adminScoped = bearer(api.url, (await as(admin).post('/api/v1/tokens', { name: 'a2', scopes: ['admin'] })).body.token);
    const res = await adminScoped.post('/api/v1/invites', { email: `bot-invite-${Date.now()}@example.test`, role: 'viewer' });
    expect(res.status).toBe(201);
  });

  it('revokes: the token stops working at once and the revocation is audited', async () => {
    const { body } = await as(admin).post('/api/v1/tokens', { name: 'short-lived', scopes: ['read'] });
    const client = bearer(api.url, body.token);
    expect((await client.get('/api/v1/workspace')).status).toBe(200);
    const revoked = await as(admin).delete(`/api/v1/tokens/${body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    const after = await client.get('/api/v1/workspace');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('token_revoked');
    const audit = await admin.agent.get('/api/v1/audit-events?action=token.');
    const actions = audit.body.items.filter((e: { target: { id: string } | null }) => e.target?.id === body.id).map((e: { action: string }) => e.action);
    expect(actions.sort()).toEqual(['token.create', 'token.revoke']);
    expect(JSON.stringify(audit.body)).not.toContain(body.token);
  });

  it('expires tokens at their expiry time and refuses expiries in the past', async () => {
    const past = await as(admin).post('/api/v1/tokens', { name: 'old', scopes: ['read'], expiresAt: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.errors[0]).toEqual({ field: 'expiresAt', message: 'must be in the future' });
    const { body } = await as(admin).post('/api/v1/tokens', { name: 'soon', scopes: ['read'], expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await api.db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [body.id]);
    const res = await bearer(api.url, body.token).get('/api/v1/workspace');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_expired');
  });

  it('refuses malformed and unknown bearer tokens with a clear 401', async () => {
    expect((await supertest(api.url).get('/api/v1/workspace').set('authorization', 'Basic abc')).body.code).toBe('invalid_authorization');
    expect((await bearer(api.url, 'sk-proj-not-ours').get('/api/v1/workspace')).body.code).toBe('invalid_token');
    expect((await bearer(api.url, 'vr_doesnotexist').get('/api/v1/workspace')).status).toBe(401);
  });

  it('lets only token managers see and manage tokens', async () => {
    const member = await signIn(api.url, ws.users.member);
    expect((await member.agent.get('/api/v1/tokens')).status).toBe(403);
    expect((await as(member).post('/api/v1/tokens', { name: 'm', scopes: ['read'] })).status).toBe(403);
  });

  it('an inference token calls the gateway and nothing else; its model allow-list is kept, shown and validated', async () => {
    const created = await as(admin).post('/api/v1/tokens', { name: 'app', scopes: ['inference'], allowedModels: ['fast', 'Mock provider/mock-*'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ scopes: ['inference'], allowedModels: ['fast', 'Mock provider/mock-*'] });
    const listed = (await admin.agent.get('/api/v1/tokens')).body.items.find((t: { id: string }) => t.id === created.body.id);
    expect(listed.allowedModels).toEqual(['fast', 'Mock provider/mock-*']);
    // The REST API is closed to it: the gateway is all it may use.
    const rest = await bearer(api.url, created.body.token).get('/api/v1/workspace');
    expect([rest.status, rest.body.code]).toEqual([403, 'forbidden']);
    const models = await supertest(api.url).get('/v1/models').set('authorization', `Bearer ${created.body.token}`);
    expect(models.status).toBe(200);
    expect(models.body.data.map((m: { id: string }) => m.id).sort()).toEqual(['Mock provider/mock-embed', 'Mock provider/mock-fast', 'Mock provider/mock-smart']);
    const audit = await admin.agent.get('/api/v1/audit-events?action=token.create');
    expect(audit.body.items.find((e: { target: { id: string } | null }) => e.target?.id === created.body.id).metadata.allowedModels).toEqual(['fast', 'Mock provider/mock-*']);
    for (const bad of [[' leading space'], ['tab\there'], ['*'], ['a*b'], Array.from({ length: 101 }, (_, i) => `m${i}`), ['']]) {
      const res = await as(admin).post('/api/v1/tokens', { name: 'bad', scopes: ['inference'], allowedModels: bad });
      expect([JSON.stringify(bad).slice(0, 30), res.status, res.body.errors?.[0]?.field]).toEqual([JSON.stringify(bad).slice(0, 30), 400, 'allowedModels']);
    }
    // Tokens without a list have null: every model their accounts allow.
    expect((await as(admin).post('/api/v1/tokens', { name: 'open', scopes: ['inference'] })).body.allowedModels).toBeNull();
  });
});
