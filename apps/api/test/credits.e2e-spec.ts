/**
 * The managed connector and credits (docs/managed.md), end to end on a real stack: an instance administrator
 * connects a managed account and offers it, grants credits; a workspace runs on them (runs and gateway calls through
 * the official `openai` SDK), who pays is on every record, the price multiplier applies, zero refuses with the next
 * step, grants expire soonest first, the billing webhook is signed and idempotent, a token can be pinned, each
 * workspace's share is limited, and the workspace moves to its own key in one step.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signWebhook } from '@vaultrun/money';
import supertest from 'supertest';
import { as, seedWorkspace, signIn, type Session } from '../../../test/support/api.js';
import { gatewayClient } from '../../../test/support/gateway.js';
import { eventually, waitForRun } from '../../../test/support/runs.js';
import { startStack, type Stack } from '../../../test/support/stack.js';

const WEBHOOK_SECRET = 'test-credits-webhook-secret-0123456789abcdef';

type Credits = { balanceMicroUsd: string; heldMicroUsd: string; spentMicroUsd: string; grants: { id: string; usedMicroUsd: string; forfeitedMicroUsd: string; status: string; reference: string | null }[]; accounts: { id: string; name: string }[]; exhausted: boolean };

describe('managed connector and credits', () => {
  let stack: Stack;
  let instanceAdmin: Session;
  let managedId: string;
  let connectorId: string;
  let operatorId: string;

  const credits = async (s: Session = stack.admin): Promise<Credits> => (await as(s).get('/api/v1/credits')).body;
  const grant = (workspaceId: string, body: Record<string, unknown>) => as(instanceAdmin).post(`/api/v1/instance/workspaces/${workspaceId}/credits`, body);
  const run = async (s: Session, body: Record<string, unknown>) => {
    const res = await as(s).post('/api/v1/runs', { operatorId, ...body });
    if (res.status !== 202) return res;
    return { status: 202, body: await waitForRun(as(s), res.body.id) };
  };

  beforeAll(async () => {
    stack = await startStack({ apiEnv: { VAULTRUN_CREDITS_WEBHOOK_SECRET: WEBHOOK_SECRET } });
    await stack.api.db.query(`UPDATE users SET is_instance_admin = true WHERE id = $1`, [stack.ws.users.owner.id]);
    instanceAdmin = await signIn(stack.api.url, stack.ws.users.owner);
    operatorId = (await as(stack.admin).post('/api/v1/operators', { name: 'credits op' })).body.id;
  });
  afterAll(() => stack?.close());

  it('an instance admin connects a managed account and offers it; the workspace sees a connector it cannot change', async () => {
    const bad = await as(instanceAdmin).post('/api/v1/instance/managed-accounts', { name: 'x', kind: 'mock', offer: 'chosen', workspaceIds: ['00000000-0000-4000-8000-000000000000'], share: { maxConcurrency: 2 } });
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'workspaceIds.0']);
    const noShare = await as(instanceAdmin).post('/api/v1/instance/managed-accounts', { name: 'x', kind: 'mock', offer: 'all' });
    expect([noShare.status, noShare.body.errors?.map((e: { field: string }) => e.field)]).toEqual([400, expect.arrayContaining(['share'])]);

    const created = await as(instanceAdmin).post('/api/v1/instance/managed-accounts', { name: 'Vaultrun Mock', kind: 'mock', offer: 'chosen', workspaceIds: [stack.ws.id], share: { maxConcurrency: 3 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Vaultrun Mock', kind: 'mock', offer: 'chosen', workspaceIds: [stack.ws.id], workspaces: 1, share: { maxConcurrency: 3, requestsPerMinute: null } });
    managedId = created.body.id;

    // The instance workspace holding it is no workspace of the instance's list.
    const listed = await as(instanceAdmin).get('/api/v1/instance/workspaces');
    expect(listed.body.items.map((w: { id: string }) => w.id)).toEqual([stack.ws.id]);
    expect(listed.body.items[0].creditBalanceMicroUsd).toBeNull();

    const accounts = (await as(stack.admin).get('/api/v1/provider-accounts')).body.items as Record<string, any>[];
    const connector = accounts.find((a) => a.managed)!;
    expect(connector).toMatchObject({ name: 'Vaultrun Mock', kind: 'mock', managed: true, baseUrl: null, key: null, limits: { maxConcurrency: 3 } });
    connectorId = connector.id;
    expect(accounts.filter((a) => !a.managed).map((a) => a.id)).toEqual([stack.ws.mockAccountId]);

    // Nothing a workspace does reaches the instance's account: not even its owner.
    const owner = await signIn(stack.api.url, stack.ws.users.owner);
    for (const [method, path, body] of [
      ['patch', `/api/v1/provider-accounts/${connectorId}`, { name: 'mine now' }],
      ['post', `/api/v1/provider-accounts/${connectorId}/verify`, {}],
      ['post', `/api/v1/provider-accounts/${connectorId}/rotate`, { apiKey: 'sk-test-000000000000000000000000' }],
      ['put', `/api/v1/provider-accounts/${connectorId}/admin-key`, { adminKey: 'sk-admin-000000000000000000000000' }],
      ['get', `/api/v1/provider-accounts/${connectorId}/cost-sync`, undefined],
      ['delete', `/api/v1/provider-accounts/${connectorId}`, undefined],
    ] as const) {
      const agent = as(owner) as unknown as Record<string, (p: string, b?: unknown) => Promise<{ status: number; body: { code: string } }>>;
      const res = await agent[method]!(path, body);
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 403, 'managed_account']);
    }
    expect((await as(owner).get(`/api/v1/provider-accounts/${managedId}`)).status).toBe(404);
    expect((await as(owner).get('/api/v1/instance/managed-accounts')).status).toBe(200); // the owner is also the instance admin here
    expect((await as(stack.admin).get('/api/v1/instance/managed-accounts')).status).toBe(403);
    expect((await as(stack.admin).get(`/api/v1/provider-accounts/${connectorId}`)).body.name).toBe('Vaultrun Mock');
  });

  it('no credits yet: a run on the connector is refused with the next step; own keys still run', async () => {
    const refused = await as(stack.member).post('/api/v1/runs', { operatorId, input: 'hello', accountId: connectorId });
    expect(refused.status).toBe(402);
    expect(refused.body.code).toBe('credits_exhausted');
    expect(refused.body.detail).toMatch(/ask your instance administrator for more credits, or connect your own provider key/);
    const own = await run(stack.member, { input: 'hello' });
    expect(own.body).toMatchObject({ status: 'succeeded', paidWith: 'own_key', paidWithLabel: expect.stringMatching(/^Your key \(/) });
  });

  it('credits granted are spent by runs through the ledger, at the instance price', async () => {
    expect((await grant(stack.ws.id, { kind: 'top_up', amountMicroUsd: '1000000' })).body.errors?.[0]?.field).toBe('reference');
    expect((await grant(stack.ws.id, { kind: 'grant', amountMicroUsd: '1.5' })).body.errors?.[0]?.field).toBe('amountMicroUsd');
    expect((await grant(stack.ws.id, { kind: 'grant', amountMicroUsd: '1000000', expiresAt: '2001-01-01T00:00:00Z' })).body.errors?.[0]?.field).toBe('expiresAt');
    const given = await grant(stack.ws.id, { kind: 'grant', amountMicroUsd: '1000000', note: 'welcome' });
    expect(given.status).toBe(201);
    expect((await credits()).balanceMicroUsd).toBe('1000000');

    const onCredits = await run(stack.member, { input: 'the same input', accountId: connectorId });
    expect(onCredits.body).toMatchObject({ status: 'succeeded', paidWith: 'credits', paidWithLabel: 'Vaultrun credits' });
    const own = await run(stack.member, { input: 'the same input' });
    expect(own.body.paidWith).toBe('own_key');
    const cost = Number(onCredits.body.costMicroUsd);
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBe(Number(own.body.costMicroUsd)); // ×1 by default

    const after = await credits();
    expect([after.spentMicroUsd, after.balanceMicroUsd, after.heldMicroUsd]).toEqual([String(cost), String(1_000_000 - cost), '0']);
    expect(after.grants[0]).toMatchObject({ usedMicroUsd: String(cost), status: 'active' });

    // The multiplier: the same call now costs twice as much in credits; the own key's price is unchanged.
    expect((await as(instanceAdmin).patch('/api/v1/instance/settings', { priceMultiplierPermille: 2000 })).body).toMatchObject({ priceMultiplierPermille: 2000 });
    const doubled = await run(stack.member, { input: 'the same input', accountId: connectorId });
    const ownAgain = await run(stack.member, { input: 'the same input' });
    expect(Number(ownAgain.body.costMicroUsd)).toBe(cost);
    expect(Math.abs(Number(doubled.body.costMicroUsd) - 2 * cost)).toBeLessThanOrEqual(1);
    expect((await credits()).spentMicroUsd).toBe(String(cost + Number(doubled.body.costMicroUsd)));
    await as(instanceAdmin).patch('/api/v1/instance/settings', { priceMultiplierPermille: 1000 });
    // The spend report says who paid.
    const byPayer = (await as(stack.admin).get('/api/v1/spend?groupBy=payer')).body.groups as { key: string; name: string; total: { costMicroUsd: number } }[];
    expect(byPayer.find((g) => g.key === 'credits')).toMatchObject({ name: 'Vaultrun credits', total: { costMicroUsd: cost + Number(doubled.body.costMicroUsd) } });
    expect(byPayer.find((g) => g.key === 'own_key')).toMatchObject({ name: 'Your keys' });

    // The balance is a budget the workspace reads but cannot raise.
    const budgets = (await as(stack.admin).get('/api/v1/budgets')).body.items as { id: string; name: string; scope: { type: string } }[];
    const creditsBudget = budgets.find((b) => b.scope.type === 'credits')!;
    expect(creditsBudget.name).toBe('Vaultrun credits');
    const owner = await signIn(stack.api.url, stack.ws.users.owner);
    expect((await as(owner).patch(`/api/v1/budgets/${creditsBudget.id}`, { capMicroUsd: 999_999_999 })).body.code).toBe('credits_budget');
    expect((await as(owner).delete(`/api/v1/budgets/${creditsBudget.id}`)).body.code).toBe('credits_budget');
    const squat = await as(owner).post('/api/v1/budgets', { name: 'vaultrun credits', scope: { type: 'workspace' }, period: 'month', capMicroUsd: 1 });
    expect([squat.status, squat.body.errors?.[0]?.field]).toEqual([400, 'name']);
  });

  it('at zero, runs on credits are refused (never a negative balance); the refusal offers the next step', async () => {
    // What one run may cost at most (its hold): credits for just one of them.
    const probe = await run(stack.member, { input: 'the same input' });
    const worstCase = Number(probe.body.estimateMicroUsd);
    expect(worstCase).toBeGreaterThan(0);
    const ws = await seedWorkspace(stack.api.db, 'Low credit team');
    await as(instanceAdmin).patch(`/api/v1/instance/managed-accounts/${managedId}`, { workspaceIds: [stack.ws.id, ws.id] });
    const low = await signIn(stack.api.url, ws.users.admin);
    const lowOp = (await as(low).post('/api/v1/operators', { name: 'low op' })).body.id;
    const lowConnector = ((await as(low).get('/api/v1/provider-accounts')).body.items as { id: string; managed: boolean }[]).find((a) => a.managed)!.id;
    expect((await grant(ws.id, { kind: 'grant', amountMicroUsd: String(worstCase + 10) })).status).toBe(201);
    // Alert early (the instance's setting applies to every workspace's credits): one run's real cost crosses it.
    expect((await as(instanceAdmin).patch('/api/v1/instance/settings', { lowBalanceAlertPct: 1 })).status).toBe(200);
    const ids = await Promise.all(
      Array.from({ length: 12 }, async () => (await as(low).post('/api/v1/runs', { operatorId: lowOp, input: 'the same input', accountId: lowConnector })).body),
    );
    const finals = await Promise.all(ids.filter((r) => r.id).map((r) => waitForRun(as(low), r.id)));
    const refusedAtOnce = ids.filter((r) => !r.id);
    const blocked = finals.filter((r) => r.status === 'blocked');
    expect(finals.filter((r) => r.status === 'succeeded').length).toBeGreaterThan(0);
    expect(blocked.length + refusedAtOnce.length).toBeGreaterThan(0);
    for (const b of blocked) expect(b.error).toMatchObject({ code: 'credits_exhausted', message: expect.stringContaining('connect your own provider key') });
    for (const r of refusedAtOnce) expect(r.code).toBe('credits_exhausted');
    const c = await credits(low);
    expect(BigInt(c.balanceMicroUsd)).toBeGreaterThanOrEqual(0n);
    expect(c.heldMicroUsd).toBe('0');
    expect(finals.filter((r) => r.status === 'succeeded').reduce((n, r) => n + Number(r.costMicroUsd), 0)).toBe(Number(c.spentMicroUsd));
    const me = await as(low).get('/api/v1/auth/me');
    expect(me.body.workspace.credits).toMatchObject({ balanceMicroUsd: c.balanceMicroUsd });
    expect(me.body.workspace.credits.lowBalance || me.body.workspace.credits.exhausted).toBe(true);
    // The low-balance alert is the credits budget's threshold alert: audited (and sent to the alert webhook when set).
    const alerts = (await as(low).get('/api/v1/audit-events?action=budget.soft_threshold_crossed')).body.items as { target: { name: string } }[];
    expect(alerts.map((a) => a.target.name)).toContain('Vaultrun credits');
    await as(instanceAdmin).patch('/api/v1/instance/settings', { lowBalanceAlertPct: 80 });
  });

  it('grants are used soonest-expiring first; what is left at expiry is forfeited', async () => {
    const ws = await seedWorkspace(stack.api.db, 'Expiring team');
    await as(instanceAdmin).patch(`/api/v1/instance/managed-accounts/${managedId}`, { offer: 'all' });
    const s = await signIn(stack.api.url, ws.users.admin);
    const op = (await as(s).post('/api/v1/operators', { name: 'exp op' })).body.id;
    const conn = ((await as(s).get('/api/v1/provider-accounts')).body.items as { id: string; managed: boolean }[]).find((a) => a.managed)!.id;
    const lasting = (await grant(ws.id, { kind: 'grant', amountMicroUsd: '1000000' })).body;
    const soon = (await grant(ws.id, { kind: 'grant', amountMicroUsd: '50000', expiresAt: new Date(Date.now() + 60_000).toISOString() })).body;
    const r = await as(s).post('/api/v1/runs', { operatorId: op, input: 'spend a little', accountId: conn });
    const done = await waitForRun(as(s), r.body.id);
    const cost = Number(done.costMicroUsd);
    expect(done.status).toBe('succeeded');
    // The spend is drawn from the soonest-expiring grant; then that grant's time is up (moved, not waited for).
    expect((await credits(s)).grants.find((g) => g.id === soon.id)!.usedMicroUsd).toBe(String(cost));
    await stack.api.db.query(`UPDATE credit_grants SET expires_at = now() WHERE id = $1`, [soon.id]);
    const c = await eventually(
      () => credits(s),
      (x) => x.grants.find((g) => g.id === soon.id)!.status === 'expired',
      'the short grant expires',
    );
    const byId = new Map(c.grants.map((g) => [g.id, g]));
    expect(byId.get(soon.id)).toMatchObject({ usedMicroUsd: String(cost), forfeitedMicroUsd: String(50_000 - cost), status: 'expired' });
    expect(byId.get(lasting.id)).toMatchObject({ usedMicroUsd: '0', forfeitedMicroUsd: '0', status: 'active' });
    expect(c.balanceMicroUsd).toBe('1000000');
    const audit = (await as(s).get('/api/v1/audit-events?action=credits.expire')).body.items as { action: string }[];
    expect(audit.map((e) => e.action)).toContain('credits.expire');
  });

  it('the billing webhook: signed, fresh, idempotent per reference', async () => {
    const body = JSON.stringify({ workspaceId: stack.ws.id, amountMicroUsd: '2500000', reference: 'inv_1001' });
    const post = (payload: string, signature: string | null) => {
      const req = supertest(stack.api.url).post('/api/v1/credits/top-ups').set('content-type', 'application/json');
      return (signature === null ? req : req.set('vaultrun-signature', signature)).send(payload);
    };
    const now = Math.floor(Date.now() / 1000);
    expect((await post(body, null)).status).toBe(401);
    expect((await post(body, signWebhook('not-the-secret-not-the-secret-0000', body, now))).status).toBe(401);
    expect((await post(body, signWebhook(WEBHOOK_SECRET, body, now - 3600))).status).toBe(401);
    expect((await post(body.replace('2500000', '9500000'), signWebhook(WEBHOOK_SECRET, body, now))).status).toBe(401);
    const first = await post(body, signWebhook(WEBHOOK_SECRET, body, now));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ kind: 'top_up', amountMicroUsd: '2500000', reference: 'inv_1001', createdBy: 'billing webhook' });
    const again = await post(body, signWebhook(WEBHOOK_SECRET, body, now));
    expect([again.status, again.body.id]).toEqual([200, first.body.id]);
    const other = JSON.stringify({ workspaceId: stack.ws.id, amountMicroUsd: '1', reference: 'inv_1001' });
    expect((await post(other, signWebhook(WEBHOOK_SECRET, other, now))).status).toBe(409);
    const unknownWs = JSON.stringify({ workspaceId: '00000000-0000-4000-8000-000000000000', amountMicroUsd: '1', reference: 'x' });
    expect((await post(unknownWs, signWebhook(WEBHOOK_SECRET, unknownWs, now))).status).toBe(404);
    const grants = (await credits()).grants.filter((g) => g.reference === 'inv_1001');
    expect(grants).toHaveLength(1);
    const instanceAudit = (await as(instanceAdmin).get('/api/v1/instance/audit')).body.items as { action: string }[];
    expect(instanceAudit.map((e) => e.action)).toEqual(expect.arrayContaining(['instance.credits.top_up', 'instance.credits.grant', 'instance.managed_account.create']));
  });

  it('gateway calls on the connector are paid with credits; a token pinned to own keys cannot use it', async () => {
    const before = Number((await credits()).spentMicroUsd);
    const tokenRes = await as(stack.admin).post('/api/v1/tokens', { name: 'credits app', scopes: ['inference'], billing: 'credits' });
    expect(tokenRes.body.billing).toBe('credits');
    const client = gatewayClient(stack.api.url, tokenRes.body.token, { maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'Vaultrun Mock/mock-fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]!.message.content).toBeTruthy();
    // The record is finished after the answer's last byte: wait for it, then for its money.
    const [record] = await eventually(
      async () => (await as(stack.admin).get('/api/v1/runs?kind=gateway')).body.items as Record<string, any>[],
      (items) => items[0]?.status === 'succeeded',
      'the gateway record is finished',
    );
    expect(record).toMatchObject({ paidWith: 'credits', accountId: connectorId, costMicroUsd: expect.any(Number) });
    expect(record!.costMicroUsd).toBeGreaterThan(0);
    const holds = await stack.api.db.query(
      `SELECT b.scope_type, h.status, h.amount_micro_usd, h.charged_micro_usd FROM budget_holds h JOIN budgets b ON b.id = h.budget_id WHERE h.run_id = $1`,
      [record!.id],
    );
    expect(holds).toEqual([expect.objectContaining({ scope_type: 'credits', status: 'settled', charged_micro_usd: String(record!.costMicroUsd) })]);
    await eventually(() => credits(), (c) => Number(c.spentMicroUsd) === before + record!.costMicroUsd && c.heldMicroUsd === '0', `the call (${JSON.stringify(record)}) settles on credits`);
    // Pinned to credits: the workspace's own account does not exist for it.
    await expect(client.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404 });

    const ownOnly = await as(stack.admin).post('/api/v1/tokens', { name: 'own app', scopes: ['run'], billing: 'own_key' });
    const pinned = await supertest(stack.api.url).post('/api/v1/runs').set('authorization', `Bearer ${ownOnly.body.token}`).send({ operatorId, input: 'x', accountId: connectorId });
    expect([pinned.status, pinned.body.code]).toEqual([403, 'billing_pinned']);
  });

  it("each workspace's share of the managed account is limited: at most its max concurrency in flight", async () => {
    await as(instanceAdmin).patch(`/api/v1/instance/managed-accounts/${managedId}`, { share: { maxConcurrency: 1 } });
    // Calls long enough to overlap if the share did not hold them apart.
    await stack.api.db.query(`UPDATE provider_accounts SET mock_settings = '{"latencyMs":300}' WHERE id = $1`, [managedId]);
    expect(((await as(stack.admin).get(`/api/v1/provider-accounts/${connectorId}`)).body.limits.maxConcurrency)).toBe(1);
    const ids = await Promise.all(Array.from({ length: 4 }, async (_, i) => (await as(stack.member).post('/api/v1/runs', { operatorId, input: `share ${i}`, accountId: connectorId })).body.id as string));
    const runs = await Promise.all(ids.map((id) => waitForRun(as(stack.member), id)));
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    // Each provider call's span (taken and ended while its slot was held) ends before the next one starts.
    const spans = runs.map((r) => [Date.parse(r.timings.providerStartedAt), Date.parse(r.timings.providerStartedAt) + r.timings.providerLatencyMs] as const).sort((a, b) => a[0] - b[0]);
    expect(spans.map(([from, to]) => to - from >= 250)).toEqual([true, true, true, true]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1] - 20);
    await stack.api.db.query(`UPDATE provider_accounts SET mock_settings = NULL WHERE id = $1`, [managedId]);
  });

  it("the managed account's own limits hold across every workspace (runs and gateway calls together)", async () => {
    const a = stack.ws;
    const b = await seedWorkspace(stack.api.db, 'Second tenant');
    const created = await as(instanceAdmin).post('/api/v1/instance/managed-accounts', {
      name: 'One at a time',
      kind: 'mock',
      mock: { latencyMs: 400 },
      limits: { maxConcurrency: 1 },
      offer: 'chosen',
      workspaceIds: [a.id, b.id],
      share: { maxConcurrency: 5 },
    });
    expect(created.body).toMatchObject({ limits: { maxConcurrency: 1 }, share: { maxConcurrency: 5 } });
    await grant(b.id, { kind: 'grant', amountMicroUsd: '5000000' });
    const sessionB = await signIn(stack.api.url, b.users.admin);
    const connectorOf = async (s: Session) => ((await as(s).get('/api/v1/provider-accounts')).body.items as { id: string; name: string }[]).find((x) => x.name === 'One at a time')!.id;
    const [connA, connB] = [await connectorOf(stack.admin), await connectorOf(sessionB)];
    const opB = (await as(sessionB).post('/api/v1/operators', { name: 'b op' })).body.id;
    const appB = (await as(sessionB).post('/api/v1/tokens', { name: 'b app', scopes: ['inference'] })).body.token as string;
    const started = await Promise.all([
      ...[0, 1].map((i) => as(stack.member).post('/api/v1/runs', { operatorId, input: `a ${i}`, accountId: connA })),
      ...[0, 1].map((i) => as(sessionB).post('/api/v1/runs', { operatorId: opB, input: `b ${i}`, accountId: connB })),
    ]);
    const call = gatewayClient(stack.api.url, appB, { maxRetries: 0 }).chat.completions.create({ model: 'One at a time/mock-fast', messages: [{ role: 'user', content: 'b call' }] });
    const runs = [
      ...(await Promise.all(started.slice(0, 2).map((r) => waitForRun(as(stack.member), r.body.id, undefined, 60_000)))),
      ...(await Promise.all(started.slice(2).map((r) => waitForRun(as(sessionB), r.body.id, undefined, 60_000)))),
    ];
    await call;
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const gatewayRecord = ((await as(sessionB).get('/api/v1/runs?kind=gateway')).body.items as Record<string, any>[])[0]!;
    // Each provider call's own span (taken and ended while its slot was held): one at a time on the managed account,
    // whichever workspace and path it came from.
    const spans = [...runs, gatewayRecord]
      .map((r) => [Date.parse(r.timings.providerStartedAt), Date.parse(r.timings.providerStartedAt) + r.timings.providerLatencyMs] as const)
      .sort((x, y) => x[0] - y[0]);
    // The runs' calls took the mock's 400 ms (the gateway record times its answer from a later point).
    expect(runs.map((r) => r.timings.providerLatencyMs >= 350)).toEqual([true, true, true, true]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1] - 20);
  });

  it("moves the workspace's operators and routes to its own key in one step", async () => {
    const op = (await as(stack.admin).post('/api/v1/operators', { name: 'on credits', accountId: connectorId })).body.id;
    const route = await as(stack.admin).post('/api/v1/gateway/routes', { name: 'fast', targets: [{ accountId: connectorId, model: 'mock-fast' }] });
    expect(route.status).toBe(201);
    const toManaged = await as(stack.admin).post('/api/v1/credits/switch-to-own-key', { toAccountId: connectorId });
    expect([toManaged.status, toManaged.body.errors?.[0]?.field]).toEqual([400, 'toAccountId']);
    const moved = await as(stack.admin).post('/api/v1/credits/switch-to-own-key', { toAccountId: stack.ws.mockAccountId });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ operators: 1, routeTargets: 1 });
    expect((await as(stack.admin).get(`/api/v1/operators/${op}`)).body.accountId).toBe(stack.ws.mockAccountId);
    const routes = (await as(stack.admin).get('/api/v1/gateway/routes')).body.items as { name: string; targets: { accountId: string }[] }[];
    expect(routes.find((r) => r.name === 'fast')!.targets[0]!.accountId).toBe(stack.ws.mockAccountId);
    const r = await as(stack.member).post('/api/v1/runs', { operatorId: op, input: 'now on my key' });
    expect((await waitForRun(as(stack.member), r.body.id)).paidWith).toBe('own_key');
  });
});
