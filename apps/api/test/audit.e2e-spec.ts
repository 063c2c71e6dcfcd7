import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';

describe('audit log', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let owner: Session;

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    for (let i = 0; i < 5; i++) await as(owner).post('/api/v1/tokens', { name: `t${i}`, scopes: ['read'] });
  });
  afterAll(() => api.close());

  it('pages newest first with a cursor, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await owner.agent.get(`/api/v1/audit-events?action=token.create&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((e: { id: string }) => e.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    const all = (await owner.agent.get('/api/v1/audit-events?action=token.create')).body.items;
    expect(all.map((e: { id: string }) => e.id)).toEqual(seen);
    const times = all.map((e: { createdAt: string }) => Date.parse(e.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('records who did what to what, from where', async () => {
    const res = await owner.agent.get('/api/v1/audit-events?action=token.create&limit=1');
    expect(res.body.items[0]).toMatchObject({
      action: 'token.create',
      outcome: 'success',
      actor: { type: 'user', id: ws.users.owner.id, label: ws.users.owner.email },
      target: { type: 'api_token', id: expect.any(String) },
      ip: '127.0.0.1',
      metadata: { name: 't4', scopes: ['read'] },
    });
  });

  it('filters by outcome and shows sign-ins and failed sign-ins', async () => {
    const failed = await owner.agent.get('/api/v1/audit-events?action=auth.login&outcome=failure');
    const ok = await owner.agent.get('/api/v1/audit-events?action=auth.login&outcome=success');
    expect(ok.body.items.length).toBeGreaterThan(0);
    expect(ok.body.items.every((e: { outcome: string }) => e.outcome === 'success')).toBe(true);
    expect(failed.body.items.every((e: { outcome: string }) => e.outcome === 'failure')).toBe(true);
  });

  it('is append-only in the database itself', async () => {
    await expect(api.db.query(`UPDATE audit_events SET action = 'forged' WHERE workspace_id = $1`, [ws.id])).rejects.toThrow(/append-only/);
    await expect(api.db.query(`DELETE FROM audit_events WHERE workspace_id = $1`, [ws.id])).rejects.toThrow(/append-only/);
    const [{ n }] = await api.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE workspace_id = $1 AND action = 'forged'`, [ws.id]);
    expect(n).toBe(0);
  });

  it('is readable only with audit:read, and only for the caller\'s workspace', async () => {
    const member = await signIn(api.url, ws.users.member);
    expect((await member.agent.get('/api/v1/audit-events')).status).toBe(403);
    const other = await seedWorkspace(api.db);
    const stranger = await signIn(api.url, other.users.owner);
    const theirs = await stranger.agent.get('/api/v1/audit-events');
    expect(theirs.body.items.every((e: { actor: { id: string | null } }) => e.actor.id !== ws.users.owner.id)).toBe(true);
  });
});
