/**
 * The Instance area in a real browser: an instance administrator suspends a workspace with a reason (in a dialog), a
 * member of that workspace sees the banner and has a run refused, the administrator resumes it, and the banner goes.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type TestApi } from '../../../test/support/api.js';
import { launchBrowser, screenshot, signInThroughConsole } from '../../../test/support/browser.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));

describe('the Instance area', () => {
  let api: TestApi;
  let admins: SeededWorkspace;
  let team: SeededWorkspace;
  let browser: Browser;

  beforeAll(async () => {
    api = await startTestApi({ VAULTRUN_CONSOLE_DIST: consoleDist });
    admins = await seedWorkspace(api.db, 'Platform group');
    team = await seedWorkspace(api.db, 'Team to suspend');
    await api.db.query(`UPDATE users SET is_instance_admin = true WHERE id = $1`, [admins.users.viewer.id]);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('an instance admin suspends a workspace; its member sees the banner and a refused run; resume clears it', async () => {
    const adminPage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    // A viewer of its own workspace, and an instance administrator: the Instance section is there.
    await signInThroughConsole(adminPage, api.url, admins.users.viewer, '/instance');
    await adminPage.getByTestId('nav-instance').waitFor();
    const row = adminPage.getByTestId('instance-workspace-row').and(adminPage.locator('[data-name="Team to suspend"]'));
    await row.getByTestId('instance-suspend').click();
    // No reason: the API names the field.
    const refusedSuspend = adminPage.waitForResponse((r) => r.url().endsWith('/suspend'));
    await row.getByTestId('instance-suspend-confirm').click();
    const problem = await (await refusedSuspend).json();
    expect([problem.status, [...new Set(problem.errors.map((e: { field: string }) => e.field))]]).toEqual([400, ['reason']]);
    await row.getByTestId('instance-suspend-reason').fill('Unpaid invoice');
    await row.getByTestId('instance-suspend-confirm').click();
    await row.and(adminPage.locator('[data-status="suspended"]')).waitFor();
    await screenshot(adminPage, 'instance-suspended');

    // The member: a banner with the reason, and a run refused.
    const memberPage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await signInThroughConsole(memberPage, api.url, team.users.member, '/runs');
    const banner = memberPage.getByTestId('workspace-suspended-banner');
    await banner.waitFor();
    expect(await banner.innerText()).toContain('Unpaid invoice');
    expect(await memberPage.getByTestId('nav-instance').count()).toBe(0);
    const member = await signIn(api.url, team.users.member);
    const operator = await as(await signIn(api.url, team.users.admin)).post('/api/v1/operators', { name: 'op' });
    const refused = await as(member).post('/api/v1/runs', { operatorId: operator.body.id, input: 'x' });
    expect([refused.status, refused.body.code]).toEqual([403, 'workspace_suspended']);

    // The audit log shows it; resume, and the banner goes.
    await adminPage.getByTestId('nav-instance-audit').click();
    await adminPage.getByTestId('instance-audit-row').and(adminPage.locator('[data-action="instance.workspace.suspend"]')).waitFor();
    await adminPage.getByTestId('nav-instance').click();
    await row.getByTestId('instance-resume').click();
    await row.and(adminPage.locator('[data-status="active"]')).waitFor();
    await memberPage.reload();
    await memberPage.getByTestId('nav-runs').waitFor();
    expect(await memberPage.getByTestId('workspace-suspended-banner').count()).toBe(0);
    expect((await as(member).post('/api/v1/runs', { operatorId: operator.body.id, input: 'x' })).status).toBe(202);
  });
});
