/**
 * Walks every operation of the live OpenAPI document for every kind of caller and checks the
 * answer against the permission matrix (packages/vault-core/src/access.ts):
 *   anonymous → 401 · a role or token scope without the permission → 403 · with it → past the guard ·
 *   an owner of another workspace → 404 for workspace A's ids, and never a byte of A's data ·
 *   a member not on a restricted account's list → the same answer for its ids as for ids that exist nowhere.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Permission, ROLE_PERMISSIONS, SCOPE_PERMISSIONS } from '@vaultrun/vault-core';
import { as, bearer, cookieOf, probeStream, type SeededWorkspace, seedWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';
import supertest from 'supertest';
import { fastifyPathOf, GATEWAY_ROUTES } from '../src/modules/gateway/gateway-http.js';
import { inferenceToken } from '../../../test/support/gateway.js';

type Auth = { kind: 'public' } | { kind: 'signed-in' } | { kind: 'instance-admin' } | { kind: 'permission'; permission: Permission };
interface Operation {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  auth: Auth;
  bodyRef?: string;
}
type Schema = { $ref?: string; type?: string; format?: string; example?: unknown; enum?: unknown[]; items?: Schema; properties?: Record<string, Schema>; required?: string[]; allOf?: Schema[] };
type Doc = { paths: Record<string, Record<string, { 'x-vaultrun-auth'?: Auth; requestBody?: { content: Record<string, { schema: Schema }> } }>>; components: { schemas: Record<string, Schema> } };

/** Codes that mean "the guard said no" — anything else means the request got past authorization. */
const DENIED = new Set(['unauthenticated', 'session_expired', 'invalid_token', 'forbidden', 'csrf_failed', 'session_required', 'no_workspace', 'no_access_policy', 'instance_admin_required']);

function operations(doc: Doc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!op['x-vaultrun-auth']) throw new Error(`${method.toUpperCase()} ${path} declares no x-vaultrun-auth`);
      ops.push({ method: method as Operation['method'], path, auth: op['x-vaultrun-auth'], bodyRef: op.requestBody?.content['application/json']?.schema.$ref });
    }
  }
  return ops;
}

/** A valid-looking body built from the schema's examples, so a request reaches the guard with nothing else wrong. */
function exampleBody(doc: Doc, ref: string | undefined): object | undefined {
  if (!ref) return undefined;
  const resolve = (s: Schema): Schema => (s.$ref ? resolve(doc.components.schemas[s.$ref.split('/').pop()!]!) : s);
  const build = (schema: Schema): unknown => {
    const s = resolve(schema);
    if (s.allOf) return Object.assign({}, ...s.allOf.map((x) => build(x) as object));
    if (s.example !== undefined) return s.example;
    if (s.enum) return s.enum[0];
    if (s.type === 'object' || s.properties) {
      const out: Record<string, unknown> = {};
      for (const key of s.required ?? []) out[key] = build(s.properties![key]!);
      return out;
    }
    if (s.type === 'array') return [build(s.items!)];
    if (s.format === 'uuid') return randomUUID();
    if (s.type === 'integer' || s.type === 'number') return 1;
    if (s.type === 'boolean') return true;
    return 'example-value-123';
  };
  const body = build({ $ref: ref }) as Record<string, unknown>;
  if (typeof body.email === 'string') body.email = `walk-${randomUUID()}@example.test`;
  return body;
}

/**
 * The reviewed access policy of every route. Changing a route's permission (or adding a route)
 * fails this test until the table is updated on purpose — the guard alone cannot catch a route
 * decorated with the wrong permission.
 */
