import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';

const tokenOf = (url: string) => new URL(url).hash.replace('#token=', '');

describe('members and invites', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let owner: Session;
  let admin: Session;

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    admin = await signIn(api.url, ws.users.admin);
  });
  afterAll(() => api.close());

  it('invites by link: preview, accept as a new user, single use', async () => {
    const email = `new-${Date.now()}@example.test`;
    const invite = await as(admin).post('/api/v1/invites', { email, role: 'member' });
    expect(invite.status).toBe(201);
    expect(invite.body.url).toMatch(/^http:\/\/127\.0\.0\.1:3999\/accept-invite#token=/);
    const token = tokenOf(invite.body.url);

    const listed = await admin.agent.get('/api/v1/invites');
    expect(listed.body.items.find((i: { id: string }) => i.id === invite.body.id)).toMatchObject({ email, role: 'member', status: 'pending' });
    expect(JSON.stringify(listed.body)).not.toContain(token);

    const preview = await supertest(api.url).post('/api/v1/invites/preview').send({ token });
    expect(preview.body).toEqual({ workspaceName: ws.name, email, role: 'member', expiresAt: expect.any(String) });

    const agent = supertest.agent(api.url);
    const accepted = await agent.post('/api/v1/invites/accept').send({ token, password: 'a-brand-new-password', name: 'New Person' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.workspace).toMatchObject({ id: ws.id, role: 'member' });
    expect((await agent.get('/api/v1/members')).status).toBe(200);

    const again = await supertest(api.url).post('/api/v1/invites/accept').send({ token, password: 'a-brand-new-password' });
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('invite_invalid');

    const members = await admin.agent.get('/api/v1/members');
    expect(members.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ email, role: 'member', name: 'New Person' })]));
  });

  it('lets an existing user join another workspace while signed in as it (never with a password on the invite)', async () => {
    const other = await seedWorkspace(api.db);
    const otherOwner = await signIn(api.url, other.users.owner);
    const invite = await as(otherOwner).post('/api/v1/invites', { email: ws.users.viewer.email, role: 'admin' });
    const token = tokenOf(invite.body.url);
    // Signed out: the invite's accept endpoint checks no password — it only says to sign in.
    const anonymous = await supertest(api.url).post('/api/v1/invites/accept').send({ token, password: ws.users.viewer.password });
    expect([anonymous.status, anonymous.body.code]).toEqual([409, 'invite_sign_in_required']);
    const viewer = await signIn(api.url, ws.users.viewer);
    const joined = await as(viewer).post('/api/v1/invites/join', { token });
    expect(joined.status).toBe(200);
    expect(joined.body.workspace).toMatchObject({ id: other.id, role: 'admin' });
    expect(joined.body.workspaces.map((w: { id: string }) => w.id).sort()).toEqual([ws.id, other.id].sort());
    expect((await viewer.agent.get('/api/v1/members')).body.items.map((m: { email: string }) => m.email)).toContain(other.users.owner.email);
    expect((await as(viewer).post('/api/v1/invites/join', { token })).body.code).toBe('invite_invalid');
  });

  it('lets no one join with another person\'s invite, and checks the CSRF token of a signed-in join', async () => {
    const invite = await as(admin).post('/api/v1/invites', { email: `someone-${Date.now()}@example.test`, role: 'viewer' });
    const token = tokenOf(invite.body.url);
    const other = await seedWorkspace(api.db);
    const stranger = await signIn(api.url, other.users.member);
    const wrong = await as(stranger).post('/api/v1/invites/join', { token });
    expect([wrong.status, wrong.body.code]).toEqual([403, 'invite_other_account']);
    const noCsrf = await stranger.agent.post('/api/v1/invites/join').send({ token });
    expect([noCsrf.status, noCsrf.body.code]).toEqual([403, 'csrf_failed']);
    expect((await supertest(api.url).post('/api/v1/invites/join').send({ token })).status).toBe(401);
    const [{ status }] = await api.db.query(`SELECT CASE WHEN accepted_at IS NULL THEN 'pending' ELSE 'used' END AS status FROM invites WHERE id = $1`, [invite.body.id]);
    expect(status).toBe('pending');
  });

  it('refuses expired and revoked invites, and a re-invite replaces the previous link', async () => {
    const email = `later-${Date.now()}@example.test`;
    const first = await as(admin).post('/api/v1/invites', { email, role: 'viewer' });
    const second = await as(admin).post('/api/v1/invites', { email, role: 'viewer' });
    expect((await supertest(api.url).post('/api/v1/invites/preview').send({ token: tokenOf(first.body.url) })).status).toBe(404);
    await api.db.query(`UPDATE invites SET expires_at = now() - interval '1 minute' WHERE id = $1`, [second.body.id]);
    const expired = await supertest(api.url).post('/api/v1/invites/accept').send({ token: tokenOf(second.body.url), password: 'whatever-password-123' });
    expect(expired.body.code).toBe('invite_invalid');
    const third = await as(admin).post('/api/v1/invites', { email, role: 'viewer' });
    expect((await as(admin).delete(`/api/v1/invites/${third.body.id}`)).body.status).toBe('revoked');
    expect((await supertest(api.url).post('/api/v1/invites/preview').send({ token: tokenOf(third.body.url) })).status).toBe(404);
  });

  it('refuses to invite an existing member, and lets only owners invite owners', async () => {
    const dup = await as(admin).post('/api/v1/invites', { email: ws.users.member.email, role: 'member' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('already_member');
    const ownerInvite = await as(admin).post('/api/v1/invites', { email: `o-${Date.now()}@example.test`, role: 'owner' });
    expect(ownerInvite.status).toBe(403);
    expect((await as(owner).post('/api/v1/invites', { email: `o2-${Date.now()}@example.test`, role: 'owner' })).status).toBe(201);
  });

  it('changes roles and audits it; admins cannot touch owners; the last owner stays', async () => {
    const fresh = await seedWorkspace(api.db);
    const o = await signIn(api.url, fresh.users.owner);
    const a = await signIn(api.url, fresh.users.admin);

    const promote = await as(a).patch(`/api/v1/members/${fresh.users.viewer.id}`, { role: 'member' });
    expect(promote.status).toBe(200);
    expect(promote.body).toMatchObject({ userId: fresh.users.viewer.id, role: 'member' });

    expect((await as(a).patch(`/api/v1/members/${fresh.users.member.id}`, { role: 'owner' })).status).toBe(403);
    expect((await as(a).patch(`/api/v1/members/${fresh.users.owner.id}`, { role: 'admin' })).status).toBe(403);
    expect((await as(a).delete(`/api/v1/members/${fresh.users.owner.id}`)).status).toBe(403);

    const demoteLast = await as(o).patch(`/api/v1/members/${fresh.users.owner.id}`, { role: 'admin' });
    expect(demoteLast.status).toBe(409);
    expect(demoteLast.body.code).toBe('last_owner');
    const removeLast = await as(o).delete(`/api/v1/members/${fresh.users.owner.id}`);
    expect(removeLast.body.code).toBe('last_owner');

    // With a second owner, the first may step down.
    expect((await as(o).patch(`/api/v1/members/${fresh.users.admin.id}`, { role: 'owner' })).status).toBe(200);
    expect((await as(o).patch(`/api/v1/members/${fresh.users.owner.id}`, { role: 'admin' })).status).toBe(200);

    const audit = await a.agent.get('/api/v1/audit-events?action=member.role_change');
    const changes = audit.body.items.map((e: { metadata: object }) => e.metadata);
    expect(changes).toEqual(expect.arrayContaining([{ from: 'viewer', to: 'member' }, { from: 'admin', to: 'owner' }, { from: 'owner', to: 'admin' }]));
  });

  it('never loses the last owner under concurrent demotions', async () => {
    const fresh = await seedWorkspace(api.db);
    await api.db.query(`UPDATE memberships SET role = 'owner' WHERE workspace_id = $1 AND user_id = $2`, [fresh.id, fresh.users.admin.id]);
    const o1 = await signIn(api.url, fresh.users.owner);
    const o2 = await signIn(api.url, fresh.users.admin);
    const results = await Promise.all([
      as(o1).patch(`/api/v1/members/${fresh.users.admin.id}`, { role: 'member' }),
      as(o2).patch(`/api/v1/members/${fresh.users.owner.id}`, { role: 'member' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const [{ owners }] = await api.db.query(`SELECT count(*)::int AS owners FROM memberships WHERE workspace_id = $1 AND role = 'owner'`, [fresh.id]);
    expect(owners).toBe(1);
  });

  it('removes a member: their session loses the workspace at once, and it is audited', async () => {
    const fresh = await seedWorkspace(api.db);
    const o = await signIn(api.url, fresh.users.owner);
    const m = await signIn(api.url, fresh.users.member);
    expect((await m.agent.get('/api/v1/members')).status).toBe(200);
    expect((await as(o).delete(`/api/v1/members/${fresh.users.member.id}`)).status).toBe(204);
    const after = await m.agent.get('/api/v1/members');
    expect(after.status).toBe(403);
    expect(after.body.code).toBe('no_workspace');
    const audit = await o.agent.get('/api/v1/audit-events?action=member.remove');
    expect(audit.body.items[0]).toMatchObject({ action: 'member.remove', target: { type: 'user', id: fresh.users.member.id } });
  });
});
