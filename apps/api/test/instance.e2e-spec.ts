/**
 * Instance administration (docs/managed.md): instance administrators granted and revoked with the CLI, workspace
 * suspension refusing new runs (REST 403 `workspace_suspended`) and gateway calls (OpenAI-shaped 403, through the
 * official `openai` SDK), a queued run blocked by the worker, members still reading, both audit logs, and resume.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { as, signIn } from '../../../test/support/api.js';
import { testEnv } from '../../../test/support/env.js';
import { gatewayClient, inferenceToken } from '../../../test/support/gateway.js';
import { eventually, waitForRun } from '../../../test/support/runs.js';
import { runBuilt } from '../../../test/support/spawn.js';
import { startStack, type Stack } from '../../../test/support/stack.js';
import { startTestWorker } from '../../../test/support/worker.js';

describe('instance administration and workspace suspension', () => {
  let stack: Stack;
  let operatorId: string;
  const cli = (...args: string[]) => runBuilt('apps/api/dist/cli.js', { DATABASE_URL: stack.dbUrl, VAULTRUN_MASTER_KEYS: testEnv().masterKeys }, args);

  beforeAll(async () => {
    // No worker at first: a run stays queued until one starts.
    stack = await startStack({ inProcessWorker: false });
    operatorId = (await as(stack.admin).post('/api/v1/operators', { name: 'suspension op' })).body.id;
  });
  afterAll(() => stack?.close());

  it('admin:grant / admin:revoke: clear messages, audited, never the last instance administrator', async () => {
    const owner = stack.ws.users.owner;
    const unknown = cli('admin:grant', 'nobody@example.test');
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('No user with email nobody@example.test')]);
    expect(cli('admin:grant').code).toBe(2);

    // This stack seeds its users directly (no first-start owner): nobody is an instance administrator yet.
    const [{ n: firstAdmins }] = await stack.api.db.query(`SELECT count(*)::int AS n FROM users WHERE is_instance_admin`);
    expect(firstAdmins).toBe(0);
    expect((await as(await signIn(stack.api.url, owner)).get('/api/v1/instance/workspaces')).status).toBe(403);

    const granted = cli('admin:grant', owner.email.toUpperCase());
    expect([granted.code, granted.stdout]).toEqual([0, expect.stringContaining('is now an instance administrator')]);
    expect(cli('admin:grant', owner.email).stdout).toContain('already');
    const session = await signIn(stack.api.url, owner);
    expect(session.me).toMatchObject({ isInstanceAdmin: true });
    expect((await as(session).get('/api/v1/instance/workspaces')).status).toBe(200);

    // A second one can be revoked; the last one cannot.
    expect(cli('admin:grant', stack.ws.users.admin.email).code).toBe(0);
    expect(cli('admin:revoke', stack.ws.users.admin.email).code).toBe(0);
    expect((await as(await signIn(stack.api.url, stack.ws.users.admin)).get('/api/v1/instance/audit')).status).toBe(403);
    const last = cli('admin:revoke', owner.email);
    expect([last.code, last.stderr]).toEqual([1, expect.stringContaining('last instance administrator')]);
    expect((await as(await signIn(stack.api.url, owner)).get('/api/v1/auth/me')).body.isInstanceAdmin).toBe(true);

    const audit = await as(session).get('/api/v1/instance/audit');
    expect(audit.status).toBe(200);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['instance.admin.grant', 'instance.admin.revoke']));
    const grants = audit.body.items.filter((e: { action: string }) => e.action === 'instance.admin.grant');
    expect(grants.map((e: { target: { type: string; name: string } }) => [e.target.type, e.target.name])).toContainEqual(['user', owner.email]);
  });

  it('suspend: runs and gateway calls refused, a queued run blocked, members still read; resume restores everything', async () => {
    const instanceAdmin = await signIn(stack.api.url, stack.ws.users.owner); // granted in the test above
    expect(instanceAdmin.me).toMatchObject({ isInstanceAdmin: true });
    const wsId = stack.ws.id;
    const token = await inferenceToken(stack.admin);
    const client = gatewayClient(stack.api.url, token.token, { maxRetries: 0 });

    // Bad input: a missing reason names the field; an unknown workspace is a 404.
    const noReason = await as(instanceAdmin).post(`/api/v1/instance/workspaces/${wsId}/suspend`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors.map((e: { field: string }) => e.field)).toContain('reason');
    const unknown = await as(instanceAdmin).post('/api/v1/instance/workspaces/00000000-0000-4000-8000-000000000000/suspend', { reason: 'x' });
    expect(unknown.status).toBe(404);

    const queued = await as(stack.member).post('/api/v1/runs', { operatorId, input: 'queued before the suspension' });
    expect(queued.status).toBe(202);

    const suspended = await as(instanceAdmin).post(`/api/v1/instance/workspaces/${wsId}/suspend`, { reason: 'Unpaid invoice' });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ id: wsId, status: 'suspended', suspendedReason: 'Unpaid invoice', members: 4 });
    expect((await as(instanceAdmin).post(`/api/v1/instance/workspaces/${wsId}/suspend`, { reason: 'again' })).status).toBe(409);

    // New runs, comparisons and missions are refused with a clear 403.
    const run = await as(stack.member).post('/api/v1/runs', { operatorId, input: 'refused' });
    expect([run.status, run.body.code]).toEqual([403, 'workspace_suspended']);
    expect(run.body.detail).toContain('Unpaid invoice');
    const mission = await as(stack.member).post('/api/v1/missions', { title: 'refused' });
    expect([mission.status, mission.body.code]).toEqual([403, 'workspace_suspended']);
    const comparison = await as(stack.member).post('/api/v1/comparisons', { operatorId, input: 'refused', liveAccountId: stack.ws.mockAccountId });
    expect([comparison.status, comparison.body.code]).toEqual([403, 'workspace_suspended']);

    // The gateway refuses through the official SDK (its directory is re-read within a couple of seconds).
    const refusal = await eventually(
      () => client.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (err: unknown) => err),
      (err) => err instanceof OpenAI.APIError,
      'gateway refusal',
    );
    expect(refusal).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((refusal as InstanceType<typeof OpenAI.APIError>).code).toBe('workspace_suspended');

    // The queued run does not start: a worker blocks it with the reason.
    const worker = await startTestWorker(stack.workerEnv);
    try {
      const blocked = await waitForRun(as(stack.member), queued.body.id);
      expect(blocked).toMatchObject({ status: 'blocked', error: { code: 'workspace_suspended' } });
      expect(blocked.statusReason).toContain('Unpaid invoice');

      // Members still sign in and read; the console learns of the suspension from /auth/me.
      const viewer = await signIn(stack.api.url, stack.ws.users.viewer);
      expect(viewer.me).toMatchObject({ workspace: { id: wsId, suspended: true, suspendedReason: 'Unpaid invoice' } });
      expect((await as(viewer).get('/api/v1/runs')).status).toBe(200);

      // Listed as suspended, and audited in both logs.
      const list = await as(instanceAdmin).get(`/api/v1/instance/workspaces?status=suspended&q=${encodeURIComponent(stack.ws.name)}`);
      expect(list.body).toMatchObject({ total: 1, items: [{ id: wsId, status: 'suspended', runs30d: 1 }] });
      const instanceAudit = await as(instanceAdmin).get('/api/v1/instance/audit');
      expect(instanceAudit.body.items[0]).toMatchObject({ action: 'instance.workspace.suspend', target: { type: 'workspace', id: wsId }, metadata: { reason: 'Unpaid invoice' } });
      const wsAudit = await as(stack.admin).get('/api/v1/audit-events?action=workspace.suspend');
      expect(wsAudit.body.items.length).toBe(1);

      // Resume: runs and gateway calls work again.
      const resumed = await as(instanceAdmin).post(`/api/v1/instance/workspaces/${wsId}/resume`, {});
      expect(resumed.body).toMatchObject({ status: 'active', suspendedReason: null });
      const after = await as(stack.member).post('/api/v1/runs', { operatorId, input: 'after the resume' });
      expect(after.status).toBe(202);
      expect(await waitForRun(as(stack.member), after.body.id)).toMatchObject({ status: 'succeeded' });
      const answer = await eventually(
        () => client.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'hi' }] }).then((r) => r, () => null),
        (r) => r !== null,
        'gateway call after the resume',
      );
      expect(answer!.choices[0]!.message.content).toBeTruthy();
      expect((await as(stack.admin).get('/api/v1/audit-events?action=workspace.resume')).body.items.length).toBe(1);
    } finally {
      await worker.stop();
    }
  });
});