const EXPECTED_POLICY: Record<string, string> = {
  'GET /api/v1/audit-events': 'audit:read',
  'GET /api/v1/audit-events/actions': 'audit:read',
  'GET /api/v1/audit-events.csv': 'audit:read',
  'GET /api/v1/analytics/overview': 'runs:read',
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/logout': 'signed-in',
  'GET /api/v1/auth/me': 'signed-in',
  'PATCH /api/v1/auth/me': 'signed-in',
  'POST /api/v1/auth/workspace': 'signed-in',
  'POST /api/v1/auth/password': 'signed-in',
  'GET /api/v1/tokens': 'tokens:read',
  'POST /api/v1/tokens': 'tokens:manage',
  'DELETE /api/v1/tokens/{tokenId}': 'tokens:manage',
  'GET /api/v1/workspaces': 'signed-in',
  'POST /api/v1/workspaces': 'signed-in',
  'GET /api/v1/workspace': 'workspace:read',
  'PATCH /api/v1/workspace': 'workspace:manage',
  'GET /api/v1/members': 'members:read',
  'PATCH /api/v1/members/{userId}': 'members:manage',
  'DELETE /api/v1/members/{userId}': 'members:manage',
  'GET /api/v1/invites': 'members:manage',
  'POST /api/v1/invites': 'members:manage',
  'DELETE /api/v1/invites/{inviteId}': 'members:manage',
  'POST /api/v1/invites/preview': 'public',
  'POST /api/v1/invites/accept': 'public',
  'POST /api/v1/invites/join': 'signed-in',
  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /api/v1/provider-accounts': 'vault:read',
  'POST /api/v1/provider-accounts': 'vault:manage',
  'GET /api/v1/provider-accounts/{accountId}': 'vault:read',
  'PATCH /api/v1/provider-accounts/{accountId}': 'vault:manage',
  'DELETE /api/v1/provider-accounts/{accountId}': 'vault:manage',
  'POST /api/v1/provider-accounts/{accountId}/verify': 'vault:manage',
  'POST /api/v1/provider-accounts/{accountId}/rotate': 'vault:manage',
  'PUT /api/v1/provider-accounts/{accountId}/admin-key': 'vault:manage',
  'DELETE /api/v1/provider-accounts/{accountId}/admin-key': 'vault:manage',
  'GET /api/v1/provider-accounts/{accountId}/cost-sync': 'vault:read',
  'POST /api/v1/provider-accounts/{accountId}/cost-sync': 'vault:manage',
  'GET /api/v1/operators': 'operators:read',
  'POST /api/v1/operators': 'operators:manage',
  'GET /api/v1/operators/{operatorId}': 'operators:read',
  'PATCH /api/v1/operators/{operatorId}': 'operators:manage',
  'DELETE /api/v1/operators/{operatorId}': 'operators:manage',
  'POST /api/v1/runs': 'runs:create',
  'GET /api/v1/runs': 'runs:read',
  'GET /api/v1/runs/stream': 'runs:read',
  'GET /api/v1/runs/{runId}': 'runs:read',
  'POST /api/v1/runs/{runId}/cancel': 'runs:create',
  'GET /api/v1/queue-health': 'runs:read',
  'POST /api/v1/comparisons': 'runs:create',
  'GET /api/v1/comparisons': 'runs:read',
  'GET /api/v1/comparisons/{comparisonId}': 'runs:read',
  'GET /api/v1/missions': 'runs:read',
  'POST /api/v1/missions': 'runs:create',
  'GET /api/v1/missions/{missionId}': 'runs:read',
  'POST /api/v1/missions/{missionId}/messages': 'runs:create',
  'POST /api/v1/missions/{missionId}/plans': 'runs:create',
  'POST /api/v1/missions/{missionId}/plans/{planId}/approve': 'runs:create',
  'POST /api/v1/missions/{missionId}/cancel': 'runs:create',
  'GET /api/v1/budgets': 'budgets:read',
  'POST /api/v1/budgets': 'budgets:manage',
  'GET /api/v1/budgets/{budgetId}': 'budgets:read',
  'PATCH /api/v1/budgets/{budgetId}': 'budgets:manage',
  'DELETE /api/v1/budgets/{budgetId}': 'budgets:manage',
  'GET /api/v1/prices': 'budgets:read',
  'POST /api/v1/price-overrides': 'budgets:manage',
  'PATCH /api/v1/price-overrides/{priceOverrideId}': 'budgets:manage',
  'DELETE /api/v1/price-overrides/{priceOverrideId}': 'budgets:manage',
  'GET /api/v1/spend': 'budgets:read',
  'PUT /api/v1/workspace/alert-webhook': 'budgets:manage',
  'DELETE /api/v1/workspace/alert-webhook': 'budgets:manage',
  'GET /metrics': 'public',
  'GET /api/v1/gateway': 'workspace:read',
  'GET /api/v1/gateway/usage': 'runs:read',
  'GET /api/v1/gateway/routes': 'vault:read',
  'POST /api/v1/gateway/routes': 'vault:manage',
  'GET /api/v1/gateway/routes/{routeId}': 'vault:read',
  'PATCH /api/v1/gateway/routes/{routeId}': 'vault:manage',
  'DELETE /api/v1/gateway/routes/{routeId}': 'vault:manage',
  'GET /api/v1/instance/workspaces': 'instance-admin',
  'POST /api/v1/instance/workspaces/{id}/suspend': 'instance-admin',
  'POST /api/v1/instance/workspaces/{id}/resume': 'instance-admin',
  'GET /api/v1/instance/audit': 'instance-admin',
  'GET /api/v1/instance/managed-accounts': 'instance-admin',
  'POST /api/v1/instance/managed-accounts': 'instance-admin',
  'GET /api/v1/instance/managed-accounts/{id}': 'instance-admin',
  'PATCH /api/v1/instance/managed-accounts/{id}': 'instance-admin',
  'DELETE /api/v1/instance/managed-accounts/{id}': 'instance-admin',
  'POST /api/v1/instance/managed-accounts/{id}/rotate': 'instance-admin',
  'POST /api/v1/instance/managed-accounts/{id}/verify': 'instance-admin',
  'GET /api/v1/instance/settings': 'instance-admin',
  'PATCH /api/v1/instance/settings': 'instance-admin',
  'GET /api/v1/instance/workspaces/{id}/credits': 'instance-admin',
  'POST /api/v1/instance/workspaces/{id}/credits': 'instance-admin',
  'GET /api/v1/credits': 'budgets:read',
  'GET /api/v1/credits/history': 'budgets:read',
  'POST /api/v1/credits/switch-to-own-key': 'vault:manage',
  'POST /api/v1/credits/top-ups': 'public',
};

