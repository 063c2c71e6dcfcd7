import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { as, bearer, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type TestApi } from '../../../test/support/api.js';
import { CapturedLogs } from '../../../test/support/logs.js';

describe('logs, request ids, health', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  const logs = new CapturedLogs();

  beforeAll(async () => {
    api = await startTestApi({ LOG_LEVEL: 'debug' }, { logDestination: logs });
    ws = await seedWorkspace(api.db);
  });
  afterAll(() => api.close());

  it('never logs passwords, session cookies, CSRF tokens or API tokens', async () => {
    const s = await signIn(api.url, ws.users.owner);
    await supertest(api.url).post('/api/v1/auth/login').send({ email: ws.users.owner.email, password: 'a-wrong-password-canary' });
    const created = await as(s).post('/api/v1/tokens', { name: 'log canary', scopes: ['read'] });
    const token: string = created.body.token;
    await bearer(api.url, token).get('/api/v1/workspace');
    await bearer(api.url, `${token}x`).get('/api/v1/workspace');
    const cookie = String(s.agent.jar.getCookie('vr_session', { path: '/', domain: '127.0.0.1', secure: false, script: false })?.value);

    expect(logs.lines.length).toBeGreaterThan(5);
    for (const secret of [ws.users.owner.password, 'a-wrong-password-canary', cookie, s.csrf, token, token.slice(11, 30)]) {
      expect(logs.text.includes(secret)).toBe(false);
    }
    // Redaction is what kept them out (the header was there, its value was not).
    expect(logs.text).toMatch(/"authorization":"\[Redacted\]"/);
    expect(logs.text).toMatch(/"cookie":"\[Redacted\]"/);
  });

  it('returns a request id on every response and logs it', async () => {
    const res = await supertest(api.url).get('/api/v1/auth/me');
    const id = res.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.requestId).toBe(id);
    const given = await supertest(api.url).get('/health').set('x-request-id', 'trace-abc-123');
    expect(given.headers['x-request-id']).toBe('trace-abc-123');
    const hostile = await supertest(api.url).get('/health').set('x-request-id', '<script>alert(1)</script>');
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await supertest(api.url).get('/api/v1/workspace').set('x-request-id', 'trace-log-456');
    expect(logs.text).toContain('"req":{"id":"trace-log-456"');
  });

  it('sends security headers and no-store on errors', async () => {
    const res = await supertest(api.url).get('/api/v1/auth/me');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('allows CORS only for the console origin', async () => {
    const ok = await supertest(api.url).options('/api/v1/auth/login').set('origin', 'http://127.0.0.1:3999').set('access-control-request-method', 'POST');
    expect(ok.headers['access-control-allow-origin']).toBe('http://127.0.0.1:3999');
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    const evil = await supertest(api.url).options('/api/v1/auth/login').set('origin', 'https://evil.example').set('access-control-request-method', 'POST');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers liveness and readiness', async () => {
    expect((await supertest(api.url).get('/health')).body).toEqual({ status: 'ok' });
    const ready = await supertest(api.url).get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', masterKey: 'ok' } });
  });

  it('reports not ready (503) when Redis is unreachable, naming it', async () => {
    const broken = await startTestApi({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await supertest(broken.url).get('/ready');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('not_ready');
      expect(res.body.checks.postgres).toBe('ok');
      expect(res.body.checks.redis).not.toBe('ok');
      expect((await supertest(broken.url).get('/health')).status).toBe(200);
    } finally {
      await broken.close();
    }
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const doc = await supertest(api.url).get('/api/docs/openapi.json');
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/tokens');
    expect((await supertest(api.url).get('/api/docs')).text).toContain('swagger');
  });
});
