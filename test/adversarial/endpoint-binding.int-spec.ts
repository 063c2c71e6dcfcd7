/**
 * Trust under attack, part 1: a provider key is bound to its endpoint.
 *
 * The attack: an admin (or an admin-scoped API token) re-points an account's base URL at a server they control and
 * presses Verify, hoping to receive the stored key in the Authorization header. Two fake providers play the honest
 * endpoint and the attacker's; what each of them received is the evidence.
 */
import { randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProviderAccount } from '@vaultrun/db';
import { Envelope, SecretStore } from '@vaultrun/vault-core';
import { guardedAgent, outboundRefusalOf, resolvedUrlRefusal, type Resolver } from '@vaultrun/providers';
import { ProviderCache } from '@vaultrun/engine';
import { fetch } from 'undici';
import { as, bearer, type SeededWorkspace, seedWorkspace, type Session, signIn, startTestApi, type TestApi } from '../support/api.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { scratchDatabase } from '../support/scratch-db.js';

const key = (tag = 'proj') => `sk-${tag}-adv-${randomBytes(12).toString('hex')}`;

describe('a provider key is bound to its endpoint', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let api: TestApi;
  let honest: FakeOpenAI;
  let attacker: FakeOpenAI;
  let ws: SeededWorkspace;
  let admin: Session;
  /** The attacker's server, by another name than the honest one: another origin. */
  let attackerUrl: string;

  const accounts = () => as(admin);
  const createAccount = async (apiKey: string, extra: object = {}) => {
    const res = await accounts().post('/api/v1/provider-accounts', { name: `acct-${randomBytes(4).toString('hex')}`, kind: 'openai', baseUrl: honest.url, apiKey, ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: string; key: { fingerprint: string } };
  };
  const keysSeenBy = (server: FakeOpenAI) => server.requests.map((r) => r.key);
  const secretRow = async (id: string) =>
    (await api.db.query(`SELECT s.ciphertext, a.base_url FROM provider_secrets s JOIN provider_accounts a ON a.id = s.account_id WHERE a.id = $1 AND s.purpose = 'api_key'`, [id]))[0] as {
      ciphertext: string;
      base_url: string;
    };

  beforeAll(async () => {
    db = await scratchDatabase();
    [honest, attacker] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    attackerUrl = attacker.url.replace('127.0.0.1', 'localhost');
    api = await startTestApi({ DATABASE_URL: db.url });
    ws = await seedWorkspace(api.db);
    admin = await signIn(api.url, ws.users.admin);
  });
  afterAll(async () => {
    await api?.close();
    await Promise.all([honest?.close(), attacker?.close()]);
    await db?.drop();
  });

  it('refuses to re-point an account holding a key without the key (409), and the attacker never hears from it', async () => {
    const stored = key();
    const { id } = await createAccount(stored);
    const before = await secretRow(id);
    honest.reset();
    attacker.reset();

    const res = await accounts().patch(`/api/v1/provider-accounts/${id}`, { baseUrl: attackerUrl });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      code: 'key_required_for_endpoint_change',
      fromOrigin: new URL(honest.url).origin,
      toOrigin: new URL(attackerUrl).origin,
    });
    expect(res.body.detail).toMatch(/send the key for the new endpoint again in the same request \(apiKey\)/);
    // Nothing changed; Verify still goes where the key belongs.
    expect(await secretRow(id)).toEqual(before);
    expect((await accounts().post(`/api/v1/provider-accounts/${id}/verify`)).body.ok).toBe(true);
    expect(keysSeenBy(honest)).toEqual([stored]);
    expect(attacker.requests).toEqual([]);

    // The same through an admin-scoped API token.
    const token = await accounts().post('/api/v1/tokens', { name: `adm-${randomBytes(3).toString('hex')}`, scopes: ['admin'] });
    expect(token.status).toBe(201);
    const viaToken = await bearer(api.url, token.body.token).patch(`/api/v1/provider-accounts/${id}`, { baseUrl: attackerUrl });
    expect([viaToken.status, viaToken.body.code]).toEqual([409, 'key_required_for_endpoint_change']);
    expect(attacker.requests).toEqual([]);

    const audit = await api.db.query(`SELECT outcome, metadata FROM audit_events WHERE target_id = $1 AND action = 'vault.account.endpoint_change' ORDER BY created_at`, [id]);
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ outcome: 'failure', metadata: { code: 'key_required_for_endpoint_change', fromOrigin: new URL(honest.url).origin, toOrigin: new URL(attackerUrl).origin } });
    expect(JSON.stringify(audit)).not.toContain(stored.slice(8));
  });

  it('with the key in the same request: checks it at the NEW endpoint first, then re-binds — the old key never leaves for the new endpoint', async () => {
    const oldKey = key();
    const { id } = await createAccount(oldKey);
    await accounts().put(`/api/v1/provider-accounts/${id}/admin-key`, { adminKey: key('admin') });
    honest.reset();
    attacker.reset();

    // A key the new endpoint refuses: nothing is saved, the account still points where it did.
    const refusedKey = key('invalid');
    const refused = await accounts().patch(`/api/v1/provider-accounts/${id}`, { baseUrl: attackerUrl, apiKey: refusedKey });
    expect([refused.status, refused.body.code]).toEqual([422, 'invalid_api_key']);
    expect(refused.body.detail).toMatch(/^Nothing was saved/);
    expect((await secretRow(id)).base_url).toBe(honest.url);

    // A key the new endpoint accepts: checked there (list models) before the switch.
    const newKey = key();
    const moved = await accounts().patch(`/api/v1/provider-accounts/${id}`, { baseUrl: attackerUrl, apiKey: newKey, name: 'moved' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ baseUrl: attackerUrl, name: 'moved', status: 'active', key: { hint: `sk-proj-…${newKey.slice(-4)}` }, adminKey: null });
    expect(JSON.stringify(moved.body)).not.toContain(newKey.slice(8));
    await accounts().post(`/api/v1/provider-accounts/${id}/verify`);

    // The evidence: the attacker's server saw only keys supplied for it, never the stored one; the honest one nothing.
    expect(keysSeenBy(attacker)).toEqual([refusedKey, newKey, newKey]);
    expect(keysSeenBy(attacker)).not.toContain(oldKey);
    expect(honest.requests).toEqual([]);

    const [last] = await api.db.query(
      `SELECT metadata FROM audit_events WHERE target_id = $1 AND action = 'vault.account.endpoint_change' AND outcome = 'success'`,
      [id],
    );
    expect(last.metadata).toMatchObject({ fromOrigin: new URL(honest.url).origin, toOrigin: new URL(attackerUrl).origin, verified: true, adminKeyRemoved: true });
    expect(JSON.stringify(last)).not.toContain(newKey.slice(8));
    expect(JSON.stringify(last)).not.toContain(oldKey.slice(8));
  });

  it('accepts a key only with a base URL change, and treats a trailing slash or host case as no change', async () => {
    const stored = key();
    const { id } = await createAccount(stored);
    const alone = await accounts().patch(`/api/v1/provider-accounts/${id}`, { apiKey: key() });
    expect([alone.status, alone.body.errors?.[0]?.field]).toEqual([400, 'apiKey']);
    const same = await accounts().patch(`/api/v1/provider-accounts/${id}`, { baseUrl: `${honest.url}/` });
    expect(same.status).toBe(200);
    // A path change on the same origin still moves the key (a gateway may route paths to different tenants).
    const path = await accounts().patch(`/api/v1/provider-accounts/${id}`, { baseUrl: honest.url.replace(/\/v1$/, '/other/v1') });
    expect([path.status, path.body.code]).toEqual([409, 'key_required_for_endpoint_change']);
    // Nothing to move for an account without a key (a local server without auth).
    const keyless = await accounts().post('/api/v1/provider-accounts', { name: `keyless-${randomBytes(3).toString('hex')}`, kind: 'openai-compatible', baseUrl: honest.url, verify: false });
    const moved = await accounts().patch(`/api/v1/provider-accounts/${keyless.body.id}`, { baseUrl: attackerUrl });
    expect([moved.status, moved.body.baseUrl, moved.body.status]).toEqual([200, attackerUrl, 'unverified']);
  });

  it('a base URL changed behind the API\'s back (a forgotten check, a database edit) makes the key unreadable: secret_unreadable, nothing sent', async () => {
    const stored = key();
    const { id } = await createAccount(stored);
    await api.db.query(`UPDATE provider_accounts SET base_url = $2 WHERE id = $1`, [id, attackerUrl]);
    honest.reset();
    attacker.reset();

    const verify = await accounts().post(`/api/v1/provider-accounts/${id}/verify`);
    // Verify answers with the refusal in words and marks the account; nothing is sent anywhere.
    expect([verify.status, verify.body.ok, verify.body.error?.code, verify.body.account?.status]).toEqual([200, false, 'secret_unreadable', 'unverified']);
    // The worker's path for runs decrypts the same way.
    const secrets = new SecretStore(new Envelope(api.config.keyRing));
    const account = await api.db.getRepository(ProviderAccount).findOneByOrFail({ id });
    expect(account.baseUrl).toBe(attackerUrl);
    const cache = new ProviderCache(api.db, secrets, { outbound: { allowPrivate: true } });
    await expect(cache.get(account)).rejects.toMatchObject({ code: 'secret_unreadable' });
    await expect(secrets.read(api.db, { workspaceId: ws.id, accountId: id }, 'api_key', { kind: 'openai', origin: new URL(attackerUrl).origin })).rejects.toMatchObject({ code: 'secret_unreadable' });
    expect(attacker.requests).toEqual([]);

    // Putting the row back restores it: the key was bound, not destroyed.
    await api.db.query(`UPDATE provider_accounts SET base_url = $2 WHERE id = $1`, [id, honest.url]);
    expect((await accounts().post(`/api/v1/provider-accounts/${id}/verify`)).body.ok).toBe(true);
    expect(keysSeenBy(honest)).toEqual([stored]);
  });

  it('upgrades a v1 (endpoint-less) secret with a plain SHA-256 fingerprint at boot: v2 bound to the row, HMAC fingerprint', async () => {
    const stored = key();
    const { id, key: info } = await createAccount(stored);
    // Rewrite the row as an older version stored it.
    const envelope = new Envelope(api.config.keyRing);
    const [acct] = await api.db.query(`SELECT dek_wrapped, kek_version, dek_version FROM provider_accounts WHERE id = $1`, [id]);
    const dek = envelope.unwrapDek({ workspaceId: ws.id, accountId: id }, { kekVersion: acct.kek_version, dekVersion: acct.dek_version, wrapped: acct.dek_wrapped });
    const legacy = envelope.encryptLegacySecret({ workspaceId: ws.id, accountId: id }, 'api_key', dek, acct.dek_version, stored);
    await api.db.query(`UPDATE provider_secrets SET ciphertext = $2, fingerprint = 'sha256:0123456789abcdef' WHERE account_id = $1`, [id, legacy]);

    const rebooted = await startTestApi({ DATABASE_URL: db.url });
    try {
      const [row] = await api.db.query(`SELECT ciphertext, fingerprint FROM provider_secrets WHERE account_id = $1`, [id]);
      expect(row.ciphertext).toMatch(/^v2\./);
      expect(row.fingerprint).toBe(info.fingerprint);
      honest.reset();
      const session = await signIn(rebooted.url, ws.users.admin);
      expect((await as(session).post(`/api/v1/provider-accounts/${id}/verify`)).body.ok).toBe(true);
      expect(keysSeenBy(honest)).toEqual([stored]);
    } finally {
      await rebooted.close();
    }
  });
});

