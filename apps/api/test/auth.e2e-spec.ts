import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type TestApi } from '../../../test/support/api.js';
import { LOGIN_LIMITS } from '../src/modules/auth/login-throttle.service.js';

describe('console sign-in and sessions', () => {
  let api: TestApi;
  let ws: SeededWorkspace;

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
  });
  afterAll(() => api.close());

  it('signs in with an httpOnly, SameSite=Strict session cookie and answers who I am', async () => {
    const res = await supertest(api.url).post('/api/v1/auth/login').send({ email: ws.users.admin.email.toUpperCase(), password: ws.users.admin.password });
    expect(res.status).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^vr_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/); // the test public URL is plain http
    expect(res.body.user.email).toBe(ws.users.admin.email);
    expect(res.body.workspace).toEqual({ id: ws.id, name: ws.name, role: 'admin', suspended: false, suspendedReason: null, credits: null });
    expect(res.body.isInstanceAdmin).toBe(false);
    expect(res.body.permissions).toContain('tokens:manage');
    expect(res.body.csrfToken).toEqual(expect.any(String));
  });

  it('stores only a hash of the session cookie', async () => {
    const s = await signIn(api.url, ws.users.member);
    const raw = (s.agent as unknown as { jar: { getCookie(n: string, o: object): { value: string } } }).jar.getCookie('vr_session', {
      path: '/',
      domain: '127.0.0.1',
      secure: false,
      script: false,
    }).value;
    const rows = await api.db.query(`SELECT token_hash FROM sessions WHERE user_id = $1`, [ws.users.member.id]);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.token_hash).not.toContain(raw);
  });

  it('refuses a wrong password with the same message as an unknown email, and audits both', async () => {
    const wrong = await supertest(api.url).post('/api/v1/auth/login').send({ email: ws.users.viewer.email, password: 'not-the-password' });
    const unknown = await supertest(api.url).post('/api/v1/auth/login').send({ email: `nobody-${Date.now()}@example.test`, password: 'whatever-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    expect(wrong.body.detail).toBe(unknown.body.detail);
    const events = await api.db.query(`SELECT outcome, metadata FROM audit_events WHERE workspace_id = $1 AND action = 'auth.login' AND outcome = 'failure'`, [ws.id]);
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ metadata: { reason: 'wrong_password' } })]));
  });

  it('requires the CSRF token on cookie-authenticated writes', async () => {
    const s = await signIn(api.url, ws.users.owner);
    const without = await s.agent.post('/api/v1/tokens').send({ name: 'x', scopes: ['read'] });
    expect(without.status).toBe(403);
    expect(without.body.code).toBe('csrf_failed');
    const wrong = await s.agent.post('/api/v1/tokens').set('x-csrf-token', 'nope').send({ name: 'x', scopes: ['read'] });
    expect(wrong.body.code).toBe('csrf_failed');
    const right = await as(s).post('/api/v1/tokens', { name: 'x', scopes: ['read'] });
    expect(right.status).toBe(201);
  });

  it('refuses cross-site writes reported by the browser (Fetch Metadata)', async () => {
    const res = await supertest(api.url)
      .post('/api/v1/auth/login')
      .set('sec-fetch-site', 'cross-site')
      .set('origin', 'https://evil.example')
      .send({ email: ws.users.owner.email, password: ws.users.owner.password });
    expect(res.status).toBe(403);
  });

  it('logs out: the cookie stops working', async () => {
    const s = await signIn(api.url, ws.users.viewer);
    expect((await s.agent.get('/api/v1/auth/me')).status).toBe(200);
    expect((await as(s).post('/api/v1/auth/logout')).status).toBe(204);
    const after = await s.agent.get('/api/v1/auth/me');
    expect(after.status).toBe(401);
  });

  it('expires sessions', async () => {
    const s = await signIn(api.url, ws.users.viewer);
    await api.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [ws.users.viewer.id]);
    const res = await s.agent.get('/api/v1/auth/me');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('session_expired');
  });

  it('throttles failed sign-ins per email with a 429 and Retry-After, even for the right password', async () => {
    const fresh = await seedWorkspace(api.db);
    const email = fresh.users.viewer.email;
    for (let i = 0; i < LOGIN_LIMITS.perEmail; i++) {
      const r = await supertest(api.url).post('/api/v1/auth/login').send({ email, password: `wrong-${i}` });
      expect(r.status).toBe(401);
    }
    const blocked = await supertest(api.url).post('/api/v1/auth/login').send({ email, password: fresh.users.viewer.password });
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('login_throttled');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.body.retryAfterSeconds).toBeGreaterThan(0);
    // Other people are not locked out by it.
    expect((await supertest(api.url).post('/api/v1/auth/login').send({ email: fresh.users.member.email, password: fresh.users.member.password })).status).toBe(200);
  });

  it('throttles failed sign-ins per client IP across emails', async () => {
    const local = await startTestApi();
    try {
      for (let i = 0; i < LOGIN_LIMITS.perIp; i++) {
        await supertest(local.url).post('/api/v1/auth/login').send({ email: `spray-${i}-${Date.now()}@example.test`, password: 'guess-guess-guess' });
      }
      const blocked = await supertest(local.url).post('/api/v1/auth/login').send({ email: ws.users.owner.email, password: ws.users.owner.password });
      expect(blocked.status).toBe(429);
    } finally {
      await local.close();
    }
  });

  it('switches between the user\'s workspaces, and refuses one they are not in', async () => {
    const other = await seedWorkspace(api.db);
    // Make ws.owner also a viewer of the other workspace.
    await api.db.query(`INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, 'viewer')`, [other.id, ws.users.owner.id]);
    const s = await signIn(api.url, ws.users.owner);
    const switched = await as(s).post('/api/v1/auth/workspace', { workspaceId: other.id });
    expect(switched.status).toBe(200);
    expect(switched.body.workspace).toMatchObject({ id: other.id, role: 'viewer' });
    expect(switched.body.permissions).not.toContain('tokens:manage');
    expect((await s.agent.get('/api/v1/workspace')).body.id).toBe(other.id);
    const stranger = await seedWorkspace(api.db);
    const refused = await as(s).post('/api/v1/auth/workspace', { workspaceId: stranger.id });
    expect(refused.status).toBe(404);
  });

  it('changes your name (trimmed), which your teammates then see; a blank one is refused on the field', async () => {
    const fresh = await seedWorkspace(api.db);
    const s = await signIn(api.url, fresh.users.member);
    for (const name of ['', '   ', 'x'.repeat(101)]) {
      const bad = await as(s).patch('/api/v1/auth/me', { name });
      expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'name']);
    }
    expect((await as(s).patch('/api/v1/auth/me', { name: 'Ada', email: 'other@example.test' })).status).toBe(400); // only the name
    const ok = await as(s).patch('/api/v1/auth/me', { name: '  Ada Lovelace ' });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ id: fresh.users.member.id, name: 'Ada Lovelace', email: fresh.users.member.email });
    const owner = await signIn(api.url, fresh.users.owner);
    const members = await owner.agent.get('/api/v1/members');
    expect(members.body.items.find((m: { userId: string }) => m.userId === fresh.users.member.id)).toMatchObject({ name: 'Ada Lovelace' });
  });

  it('changes the password and ends the user\'s other sessions', async () => {
    const fresh = await seedWorkspace(api.db);
    const a = await signIn(api.url, fresh.users.member);
    const b = await signIn(api.url, fresh.users.member);
    const wrong = await as(a).post('/api/v1/auth/password', { currentPassword: 'nope-nope-nope', newPassword: 'another-long-password' });
    expect(wrong.status).toBe(401);
    const short = await as(a).post('/api/v1/auth/password', { currentPassword: fresh.users.member.password, newPassword: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.errors[0].field).toBe('newPassword');
    const ok = await as(a).post('/api/v1/auth/password', { currentPassword: fresh.users.member.password, newPassword: 'another-long-password' });
    expect(ok.status).toBe(204);
    expect((await a.agent.get('/api/v1/auth/me')).status).toBe(200);
    expect((await b.agent.get('/api/v1/auth/me')).status).toBe(401);
    await signIn(api.url, { email: fresh.users.member.email, password: 'another-long-password' });
  });
});
