import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Envelope, openWebhookSecret } from '@vaultrun/vault-core';
import { as, type SeededWorkspace, seedWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';

describe('budget alert webhook', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let admin: Session;
  let viewer: Session;

  beforeAll(async () => {
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    [admin, viewer] = await Promise.all([signIn(api.url, ws.users.admin), signIn(api.url, ws.users.viewer)]);
  });
  afterAll(() => api.close());

  it('shows the signing secret once, never again (not in the workspace, not in the audit log)', async () => {
    const url = 'https://hooks.example.com/services/T000/B000/credential-in-path';
    const set = await as(admin).put('/api/v1/workspace/alert-webhook', { url });
    expect(set.status).toBe(200);
    const secret: string = set.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect(set.body).toEqual({ url, secret, secretHint: `whsec_…${secret.slice(-4)}` });
    // Stored wrapped by the master key, bound to the workspace: never in clear.
    const [stored] = await api.db.query(`SELECT alert_webhook_url, alert_webhook_secret, alert_webhook_kek_version FROM workspaces WHERE id = $1`, [ws.id]);
    expect(stored).toEqual({ alert_webhook_url: url, alert_webhook_secret: expect.stringMatching(/^v1\.1\.[A-Za-z0-9_-]+$/), alert_webhook_kek_version: 1 });
    expect(stored.alert_webhook_secret).not.toContain(secret.slice(6, 18));
    expect(openWebhookSecret(new Envelope(api.config.keyRing), ws.id, { secret: stored.alert_webhook_secret, kekVersion: 1 })).toBe(secret);
    expect(() => openWebhookSecret(new Envelope(api.config.keyRing), ws.users.admin.id, { secret: stored.alert_webhook_secret, kekVersion: 1 })).toThrow(/cannot be decrypted/);

    const shown = await as(admin).get('/api/v1/workspace');
    expect(shown.body.alertWebhook).toEqual({ url, secretHint: set.body.secretHint });
    expect(JSON.stringify(shown.body)).not.toContain(secret.slice(6));
    // People who cannot manage budgets see where alerts go, not the URL's credential-bearing path.
    const forViewer = await as(viewer).get('/api/v1/workspace');
    expect(forViewer.body.alertWebhook).toEqual({ url: 'https://hooks.example.com/…', secretHint: set.body.secretHint });

    const audit: { action: string; metadata: object }[] = await api.db.query(`SELECT action, metadata FROM audit_events WHERE workspace_id = $1 AND action LIKE 'workspace.alert_webhook%'`, [ws.id]);
    expect(audit).toEqual([{ action: 'workspace.alert_webhook_set', metadata: { origin: 'https://hooks.example.com', secretHint: set.body.secretHint, replaced: false } }]);
    expect(JSON.stringify(audit)).not.toContain('credential-in-path');

    // Setting it again issues a new secret; the old one stops working.
    const again = await as(admin).put('/api/v1/workspace/alert-webhook', { url: 'http://alerts.internal:8080/vaultrun' });
    expect(again.body.secret).not.toBe(secret);
    const [{ alert_webhook_secret: next }] = await api.db.query(`SELECT alert_webhook_secret FROM workspaces WHERE id = $1`, [ws.id]);
    expect(openWebhookSecret(new Envelope(api.config.keyRing), ws.id, { secret: next, kekVersion: 1 })).toBe(again.body.secret);

    expect((await as(admin).delete('/api/v1/workspace/alert-webhook')).status).toBe(204);
    expect((await as(admin).get('/api/v1/workspace')).body.alertWebhook).toBeNull();
    const [cleared] = await api.db.query(`SELECT alert_webhook_url, alert_webhook_secret FROM workspaces WHERE id = $1`, [ws.id]);
    expect(cleared).toEqual({ alert_webhook_url: null, alert_webhook_secret: null });
    const actions = (await api.db.query(`SELECT action FROM audit_events WHERE workspace_id = $1 AND action LIKE 'workspace.alert_webhook%' ORDER BY created_at`, [ws.id])).map(
      (a: { action: string }) => a.action,
    );
    expect(actions).toEqual(['workspace.alert_webhook_set', 'workspace.alert_webhook_set', 'workspace.alert_webhook_clear']);
  });

  it('refuses a URL pointing at this host, its private network or a cloud metadata address (unless the operator allows it)', async () => {
    for (const url of ['http://127.0.0.1:9000/hook', 'http://localhost:8080/hook', 'http://10.0.0.5/hook', 'https://192.168.1.20/hook', 'http://[::1]/hook', 'http://[::ffff:127.0.0.1]/hook', 'http://0x7f.1/hook']) {
      const res = await as(admin).put('/api/v1/workspace/alert-webhook', { url });
      expect([url, res.status, res.body.errors?.[0]?.field]).toEqual([url, 400, 'url']);
      expect(res.body.errors[0].message).toMatch(/^must be reachable on the public internet: .+ \(an operator can allow private networks with VAULTRUN_WEBHOOK_ALLOW_PRIVATE=true\)$/);
    }
    // Link-local and cloud metadata: never, whatever the operator allows.
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://[fd00:ec2::254]/', 'http://metadata.google.internal/computeMetadata/v1']) {
      const res = await as(admin).put('/api/v1/workspace/alert-webhook', { url });
      expect([url, res.status, res.body.errors?.[0]?.field]).toEqual([url, 400, 'url']);
      expect(res.body.errors[0].message).toMatch(/^must be reachable on the public internet: .+, which Vaultrun never calls$/);
    }
    const [{ alert_webhook_url }] = await api.db.query(`SELECT alert_webhook_url FROM workspaces WHERE id = $1`, [ws.id]);
    expect(alert_webhook_url).toBeNull();
    // A public address is fine; a name is checked by the worker as it connects.
    expect((await as(admin).put('/api/v1/workspace/alert-webhook', { url: 'https://93.184.216.34/hook' })).status).toBe(200);
    expect((await as(admin).delete('/api/v1/workspace/alert-webhook')).status).toBe(204);

    const lenient = await startTestApi({ DATABASE_URL: api.config.databaseUrl, VAULTRUN_WEBHOOK_ALLOW_PRIVATE: 'true' });
    try {
      const lenientAdmin = await signIn(lenient.url, ws.users.admin);
      expect((await as(lenientAdmin).put('/api/v1/workspace/alert-webhook', { url: 'http://10.0.0.5/hook' })).status).toBe(200);
      expect((await as(lenientAdmin).put('/api/v1/workspace/alert-webhook', { url: 'http://169.254.169.254/latest/meta-data' })).status).toBe(400);
      expect((await as(lenientAdmin).delete('/api/v1/workspace/alert-webhook')).status).toBe(204);
    } finally {
      await lenient.close();
    }
  });

  it('wraps a signing secret an older version stored in clear, at the next boot, keeping its hint', async () => {
    const legacy = `whsec_${'L'.repeat(39)}abcd`;
    const other = await seedWorkspace(api.db);
    // As the migration leaves a row written by an older version: the secret in clear, its hint computed.
    await api.db.query(`UPDATE workspaces SET alert_webhook_url = 'https://hooks.example.com/x', alert_webhook_secret = $2, alert_webhook_kek_version = NULL, alert_webhook_secret_hint = 'whsec_…abcd' WHERE id = $1`, [other.id, legacy]);
    const rebooted = await startTestApi({ DATABASE_URL: api.config.databaseUrl });
    try {
      const [row] = await api.db.query(`SELECT alert_webhook_secret, alert_webhook_kek_version FROM workspaces WHERE id = $1`, [other.id]);
      expect(row.alert_webhook_kek_version).toBe(1);
      expect(row.alert_webhook_secret).not.toContain(legacy);
      expect(openWebhookSecret(new Envelope(api.config.keyRing), other.id, { secret: row.alert_webhook_secret, kekVersion: 1 })).toBe(legacy);
      const owner = await signIn(rebooted.url, other.users.owner);
      expect((await as(owner).get('/api/v1/workspace')).body.alertWebhook).toEqual({ url: 'https://hooks.example.com/x', secretHint: 'whsec_…abcd' });
    } finally {
      await rebooted.close();
    }
  });

  it('accepts only http and https URLs (400 on url)', async () => {
    for (const url of ['ftp://example.com/x', 'javascript:alert(1)', 'not a url', '/relative', 'https://user:pass@example.com/x', 'x'.repeat(2001)]) {
      const res = await as(admin).put('/api/v1/workspace/alert-webhook', { url });
      expect([url.slice(0, 40), res.status, res.body.errors?.[0]?.field]).toEqual([url.slice(0, 40), 400, 'url']);
    }
    expect((await as(admin).put('/api/v1/workspace/alert-webhook', {})).body.errors[0].field).toBe('url');
    const [{ alert_webhook_url }] = await api.db.query(`SELECT alert_webhook_url FROM workspaces WHERE id = $1`, [ws.id]);
    expect(alert_webhook_url).toBeNull();
  });

  it('lets only owners and admins set or clear it', async () => {
    const member = await signIn(api.url, ws.users.member);
    for (const s of [member, viewer]) {
      expect((await as(s).put('/api/v1/workspace/alert-webhook', { url: 'https://example.com/hook' })).status).toBe(403);
      expect((await as(s).delete('/api/v1/workspace/alert-webhook')).status).toBe(403);
    }
    const owner = await signIn(api.url, ws.users.owner);
    expect((await as(owner).put('/api/v1/workspace/alert-webhook', { url: 'https://example.com/hook' })).status).toBe(200);
  });
});
