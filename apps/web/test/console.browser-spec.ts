import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type TestApi } from '../../../test/support/api.js';
import { launchBrowser, recordTraffic, screenshot, signInThroughConsole } from '../../../test/support/browser.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));

describe('console in a real browser', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let browser: Browser;

  beforeAll(async () => {
    api = await startTestApi({ VAULTRUN_CONSOLE_DIST: consoleDist });
    ws = await seedWorkspace(api.db, 'Browser Co');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('lets an existing user join through an invite by signing in on its page, and a newcomer create an account', async () => {
    const owner = await signIn(api.url, ws.users.owner);
    const inviteFor = async (email: string) => new URL((await as(owner).post('/api/v1/invites', { email, role: 'viewer' })).body.url).hash.replace('#token=', '');
    const other = await seedWorkspace(api.db, 'Invited Co');
    const existing = await browser.newContext();
    const page = await existing.newPage();
    await page.goto(`${api.url}/accept-invite#token=${await inviteFor(other.users.member.email)}`);
    await page.getByTestId('invite-preview').waitFor();
    await page.getByTestId('invite-mode-sign-in').click();
    await page.getByTestId('invite-signin-password').fill(other.users.member.password);
    await screenshot(page, 'invite-existing-account');
    await page.getByTestId('accept-submit').click();
    await page.getByTestId('workspace-switcher').waitFor();
    const [{ role }] = await api.db.query(`SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2`, [ws.id, other.users.member.id]);
    expect(role).toBe('viewer');
    await existing.close();

    const newcomer = `newcomer-${Date.now()}@example.test`;
    const fresh = await browser.newContext();
    const freshPage = await fresh.newPage();
    await freshPage.goto(`${api.url}/accept-invite#token=${await inviteFor(newcomer)}`);
    await freshPage.getByTestId('accept-name').fill('New Comer');
    await freshPage.getByTestId('accept-password').fill('a-long-new-password-42');
    await freshPage.getByTestId('accept-password-confirm').fill('a-long-new-password-42');
    await screenshot(freshPage, 'invite-new-account');
    await freshPage.getByTestId('accept-submit').click();
    await freshPage.getByTestId('workspace-switcher').waitFor();
    const [{ name }] = await api.db.query(`SELECT name FROM users WHERE email = $1`, [newcomer]);
    expect(name).toBe('New Comer');
    await fresh.close();
  });

  it('signs in, creates an API token, and lists it with only its prefix visible', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const traffic = recordTraffic(page);

    await page.goto(`${api.url}/tokens`);
    await page.waitForURL(/\/login/);
    await page.getByTestId('login-email').fill(ws.users.admin.email);
    await page.getByTestId('login-password').fill(ws.users.admin.password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(/\/tokens/);
    await page.getByTestId('workspace-switcher').waitFor();

    await page.getByTestId('token-name').fill('Published app');
    await page.getByTestId('token-scope-run').check();
    await page.getByTestId('token-create').click();
    const secret = (await page.getByTestId('token-secret').innerText()).trim();
    expect(secret).toMatch(/^vr_[A-Za-z0-9_-]{43}$/);
    await screenshot(page, 'tokens-created');

    await page.getByTestId('token-secret-dismiss').click();
    const row = page.getByTestId('token-row').filter({ hasText: 'Published app' });
    await row.waitFor();
    expect((await row.getByTestId('token-prefix').innerText()).trim()).toBe(secret.slice(0, 11));
    await screenshot(page, 'tokens-listed');

    // Once dismissed, the full token is nowhere: not in the page, not in storage.
    expect(await page.content()).not.toContain(secret);
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(storage).not.toContain(secret);
    // It crossed the wire exactly once: in the create response.
    const carriers = traffic.bodies.filter((b) => b.body.includes(secret));
    expect(carriers.map((c) => new URL(c.url).pathname)).toEqual(['/api/v1/tokens']);

    // And the server knows the token works.
    const res = await fetch(`${api.url}/api/v1/workspace`, { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(200);
    await context.close();
  });

  it('shows the audit log, including the sign-in that just happened', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInThroughConsole(page, api.url, ws.users.owner, '/audit');
    const signIns = page.getByTestId('audit-row').filter({ hasText: 'auth.login' }).filter({ hasText: ws.users.owner.email });
    await signIns.first().waitFor();
    expect(await signIns.count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'audit');
    await context.close();
  });

  it('lets a member set their own name in Settings, and the team sees it on the Members page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A user who joined through an invite without giving a name.
    await api.db.query(`UPDATE users SET name = '' WHERE id = $1`, [ws.users.member.id]);
    await signInThroughConsole(page, api.url, ws.users.member, '/settings');
    await page.getByTestId('profile-name').fill('   ');
    expect(await page.getByTestId('profile-save').isDisabled()).toBe(true);
    await page.getByTestId('profile-name').fill('Grace Hopper');
    await page.getByTestId('profile-save').click();
    await page.getByTestId('profile-saved').waitFor();
    expect(await page.getByTestId('user-name').innerText()).toBe('Grace Hopper'); // the header follows at once
    expect(await page.getByTestId('profile-name').inputValue()).toBe('Grace Hopper'); // the field keeps what was saved
    await screenshot(page, 'settings-profile');
    await page.getByTestId('nav-members').click();
    const row = page.locator(`[data-testid="member-row"][data-member-email="${ws.users.member.email}"]`);
    await row.filter({ hasText: 'Grace Hopper' }).waitFor();
    const [{ name }] = await api.db.query(`SELECT name FROM users WHERE id = $1`, [ws.users.member.id]);
    expect(name).toBe('Grace Hopper');
    await context.close();
  });

  it('lets an owner rename the workspace and create another one from Settings', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInThroughConsole(page, api.url, ws.users.owner, '/settings');
    const rename = page.getByTestId('workspace-name');
    await rename.fill(`${ws.name} (renamed)`);
    await page.getByTestId('workspace-rename').click();
    await page.getByText('Workspace renamed.').waitFor();
    expect(await page.getByTestId('workspace-rename').isDisabled()).toBe(true); // nothing left to save
    const [{ name }] = await api.db.query(`SELECT name FROM workspaces WHERE id = $1`, [ws.id]);
    expect(name).toBe(`${ws.name} (renamed)`);
    await rename.fill(ws.name);
    await page.getByTestId('workspace-rename').click();
    await page.getByText('Workspace renamed.').waitFor();

    await page.getByTestId('new-workspace-name').fill('  Research team  ');
    await page.getByTestId('workspace-create').click();
    expect(await page.getByTestId('workspace-created').innerText()).toContain('Workspace “Research team” created');
    expect(await page.getByTestId('new-workspace-name').inputValue()).toBe('');
    const switcher = page.getByTestId('workspace-switcher');
    await switcher.locator('option', { hasText: 'Research team' }).waitFor({ state: 'attached' });
    await context.close();
  });

  it('hides management from a viewer', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInThroughConsole(page, api.url, ws.users.viewer, '/members');
    await page.getByTestId('nav-members').waitFor();
    expect(await page.getByTestId('nav-tokens').count()).toBe(0);
    expect(await page.getByTestId('nav-audit').count()).toBe(0);
    await page.getByTestId('nav-members').click();
    await page.getByTestId('member-row').first().waitFor();
    expect(await page.getByTestId('invite-create').count()).toBe(0);
    await context.close();
  });
});
