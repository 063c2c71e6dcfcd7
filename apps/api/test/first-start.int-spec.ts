import { afterEach, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { startTestApi, type TestApi } from '../../../test/support/api.js';
import { scratchDatabase } from '../../../test/support/scratch-db.js';
import { BootstrapService } from '../src/modules/bootstrap/bootstrap.service.js';

describe('first start', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!();
  });

  async function emptyInstance(env: Record<string, string> = {}): Promise<TestApi> {
    const db = await scratchDatabase();
    const api = await startTestApi({ DATABASE_URL: db.url, ...env });
    cleanup.push(db.drop, () => api.close());
    return api;
  }

  it('creates the first workspace and owner with a generated password, exactly once', async () => {
    const api = await emptyInstance({ VAULTRUN_ADMIN_EMAIL: 'Founder@Example.test', VAULTRUN_WORKSPACE_NAME: 'Acme AI' });
    const bootstrap = api.app.get(BootstrapService);
    // Several processes booting at once: one creates, the others see it done.
    const results = await Promise.all([bootstrap.ensureFirstOwner(), bootstrap.ensureFirstOwner(), bootstrap.ensureFirstOwner()]);
    const created = results.filter((r) => r !== null);
    expect(created).toHaveLength(1);
    const owner = created[0]!;
    expect(owner.email).toBe('founder@example.test');
    expect(owner.generatedPassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(await bootstrap.ensureFirstOwner()).toBeNull();

    const login = await supertest(api.url).post('/api/v1/auth/login').send({ email: 'founder@example.test', password: owner.generatedPassword });
    expect(login.status).toBe(200);
    expect(login.body.workspace).toMatchObject({ name: 'Acme AI', role: 'owner' });
    expect(login.body.user.name).toBe('Admin'); // VAULTRUN_ADMIN_NAME's default: never a nameless owner
    expect(login.body.isInstanceAdmin).toBe(true); // the first owner is the instance administrator (docs/managed.md)
    const [{ users }] = await api.db.query(`SELECT count(*)::int AS users FROM users`);
    expect(users).toBe(1);
    const rows = await api.db.query(`SELECT password_hash FROM users`);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    const audit = await api.db.query(`SELECT actor_type, action FROM audit_events WHERE action = 'workspace.create'`);
    expect(audit).toEqual([{ actor_type: 'system', action: 'workspace.create' }]);
    // Three starter operators, on the workspace default (the mock provider), so a first visit has something to run.
    const operators = await supertest(api.url).get('/api/v1/operators').set('cookie', login.headers['set-cookie']!);
    expect(operators.body.items.map((o: { name: string; accountId: string | null; outputFormat: string }) => [o.name, o.accountId, o.outputFormat])).toEqual([
      ['Researcher', null, 'text'],
      ['Reviewer', null, 'json_schema'],
      ['Writer', null, 'text'],
    ]);
  });

  it('uses VAULTRUN_ADMIN_PASSWORD when given, and never prints it back', async () => {
    const api = await emptyInstance({ VAULTRUN_ADMIN_PASSWORD: 'a-chosen-admin-password' });
    const owner = await api.app.get(BootstrapService).ensureFirstOwner();
    expect(owner).toMatchObject({ email: 'admin@vaultrun.local', generatedPassword: null });
    const login = await supertest(api.url).post('/api/v1/auth/login').send({ email: 'admin@vaultrun.local', password: 'a-chosen-admin-password' });
    expect(login.status).toBe(200);
  });
});
