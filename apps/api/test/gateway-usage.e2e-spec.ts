/**
 * GET /api/v1/gateway/usage — the gateway's calls per API token (the console's Gateway page): sums equal to the
 * records, split by cost label; calls on a restricted account left out for those not on its list; another
 * workspace's calls never counted; a bad range refused naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, seedWorkspace, type SeededWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';
import { gatewayClient, inferenceToken } from '../../../test/support/gateway.js';
import { eventually } from '../../../test/support/runs.js';

interface Usage {
  tokenId: string;
  name: string | null;
  prefix: string | null;
  calls: number;
  succeeded: number;
  inputTokens: number;
  outputTokens: number;
  spend: { costMicroUsd: number; runs: number; byLabel: Record<string, { costMicroUsd: number | null; runs: number }> };
}

describe('gateway usage per token', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let owner: Session;
  let member: Session;
  let appA: { id: string; token: string };
  let appB: { id: string; token: string };
  const records: Record<string, { tokenId: string; restricted: boolean; body: Record<string, any> }[]> = {};

  const call = async (app: { id: string; token: string }, model: string, restricted = false) => {
    const { response } = await gatewayClient(api.url, app.token, { maxRetries: 0 })
      .chat.completions.create({ model, messages: [{ role: 'user', content: `count me ${model}` }], max_tokens: 30 })
      .withResponse();
    const id = response.headers.get('x-vaultrun-request-id');
    const body = await eventually(() => as(owner).get(`/api/v1/runs/${id}`).then((r) => r.body), (r) => r.status === 'succeeded' && !!r.costLabel, `record ${id}`);
    (records[app.id] ??= []).push({ tokenId: app.id, restricted, body });
  };
  const usage = async (s: Session, query = ''): Promise<{ status: number; body: { total: Omit<Usage, 'tokenId' | 'name' | 'prefix'>; tokens: Usage[]; errors?: { field: string }[] } }> => {
    const res = await as(s).get(`/api/v1/gateway/usage${query}`);
    return { status: res.status, body: res.body };
  };
  const expected = (list: { body: Record<string, any> }[]) => {
    const byLabel: Record<string, { costMicroUsd: number; runs: number }> = {};
    for (const r of list) {
      const entry = (byLabel[r.body.costLabel] ??= { costMicroUsd: 0, runs: 0 });
      entry.costMicroUsd += r.body.costMicroUsd ?? 0;
      entry.runs += 1;
    }
    return {
      calls: list.length,
      succeeded: list.length,
      inputTokens: list.reduce((n, r) => n + r.body.usage.inputTokens, 0),
      outputTokens: list.reduce((n, r) => n + r.body.usage.outputTokens, 0),
      costMicroUsd: list.reduce((n, r) => n + (r.body.costMicroUsd ?? 0), 0),
      byLabel,
    };
  };
  const check = (row: Usage | undefined, list: { body: Record<string, any> }[]) => {
    const want = expected(list);
    expect(row).toMatchObject({ calls: want.calls, succeeded: want.succeeded, inputTokens: want.inputTokens, outputTokens: want.outputTokens, spend: { costMicroUsd: want.costMicroUsd, runs: want.calls } });
    for (const [label, part] of Object.entries(want.byLabel)) expect(row!.spend.byLabel[label]).toEqual(label === 'unavailable' ? { costMicroUsd: null, runs: part.runs } : part);
  };

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    member = await signIn(api.url, ws.users.member);
    appA = await inferenceToken(owner, { name: 'App A' });
    appB = await inferenceToken(owner, { name: 'App B' });
    // A restricted account only app B may use; the member is not on its list.
    const restricted = await as(owner).post('/api/v1/provider-accounts', { name: 'Legal mock', kind: 'mock', visibility: 'restricted', allowedTokenIds: [appB.id] });
    expect(restricted.status).toBe(201);
    await call(appA, 'mock-fast');
    await call(appA, 'mock-smart');
    await call(appB, 'mock-fast');
    await call(appB, 'Legal mock/mock-fast', true);
    // Another workspace's app: never in this workspace's figures.
    const other = await seedWorkspace(api.db);
    const otherOwner = await signIn(api.url, other.users.owner);
    const otherApp = await inferenceToken(otherOwner, { name: 'Other app' });
    await gatewayClient(api.url, otherApp.token, { maxRetries: 0 }).chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'elsewhere' }], max_tokens: 30 });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('sums each token\'s calls, tokens and cost by label exactly as the records say', async () => {
    const res = await usage(owner);
    expect(res.status).toBe(200);
    expect(res.body.tokens.map((t) => t.tokenId).sort()).toEqual([appA.id, appB.id].sort());
    const a = res.body.tokens.find((t) => t.tokenId === appA.id);
    expect(a).toMatchObject({ name: 'App A', prefix: expect.stringMatching(/^vr_/) });
    check(a, records[appA.id]!);
    check(res.body.tokens.find((t) => t.tokenId === appB.id), records[appB.id]!);
    check(res.body.total as Usage, [...records[appA.id]!, ...records[appB.id]!]);
    // Real amounts, not zeros that would sum to anything.
    expect(res.body.total.spend.costMicroUsd).toBeGreaterThan(0);
    expect(res.body.total.inputTokens).toBeGreaterThan(0);
    // Only a prefix: never the token.
    expect(JSON.stringify(res.body)).not.toContain(appA.token);
  });

  it('leaves out the calls on a restricted account for a member not on its list', async () => {
    const res = await usage(member);
    expect(res.status).toBe(200);
    check(res.body.tokens.find((t) => t.tokenId === appB.id), records[appB.id]!.filter((r) => !r.restricted));
    expect(res.body.total.calls).toBe(3);
  });

  it('counts the calls made in the range only, and refuses a bad range naming the field', async () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    const empty = await usage(owner, `?since=${encodeURIComponent(later)}&until=${encodeURIComponent(new Date(Date.now() + 120_000).toISOString())}`);
    expect([empty.status, empty.body.tokens, empty.body.total.calls]).toEqual([200, [], 0]);
    const backwards = await usage(owner, `?since=${encodeURIComponent(later)}&until=${encodeURIComponent(new Date().toISOString())}`);
    expect([backwards.status, backwards.body.errors?.[0]?.field]).toEqual([400, 'since']);
    const garbage = await usage(owner, '?until=yesterday');
    expect([garbage.status, garbage.body.errors?.[0]?.field]).toEqual([400, 'until']);
    const tooLong = await usage(owner, `?since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z`);
    expect([tooLong.status, tooLong.body.errors?.[0]?.field]).toEqual([400, 'since']);
  });
});
