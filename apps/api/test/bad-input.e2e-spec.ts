import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';

/** Every client mistake is a 4xx problem+json naming the field at fault — never a 500 — and nothing is lost. */
describe('bad input', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let admin: Session;

  beforeAll(async () => {
    api = await startTestApi({ VAULTRUN_BODY_LIMIT_BYTES: String(64 * 1024) });
    ws = await seedWorkspace(api.db);
    admin = await signIn(api.url, ws.users.admin);
  });
  afterAll(() => api.close());

  const expectProblem = (res: supertest.Response, status: number, code: string, field?: string) => {
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: `urn:vaultrun:problem:${code}`, status, instance: expect.any(String), requestId: expect.any(String) });
    if (field) expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  };

  it('malformed JSON → 400 naming the body', async () => {
    const res = await admin.agent.post('/api/v1/tokens').set('x-csrf-token', admin.csrf).set('content-type', 'application/json').send('{"name": "x", ');
    expectProblem(res, 400, 'invalid_json', 'body');
  });

  it('an empty JSON body, an array, or a bare string → 400', async () => {
    const empty = await supertest(api.url).post('/api/v1/auth/login').set('content-type', 'application/json').send('');
    expect(empty.status).toBe(400);
    expectProblem(await supertest(api.url).post('/api/v1/auth/login').send([1, 2]), 400, 'validation_failed', 'body');
    const bare = await supertest(api.url).post('/api/v1/auth/login').set('content-type', 'application/json').send('"hello"');
    expectProblem(bare, 400, 'validation_failed', 'body');
  });

  it('wrong types → 400 naming each field', async () => {
    const res = await supertest(api.url).post('/api/v1/auth/login').send({ email: 12345, password: true });
    expectProblem(res, 400, 'validation_failed', 'email');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('password');
    const scopes = await as(admin).post('/api/v1/tokens', { name: 'x', scopes: 'run' });
    expectProblem(scopes, 400, 'validation_failed', 'scopes');
    const bad = await as(admin).post('/api/v1/tokens', { name: 'x', scopes: ['root'] });
    expectProblem(bad, 400, 'validation_failed', 'scopes');
    const date = await as(admin).post('/api/v1/tokens', { name: 'x', scopes: ['read'], expiresAt: 'next tuesday' });
    expectProblem(date, 400, 'validation_failed', 'expiresAt');
  });

  it('unknown fields → 400 naming them (nothing is silently dropped)', async () => {
    const res = await as(admin).post('/api/v1/tokens', { name: 'x', scopes: ['read'], workspaceId: ws.id, isAdmin: true });
    expectProblem(res, 400, 'validation_failed', 'workspaceId');
    expect(res.body.errors).toEqual(expect.arrayContaining([{ field: 'isAdmin', message: 'is not an accepted field' }]));
    const [{ n }] = await api.db.query(`SELECT count(*)::int AS n FROM api_tokens WHERE workspace_id = $1`, [ws.id]);
    expect(n).toBe(0);
  });

  it('oversize bodies → 413', async () => {
    const res = await as(admin).post('/api/v1/tokens', { name: 'x'.repeat(100 * 1024), scopes: ['read'] });
    expectProblem(res, 413, 'payload_too_large');
  });

  it('bodies that are not JSON → 415', async () => {
    const text = await supertest(api.url).post('/api/v1/auth/login').set('content-type', 'text/plain').send('email=a&password=b');
    expectProblem(text, 415, 'unsupported_media_type');
    const form = await supertest(api.url).post('/api/v1/auth/login').type('form').send({ email: 'a@b.c', password: 'x' });
    expectProblem(form, 415, 'unsupported_media_type');
  });

  it('prototype-poisoning keys → 400', async () => {
    const res = await supertest(api.url).post('/api/v1/auth/login').set('content-type', 'application/json').send('{"email":"a@b.c","password":"x","__proto__":{"admin":true}}');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });

  it('non-UUID path ids → 400 naming the parameter', async () => {
    expectProblem(await as(admin).delete('/api/v1/tokens/not-a-uuid'), 400, 'validation_failed', 'tokenId');
    expectProblem(await as(admin).patch("/api/v1/members/1' OR '1'='1", { role: 'viewer' }), 400, 'validation_failed', 'userId');
    expectProblem(await as(admin).delete('/api/v1/invites/%00'), 400, 'validation_failed', 'inviteId');
  });

  it('bad query parameters → 400 naming them', async () => {
    expectProblem(await admin.agent.get('/api/v1/audit-events?limit=abc'), 400, 'validation_failed', 'limit');
    expectProblem(await admin.agent.get('/api/v1/audit-events?limit=100000'), 400, 'validation_failed', 'limit');
    expectProblem(await admin.agent.get('/api/v1/audit-events?cursor=garbage'), 400, 'validation_failed', 'cursor');
    expectProblem(await admin.agent.get("/api/v1/audit-events?action=' OR 1=1 --"), 400, 'validation_failed', 'action');
    expectProblem(await admin.agent.get('/api/v1/audit-events?outcome=maybe'), 400, 'validation_failed', 'outcome');
    expectProblem(await admin.agent.get('/api/v1/audit-events?bogus=1'), 400, 'validation_failed', 'bogus');
  });

  it('SQL-looking strings are stored as plain text and change nothing else', async () => {
    const name = "Robert'); DROP TABLE api_tokens; --";
    const res = await as(admin).post('/api/v1/tokens', { name, scopes: ['read'] });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe(name);
    const list = await admin.agent.get('/api/v1/tokens');
    expect(list.body.items.map((t: { name: string }) => t.name)).toContain(name);
    const login = await supertest(api.url).post('/api/v1/auth/login').send({ email: "admin'--@example.test", password: "' OR '1'='1" });
    expect(login.status).toBe(401);
  });

  it('unicode round-trips exactly; NUL characters are refused; length limits name the field', async () => {
    const name = 'Équipe ロボット 🤖 עברית';
    const ok = await as(admin).post('/api/v1/tokens', { name, scopes: ['read'] });
    expect(ok.status).toBe(201);
    expect(ok.body.name).toBe(name);
    expectProblem(await as(admin).post('/api/v1/tokens', { name: 'nul\u0000byte', scopes: ['read'] }), 400, 'validation_failed', 'name');
    expectProblem(await as(admin).post('/api/v1/tokens', { name: '🤖'.repeat(101), scopes: ['read'] }), 400, 'validation_failed', 'name');
    expectProblem(await as(admin).post('/api/v1/tokens', { name: '', scopes: ['read'] }), 400, 'validation_failed', 'name');
    expectProblem(await admin.agent.get('/api/v1/audit-events?action=%00'), 400, 'validation_failed', 'action');
  });

  it('unknown routes and methods → 404 problem', async () => {
    expectProblem(await supertest(api.url).get('/api/v1/nothing-here'), 404, 'not_found');
    expectProblem(await supertest(api.url).put('/api/v1/tokens'), 404, 'not_found');
  });
});
