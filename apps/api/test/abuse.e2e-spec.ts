/**
 * Accounts, sessions and abuse: the sign-in throttle under a parallel burst, the client address behind a proxy,
 * invites that are no password oracle, and user-supplied JSON Schemas that cannot stall a worker.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { LOGIN_LIMITS } from '../src/modules/auth/login-throttle.service.js';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type TestApi } from '../../../test/support/api.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { waitForRun } from '../../../test/support/runs.js';
import { startStack, type Stack } from '../../../test/support/stack.js';

const tokenOf = (url: string) => new URL(url).hash.replace('#token=', '');
/** A client address of its own per test, so the per-IP counters of one test never touch another's. */
const someIp = () => `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0]! % 250)}`;

describe('accounts, sessions and abuse', () => {
  /** Behind one trusted proxy hop (the test client plays the proxy and says who the client is). */
  let proxied: TestApi;
  /** A direct install: X-Forwarded-For means nothing. */
  let direct: TestApi;
  let ws: SeededWorkspace;

  beforeAll(async () => {
    [proxied, direct] = await Promise.all([startTestApi({ VAULTRUN_TRUST_PROXY: '1' }), startTestApi()]);
    ws = await seedWorkspace(proxied.db);
  });
  afterAll(async () => {
    await proxied?.close();
    await direct?.close();
  });

  const login = (api: TestApi, email: string, password: string, forwardedFor?: string) => {
    const req = supertest(api.url).post('/api/v1/auth/login');
    if (forwardedFor) req.set('x-forwarded-for', forwardedFor);
    return req.send({ email, password });
  };
  const failedSignIns = async (api: TestApi, email: string) =>
    (await api.db.query(`SELECT ip FROM audit_events WHERE action = 'auth.login' AND outcome = 'failure' AND actor_label = $1`, [email])) as { ip: string }[];

  it('checks at most the limit of 40 wrong passwords sent at once; the rest get 429 before any check', async () => {
    const fresh = await seedWorkspace(proxied.db);
    const email = fresh.users.member.email;
    // 40 distinct client addresses: only the per-email limit (10) applies.
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login(proxied, email, `wrong-guess-${i}`, someIp())));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_LIMITS.perEmail);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40 - LOGIN_LIMITS.perEmail);
    // Only the checked ones were checked (each check of a known email writes one failure to the audit log).
    expect(await failedSignIns(proxied, email)).toHaveLength(LOGIN_LIMITS.perEmail);
    // And the right password now waits too.
    expect((await login(proxied, email, fresh.users.member.password, someIp())).status).toBe(429);
  });

  it('counts a password change\'s current-password check against the same limit, even in parallel', async () => {
    const fresh = await seedWorkspace(proxied.db);
    const ip = someIp();
    const session = await (async () => {
      const agent = supertest.agent(proxied.url);
      const res = await agent.post('/api/v1/auth/login').set('x-forwarded-for', ip).send({ email: fresh.users.viewer.email, password: fresh.users.viewer.password });
      return { agent, csrf: res.body.csrfToken as string };
    })();
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        session.agent.post('/api/v1/auth/password').set('x-csrf-token', session.csrf).set('x-forwarded-for', someIp()).send({ currentPassword: `not-it-${i}-xxxxxxxx`, newPassword: 'a-new-password-123456' }),
      ),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_LIMITS.perEmail);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25 - LOGIN_LIMITS.perEmail);
    expect(answers.find((r) => r.status === 429)!.body.code).toBe('login_throttled');
    // One counter per email: sign-in is locked for this account too, and the password did not change.
    expect((await login(proxied, fresh.users.viewer.email, fresh.users.viewer.password, someIp())).status).toBe(429);
    const [{ n }] = await proxied.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'auth.password_change' AND outcome = 'failure' AND actor_id = $1`, [fresh.users.viewer.id]);
    expect(n).toBe(LOGIN_LIMITS.perEmail);
  });

  it('behind one trusted hop, the client address is the one the proxy appended: forged entries before it change nothing', async () => {
    const real = someIp();
    // Every guess claims another origin in front of the proxy's entry, as a client forging the header would.
    for (let i = 0; i < LOGIN_LIMITS.perIp; i++) {
      const r = await login(proxied, `spray-${i}-${randomUUID()}@example.test`, 'guess-guess-guess', `${someIp()}, 203.0.113.${i}, ${real}`);
      expect(r.status).toBe(401);
    }
    const blocked = await login(proxied, ws.users.owner.email, ws.users.owner.password, `198.51.100.7, ${real}`);
    expect([blocked.status, blocked.body.code]).toEqual([429, 'login_throttled']);
    // A different real client is not affected, and the audit log records the address the proxy saw.
    expect((await login(proxied, ws.users.owner.email, ws.users.owner.password, `${real}, ${someIp()}`)).status).toBe(200);
    const email = `audited-${randomUUID()}@example.test`;
    const seen = someIp();
    await login(proxied, email, 'guess-guess-guess', `6.6.6.6, ${seen}`);
    expect((await failedSignIns(proxied, email)).map((r) => r.ip)).toEqual([seen]);
  });

  it('without a trusted proxy, X-Forwarded-For is ignored entirely', async () => {
    const email = `direct-${randomUUID()}@example.test`;
    await login(direct, email, 'guess-guess-guess', '6.6.6.6');
    expect((await failedSignIns(direct, email)).map((r) => r.ip)).toEqual(['127.0.0.1']);
    for (let i = 1; i < LOGIN_LIMITS.perIp; i++) await login(direct, `d-${i}-${randomUUID()}@example.test`, 'guess-guess-guess', someIp());
    const other = await seedWorkspace(direct.db);
    // Each guess claimed another address; all were counted against the one real peer.
    expect((await login(direct, other.users.owner.email, other.users.owner.password, someIp())).status).toBe(429);
  });

  it('an invite preview says nothing about whether its email has an account', async () => {
    const owner = await signIn(proxied.url, ws.users.owner);
    const other = await seedWorkspace(proxied.db);
    const existing = await as(owner).post('/api/v1/invites', { email: other.users.member.email, role: 'viewer' });
    const unknown = await as(owner).post('/api/v1/invites', { email: `nobody-${randomUUID()}@example.test`, role: 'viewer' });
    const [a, b] = await Promise.all([existing, unknown].map((i) => supertest(proxied.url).post('/api/v1/invites/preview').send({ token: tokenOf(i.body.url) })));
    expect([a.status, b.status]).toEqual([200, 200]);
    const shape = (body: Record<string, unknown>, email: string) => JSON.stringify({ ...body, email: email === body.email ? 'E' : body.email, expiresAt: 'T' });
    expect(shape(a.body, other.users.member.email)).toBe(shape(b.body, unknown.body.email));
    expect(Object.keys(a.headers).sort()).toEqual(Object.keys(b.headers).sort());
  });

  it('an existing account cannot accept an invite with its password: no password is checked, right or wrong', async () => {
    const owner = await signIn(proxied.url, ws.users.owner);
    const other = await seedWorkspace(proxied.db);
    const invite = await as(owner).post('/api/v1/invites', { email: other.users.admin.email, role: 'member' });
    const token = tokenOf(invite.body.url);
    const right = await supertest(proxied.url).post('/api/v1/invites/accept').send({ token, password: other.users.admin.password });
    const wrong = await supertest(proxied.url).post('/api/v1/invites/accept').send({ token, password: 'certainly-not-the-password' });
    const answer = (r: supertest.Response) => ({ status: r.status, code: r.body.code, detail: r.body.detail, cookie: r.headers['set-cookie'] ?? null });
    expect(answer(right)).toEqual({ status: 409, code: 'invite_sign_in_required', detail: expect.stringContaining('sign in'), cookie: null });
    expect(answer(wrong)).toEqual(answer(right));
    const [{ n }] = await proxied.db.query(`SELECT count(*)::int AS n FROM memberships WHERE workspace_id = $1 AND user_id = $2`, [ws.id, other.users.admin.id]);
    expect(n).toBe(0);
  });
});

describe('user-supplied JSON Schemas', () => {
  let stack: Stack;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ['gpt-4.1-mini'] });
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  it('a catastrophic-backtracking pattern cannot stall the worker: the run fails promptly as invalid_output', async () => {
    const { admin, member } = stack;
    const account = (await as(admin).post('/api/v1/provider-accounts', { name: 'oa-regex', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-test-regex', defaultModel: 'gpt-4.1-mini', verify: false })).body;
    const schema = { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } }, required: ['code'], additionalProperties: false };
    const op = (await as(member).post('/api/v1/operators', { name: 'evil pattern', accountId: account.id, outputFormat: 'json_schema', outputSchema: schema })).body;
    expect(op.id).toEqual(expect.any(String));
    // 40 a's and a '!': a backtracking engine needs ~2^40 steps to say no (the worker would hang for days).
    const reply = (content: string) => ({
      status: 200,
      body: { id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4.1-mini', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } },
    });
    fake.enqueue(reply(JSON.stringify({ code: `${'a'.repeat(40)}!` })));
    const evil = await waitForRun(member.agent, (await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'x' })).body.id);
    expect(evil).toMatchObject({ status: 'failed', error: { code: 'invalid_output' }, attempts: 0 });
    // The worker is free: the next run, whose output matches, succeeds.
    fake.enqueue(reply(JSON.stringify({ code: 'a'.repeat(5_000) })));
    const fine = await waitForRun(member.agent, (await as(member).post('/api/v1/runs', { operatorId: op.id, input: 'y' })).body.id);
    expect(fine).toMatchObject({ status: 'succeeded', outputJson: { code: 'a'.repeat(5_000) } });
  });

  it('refuses schemas over the size and depth caps, and patterns the linear-time engine cannot run, naming outputSchema', async () => {
    const { member } = stack;
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 20; i++) deep = { type: 'object', properties: { x: deep } };
    const cases: [Record<string, unknown>, RegExp][] = [
      [deep, /nests deeper than 32 levels/],
      [{ type: 'string', enum: Array.from({ length: 8_000 }, (_, i) => `value-number-${i}`) }, /larger than 64 KiB/],
      [{ type: 'string', pattern: '^(?!admin).*$' }, /cannot be used .*RE2/],
    ];
    for (const [outputSchema, message] of cases) {
      const res = await as(member).post('/api/v1/operators', { name: `capped ${randomUUID()}`, outputFormat: 'json_schema', outputSchema });
      expect([res.status, res.body.code, res.body.errors?.[0]?.field]).toEqual([400, 'validation_failed', 'outputSchema']);
      expect(res.body.errors[0].message).toMatch(message);
    }
    const [{ n }] = await stack.api.db.query(`SELECT count(*)::int AS n FROM operators WHERE name LIKE 'capped %'`);
    expect(n).toBe(0);
  });
});
