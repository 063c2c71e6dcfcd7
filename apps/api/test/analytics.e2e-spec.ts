/** The Overview's aggregates (GET /api/v1/analytics/overview): runs as SQL fixtures (no worker), counted as seeded. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';

interface RunFixture {
  workspaceId: string;
  accountId: string | null;
  operatorId?: string | null;
  token?: string | null;
  createdAt: string;
  status: string;
  label?: string | null;
  cost?: number | null;
  latencyMs?: number | null;
  durationMs?: number;
}

describe('overview analytics', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let admin: Session;
  let member: Session;
  let restricted: { id: string; name: string };
  let alpha: { id: string; name: string };
  let beta: { id: string; name: string };
  let token: { id: string; name: string };

  const insertRun = (r: RunFixture) =>
    api.db.query(
      `INSERT INTO runs (workspace_id, kind, operator_id, started_by_type, started_by_id, account_id, model, input, max_output_tokens, status, queued_at, created_at,
                         finished_at, cost_micro_usd, cost_label, provider_latency_ms)
       VALUES ($1, 'operator', $2, $3, $4, $5, 'mock-fast', 'x', 100, $6, $7::timestamptz, $7::timestamptz,
               CASE WHEN $6 IN ('queued', 'waiting', 'running') THEN NULL ELSE $7::timestamptz + $8 * interval '1 ms' END, $9, $10, $11)`,
      [r.workspaceId, r.operatorId ?? null, r.token ? 'token' : 'user', r.token ?? null, r.accountId, r.status, r.createdAt, r.durationMs ?? 1000, r.cost ?? null, r.label ?? null, r.latencyMs ?? null],
    );

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    admin = await signIn(api.url, ws.users.admin);
    member = await signIn(api.url, ws.users.member);
    restricted = (await as(admin).post('/api/v1/provider-accounts', { name: `Restricted ${randomUUID().slice(0, 6)}`, kind: 'mock', visibility: 'restricted' })).body;
    alpha = (await as(admin).post('/api/v1/operators', { name: `Alpha ${randomUUID().slice(0, 6)}` })).body;
    beta = (await as(admin).post('/api/v1/operators', { name: `Beta ${randomUUID().slice(0, 6)}` })).body;
    token = (await as(admin).post('/api/v1/tokens', { name: `bot-${randomUUID().slice(0, 6)}`, scopes: ['run'] })).body;
    const A = ws.mockAccountId;
    const w = ws.id;
    // 2026-01-10, hours 08 and 09 (UTC):
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, createdAt: '2026-01-10T08:10:00Z', status: 'succeeded', label: 'verified', cost: 1000, latencyMs: 100, durationMs: 400 });
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, createdAt: '2026-01-10T08:40:00Z', status: 'failed', label: 'unavailable' });
    await insertRun({ workspaceId: w, accountId: A, operatorId: beta.id, token: token.id, createdAt: '2026-01-10T09:05:00Z', status: 'succeeded', label: 'estimated', cost: 2000, latencyMs: 300, durationMs: 900 });
    await insertRun({ workspaceId: w, accountId: A, operatorId: beta.id, createdAt: '2026-01-10T09:30:00Z', status: 'blocked' });
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, createdAt: '2026-01-10T09:45:00Z', status: 'running' });
    await insertRun({ workspaceId: w, accountId: null, operatorId: null, createdAt: '2026-01-10T09:50:00Z', status: 'cancelled' });
    // On the restricted account: only those who may see it count it.
    await insertRun({ workspaceId: w, accountId: restricted.id, operatorId: beta.id, createdAt: '2026-01-10T08:20:00Z', status: 'succeeded', label: 'pending_sync', cost: 5000, latencyMs: 200, durationMs: 700 });
    // Never counted: outside the range, or another workspace's.
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, createdAt: '2026-01-09T23:59:59Z', status: 'succeeded', label: 'verified', cost: 90_000, latencyMs: 5 });
    await insertRun({ workspaceId: w, accountId: A, operatorId: alpha.id, createdAt: '2026-01-11T00:00:00Z', status: 'succeeded', label: 'verified', cost: 90_000, latencyMs: 5 });
    const other = await seedWorkspace(api.db);
    await insertRun({ workspaceId: other.id, accountId: other.mockAccountId, createdAt: '2026-01-10T08:30:00Z', status: 'succeeded', label: 'verified', cost: 90_000, latencyMs: 5 });
  });
  afterAll(() => api.close());

  const overview = (s: Session, query: string) => as(s).get(`/api/v1/analytics/overview?since=2026-01-10T00:00:00Z&until=2026-01-11T00:00:00Z${query}`);
  const near = (got: number | null, want: number) => got !== null && Math.abs(got - want) / want <= 0.02;

  it('counts the runs created in the range that the caller may see: statuses, rates, latency, spend by label, per hour', async () => {
    const res = await overview(admin, '');
    expect(res.status).toBe(200);
    const { totals, series, bucket } = res.body;
    expect(bucket).toBe('hour');
    expect({ ...totals, latencyMs: undefined, durationMs: undefined, spend: undefined }).toEqual({
      runs: 7,
      succeeded: 3,
      failed: 1,
      cancelled: 1,
      blocked: 1,
      active: 1,
      successRate: 0.75,
      errorRate: 0.25,
      latencyMs: undefined,
      durationMs: undefined,
      spend: undefined,
    });
    // Nearest rank over 100, 200, 300 ms (a histogram: within 2%).
    expect([near(totals.latencyMs.p50, 200), near(totals.latencyMs.p95, 300)]).toEqual([true, true]);
    expect([near(totals.durationMs.p50, 700), near(totals.durationMs.p95, 900)]).toEqual([true, true]);
    expect(totals.spend).toEqual({
      costMicroUsd: 8000,
      runs: 4,
      byLabel: {
        verified: { costMicroUsd: 1000, runs: 1 },
        estimated: { costMicroUsd: 2000, runs: 1 },
        pending_sync: { costMicroUsd: 5000, runs: 1 },
        unavailable: { costMicroUsd: null, runs: 1 },
      },
    });
    expect(series).toHaveLength(24);
    expect(series[0].start).toBe('2026-01-10T00:00:00.000Z');
    expect(series[8]).toMatchObject({ start: '2026-01-10T08:00:00.000Z', runs: 3, succeeded: 2, failed: 1, other: 0, cost: { verified: 1000, estimated: 0, pending_sync: 5000, unavailableRuns: 1 } });
    expect(series[9]).toMatchObject({ runs: 4, succeeded: 1, failed: 0, other: 3, cost: { estimated: 2000 } });
    expect(near(series[9].p95LatencyMs, 300)).toBe(true);
    expect(series.filter((p: { runs: number }) => p.runs === 0)).toHaveLength(22);
  });

  it('names the busiest operators, accounts and API tokens', async () => {
    const { top } = (await overview(admin, '')).body;
    // Most runs first; equal runs, the higher cost first.
    expect(top.operators).toEqual([
      { id: beta.id, name: beta.name, runs: 3, failed: 0, costMicroUsd: 7000 },
      { id: alpha.id, name: alpha.name, runs: 3, failed: 1, costMicroUsd: 1000 },
    ]);
    expect(top.accounts).toEqual([
      { id: ws.mockAccountId, name: 'Mock provider', runs: 5, failed: 1, costMicroUsd: 3000 },
      { id: restricted.id, name: restricted.name, runs: 1, failed: 0, costMicroUsd: 5000 },
    ]);
    expect(top.tokens).toEqual([{ id: token.id, name: token.name, runs: 1, failed: 0, costMicroUsd: 2000 }]);
  });

  it('filters by account and operator, and by day', async () => {
    const byOperator = (await overview(admin, `&operatorId=${beta.id}`)).body;
    expect([byOperator.totals.runs, byOperator.totals.spend.costMicroUsd]).toEqual([3, 7000]);
    const byAccount = (await overview(admin, `&accountId=${restricted.id}`)).body;
    expect([byAccount.totals.runs, byAccount.top.accounts.map((a: { id: string }) => a.id)]).toEqual([1, [restricted.id]]);
    const daily = (await as(admin).get('/api/v1/analytics/overview?since=2026-01-08T00:00:00Z&until=2026-01-12T00:00:00Z&bucket=day')).body;
    expect(daily.series.map((p: { start: string; runs: number }) => [p.start.slice(0, 10), p.runs])).toEqual([
      ['2026-01-08', 0],
      ['2026-01-09', 1],
      ['2026-01-10', 7],
      ['2026-01-11', 1],
    ]);
  });

  it("leaves out the runs of a restricted account the caller may not see — in totals, spend, top lists and filters", async () => {
    const { totals, top } = (await overview(member, '')).body;
    expect([totals.runs, totals.succeeded, totals.spend.costMicroUsd, totals.spend.byLabel.pending_sync.runs]).toEqual([6, 2, 3000, 0]);
    expect(top.accounts.map((a: { id: string }) => a.id)).toEqual([ws.mockAccountId]);
    expect(JSON.stringify(top)).not.toContain(restricted.name);
    const filtered = (await overview(member, `&accountId=${restricted.id}`)).body;
    expect([filtered.totals.runs, filtered.top.accounts]).toEqual([0, []]);
    // Once on its list, the member counts it too.
    await as(admin).patch(`/api/v1/provider-accounts/${restricted.id}`, { allowedUserIds: [ws.users.member.id] });
    expect((await overview(member, '')).body.totals.runs).toBe(7);
    await as(admin).patch(`/api/v1/provider-accounts/${restricted.id}`, { allowedUserIds: [] });
  });

  it('refuses a bad range or filter with 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['since=2026-01-11T00:00:00Z&until=2026-01-10T00:00:00Z', 'since'],
      ['since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z&bucket=hour', 'bucket'],
      ['since=2024-01-01T00:00:00Z&until=2026-03-01T00:00:00Z', 'since'],
      ['since=yesterday', 'since'],
      ['bucket=week', 'bucket'],
      ['accountId=not-a-uuid', 'accountId'],
      ['operatorId=1', 'operatorId'],
      ['groupBy=day', 'groupBy'],
    ];
    for (const [query, field] of cases) {
      const res = await as(admin).get(`/api/v1/analytics/overview?${query}`);
      expect([query, res.status, res.body.code, res.body.errors?.[0]?.field]).toEqual([query, 400, 'validation_failed', field]);
    }
  });

  it('defaults to the last 24 hours by hour', async () => {
    const res = await as(member).get('/api/v1/analytics/overview');
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.until) - Date.parse(res.body.since)).toBe(86_400_000);
    expect(res.body.bucket).toBe('hour');
    expect(res.body.series.length).toBeGreaterThanOrEqual(24);
  });
});
