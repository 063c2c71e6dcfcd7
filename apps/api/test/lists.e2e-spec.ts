/** Lists that scale (issue 14): search, filters, sort and pages on accounts, operators, tokens and members. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';

type Named = { id: string; name: string };

describe('lists: search, filter, sort, page', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let owner: Session;
  let member: Session;
  const tag = randomUUID().slice(0, 6);
  const accounts: Named[] = [];
  let hidden: Named;

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    member = await signIn(api.url, ws.users.member);
    for (const name of ['Zeta', 'alpha', 'Mu', 'Beta-eu']) accounts.push((await as(owner).post('/api/v1/provider-accounts', { name: `${name} ${tag}`, kind: 'mock' })).body);
    hidden = (await as(owner).post('/api/v1/provider-accounts', { name: `Hidden ${tag}`, kind: 'mock', visibility: 'restricted' })).body;
    await api.db.query(`UPDATE provider_accounts SET status = 'invalid_key' WHERE id = ANY($1::uuid[])`, [[accounts[0]!.id, hidden.id]]);
    await api.db.query(`UPDATE provider_accounts SET status = 'quota_exhausted' WHERE id = $1`, [accounts[2]!.id]);
  });
  afterAll(() => api.close());

  const get = async (s: Session, path: string) => {
    const res = await as(s).get(path);
    expect([path, res.status]).toEqual([path, 200]);
    return res.body as { items: Record<string, unknown>[]; total: number };
  };
  const names = (body: { items: Record<string, unknown>[] }) => body.items.map((i) => String(i.email ?? i.name));

  it('accounts: search, status filters ("invalid key", "quota exhausted"), sort and pages with a total', async () => {
    expect(names(await get(owner, `/api/v1/provider-accounts?q=${tag}&sort=name`))).toEqual([`alpha ${tag}`, `Beta-eu ${tag}`, `Hidden ${tag}`, `Mu ${tag}`, `Zeta ${tag}`]);
    expect(names(await get(owner, `/api/v1/provider-accounts?q=BETA-&sort=name`))).toEqual([`Beta-eu ${tag}`]);
    expect(names(await get(owner, `/api/v1/provider-accounts?status=invalid_key,quota_exhausted&sort=-name`))).toEqual([`Zeta ${tag}`, `Mu ${tag}`, `Hidden ${tag}`]);
    const page = await get(owner, `/api/v1/provider-accounts?q=${tag}&sort=name&limit=2&offset=2`);
    expect([names(page), page.total]).toEqual([[`Hidden ${tag}`, `Mu ${tag}`], 5]);
    // `%` and `_` are searched for, not wildcards.
    expect((await get(owner, '/api/v1/provider-accounts?q=%25')).total).toBe(0);
    // Without a limit: everything, as pickers expect.
    expect((await get(owner, '/api/v1/provider-accounts')).items).toHaveLength(6);
  });

  it("accounts: a restricted account the caller may not see is in no page and no total", async () => {
    const body = await get(member, `/api/v1/provider-accounts?q=${tag}&status=invalid_key`);
    expect([names(body), body.total]).toEqual([[`Zeta ${tag}`], 1]);
  });

  it('operators: search in name, description and model; whose account cannot run; sort; pages', async () => {
    const make = (name: string, extra: object = {}) => as(owner).post('/api/v1/operators', { name: `${name} ${tag}`, ...extra });
    const triage = (await make('Triage', { description: 'Sorts support tickets' })).body;
    const broken = (await make('Broken', { accountId: accounts[0]!.id })).body;
    await make('Quota', { accountId: accounts[2]!.id, model: 'mock-smart' });
    await make('Fine', { accountId: accounts[1]!.id });
    expect(names(await get(owner, `/api/v1/operators?q=support`))).toEqual([triage.name]);
    expect(names(await get(owner, `/api/v1/operators?q=mock-smart`))).toEqual([`Quota ${tag}`]);
    expect(names(await get(owner, `/api/v1/operators?health=unusable&sort=name`))).toEqual([broken.name, `Quota ${tag}`]);
    expect(names(await get(owner, `/api/v1/operators?health=usable&q=${tag}&sort=-name`))).toEqual([triage.name, `Fine ${tag}`]);
    expect(names(await get(owner, `/api/v1/operators?accountId=${accounts[0]!.id}`))).toEqual([broken.name]);
    const page = await get(owner, `/api/v1/operators?q=${tag}&sort=name&limit=3&offset=3`);
    expect([names(page), page.total]).toEqual([[triage.name], 4]);
    expect((await get(owner, `/api/v1/operators?q=${tag}&limit=2&offset=50`)).total).toBe(4);
  });

  it('tokens: search by name or prefix, status and scope filters, sort', async () => {
    const a = (await as(owner).post('/api/v1/tokens', { name: `ci ${tag}`, scopes: ['run'] })).body;
    const b = (await as(owner).post('/api/v1/tokens', { name: `reporting ${tag}`, scopes: ['read'] })).body;
    await as(owner).delete(`/api/v1/tokens/${a.id}`);
    expect(names(await get(owner, `/api/v1/tokens?q=${tag}&sort=name`))).toEqual([`ci ${tag}`, `reporting ${tag}`]);
    expect(names(await get(owner, `/api/v1/tokens?q=${b.prefix}`))).toEqual([`reporting ${tag}`]);
    expect(names(await get(owner, '/api/v1/tokens?status=revoked'))).toEqual([`ci ${tag}`]);
    expect(names(await get(owner, '/api/v1/tokens?status=active&scope=read'))).toEqual([`reporting ${tag}`]);
    expect(names(await get(owner, '/api/v1/tokens?status=expired'))).toEqual([]);
  });

  it('members: search by email or name, role filter, sort, pages', async () => {
    expect(names(await get(owner, '/api/v1/members?role=viewer'))).toEqual([ws.users.viewer.email]);
    expect(names(await get(owner, '/api/v1/members?q=admin%20user'))).toEqual([ws.users.admin.email]);
    const sorted = names(await get(owner, '/api/v1/members?sort=-email'));
    expect(sorted).toEqual([...sorted].sort().reverse());
    const page = await get(member, '/api/v1/members?sort=email&limit=1&offset=1');
    expect([page.items.length, page.total]).toEqual([1, 4]);
  });

  it('refuses a bad sort, filter or page with 400 naming the field', async () => {
    for (const [path, field] of [
      ['/api/v1/provider-accounts?sort=secret', 'sort'],
      ['/api/v1/provider-accounts?status=broken', 'status'],
      ['/api/v1/provider-accounts?kind=cohere', 'kind'],
      ['/api/v1/operators?health=sick', 'health'],
      ['/api/v1/operators?sort=-instructions', 'sort'],
      ['/api/v1/tokens?status=lost', 'status'],
      ['/api/v1/tokens?scope=root', 'scope'],
      ['/api/v1/members?role=king', 'role'],
      ['/api/v1/members?limit=0', 'limit'],
      ['/api/v1/members?offset=-1', 'offset'],
      [`/api/v1/members?q=${'x'.repeat(101)}`, 'q'],
    ] as const) {
      const res = await as(owner).get(path);
      expect([path, res.status, res.body.errors?.[0]?.field]).toEqual([path, 400, field]);
    }
  });
});
