/** Spend reports: finished runs (SQL fixtures, no worker) grouped by day, account, operator, model and token, split by label. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { as, bearer, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';

interface RunFixture {
  workspaceId: string;
  accountId: string;
  operatorId?: string | null;
  model?: string;
  token?: string | null;
  finishedAt: string | null;
  label: string | null;
  cost: number | null;
  status?: string;
}

const split = (s: { cost: number; runs: number; verified?: [number, number]; estimated?: [number, number]; pending_sync?: [number, number]; unavailable?: number }) => ({
  costMicroUsd: s.cost,
  runs: s.runs,
  byLabel: {
    verified: { costMicroUsd: s.verified?.[0] ?? 0, runs: s.verified?.[1] ?? 0 },
    estimated: { costMicroUsd: s.estimated?.[0] ?? 0, runs: s.estimated?.[1] ?? 0 },
    pending_sync: { costMicroUsd: s.pending_sync?.[0] ?? 0, runs: s.pending_sync?.[1] ?? 0 },
    unavailable: { costMicroUsd: null, runs: s.unavailable ?? 0 },
  },
});

describe('spend reports', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let viewer: Session;
  let accountB: { id: string; name: string };
  let alpha: { id: string; name: string };
  let beta: { id: string; name: string };
  let token: { id: string; name: string };

  const insertRun = (r: RunFixture) =>
    api.db.query(
      `INSERT INTO runs (workspace_id, kind, operator_id, started_by_type, started_by_id, account_id, model, input, max_output_tokens, status, queued_at, finished_at, cost_micro_usd, cost_label)
       VALUES ($1, 'operator', $2, $3, $4, $5, $6, 'x', 100, $7, COALESCE($8::timestamptz, now()) - interval '1 second', $8, $9, $10)`,
      [r.workspaceId, r.operatorId ?? null, r.token ? 'token' : 'user', r.token ?? null, r.accountId, r.model ?? 'mock-fast', r.status ?? 'succeeded', r.finishedAt, r.cost, r.label],
    );

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    const admin = await signIn(api.url, ws.users.admin);
    viewer = await signIn(api.url, ws.users.viewer);
    accountB = (await as(admin).post('/api/v1/provider-accounts', { name: `Second ${randomUUID().slice(0, 6)}`, kind: 'mock' })).body;
    alpha = (await as(admin).post('/api/v1/operators', { name: `Alpha ${randomUUID().slice(0, 6)}` })).body;
    beta = (await as(admin).post('/api/v1/operators', { name: `Beta ${randomUUID().slice(0, 6)}` })).body;
    token = (await as(admin).post('/api/v1/tokens', { name: `bot-${randomUUID().slice(0, 6)}`, scopes: ['run'] })).body;
    const A = ws.mockAccountId;
    const w = ws.id;
    // In range (2026-01-10 … 2026-01-11):
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, finishedAt: '2026-01-10T08:00:00Z', label: 'verified', cost: 1000 });
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, token: token.id, finishedAt: '2026-01-10T23:00:00Z', label: 'estimated', cost: 2000 });
    await insertRun({ workspaceId: w, accountId: accountB.id, operatorId: beta.id, model: 'mock-smart', token: token.id, finishedAt: '2026-01-11T00:00:00Z', label: 'pending_sync', cost: 3000 });
    await insertRun({ workspaceId: w, accountId: accountB.id, operatorId: beta.id, model: 'mock-smart', finishedAt: '2026-01-11T23:59:59.999Z', label: 'unavailable', cost: null, status: 'failed' });
    await insertRun({ workspaceId: w, accountId: A, operatorId: null, model: 'gpt-x', finishedAt: '2026-01-11T12:00:00Z', label: 'estimated', cost: 500 });
    // Not counted: outside the range, never reached a provider (no label), or another workspace's.
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, finishedAt: '2026-01-09T23:59:59.999Z', label: 'estimated', cost: 90_000 });
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, finishedAt: '2026-01-12T00:00:00Z', label: 'estimated', cost: 90_000 });
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, finishedAt: '2026-01-10T09:00:00Z', label: null, cost: null, status: 'blocked' });
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, finishedAt: null, label: null, cost: null, status: 'running' });
    const other = await seedWorkspace(api.db);
    await insertRun({ workspaceId: other.id, accountId: other.mockAccountId, finishedAt: '2026-01-10T10:00:00Z', label: 'verified', cost: 90_000 });
  });
  afterAll(() => api.close());

  const report = (query: string, s: Session = viewer) => as(s).get(`/api/v1/spend?${query}`);
  const TOTAL = split({ cost: 6500, runs: 5, verified: [1000, 1], estimated: [2500, 2], pending_sync: [3000, 1], unavailable: 1 });

  it('by day: every UTC day of the range, each total split by label; unknown costs counted as runs, never as $0', async () => {
    const res = await report('from=2026-01-10&to=2026-01-11&groupBy=day');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: '2026-01-10',
      to: '2026-01-11',
      groupBy: 'day',
      total: TOTAL,
      groups: [
        { key: '2026-01-10', name: '2026-01-10', total: split({ cost: 3000, runs: 2, verified: [1000, 1], estimated: [2000, 1] }) },
        { key: '2026-01-11', name: '2026-01-11', total: split({ cost: 3500, runs: 3, estimated: [500, 1], pending_sync: [3000, 1], unavailable: 1 }) },
      ],
    });
    const empty = await report('from=2026-01-13&to=2026-01-15');
    expect(empty.body.groups.map((g: { key: string }) => g.key)).toEqual(['2026-01-13', '2026-01-14', '2026-01-15']);
    expect(empty.body.total).toEqual(split({ cost: 0, runs: 0 }));
  });

  it('by account, operator, model and API token, highest cost first, with names', async () => {
    const byAccount = (await report('from=2026-01-10&to=2026-01-11&groupBy=account')).body;
    expect(byAccount.total).toEqual(TOTAL);
    expect(byAccount.groups).toEqual([
      { key: ws.mockAccountId, name: 'Mock provider', total: split({ cost: 3500, runs: 3, verified: [1000, 1], estimated: [2500, 2] }) },
      { key: accountB.id, name: accountB.name, total: split({ cost: 3000, runs: 2, pending_sync: [3000, 1], unavailable: 1 }) },
    ]);

    const byOperator = (await report('from=2026-01-10&to=2026-01-11&groupBy=operator')).body;
    expect(byOperator.groups.map((g: { key: string | null; name: string | null; total: { costMicroUsd: number; runs: number } }) => [g.key, g.name, g.total.costMicroUsd, g.total.runs])).toEqual([
      [alpha.id, alpha.name, 3000, 2],
      [beta.id, beta.name, 3000, 2],
      [null, null, 500, 1],
    ]);

    const byModel = (await report('from=2026-01-10&to=2026-01-11&groupBy=model')).body;
    expect(byModel.groups.map((g: { key: string; name: string; total: { costMicroUsd: number } }) => [g.key, g.name, g.total.costMicroUsd])).toEqual([
      ['mock-fast', 'mock-fast', 3000],
      ['mock-smart', 'mock-smart', 3000],
      ['gpt-x', 'gpt-x', 500],
    ]);

    const byToken = (await report('from=2026-01-10&to=2026-01-11&groupBy=token')).body;
    expect(byToken.groups).toEqual([
      { key: token.id, name: token.name, total: split({ cost: 5000, runs: 2, estimated: [2000, 1], pending_sync: [3000, 1] }) },
      { key: null, name: null, total: split({ cost: 1500, runs: 3, verified: [1000, 1], estimated: [500, 1], unavailable: 1 }) },
    ]);
  });

  it('defaults to the last 30 UTC days, by day', async () => {
    const res = await report('');
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body).toMatchObject({ to: today, groupBy: 'day' });
    expect(res.body.groups).toHaveLength(30);
    expect(res.body.groups[0].key).toBe(res.body.from);
    expect(res.body.groups.at(-1).key).toBe(today);
    expect(Date.parse(today) - Date.parse(res.body.from)).toBe(29 * 86_400_000);
  });

  it('refuses bad dates, ranges and groupings with 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['from=2026-1-1', 'from'],
      ['to=yesterday', 'to'],
      ['to=2026-02-30', 'to'],
      ['from=2026-02-29&to=2026-03-01', 'from'], // 2026 is not a leap year
      ['from=2026-01-12&to=2026-01-11', 'from'],
      ['from=2025-01-01&to=2026-02-05', 'from'], // 401 days
      ['groupBy=week', 'groupBy'],
      ['groupBy=day&limit=5', 'limit'],
    ];
    for (const [query, field] of cases) {
      const res = await report(query);
      expect([query, res.status, res.body.errors?.[0]?.field]).toEqual([query, 400, field]);
    }
    expect((await report('from=2025-01-01&to=2026-02-04')).body.groups).toHaveLength(400);
  });

  it('is readable by every role and token scope, and by nobody outside the workspace', async () => {
    const member = await signIn(api.url, ws.users.member);
    expect((await report('from=2026-01-10&to=2026-01-11', member)).body.total.costMicroUsd).toBe(6500);
    const admin = await signIn(api.url, ws.users.admin);
    const read = (await as(admin).post('/api/v1/tokens', { name: `reader-${randomUUID()}`, scopes: ['read'] })).body.token;
    expect((await bearer(api.url, read).get('/api/v1/spend?from=2026-01-10&to=2026-01-11')).body.total).toEqual(TOTAL);
    expect((await supertest(api.url).get('/api/v1/spend')).status).toBe(401);
  });
});