/**
 * The OpenAI-compatible gateway (/v1/*) is not in the OpenAPI document (it speaks OpenAI's API, not Vaultrun's): its
 * routes are plain Fastify routes that take API tokens with the `inference` scope and nothing else. They join the walk
 * through this reviewed list, which is checked against what Fastify actually serves under /v1.
 */
const EXPECTED_GATEWAY_ROUTES = ['POST /v1/chat/completions', 'POST /v1/responses', 'POST /v1/embeddings', 'POST /v1/messages', 'POST /v1/messages/count_tokens', 'GET /v1/models', 'GET /v1/models/{model}'];
/** Codes of the gateway's refusals at the door (OpenAI-shaped answers). */
const GATEWAY_DENIED = new Set(['missing_api_key', 'invalid_authorization', 'invalid_token', 'token_revoked', 'token_expired', 'missing_scope']);

const fill = (path: string, ids: Record<string, string>) => path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? randomUUID());

describe('authorization: every route × every caller', () => {
  let api: TestApi;
  let doc: Doc;
  let ops: Operation[];
  let a: SeededWorkspace;
  let b: SeededWorkspace;
  let aIds: Record<string, string>;
  /** Strings that must never appear in an answer given to workspace B. */
  let aSecrets: string[];

  beforeAll(async () => {
    api = await startTestApi();
    doc = (await supertest(api.url).get('/api/docs/openapi.json')).body as Doc;
    ops = operations(doc);
    a = await seedWorkspace(api.db, `Workspace A ${randomUUID()}`);
    b = await seedWorkspace(api.db);
    const ownerA = await signIn(api.url, a.users.owner);
    const token = await as(ownerA).post('/api/v1/tokens', { name: `A-token-${randomUUID()}`, scopes: ['read'] });
    const invite = await as(ownerA).post('/api/v1/invites', { email: `a-invitee-${randomUUID()}@example.test`, role: 'viewer' });
    const account = await as(ownerA).post('/api/v1/provider-accounts', { name: `A-mock-${randomUUID()}`, kind: 'mock' });
    const operator = await as(ownerA).post('/api/v1/operators', { name: `A-operator-${randomUUID()}`, accountId: account.body.id });
    // A run that stays queued (no worker runs in this test), so cancelling it stays possible.
    const run = await as(ownerA).post('/api/v1/runs', { operatorId: operator.body.id, input: `A-input-${randomUUID()}` });
    // A comparison needs a live account: one that is never called (no worker runs here).
    const liveAccount = await as(ownerA).post('/api/v1/provider-accounts', { name: `A-live-${randomUUID()}`, kind: 'openai', apiKey: 'sk-proj-a-live-never-called', verify: false });
    const comparison = await as(ownerA).post('/api/v1/comparisons', { operatorId: operator.body.id, input: `A-compared-${randomUUID()}`, liveAccountId: liveAccount.body.id });
    if (comparison.status !== 202) throw new Error(`comparison refused: ${comparison.status} ${JSON.stringify(comparison.body)}`);
    const budget = await as(ownerA).post('/api/v1/budgets', { name: `A-budget-${randomUUID()}`, scope: { type: 'operator', id: operator.body.id }, period: 'month', capMicroUsd: 1_000_000_000 });
    const priceOverride = await as(ownerA).post('/api/v1/price-overrides', { model: `A-model-${randomUUID()}`, inputMicroUsdPerM: 1, outputMicroUsdPerM: 1 });
    const route = await as(ownerA).post('/api/v1/gateway/routes', { name: `A-route-${randomUUID()}`, targets: [{ accountId: account.body.id, model: 'mock-fast' }] });
    expect(route.status).toBe(201);
    const mission = await as(ownerA).post('/api/v1/missions', { title: `A-mission-${randomUUID()}` });
    const plan = await as(ownerA).post(`/api/v1/missions/${mission.body.id}/plans`, { failurePolicy: 'stop', steps: [{ id: 'only', operator: operator.body.id, input: `A-step-${randomUUID()}`, dependsOn: [] }] });
    expect([mission.status, plan.status]).toEqual([201, 201]);
    aIds = {
      tokenId: token.body.id,
      inviteId: invite.body.id,
      userId: a.users.viewer.id,
      accountId: account.body.id,
      operatorId: operator.body.id,
      runId: run.body.id,
      comparisonId: comparison.body.id,
      budgetId: budget.body.id,
      priceOverrideId: priceOverride.body.id,
      missionId: mission.body.id,
      planId: plan.body.id,
      routeId: route.body.id,
    };
    aSecrets = [
      a.id,
      a.name,
      token.body.id,
      token.body.name,
      invite.body.id,
      invite.body.email,
      account.body.id,
      account.body.name,
      operator.body.id,
      operator.body.name,
      run.body.id,
      run.body.input,
      liveAccount.body.name,
      comparison.body.id,
      comparison.body.input,
      budget.body.id,
      budget.body.name,
      priceOverride.body.id,
      priceOverride.body.model,
      mission.body.id,
      mission.body.title,
      plan.body.id,
      plan.body.steps[0].input,
      route.body.id,
      route.body.name,
      ...Object.values(a.users).flatMap((u) => [u.id, u.email]),
    ];
  });
  afterAll(() => api.close());

  function send(client: ReturnType<typeof as> | ReturnType<typeof bearer> | ReturnType<typeof anonymous>, op: Operation, ids: Record<string, string> = {}) {
    const path = fill(op.path, ids);
    const body = exampleBody(doc, op.bodyRef);
    // Server-sent events never end: read the status and headers, then hang up.
    if (op.path.endsWith('/stream')) return client.stream(api.url, path);
    switch (op.method) {
      case 'get':
        return client.get(path);
      case 'delete':
        return client.delete(path);
      case 'patch':
        return client.patch(path, body);
      case 'put':
        return client.put(path, body);
      default:
        return client.post(path, body);
    }
  }

  it('covers every route, each with the reviewed policy', () => {
    const actual = Object.fromEntries(ops.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o.auth.kind === 'permission' ? o.auth.permission : o.auth.kind]));
    expect(actual).toEqual(EXPECTED_POLICY);
  });

  it('anonymous callers get 401 everywhere but public routes', async () => {
    for (const op of ops) {
      const res = await send(anonymous(api.url), op);
      if (op.auth.kind === 'public') expect([op.path, DENIED.has(res.body?.code)]).toEqual([op.path, false]);
      else expect([op.method, op.path, res.status]).toEqual([op.method, op.path, 401]);
    }
  });

  it.each(['owner', 'admin', 'member', 'viewer'] as const)('role %s gets exactly what the matrix grants', async (role) => {
    for (const op of ops) {
      if (op.auth.kind === 'public') continue;
      // A fresh session per call: some signed-in routes (logout, create workspace) change the session itself.
      const session: Session = await signIn(api.url, a.users[role]);
      const res = await send(as(session), op);
      // Instance routes: no workspace role grants them (these users are not instance administrators).
      const allowed = op.auth.kind === 'signed-in' || (op.auth.kind === 'permission' && ROLE_PERMISSIONS[role].has(op.auth.permission));
      const outcome = { op: `${op.method} ${op.path}`, status: res.status, denied: res.status === 401 || res.status === 403 ? DENIED.has(res.body.code) : false };
      expect(outcome).toEqual({ ...outcome, denied: !allowed });
      if (!allowed) expect(res.status).toBe(403);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('an instance administrator gets past the guard on every instance route (and only there beyond its role); a non-admin gets 403 instance_admin_required', async () => {
    const instanceOps = ops.filter((o) => o.auth.kind === 'instance-admin');
    expect(instanceOps.length).toBe(15);
    // The viewer of workspace B, made an instance administrator: its workspace role stays viewer.
    const viewerB = b.users.viewer;
    await api.db.query(`UPDATE users SET is_instance_admin = true WHERE id = $1`, [viewerB.id]);
    try {
      for (const op of ops) {
        if (op.auth.kind === 'public') continue;
        const session = await signIn(api.url, viewerB);
        // Random ids only: a suspend here must never hit a real workspace (404 is "past the guard").
        const res = await send(as(session), op, {});
        const allowed = op.auth.kind !== 'permission' || ROLE_PERMISSIONS.viewer.has(op.auth.permission);
        const outcome = { op: `${op.method} ${op.path}`, status: res.status, denied: res.status === 401 || res.status === 403 ? DENIED.has(res.body.code) : false };
        expect(outcome).toEqual({ ...outcome, denied: !allowed });
        expect(res.status).toBeLessThan(500);
      }
      const me = await as(await signIn(api.url, viewerB)).get('/api/v1/auth/me');
      expect(me.body.isInstanceAdmin).toBe(true);
    } finally {
      await api.db.query(`UPDATE users SET is_instance_admin = false WHERE id = $1`, [viewerB.id]);
    }
    const owner = await signIn(api.url, a.users.owner);
    for (const op of instanceOps) {
      const res = await send(as(owner), op, {});
      expect([op.path, res.status, res.body.code]).toEqual([op.path, 403, 'instance_admin_required']);
    }
    expect((await as(owner).get('/api/v1/auth/me')).body.isInstanceAdmin).toBe(false);
  });

  it.each(['read', 'run', 'admin', 'inference'] as const)('API token with scope %s gets exactly what the scope grants', async (scope) => {
    const ownerA = await signIn(api.url, a.users.owner);
    const { body } = await as(ownerA).post('/api/v1/tokens', { name: `walk-${scope}`, scopes: [scope] });
    const client = bearer(api.url, body.token);
    for (const op of ops) {
      if (op.auth.kind === 'public') continue;
      const res = await send(client, op);
      const allowed = op.auth.kind === 'permission' && SCOPE_PERMISSIONS[scope].has(op.auth.permission);
      const outcome = { op: `${op.method} ${op.path}`, status: res.status, denied: DENIED.has(res.body?.code) };
      expect(outcome).toEqual({ ...outcome, denied: !allowed });
      expect(res.status).toBeLessThan(500);
    }
  });

  it('an owner of workspace B cannot read, change or even detect workspace A\'s resources', async () => {
    for (const op of ops) {
      if (op.auth.kind !== 'permission') continue;
      const session = await signIn(api.url, b.users.owner);
      const hasIds = /\{\w+\}/.test(op.path);
      const res = await send(as(session), op, aIds);
      // `instance` and `requestId` echo the caller's own request; everything else must carry nothing of A's.
      const { instance: _i, requestId: _r, ...answer } = res.body ?? {};
      if (hasIds) {
        expect([op.method, op.path, res.status]).toEqual([op.method, op.path, 404]);
        // Indistinguishable from an id that exists nowhere: B cannot even detect A's resources.
        const random = await send(as(await signIn(api.url, b.users.owner)), op, {});
        const { instance: _ri, requestId: _rr, ...randomAnswer } = random.body ?? {};
        expect(answer).toEqual(randomAnswer);
      }
      // A CSV answer (the audit export) is text, not a JSON body: read that too.
      const text = JSON.stringify(answer) + (/^text\/csv/.test(String(res.headers?.['content-type'] ?? '')) ? String((res as { text?: string }).text ?? '') : '');
      for (const secret of aSecrets) expect([op.path, text.includes(secret)]).toEqual([op.path, false]);
    }
    // And A's resources are all still there, untouched.
    const [{ n }] = await api.db.query(`SELECT count(*)::int AS n FROM api_tokens WHERE id = $1 AND revoked_at IS NULL`, [aIds.tokenId]);
    expect(n).toBe(1);
    const [{ m }] = await api.db.query(`SELECT count(*)::int AS m FROM memberships WHERE workspace_id = $1`, [a.id]);
    expect(m).toBe(4);
    const [{ k }] = await api.db.query(`SELECT count(*)::int AS k FROM provider_accounts WHERE id = $1`, [aIds.accountId]);
    expect(k).toBe(1);
    const [{ status }] = await api.db.query(`SELECT status FROM runs WHERE id = $1`, [aIds.runId]);
    expect(status).toBe('queued');
    const [{ cap }] = await api.db.query(`SELECT cap_micro_usd::int8 AS cap FROM budgets WHERE id = $1`, [aIds.budgetId]);
    expect(Number(cap)).toBe(1_000_000_000);
    const [{ o }] = await api.db.query(`SELECT count(*)::int AS o FROM price_overrides WHERE id = $1`, [aIds.priceOverrideId]);
    expect(o).toBe(1);
  });

  it('a member not on a restricted account\'s list cannot read, use or even detect it or what was made with it', async () => {
    const ownerA = await signIn(api.url, a.users.owner);
    const restricted = await as(ownerA).post('/api/v1/provider-accounts', { name: `A-restricted-${randomUUID()}`, kind: 'mock', visibility: 'restricted' });
    const operator = await as(ownerA).post('/api/v1/operators', { name: `A-restricted-op-${randomUUID()}`, accountId: restricted.body.id });
    const run = await as(ownerA).post('/api/v1/runs', { operatorId: operator.body.id, input: `A-restricted-input-${randomUUID()}` });
    const comparison = await as(ownerA).post('/api/v1/comparisons', { operatorId: aIds.operatorId, input: `A-restricted-compared-${randomUUID()}`, liveAccountId: restricted.body.id });
    // A route that falls back onto the restricted account: members see the route, never that target.
    const hiddenRoute = await as(ownerA).post('/api/v1/gateway/routes', { name: `A-route-hidden-${randomUUID()}`, targets: [{ accountId: aIds.accountId, model: 'mock-fast' }, { accountId: restricted.body.id, model: 'mock-smart' }] });
    expect([restricted.status, run.status, comparison.status, hiddenRoute.status]).toEqual([201, 202, 202, 201]);
    const seenRoute = await as(await signIn(api.url, a.users.member)).get(`/api/v1/gateway/routes/${hiddenRoute.body.id}`);
    expect([seenRoute.body.targets.length, seenRoute.body.hiddenTargets]).toEqual([1, 1]);
    const hidden = { ...aIds, accountId: restricted.body.id, runId: run.body.id, comparisonId: comparison.body.id };
    const secrets = [restricted.body.id, restricted.body.name, run.body.id, run.body.input, comparison.body.id, comparison.body.live.runId];
    for (const op of ops) {
      if (op.auth.kind !== 'permission' || op.path.endsWith('/stream')) continue;
      const mentions = ['accountId', 'runId', 'comparisonId'].some((name) => op.path.includes(`{${name}}`));
      const res = await send(as(await signIn(api.url, a.users.member)), op, hidden);
      const { instance: _i, requestId: _r, ...answer } = res.body ?? {};
      if (mentions) {
        // Exactly what an id that exists nowhere gets (404, or 403 where the role may not act at all).
        const nowhere = await send(as(await signIn(api.url, a.users.member)), op, { ...aIds, accountId: randomUUID(), runId: randomUUID(), comparisonId: randomUUID() });
        const { instance: _ni, requestId: _nr, ...nowhereAnswer } = nowhere.body ?? {};
        expect([op.method, op.path, res.status, answer]).toEqual([op.method, op.path, nowhere.status, nowhereAnswer]);
      }
      const text = JSON.stringify(answer);
      // Operators are the workspace's: one bound to the account names its id (which answers 404 to this member).
      const shown = op.path.startsWith('/api/v1/operators') ? secrets.filter((x) => x !== restricted.body.id) : secrets;
      for (const secret of shown) expect([op.method, op.path, secret, text.includes(secret)]).toEqual([op.method, op.path, secret, false]);
    }
    const [{ status }] = await api.db.query(`SELECT status FROM runs WHERE id = $1`, [run.body.id]);
    expect(status).toBe('queued');
  });

  describe('the gateway (/v1/*): API tokens with the inference scope, and nothing else', () => {
    type GatewayOp = { method: 'GET' | 'POST'; path: string; body?: object };
    const gatewayOps = () =>
      GATEWAY_ROUTES.map((r): GatewayOp => ({ method: r.method, path: r.path.replace('{model}', 'mock-fast'), body: r.method === 'POST' ? gatewayBody(r.path) : undefined }));
    const gatewayBody = (path: string) =>
      path.endsWith('/embeddings')
        ? { model: 'mock-embed', input: 'walk' }
        : path.endsWith('/responses')
          ? { model: 'mock-fast', input: 'walk' }
          : path.endsWith('/messages')
            ? { model: 'mock-fast', max_tokens: 16, messages: [{ role: 'user', content: 'walk' }] }
            : { model: 'mock-fast', messages: [{ role: 'user', content: 'walk' }] };
    const call = (op: GatewayOp, headers: Record<string, string>) =>
      fetch(`${api.url}${op.path}`, { method: op.method, headers: { 'content-type': 'application/json', ...headers }, ...(op.body ? { body: JSON.stringify(op.body) } : {}) }).then(async (res) => ({
        status: res.status,
        body: (await res.json()) as { error?: { code: string; type: string; message: string; param: string | null } },
      }));

    it('the reviewed list is what the gateway mounts, and Fastify serves each; any other /v1 path is an OpenAI-shaped 404', async () => {
      expect(GATEWAY_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual([...EXPECTED_GATEWAY_ROUTES].sort());
      const fastify = api.app.getHttpAdapter().getInstance();
      for (const r of GATEWAY_ROUTES) expect([r.path, fastify.hasRoute({ method: r.method, url: `/v1${fastifyPathOf(r.path)}` })]).toEqual([r.path, true]);
      for (const [method, path] of [['POST', '/v1/completions'], ['GET', '/v1/files'], ['DELETE', '/v1/models/mock-fast'], ['GET', '/v1/chat/completions']]) {
        const res = await fetch(`${api.url}${path}`, { method });
        expect([method, path, res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([method, path, 404, 'unknown_url']);
      }
    });

    it('anonymous callers and console sessions get 401; tokens without the inference scope 403; an inference token gets through', async () => {
      const session = await signIn(api.url, a.users.owner);
      const cookie = cookieOf(session);
      const ownerA = await signIn(api.url, a.users.owner);
      for (const op of gatewayOps()) {
        const anon = await call(op, {});
        expect([op.path, anon.status, anon.body.error?.type]).toEqual([op.path, 401, 'authentication_error']);
        const withCookie = await call(op, { cookie, 'x-csrf-token': session.csrf });
        expect([op.path, withCookie.status]).toEqual([op.path, 401]);
        for (const scope of ['read', 'run', 'admin'] as const) {
          const t = await inferenceToken(ownerA, { scopes: [scope] });
          const res = await call(op, { authorization: `Bearer ${t.token}` });
          expect([op.path, scope, res.status, res.body.error?.code]).toEqual([op.path, scope, 403, 'missing_scope']);
        }
        const inference = await inferenceToken(ownerA);
        const ok = await call(op, { authorization: `Bearer ${inference.token}` });
        expect([op.path, ok.status, GATEWAY_DENIED.has(ok.body.error?.code ?? '')]).toEqual([op.path, 200, false]);
      }
    });

    it('a token of workspace B cannot use, list or even detect workspace A\'s accounts and routes', async () => {
      const ownerB = await signIn(api.url, b.users.owner);
      const tokenB = await inferenceToken(ownerB);
      const [{ name: accountName }] = await api.db.query(`SELECT name FROM provider_accounts WHERE id = $1`, [aIds.accountId]);
      const [{ name: routeName }] = await api.db.query(`SELECT name FROM gateway_routes WHERE id = $1`, [aIds.routeId]);
      const auth = { authorization: `Bearer ${tokenB.token}` };
      const viaAccount = await call({ method: 'POST', path: '/v1/chat/completions', body: { model: `${accountName}/mock-fast`, messages: [{ role: 'user', content: 'x' }] } }, auth);
      const nowhere = await call({ method: 'POST', path: '/v1/chat/completions', body: { model: `Nowhere-${randomUUID()}/mock-fast`, messages: [{ role: 'user', content: 'x' }] } }, auth);
      expect([viaAccount.status, viaAccount.body.error?.code]).toEqual([nowhere.status, nowhere.body.error?.code]);
      expect(viaAccount.status).toBe(404);
      const viaRoute = await call({ method: 'POST', path: '/v1/chat/completions', body: { model: routeName, messages: [{ role: 'user', content: 'x' }] } }, auth);
      expect(viaRoute.status).toBe(404);
      const listed = await fetch(`${api.url}/v1/models`, { headers: auth }).then((r) => r.text());
      const byId = await call({ method: 'GET', path: `/v1/models/${encodeURIComponent(`${accountName}/mock-fast`)}` }, auth);
      expect(byId.status).toBe(404);
      for (const secret of [...aSecrets, accountName, routeName]) expect([secret, listed.includes(secret)]).toEqual([secret, false]);
    });
  });
});

function anonymous(url: string) {
  return {
    get: (path: string) => supertest(url).get(path),
    post: (path: string, body?: object) => supertest(url).post(path).send(body ?? {}),
    patch: (path: string, body?: object) => supertest(url).patch(path).send(body ?? {}),
    put: (path: string, body?: object) => supertest(url).put(path).send(body ?? {}),
    delete: (path: string) => supertest(url).delete(path),
    stream: (base: string, path: string) => probeStream(`${base}${path}`, {}),
  };
}