describe('provider base URLs under the outbound guard (private networks not allowed)', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let strict: TestApi;
  let fake: FakeOpenAI;
  let ws: SeededWorkspace;
  let admin: Session;
  let port: number;

  /** A name other than localhost that /etc/hosts maps to loopback (e.g. the machine's own name), if there is one. */
  function loopbackNameFromHosts(): string | null {
    for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
      const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
      if (!address || !/^127\.|^::1$/.test(address)) continue;
      const name = names.find((n) => n && !/localhost/i.test(n) && /^[a-z0-9.-]+$/i.test(n));
      if (name) return name;
    }
    return null;
  }

  beforeAll(async () => {
    db = await scratchDatabase();
    fake = await startFakeOpenAI();
    port = Number(new URL(fake.url).port);
    strict = await startTestApi({ DATABASE_URL: db.url, VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'false' });
    ws = await seedWorkspace(strict.db);
    admin = await signIn(strict.url, ws.users.admin);
  });
  afterAll(async () => {
    await strict?.close();
    await fake?.close();
    await db?.drop();
  });

  it('refuses SSRF targets with a 400 on baseUrl that says why — and nothing reaches them', async () => {
    const hostsName = loopbackNameFromHosts();
    const cases: [string, RegExp][] = [
      ['http://169.254.169.254/latest/meta-data', /is never called: 169\.254\.169\.254 is a link-local or cloud metadata address/],
      ['http://metadata.google.internal/computeMetadata/v1', /is never called: metadata\.google\.internal is a cloud metadata service/],
      ['http://[fd00:ec2::254]/v1', /is never called: fd00:ec2::254 is a link-local or cloud metadata address/],
      [`http://[::ffff:127.0.0.1]:${port}/v1`, /points at a private network or this machine: ::ffff:7f00:1 is a private or loopback address.*VAULTRUN_PROVIDER_ALLOW_PRIVATE=true/],
      [`http://127.0.0.1:${port}/v1`, /points at a private network or this machine: 127\.0\.0\.1 is a private or loopback address/],
      [`http://0.0.0.0:${port}/v1`, /0\.0\.0\.0 is a private or loopback address/],
      [`http://[::]:${port}/v1`, /:: is a private or loopback address/],
      [`http://localhost:${port}/v1`, /localhost is this machine/],
      ['http://192.168.1.20:11434/v1', /192\.168\.1\.20 is a private or loopback address/],
    ];
    if (hostsName) cases.push([`http://${hostsName}:${port}/v1`, new RegExp(`${hostsName.replace(/\./g, '\\.')} resolves to 127\\.\\d+\\.\\d+\\.\\d+, a private or loopback address`)]);
    for (const [baseUrl, reason] of cases) {
      const res = await as(admin).post('/api/v1/provider-accounts', { name: `ssrf-${randomBytes(3).toString('hex')}`, kind: 'openai-compatible', baseUrl, apiKey: key() });
      expect([baseUrl, res.status, res.body.errors?.[0]?.field]).toEqual([baseUrl, 400, 'baseUrl']);
      expect([baseUrl, res.body.errors[0].message]).toEqual([baseUrl, expect.stringMatching(reason)]);
    }
    expect(fake.requests).toEqual([]);
    const [{ n }] = await strict.db.query(`SELECT count(*)::int AS n FROM provider_accounts WHERE workspace_id = $1 AND kind <> 'mock'`, [ws.id]);
    expect(n).toBe(0);
  });

  it('checks a PATCHed base URL the same way, and checks again at connection time (an account saved while allowed)', async () => {
    // Saved by a deployment that allowed private networks…
    const lenient = await startTestApi({ DATABASE_URL: db.url, VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'true' });
    let id: string;
    try {
      const session = await signIn(lenient.url, ws.users.admin);
      const created = await as(session).post('/api/v1/provider-accounts', { name: 'lan-model', kind: 'openai-compatible', baseUrl: fake.url, verify: false });
      expect(created.status).toBe(201);
      id = created.body.id;
      // Link-local stays refused even there.
      const metadata = await as(session).patch(`/api/v1/provider-accounts/${id}`, { baseUrl: 'http://169.254.169.254/v1' });
      expect([metadata.status, metadata.body.errors?.[0]?.message]).toEqual([400, expect.stringMatching(/is never called/)]);
    } finally {
      await lenient.close();
    }
    // …then verified by one that does not: refused as it connects, with a reason, and the fake hears nothing.
    fake.reset();
    const verify = await as(admin).post(`/api/v1/provider-accounts/${id}/verify`);
    expect(verify.body).toMatchObject({ ok: false, error: { code: 'endpoint_refused', message: expect.stringMatching(/VAULTRUN_PROVIDER_ALLOW_PRIVATE/) } });
    const patch = await as(admin).patch(`/api/v1/provider-accounts/${id}`, { baseUrl: `http://[::ffff:127.0.0.1]:${port}/v1` });
    expect([patch.status, patch.body.errors?.[0]?.field]).toEqual([400, 'baseUrl']);
    expect(fake.requests).toEqual([]);
  });

  it('DNS rebinding: a name that is public when saved and loopback when connecting is refused as the connection is made', async () => {
    let answers = 0;
    const rebinding: Resolver = (_hostname, _options, callback) => {
      answers++;
      const address = answers === 1 ? '93.184.216.34' : '127.0.0.1';
      callback(null, [{ address, family: 4 } satisfies LookupAddress]);
    };
    const policy = { allowPrivate: false };
    const url = new URL(`http://rebind.attacker.test:${port}/v1/models`);
    expect(await resolvedUrlRefusal(url, policy, rebinding)).toBeNull();
    const agent = guardedAgent(policy, rebinding);
    try {
      fake.reset();
      const err = await fetch(url, { dispatcher: agent, headers: { authorization: 'Bearer sk-proj-never-sent' } }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(outboundRefusalOf(err)?.message).toBe('rebind.attacker.test resolves to 127.0.0.1, a private or loopback address');
      expect(fake.requests).toEqual([]);
    } finally {
      await agent.close();
    }
  });
});
