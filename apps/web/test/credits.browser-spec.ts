/**
 * The managed connector and Vaultrun credits in a real browser (docs/console.md, "Credits" and "Managed accounts"):
 *   (a) an instance administrator adds a mock managed account offered to one chosen workspace and grants it credits;
 *       a member of that workspace sees the connector account and the balance on /credits, a run on the connector says
 *       "Vaultrun credits" pays, and the balance goes down;
 *   (b) the workspace switches to its own key in one step, and its operator's next run says "Your key";
 *   (c) once the credits are gone, the exhausted banner shows on every page and links to /credits.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { as, seedWorkspace, type SeededWorkspace, type Session, signIn } from '../../../test/support/api.js';
import { launchBrowser, screenshot, signInThroughConsole } from '../../../test/support/browser.js';
import { eventually, waitForRun } from '../../../test/support/runs.js';
import { type Stack, startStack } from '../../../test/support/stack.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const RUN_PAGE = /\/runs\/[0-9a-f-]{36}$/;

describe('Vaultrun credits and managed accounts in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let platform: SeededWorkspace;
  let bystander: SeededWorkspace;
  let owner: Session;
  let adminPage: Page;
  let memberPage: Page;
  const team = () => stack.ws;
  /** Filled by (a), used by (b) and (c). */
  const state = { connectorId: '', operatorId: '', grantedMicroUsd: 5_000_000 };

  beforeAll(async () => {
    stack = await startStack({ apiEnv: { VAULTRUN_CONSOLE_DIST: consoleDist }, workerEnv: { VAULTRUN_RECONCILE_EVERY_MS: '500' } });
    platform = await seedWorkspace(stack.api.db, 'Platform group');
    bystander = await seedWorkspace(stack.api.db, 'Bystander team');
    await stack.api.db.query(`UPDATE users SET is_instance_admin = true WHERE id = $1`, [platform.users.owner.id]);
    await stack.api.db.query(`UPDATE workspaces SET name = 'Credits team' WHERE id = $1`, [stack.ws.id]);
    owner = await signIn(stack.api.url, stack.ws.users.owner);
    browser = await launchBrowser();
    adminPage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    memberPage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const balanceOf = async (page: Page) => Number(await page.getByTestId('credits-balance').getAttribute('data-micro-usd'));

  it('(a) an instance admin offers a managed account to one workspace and grants credits; its member runs on them', async () => {
    await signInThroughConsole(adminPage, stack.api.url, platform.users.owner, '/instance/managed-accounts');
    await adminPage.getByTestId('managed-add').click();
    const form = adminPage.getByTestId('managed-create');
    await form.getByTestId('managed-name').fill('Instance mock');
    await form.getByTestId('managed-kind').selectOption('mock');
    await form.getByTestId('managed-default-model').fill('mock-fast');
    await form.getByTestId('managed-offer-chosen').check();
    await form.getByTestId('managed-workspace-search').fill('Credits team');
    await form.getByTestId('managed-workspace-option').and(adminPage.locator('[data-name="Credits team"]')).check();
    await form.getByTestId('managed-share-concurrency').fill('2');
    await form.getByTestId('managed-create-submit').click();
    const row = adminPage.getByTestId('managed-row').and(adminPage.locator('[data-name="Instance mock"]'));
    await row.waitFor();
    expect(await row.getByTestId('managed-row-offer').innerText()).toBe('1 workspace');

    // Verify lists the account's models with its key (the mock's, here).
    await row.getByTestId('managed-verify').click();
    await adminPage.getByTestId('managed-notice').getByText('“Instance mock” checked').waitFor();

    // Edit the share: each workspace may now run 3 calls at once on it.
    await row.getByTestId('managed-edit').click();
    const edit = adminPage.getByTestId('managed-edit-form');
    await edit.getByTestId('managed-share-concurrency').fill('3');
    await edit.getByTestId('managed-edit-save').click();
    await adminPage.getByTestId('managed-notice').waitFor();
    await row.getByText('3 at once', { exact: false }).waitFor();

    // The settings: the multiplier reads ×1.00 until changed; workspaces then see the multiplied price.
    expect(await adminPage.getByTestId('instance-multiplier').inputValue()).toBe('1.00');
    await adminPage.getByTestId('instance-multiplier').fill('1.25');
    await adminPage.getByTestId('instance-settings-save').click();
    await adminPage.getByTestId('instance-settings-saved').waitFor();
    expect((await as(await signIn(stack.api.url, platform.users.owner)).get('/api/v1/instance/settings')).body.priceMultiplierPermille).toBe(1250);

    // Grant credits on the Workspaces page: first a top-up without its reference (refused at the field), then a grant.
    await adminPage.getByTestId('nav-instance').click();
    const teamRow = adminPage.getByTestId('instance-workspace-row').and(adminPage.locator('[data-name="Credits team"]'));
    expect(await teamRow.getByTestId('instance-workspace-credits').innerText()).toBe('—');
    await teamRow.getByTestId('instance-grant-credits').click();
    const dialog = teamRow.getByTestId('instance-grant-dialog');
    await dialog.getByTestId('grant-kind-top-up').check();
    await dialog.getByTestId('grant-amount').fill('5');
    await dialog.getByTestId('grant-submit').click();
    await dialog.getByText('Required for a top-up').waitFor();
    await dialog.getByTestId('grant-kind-grant').check();
    // Above the API's $10M cap: its 400 names the field, and the message shows under the amount.
    await dialog.getByTestId('grant-amount').fill('20000000');
    const refused = adminPage.waitForResponse((r) => r.url().endsWith('/credits') && r.request().method() === 'POST');
    await dialog.getByTestId('grant-submit').click();
    const problem = await (await refused).json();
    expect([problem.status, problem.errors.map((e: { field: string }) => e.field)]).toEqual([400, ['amountMicroUsd']]);
    await dialog.locator('.field:has([data-testid="grant-amount"]) .field-error').waitFor();
    expect(await dialog.locator('[role="alert"]').count()).toBe(0); // shown at the field only
    // Dollars as typed become an integer micro-USD string, digit by digit (4.35 × 100 is 434.99999999999994 in floating point).
    await dialog.getByTestId('grant-amount').fill('4.35');
    const granted = adminPage.waitForResponse((r) => r.url().endsWith('/credits') && r.request().method() === 'POST');
    await dialog.getByTestId('grant-note').fill('Trial');
    await dialog.getByTestId('grant-submit').click();
    expect(JSON.parse((await granted).request().postData() ?? '{}')).toMatchObject({ kind: 'grant', amountMicroUsd: '4350000', note: 'Trial' });
    await teamRow.getByTestId('instance-grant-credits').click();
    await dialog.getByTestId('grant-amount').fill('0.65');
    await dialog.getByTestId('grant-submit').click();
    await teamRow.locator('[data-testid="instance-workspace-credits"][data-micro-usd="5000000"]').waitFor();
    expect(await teamRow.getByTestId('instance-workspace-credits').innerText()).toBe('$5.00');
    await screenshot(adminPage, 'credits-instance-workspaces');

    // The member: the connector account, and the balance.
    await signInThroughConsole(memberPage, stack.api.url, team().users.member, '/credits');
    await memberPage.getByTestId('credit-account').first().waitFor();
    expect(await memberPage.getByTestId('credit-account').allInnerTexts()).toEqual([expect.stringContaining('Instance mock')]);
    expect(await balanceOf(memberPage)).toBe(state.grantedMicroUsd);
    expect(await memberPage.getByTestId('credits-multiplier-note').innerText()).toContain("Prices on Vaultrun credits include the instance's ×1.25 multiplier");
    expect(await memberPage.getByTestId('credit-grant-row').count()).toBe(2);
    expect(await memberPage.getByTestId('credits-switch-open').count()).toBe(0); // a member cannot manage the vault
    const credits = (await as(owner).get('/api/v1/credits')).body;
    state.connectorId = credits.accounts[0].id;

    // The Vault marks the connector and offers none of its actions.
    await memberPage.getByTestId('nav-vault').click();
    const connectorRow = memberPage.getByTestId('vault-row').and(memberPage.locator(`[data-account-id="${state.connectorId}"]`));
    await connectorRow.getByTestId('vault-managed-badge').waitFor();

    // A run on the connector: "Vaultrun credits" pays, and the balance goes down.
    const operator = await as(owner).post('/api/v1/operators', { name: 'Credit writer', instructions: 'Write one line.', accountId: state.connectorId, model: 'mock-fast' });
    expect(operator.status).toBe(201);
    state.operatorId = operator.body.id;
    const started = await as(stack.member).post('/api/v1/runs', { operatorId: state.operatorId, input: 'Say hello' });
    expect(started.status).toBe(202);
    const run = await waitForRun(as(stack.member), started.body.id);
    expect([run.status, run.paidWith]).toEqual(['succeeded', 'credits']);
    // The operator's row, opened by its link (`#operator-<id>`), says who pays.
    await memberPage.goto(`${stack.api.url}/operators#operator-${state.operatorId}`);
    const operatorRow = memberPage.getByTestId('operator-row').and(memberPage.locator(`[data-operator-id="${state.operatorId}"]`));
    expect(await operatorRow.getByTestId('operator-paid-with').innerText()).toBe('Vaultrun credits');
    await memberPage.goto(`${stack.api.url}/runs/${run.id}`);
    await memberPage.waitForURL(RUN_PAGE);
    await memberPage.locator('[data-testid="run-detail-paid-with"][data-paid-with="credits"]').waitFor();
    expect(await memberPage.getByTestId('run-detail-paid-with').innerText()).toBe('Vaultrun credits');
    await memberPage.getByTestId('nav-runs').click();
    const runRow = memberPage.getByTestId('run-row').and(memberPage.locator(`[data-run-id="${run.id}"]`));
    expect(await runRow.getByTestId('run-paid-with').innerText()).toBe('Vaultrun credits');

    await eventually(async () => (await as(owner).get('/api/v1/credits')).body, (c) => Number(c.balanceMicroUsd) < state.grantedMicroUsd, 'the run to be paid with credits');
    await memberPage.getByTestId('nav-credits').click();
    await memberPage.getByTestId('credits-balance').waitFor();
    expect(await balanceOf(memberPage)).toBeLessThan(state.grantedMicroUsd);
    await memberPage.getByTestId('credit-consumer-row').and(memberPage.locator('[data-name="Credit writer"]')).waitFor();
    await screenshot(memberPage, 'credits-page');
  });

  it('(b) the workspace switches to its own key in one step; its operator now runs on "Your key"', async () => {
    const ownerPage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await signInThroughConsole(ownerPage, stack.api.url, team().users.owner, '/credits');
    await ownerPage.getByTestId('credits-switch-open').click();
    const dialog = ownerPage.getByTestId('credits-switch-dialog');
    // Only the workspace's own accounts are offered.
    await dialog.locator(`[data-testid="credits-switch-to"] option[value="${team().mockAccountId}"]`).waitFor({ state: 'attached' });
    expect(await dialog.locator(`[data-testid="credits-switch-to"] option[value="${state.connectorId}"]`).count()).toBe(0);
    await dialog.getByTestId('credits-switch-to').selectOption(team().mockAccountId);
    await dialog.getByTestId('credits-switch-confirm').click();
    const result = ownerPage.getByTestId('credits-switch-result');
    await result.waitFor();
    expect(await result.getAttribute('data-operators')).toBe('1');

    const operator = (await as(owner).get(`/api/v1/operators/${state.operatorId}`)).body;
    expect(operator.accountId).toBe(team().mockAccountId);
    await ownerPage.goto(`${stack.api.url}/operators#operator-${state.operatorId}`);
    const operatorRow = ownerPage.getByTestId('operator-row').and(ownerPage.locator(`[data-operator-id="${state.operatorId}"]`));
    await operatorRow.locator('[data-testid="operator-paid-with"][data-paid-with="own_key"]').waitFor();
    expect(await operatorRow.getByTestId('operator-paid-with').innerText()).toMatch(/^Your key \(.+\)$/);
    const started = await as(stack.member).post('/api/v1/runs', { operatorId: state.operatorId, input: 'Say hello again' });
    const run = await waitForRun(as(stack.member), started.body.id);
    expect([run.status, run.paidWith]).toEqual(['succeeded', 'own_key']);
    await ownerPage.goto(`${stack.api.url}/runs/${run.id}`);
    await ownerPage.locator('[data-testid="run-detail-paid-with"][data-paid-with="own_key"]').waitFor();
    expect(await ownerPage.getByTestId('run-detail-paid-with').innerText()).toMatch(/^Your key \(.+\)$/);
    await ownerPage.context().close();
  });

  it('(c) with no credits left, the exhausted banner shows and links to /credits; it can be dismissed', async () => {
    // The credits run out: every grant expires now and the sweep forfeits what was left.
    await stack.api.db.query(`UPDATE credit_grants SET expires_at = now() - interval '1 second' WHERE workspace_id = $1`, [team().id]);
    await stack.api.db.query(`SELECT vaultrun_credits_sweep($1)`, [team().id]);
    await eventually(async () => (await as(owner).get('/api/v1/auth/me')).body, (me) => me.workspace?.credits?.exhausted === true, 'the credits to be exhausted');

    await memberPage.goto(`${stack.api.url}/runs`);
    const banner = memberPage.locator('[data-testid="credits-banner"][data-state="exhausted"]');
    await banner.waitFor();
    await screenshot(memberPage, 'credits-exhausted-banner');
    await banner.getByTestId('credits-banner-link').click();
    await memberPage.waitForURL(/\/credits$/);
    await memberPage.getByTestId('credits-exhausted-note').waitFor();
    await banner.getByTestId('credits-banner-dismiss').click();
    await banner.waitFor({ state: 'detached' });
    await memberPage.reload();
    await memberPage.getByTestId('credits-balance').waitFor();
    expect(await banner.count()).toBe(0);

    // A workspace that never had credits sees no banner, and an empty Credits page explaining where credits come from.
    const otherPage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await signInThroughConsole(otherPage, stack.api.url, bystander.users.member, '/credits');
    await otherPage.getByTestId('credits-empty').waitFor();
    expect(await otherPage.getByTestId('credits-banner').count()).toBe(0);
    await otherPage.context().close();
  });
});
