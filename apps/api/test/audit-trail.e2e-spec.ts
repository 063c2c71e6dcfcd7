/** The audit trail (issue 14): targets' names, filters by action list / actor / target / time, the action list, before/after, CSV export. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';

describe('audit trail', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let owner: Session;
  let admin: Session;
  let operator: { id: string; name: string };
  let gone: { id: string; name: string };

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    admin = await signIn(api.url, ws.users.admin);
    operator = (await as(owner).post('/api/v1/operators', { name: `Triage ${randomUUID().slice(0, 6)}`, maxOutputTokens: 300 })).body;
    await as(owner).patch(`/api/v1/operators/${operator.id}`, { name: `${operator.name} v2`, maxOutputTokens: 500, instructions: 'Be brief.' });
    gone = (await as(admin).post('/api/v1/operators', { name: `Temporary ${randomUUID().slice(0, 6)}` })).body;
    await as(admin).delete(`/api/v1/operators/${gone.id}`);
    await as(admin).post('/api/v1/tokens', { name: `=HYPERLINK("http://evil.example","x") ${randomUUID().slice(0, 4)}`, scopes: ['read'] });
    await as(owner).patch(`/api/v1/provider-accounts/${ws.mockAccountId}`, { limits: { maxConcurrency: 7 } });
  });
  afterAll(() => api.close());

  const events = async (s: Session, query: string) => {
    const res = await as(s).get(`/api/v1/audit-events?${query}`);
    expect(res.status).toBe(200);
    return res.body.items as { action: string; actor: { id: string; type: string }; target: { type: string; id: string; name: string | null; exists: boolean } | null; metadata: Record<string, unknown> }[];
  };

  it("names each target as it is called now, or as recorded once it is deleted, and says whether it still exists", async () => {
    const [update] = await events(owner, `action=operator.update&targetId=${operator.id}`);
    expect(update!.target).toEqual({ type: 'operator', id: operator.id, name: `${operator.name} v2`, exists: true });
    const [deleted] = await events(owner, `action=operator.delete&targetId=${gone.id}`);
    expect(deleted!.target).toEqual({ type: 'operator', id: gone.id, name: gone.name, exists: false });
    const [account] = await events(owner, `action=vault.account.update&targetType=provider_account&targetId=${ws.mockAccountId}`);
    expect(account!.target).toMatchObject({ name: 'Mock provider', exists: true });
  });

  it('records before and after of an update where the values were at hand', async () => {
    const [update] = await events(owner, `action=operator.update&targetId=${operator.id}`);
    expect(update!.metadata.diff).toEqual({ name: { from: operator.name, to: `${operator.name} v2` }, maxOutputTokens: { from: 300, to: 500 } });
    expect(update!.metadata.changed).toEqual(expect.arrayContaining(['name', 'maxOutputTokens', 'instructions']));
    const [account] = await events(owner, `action=vault.account.update&targetId=${ws.mockAccountId}`);
    expect(account!.metadata.diff).toEqual({ maxConcurrency: { from: 8, to: 7 } });
  });

  it('filters by a list of actions, by actor, by target and by time; a trailing "." is a prefix', async () => {
    const listed = await events(owner, 'action=operator.create,operator.delete');
    expect(new Set(listed.map((e) => e.action))).toEqual(new Set(['operator.create', 'operator.delete']));
    expect(listed).toHaveLength(3);
    const prefix = await events(owner, 'action=operator.');
    expect(prefix.map((e) => e.action).sort()).toEqual(['operator.create', 'operator.create', 'operator.delete', 'operator.update']);
    const byAdmin = await events(owner, `actorId=${ws.users.admin.id}&action=operator.`);
    expect(byAdmin.map((e) => [e.action, e.actor.id])).toEqual([
      ['operator.delete', ws.users.admin.id],
      ['operator.create', ws.users.admin.id],
    ]);
    const users = await events(owner, 'actorType=user&action=token.create');
    expect(users).toHaveLength(1);
    expect(await events(owner, 'actorType=system')).toEqual([]);
    const target = await events(owner, `targetType=operator&targetId=${gone.id}`);
    expect(target.map((e) => e.action)).toEqual(['operator.delete', 'operator.create']);
    expect(await events(owner, 'since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z')).toEqual([]);
    expect((await events(owner, `since=${new Date(Date.now() - 3_600_000).toISOString()}&action=operator.create`)).length).toBe(2);
  });

  it('lists the actions recorded in the workspace for the picker, and nothing of another workspace', async () => {
    const res = await as(owner).get('/api/v1/audit-events/actions');
    expect(res.status).toBe(200);
    const actions = res.body.items.map((i: { action: string }) => i.action);
    expect(actions).toEqual([...actions].sort());
    expect(actions).toEqual(expect.arrayContaining(['auth.login', 'operator.create', 'operator.delete', 'operator.update', 'token.create', 'vault.account.update']));
    const other = await seedWorkspace(api.db);
    const stranger = await signIn(api.url, other.users.owner);
    expect((await as(stranger).get('/api/v1/audit-events/actions')).body.items.map((i: { action: string }) => i.action)).toEqual(['auth.login']);
  });

  it('exports CSV with the same filters, streamed, with formula-looking cells kept as text', async () => {
    const res = await as(owner).get('/api/v1/audit-events.csv?action=token.create,operator.delete');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="vaultrun-audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('"time","action","outcome","actor_type","actor_id","actor","target_type","target_id","target","ip","metadata"');
    expect(lines).toHaveLength(3);
    const tokenLine = lines.find((l) => l.includes('"token.create"'))!;
    // The token's name starts with "=": a spreadsheet must not run it.
    expect(tokenLine).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")`);
    expect(tokenLine).not.toMatch(/,"=/);
    expect(lines.find((l) => l.includes('"operator.delete"'))).toContain(`"${gone.name}"`);
  });

  it('exports more rows than one page of the stream', async () => {
    await api.db.query(
      `INSERT INTO audit_events (workspace_id, actor_type, actor_label, action, outcome, metadata)
       SELECT $1, 'system', 'bulk', 'bulk.event', 'success', jsonb_build_object('n', i) FROM generate_series(1, 2500) i`,
      [ws.id],
    );
    const res = await as(owner).get('/api/v1/audit-events.csv?action=bulk.event');
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines).toHaveLength(2501);
    // Every event once: keyset pages neither repeat nor skip a row.
    expect(new Set(lines.slice(1).map((l) => /""n"":(\d+)/.exec(l)?.[1])).size).toBe(2500);
  });

  it('refuses bad filters with 400 naming the field, on the list and the export', async () => {
    for (const path of ['/api/v1/audit-events', '/api/v1/audit-events.csv']) {
      for (const [query, field] of [
        ['action=Token.Create', 'action'],
        ['action=a,,b', 'action'],
        ['actorId=me', 'actorId'],
        ['actorType=robot', 'actorType'],
        ['targetType=Operator!', 'targetType'],
        ['targetId=abc', 'targetId'],
        ['since=last-week', 'since'],
        ['until=soon', 'until'],
      ] as const) {
        const res = await as(owner).get(`${path}?${query}`);
        expect([path, query, res.status, res.body.errors?.[0]?.field]).toEqual([path, query, 400, field]);
      }
    }
    expect((await as(owner).get('/api/v1/audit-events.csv?limit=5')).body.errors?.[0]?.field).toBe('limit');
  });

  it('is for owners and admins only, and shows another workspace nothing', async () => {
    const member = await signIn(api.url, ws.users.member);
    expect((await as(member).get('/api/v1/audit-events.csv')).status).toBe(403);
    expect((await as(member).get('/api/v1/audit-events/actions')).status).toBe(403);
    const other = await seedWorkspace(api.db);
    const stranger = await signIn(api.url, other.users.owner);
    const csv = (await as(stranger).get('/api/v1/audit-events.csv')).text;
    expect(csv).not.toContain(operator.id);
    expect(csv).not.toContain(ws.users.owner.email);
    expect((await as(stranger).get(`/api/v1/audit-events?targetId=${operator.id}`)).body.items).toEqual([]);
  });
});
