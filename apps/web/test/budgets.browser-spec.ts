import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatUsd } from '@vaultrun/providers';
import type { Browser, Page } from 'playwright-core';
import { as, type SeededUser, signIn } from '../../../test/support/api.js';
import { launchBrowser, recordTraffic, screenshot, signInThroughConsole } from '../../../test/support/browser.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { eventually } from '../../../test/support/runs.js';
import { type Stack, startStack } from '../../../test/support/stack.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const hex = () => randomBytes(3).toString('hex');
const RUN_PAGE = /\/runs\/[0-9a-f-]{36}$/;
const utcDay = (offsetDays = 0) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('Budgets, spend and cost labels in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    // OpenAI's Costs API as the fake serves it: yesterday, the organisation was billed $1.25.
    fake = await startFakeOpenAI({ models: ['gpt-4.1-mini'], costs: { days: { [utcDay(-1)]: '1.25' } } });
    // API and an in-process worker on their own database (test/support/stack.ts).
    stack = await startStack({ apiEnv: { VAULTRUN_CONSOLE_DIST: consoleDist }, workerEnv: { VAULTRUN_RECONCILE_EVERY_MS: '500' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await fake?.close();
  });

  const signInAt = (page: Page, user: SeededUser, path: string) => signInThroughConsole(page, stack.api.url, user, path);

  const getRun = async (id: string) => (await as(stack.admin).get(`/api/v1/runs/${id}`)).body;
  const runEnds = (id: string, status: string) => eventually(() => getRun(id), (r) => r.status === status || ['succeeded', 'failed', 'cancelled', 'blocked'].includes(r.status), `run ${id} → ${status}`);
  const getBudget = async (id: string) => (await as(stack.admin).get(`/api/v1/budgets/${id}`)).body;
  const budgetCard = (page: Page, name: string) => page.getByTestId('budget-card').filter({ has: page.getByRole('heading', { name, exact: true }) });
  const runRow = (page: Page, id: string) => page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);

  it('creates a price override and a budget in the console; runs consume it until one is blocked, which names the budget; the banner appears and the chart splits spend by label', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const budgetName = `Team monthly ${hex()}`;
    // Set up through the API (covered elsewhere): an operator allowed 100 output tokens, and a second mock account that
    // reports its own cost, as a provider does (→ Verified by Provider).
    const operator = (await as(stack.admin).post('/api/v1/operators', { name: `Summariser ${hex()}`, instructions: 'Answer in one sentence.', maxOutputTokens: 100 })).body;
    const reporting = await as(stack.admin).post('/api/v1/provider-accounts', { name: `Reporting mock ${hex()}`, kind: 'mock', mock: { reportCost: true } });
    expect(reporting.status).toBe(201);

    await signInAt(page, stack.ws.users.admin, '/budgets');
    await page.getByText('No budgets yet.', { exact: false }).waitFor();
    expect(await page.getByTestId('budget-banner').count()).toBe(0);
    await page.getByTestId('price-table-source').filter({ hasText: 'openai.com/api/pricing' }).waitFor();

    // A price override for mock-fast, in the console: $1 input and $100 output per 1M tokens — 1 and 100 micro-USD a
    // token, so a run's worst case is about 100 output tokens × 100 = $0.01. A seventh decimal is refused first.
    await page.getByTestId('price-override-new').click();
    await page.getByTestId('price-override-model').fill('mock-fast');
    await page.getByTestId('price-override-input-price').fill('1');
    await page.getByTestId('price-override-output-price').fill('100.0000001');
    await page.getByTestId('price-override-save').click();
    await page.getByText('at most 6 decimals').waitFor();
    await page.getByTestId('price-override-output-price').fill('100');
    await page.getByTestId('price-override-save').click();
    const overrideRow = page.locator('[data-testid="price-override-row"][data-model="mock-fast"]');
    await overrideRow.waitFor();
    expect(await overrideRow.getByTestId('price-override-input').innerText()).toBe('$1.00');
    expect(await overrideRow.getByTestId('price-override-output').innerText()).toBe('$100.00');
    const prices = (await as(stack.admin).get('/api/v1/prices')).body;
    expect(prices.overrides).toEqual([expect.objectContaining({ model: 'mock-fast', inputMicroUsdPerM: 1_000_000, cachedInputMicroUsdPerM: 1_000_000, outputMicroUsdPerM: 100_000_000 })]);

    // The budget, in the console: a cap that is not an amount is refused on its field; then a $0.015 monthly cap
    // (room for one worst case, not two) with a 10% soft threshold.
    await page.getByTestId('budget-new').click();
    await page.getByTestId('budget-name').fill(budgetName);
    await page.getByTestId('budget-period').selectOption('month');
    await page.getByTestId('budget-cap').fill('fifteen cents');
    await page.getByTestId('budget-save').click();
    await page.getByText('An amount in dollars, e.g. 50 or 0.25').waitFor();
    await page.getByTestId('budget-cap').fill('0.015');
    await page.getByTestId('budget-soft-threshold').fill('10');
    await page.getByTestId('budget-save').click();
    const card = budgetCard(page, budgetName);
    await card.waitFor();
    const budgetId = (await card.getAttribute('data-budget-id'))!;
    expect(await getBudget(budgetId)).toMatchObject({ name: budgetName, scope: { type: 'workspace', id: null }, period: 'month', capMicroUsd: 15_000, softThresholdPct: 10 });
    expect(await card.getByTestId('budget-cap-value').innerText()).toBe('$0.015');
    expect(await card.getByTestId('budget-spent').getAttribute('data-micro-usd')).toBe('0');
    await screenshot(page, 'budgets-created');

    // Run 1 on the reporting account: its provider-reported cost is verified.
    const verifiedStart = await as(stack.admin).post('/api/v1/runs', { operatorId: operator.id, accountId: reporting.body.id, input: 'Verified: the export button does nothing on Safari.' });
    expect(verifiedStart.status).toBe(202);
    const verified = await runEnds(verifiedStart.body.id, 'succeeded');
    expect(verified).toMatchObject({ status: 'succeeded', costLabel: 'verified' });
    expect(verified.costMicroUsd).toBeGreaterThan(0);

    // Run 2 holds its worst case for 6 s; run 3 starts meanwhile. The API's pre-check counts settled spend only, so it
    // accepts run 3 — the worker's atomic reservation then finds no headroom beside run 2's hold: blocked.
    const slowStart = await as(stack.admin).post('/api/v1/runs', { operatorId: operator.id, input: 'Estimated: the invoice PDF is blank. [mock:latency=6000]' });
    expect(slowStart.status).toBe(202);
    const holding = await eventually(() => getBudget(budgetId), (b) => b.currentPeriod.heldMicroUsd > 0, 'the slow run holds its worst case');
    // The page follows the run stream: the hold shows without a reload.
    await card.locator(`[data-testid="budget-held"][data-micro-usd="${holding.currentPeriod.heldMicroUsd}"]`).waitFor({ timeout: 5_000 });
    const refusedStart = await as(stack.admin).post('/api/v1/runs', { operatorId: operator.id, input: 'One more: the login page loops forever.' });
    expect(refusedStart.status).toBe(202);
    const blocked = await runEnds(refusedStart.body.id, 'blocked');
    expect(blocked).toMatchObject({ status: 'blocked', blockedBy: { budgetId, budgetName }, costLabel: null, costMicroUsd: null });
    expect(blocked.error.code).toBe('budget_exhausted');
    expect(blocked.statusReason).toContain(budgetName);
    await screenshot(page, 'budgets-held');
    const estimated = await runEnds(slowStart.body.id, 'succeeded');
    expect(estimated).toMatchObject({ status: 'succeeded', costLabel: 'estimated' });
    const spent = verified.costMicroUsd + estimated.costMicroUsd;
    // 10% of $0.015 is $0.0015: the estimated run alone (≥ 15 output tokens × 100 micro-USD) passes it.
    expect(spent).toBeGreaterThanOrEqual(1_500);
    const settled = await eventually(() => getBudget(budgetId), (b) => b.currentPeriod.heldMicroUsd === 0 && b.currentPeriod.spentMicroUsd === spent, 'the budget settles');
    expect(settled.currentPeriod.softThresholdReached).toBe(true);

    // The Budgets page caught up by itself: spend, no hold, the soft threshold badge, and the banner naming the budget.
    await card.locator(`[data-testid="budget-spent"][data-micro-usd="${spent}"]`).waitFor();
    await card.locator('[data-testid="budget-held"][data-micro-usd="0"]').waitFor();
    expect(await card.getByTestId('budget-spent').innerText()).toBe(formatUsd(spent));
    await card.getByTestId('budget-soft-reached').waitFor();
    expect(await card.getAttribute('data-soft-reached')).toBe('true');
    const banner = page.getByTestId('budget-banner');
    await banner.waitFor();
    expect(await banner.locator(`[data-testid="budget-banner-item"][data-budget-id="${budgetId}"]`).innerText()).toContain(budgetName);
    expect(await banner.getByTestId('budget-banner-link').getAttribute('href')).toBe('/budgets');

    // The spend chart: totals split by label (the legend) and today's bar stacked from the same figures.
    const legend = (label: string) => page.locator(`[data-testid="spend-legend-item"][data-label="${label}"]`);
    await legend('estimated').and(page.locator(`[data-micro-usd="${estimated.costMicroUsd}"]`)).waitFor();
    await legend('verified').and(page.locator(`[data-micro-usd="${verified.costMicroUsd}"]`)).waitFor();
    expect(await legend('verified').getAttribute('data-runs')).toBe('1');
    expect(await legend('estimated').getAttribute('data-runs')).toBe('1');
    expect(await legend('pending_sync').getAttribute('data-runs')).toBe('0');
    expect(await legend('unavailable').getAttribute('data-runs')).toBe('0');
    expect(await legend('verified').innerText()).toContain(formatUsd(verified.costMicroUsd));
    expect(await legend('verified').innerText()).toContain('Verified by Provider');
    expect(await legend('estimated').innerText()).toContain(formatUsd(estimated.costMicroUsd));
    expect(await legend('estimated').innerText()).toContain('Estimated by Vaultrun');
    expect(await page.getByTestId('spend-total').getAttribute('data-micro-usd')).toBe(String(spent));
    const today = page.locator(`[data-testid="spend-segment"][data-day="${utcDay()}"]`);
    expect(await today.and(page.locator('[data-label="verified"]')).getAttribute('data-micro-usd')).toBe(String(verified.costMicroUsd));
    expect(await today.and(page.locator('[data-label="estimated"]')).getAttribute('data-micro-usd')).toBe(String(estimated.costMicroUsd));
    expect(await today.and(page.locator('[data-label="pending_sync"]')).count()).toBe(0);
    expect(await page.getByTestId('spend-segment').count()).toBe(2);
    // Both segments are drawn, the estimated one taller than the (tiny) verified one.
    const heights = await Promise.all(['verified', 'estimated'].map((l) => today.and(page.locator(`[data-label="${l}"]`)).evaluate((r) => Number(r.getAttribute('height')))));
    expect(heights[0]).toBeGreaterThan(0);
    expect(heights[1]).toBeGreaterThan(heights[0]!);

    // Grouped by account: one row per account, each with its own run's cost.
    await page.getByTestId('spend-group-by').selectOption('account');
    await page.locator('[data-testid="spend-breakdown"][data-group-by="account"]').waitFor();
    expect(await page.locator(`[data-testid="spend-row"][data-key="${reporting.body.id}"]`).getAttribute('data-micro-usd')).toBe(String(verified.costMicroUsd));
    expect(await page.locator(`[data-testid="spend-row"][data-key="${stack.ws.mockAccountId}"]`).getAttribute('data-micro-usd')).toBe(String(estimated.costMicroUsd));
    await page.getByTestId('spend-group-by').selectOption('model');
    await page.locator('[data-testid="spend-breakdown"][data-group-by="model"]').waitFor();
    expect(await page.locator('[data-testid="spend-row"][data-key="mock-fast"]').getAttribute('data-micro-usd')).toBe(String(spent));
    await screenshot(page, 'budgets-page');

    // The Runs page: every cost carries its label; the blocked run says which budget stopped it. The banner is here too.
    await page.getByTestId('nav-runs').click();
    await page.waitForURL(/\/runs$/);
    await page.getByTestId('budget-banner').waitFor();
    await runRow(page, refusedStart.body.id).and(page.locator('[data-status="blocked"]')).waitFor();
    expect(await runRow(page, refusedStart.body.id).getByTestId('run-blocked-by').innerText()).toContain(budgetName);
    expect(await runRow(page, refusedStart.body.id).getByTestId('run-cost').getAttribute('data-label')).toBe('none');
    const verifiedCost = runRow(page, verified.id).getByTestId('run-cost');
    expect(await verifiedCost.getAttribute('data-label')).toBe('verified');
    expect(await verifiedCost.innerText()).toContain(formatUsd(verified.costMicroUsd));
    expect(await verifiedCost.innerText()).toContain('Verified by Provider');
    const estimatedCost = runRow(page, estimated.id).getByTestId('run-cost');
    expect(await estimatedCost.getAttribute('data-label')).toBe('estimated');
    expect(await estimatedCost.innerText()).toContain(formatUsd(estimated.costMicroUsd));
    // The badge explains itself: a tooltip on hover (its accessible description), gone with Escape.
    const badge = estimatedCost.getByTestId('cost-label');
    const tooltip = estimatedCost.getByTestId('cost-label-tooltip');
    expect(await tooltip.isVisible()).toBe(false);
    await badge.hover();
    await tooltip.waitFor({ state: 'visible' });
    expect(await tooltip.innerText()).toContain('Tokens the provider reported × the price table');
    expect(await badge.getAttribute('aria-describedby')).toBe(await tooltip.getAttribute('id'));
    await screenshot(page, 'runs-list-costs');
    await page.keyboard.press('Escape');
    await tooltip.waitFor({ state: 'hidden' });

    // The estimated run's page: its cost, the worst case it held, and no cost cap.
    await page.goto(`${stack.api.url}/runs/${estimated.id}`);
    await page.getByTestId('run-cost').and(page.locator('[data-label="estimated"]')).waitFor();
    expect(await page.getByTestId('run-estimate').innerText()).toBe(formatUsd(estimated.estimateMicroUsd));
    expect(estimated.estimateMicroUsd).toBeGreaterThan(estimated.costMicroUsd);
    expect(await page.getByTestId('run-cost-cap').innerText()).toBe('None');

    // The blocked run's page names the budget and why, and links to it.
    await page.getByTestId('nav-runs').click();
    await runRow(page, refusedStart.body.id).getByTestId('run-status').click();
    await page.waitForURL(RUN_PAGE);
    expect(new URL(page.url()).pathname).toBe(`/runs/${refusedStart.body.id}`);
    await page.locator('[data-testid="run-detail-status"][data-status="blocked"]').waitFor();
    const error = page.getByTestId('run-error');
    expect(await error.getAttribute('data-code')).toBe('budget_exhausted');
    expect(await error.getByTestId('run-error-message').innerText()).toBe(blocked.statusReason);
    expect(await error.getByTestId('run-error-message').innerText()).toContain(`cap ${formatUsd(15_000)}`);
    expect(await page.getByTestId('run-cost').getAttribute('data-label')).toBe('none');
    const link = page.getByTestId('run-blocked-budget-link');
    expect(await link.innerText()).toBe(budgetName);
    await screenshot(page, 'run-detail-blocked-by-budget');
    await link.click();
    await page.waitForURL((u) => u.pathname === '/budgets' && u.hash === `#budget-${budgetId}`);
    await page.locator(`[data-testid="budget-card"][data-budget-id="${budgetId}"].budget-card-highlighted`).waitFor();

    // Edit (the cap), then delete it through the console; the banner goes with it.
    await card.getByTestId('budget-edit').click();
    await card.getByTestId('budget-cap').fill('0.50');
    await card.getByTestId('budget-save').click();
    await card.getByText('Budget saved.').waitFor();
    expect((await getBudget(budgetId)).capMicroUsd).toBe(500_000);
    // Spent is under 10% of $0.50 now: the alert is re-armed and the banner leaves.
    await page.getByTestId('budget-banner').waitFor({ state: 'detached' });
    await card.getByTestId('budget-delete').click();
    await page.getByRole('dialog').getByTestId('confirm-accept').click();
    await card.waitFor({ state: 'detached' });
    expect((await as(stack.admin).get(`/api/v1/budgets/${budgetId}`)).status).toBe(404);
    await context.close();
  });

  it('shows budgets to a viewer without any control, and an admin who lost the right mid-session gets the 403 in words', async () => {
    const created = await as(stack.admin).post('/api/v1/budgets', { name: `Ops daily ${hex()}`, scope: { type: 'workspace', id: null }, period: 'day', capMicroUsd: 2_000_000 });
    expect(created.status).toBe(201);

    const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const viewerPage = await viewerContext.newPage();
    await signInAt(viewerPage, stack.ws.users.viewer, '/budgets');
    // A link to the budget opens its row.
    await viewerPage.goto(`${stack.api.url}/budgets#budget-${created.body.id}`);
    const viewerCard = viewerPage.locator(`[data-testid="budget-card"][data-budget-id="${created.body.id}"]`);
    await viewerCard.waitFor();
    expect(await viewerCard.getByTestId('budget-cap-value').innerText()).toBe('$2.00');
    await viewerPage.getByTestId('prices-section').waitFor();
    await viewerPage.getByTestId('spend-chart').waitFor();
    for (const control of ['budget-new', 'budget-edit', 'budget-delete', 'price-override-new', 'price-override-edit', 'price-override-delete']) {
      expect(await viewerPage.getByTestId(control).count()).toBe(0);
    }
    await viewerContext.close();

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInAt(page, stack.ws.users.admin, '/budgets');
    await page.goto(`${stack.api.url}/budgets#budget-${created.body.id}`);
    const card = page.locator(`[data-testid="budget-card"][data-budget-id="${created.body.id}"]`);
    await card.getByTestId('budget-delete').waitFor();
    const owner = await signIn(stack.api.url, stack.ws.users.owner);
    expect((await as(owner).patch(`/api/v1/members/${stack.ws.users.admin.id}`, { role: 'member' })).status).toBe(200);
    try {
      await card.getByTestId('budget-delete').click();
      await page.getByRole('dialog').getByTestId('confirm-accept').click();
      const alert = card.getByRole('alert');
      await alert.waitFor();
      expect(await alert.innerText()).toContain('Your role (member) does not allow this action (needs budgets:manage).');
      expect((await as(owner).get(`/api/v1/budgets/${created.body.id}`)).status).toBe(200);
      // The 403 made the console read the session again: the controls the role lost are gone.
      await card.getByTestId('budget-delete').waitFor({ state: 'detached' });
      expect(await page.getByTestId('budget-new').count()).toBe(0);
      expect(await alert.isVisible()).toBe(true);
    } finally {
      await as(owner).patch(`/api/v1/members/${stack.ws.users.admin.id}`, { role: 'admin' });
    }
    await as(owner).delete(`/api/v1/budgets/${created.body.id}`);
    await context.close();
  });

  it('sets the budget alert webhook in Settings, shows its signing secret once, and removes it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const traffic = recordTraffic(page);
    await signInAt(page, stack.ws.users.admin, '/settings');
    const section = page.getByTestId('alert-webhook');
    await section.getByTestId('alert-webhook-none').waitFor();

    // The API's verdict on a bad URL is shown under the field.
    await section.getByTestId('alert-webhook-url').fill('ftp://hooks.example.com/vaultrun');
    await section.getByTestId('alert-webhook-save').click();
    await section.locator('.field-error').waitFor();
    expect(await section.getByTestId('alert-webhook-secret').count()).toBe(0);

    await section.getByTestId('alert-webhook-url').fill('https://hooks.example.com/vaultrun/alerts');
    await section.getByTestId('alert-webhook-save').click();
    const secret = await section.getByTestId('alert-webhook-secret').innerText();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{20,}$/);
    await section.getByTestId('alert-webhook-current').filter({ hasText: 'https://hooks.example.com/vaultrun/alerts' }).waitFor();
    expect((await as(stack.admin).get('/api/v1/workspace')).body.alertWebhook).toEqual({ url: 'https://hooks.example.com/vaultrun/alerts', secretHint: `whsec_…${secret.slice(-4)}` });
    await screenshot(page, 'settings-alert-webhook-secret');
    await section.getByTestId('alert-webhook-secret-dismiss').click();
    expect(await page.content()).not.toContain(secret);
    // Only the PUT's answer ever carried it: the workspace reads after it show the hint.
    expect(traffic.bodies.filter((b) => b.body.includes(secret)).map((b) => new URL(b.url).pathname)).toEqual(['/api/v1/workspace/alert-webhook']);

    await section.getByTestId('alert-webhook-remove').click();
    await page.getByRole('dialog').getByTestId('confirm-accept').click();
    await section.getByTestId('alert-webhook-none').waitFor();
    expect((await as(stack.admin).get('/api/v1/workspace')).body.alertWebhook).toBeNull();
    await context.close();
  });

  it('shows cost sync on an OpenAI account: off without an admin key, a refused admin key in words, then Sync now finds OpenAI billing more than Vaultrun recorded', async () => {
    const name = `OpenAI ${hex()}`;
    const account = await as(stack.admin).post('/api/v1/provider-accounts', { name, kind: 'openai', apiKey: `sk-proj-budgets-${hex()}${hex()}`, baseUrl: fake.url });
    expect(account.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInAt(page, stack.ws.users.admin, '/vault');
    // A link to the account opens its row.
    await page.goto(`${stack.api.url}/vault#account-${account.body.id}`);
    const card = page.locator(`[data-testid="vault-account"][data-account-id="${account.body.id}"]`);
    const sync = card.getByTestId('cost-sync');
    await sync.and(page.locator('[data-enabled="false"]')).waitFor();
    expect(await sync.getByTestId('cost-sync-status').textContent()).toBe('Off');
    expect(await sync.getByTestId('cost-sync-now').count()).toBe(0);

    // An admin key that OpenAI refuses, on an account old enough to have closed days to compare (cost sync skips
    // days before it existed): Sync now says so in words.
    expect((await as(stack.admin).put(`/api/v1/provider-accounts/${account.body.id}/admin-key`, { adminKey: `sk-admin-invalid-${hex()}${hex()}` })).status).toBe(200);
    await stack.api.db.query(`UPDATE provider_accounts SET created_at = now() - interval '3 days' WHERE id = $1`, [account.body.id]);
    await page.reload();
    await sync.and(page.locator('[data-enabled="true"]')).waitFor();
    expect(await sync.getByTestId('cost-sync-status').textContent()).toBe('Not synced yet');
    await sync.getByTestId('cost-sync-now').click();
    const failure = sync.getByTestId('cost-sync-error');
    await failure.waitFor({ timeout: 30_000 });
    expect(await failure.getAttribute('data-code')).toBe('invalid_api_key');
    expect(await failure.innerText()).toContain('OpenAI refused the admin key');
    expect(await sync.getByTestId('cost-sync-status').textContent()).toBe('Failing');
    expect(await sync.getByTestId('cost-sync-notice').count()).toBe(0);
    await screenshot(page, 'vault-cost-sync-refused');

    // A good admin key: the old failure is gone.
    expect((await as(stack.admin).put(`/api/v1/provider-accounts/${account.body.id}/admin-key`, { adminKey: `sk-admin-budgets-${hex()}${hex()}` })).status).toBe(200);
    await page.reload();
    await sync.and(page.locator('[data-enabled="true"]')).waitFor();
    expect(await sync.getByTestId('cost-sync-status').textContent()).toBe('Not synced yet');
    expect(await failure.count()).toBe(0);

    await sync.getByTestId('cost-sync-now').click();
    // The worker compares yesterday: OpenAI billed $1.25, Vaultrun recorded nothing on this account.
    await sync.and(page.locator('[data-status="drift"]')).waitFor({ timeout: 30_000 });
    expect(await sync.getByTestId('cost-sync-status').textContent()).toBe('Drift');
    expect(await sync.getByTestId('cost-sync-last-day').innerText()).toContain(new Date(`${utcDay(-1)}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' }));
    const figures = sync.getByTestId('cost-sync-figures');
    expect(await figures.getAttribute('data-drift-micro-usd')).toBe('1250000');
    expect(await figures.innerText()).toContain('OpenAI $1.25 · Vaultrun $0.00');
    expect(await sync.getByTestId('cost-sync-drift-meaning').innerText()).toContain('key used outside Vaultrun');
    await sync.locator('summary').click();
    await sync.locator(`[data-testid="cost-sync-day"][data-status="drift"]`).first().waitFor();
    await screenshot(page, 'vault-cost-sync-drift');
    await context.close();
  });
  it('shows an overage on the budget card and in the banner — paused while runs from before it are in flight — and sets shrink-to-fit in the form', async () => {
    const account = (await as(stack.admin).post('/api/v1/provider-accounts', { name: `Counts triple ${hex()}`, kind: 'openai', apiKey: `sk-proj-overage-${hex()}${hex()}`, baseUrl: fake.url, defaultModel: 'gpt-4.1-mini' })).body;
    const operator = (await as(stack.admin).post('/api/v1/operators', { name: `One word ${hex()}`, instructions: 'Answer in one word.', accountId: account.id, maxOutputTokens: 1 })).body;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInAt(page, stack.ws.users.admin, '/budgets');

    // The budget, in the console, with shrink-to-fit: a floor of 0 is refused on its field, 64 is kept.
    const budgetName = `Triple ${hex()}`;
    await page.getByTestId('budget-new').click();
    await page.getByTestId('budget-name').fill(budgetName);
    await page.getByTestId('budget-scope-type').selectOption('account');
    await page.getByTestId('budget-scope-id').selectOption(account.id);
    await page.getByTestId('budget-cap').fill('1');
    await page.getByTestId('budget-shrink').check();
    await page.getByTestId('budget-shrink-floor').fill('0');
    await page.getByTestId('budget-save').click();
    await page.getByText('A whole number of tokens from 1 to 200,000.').waitFor();
    await page.getByTestId('budget-shrink-floor').fill('64');
    await page.getByTestId('budget-save').click();
    const card = budgetCard(page, budgetName);
    await card.waitFor();
    const budgetId = (await card.getAttribute('data-budget-id'))!;
    expect((await getBudget(budgetId)).shrinkToFit).toEqual({ minOutputTokens: 64 });
    expect(await card.getByTestId('budget-shrink-value').innerText()).toBe('On');
    expect(await card.getByTestId('budget-overage').count()).toBe(0);

    // The provider counts three times the prompt tokens; calls marked [hold] stay open until released.
    const release: (() => void)[] = [];
    fake.inflatePromptTokens({ factor: 3 });
    fake.replyWith(() => 'ok');
    fake.respondWith((req) =>
      JSON.stringify(req.body).includes('[hold]') ? new Promise<undefined>((resolve) => release.push(() => resolve(undefined))) : undefined,
    );
    try {
      const text = 'Summarise this week: three incidents, all resolved; the migration slipped a day; hiring is on track for two roles.';
      const heldStart = await as(stack.admin).post('/api/v1/runs', { operatorId: operator.id, input: `[hold] ${text}` });
      expect(heldStart.status).toBe(202);
      await eventually(async () => fake.inFlight(), (n) => n === 1, 'the held call to be in flight');
      const overStart = await as(stack.admin).post('/api/v1/runs', { operatorId: operator.id, input: text });
      const over = await runEnds(overStart.body.id, 'succeeded');
      expect(over.overageMicroUsd).toBeGreaterThan(0);

      // The card and the banner say it, without a reload: overage, paused.
      await card.getByTestId('budget-paused').waitFor();
      expect(await card.getByTestId('budget-overage-badge').innerText()).toBe(`Overage ${formatUsd(over.overageMicroUsd)}`);
      const message = card.getByTestId('budget-overage');
      expect(await message.innerText()).toContain(`A provider charged ${formatUsd(over.overageMicroUsd)} more than Vaultrun held`);
      expect(await message.innerText()).toContain('New runs are paused until the runs that were in flight then have settled');
      const banner = page.getByTestId('budget-overage-banner');
      await banner.waitFor();
      expect(await banner.locator(`[data-testid="budget-overage-banner-item"][data-budget-id="${budgetId}"]`).innerText()).toBe(
        `${budgetName} (${formatUsd(over.overageMicroUsd)} above its holds, new runs paused)`,
      );
      await screenshot(page, 'budgets-overage-paused');

      // The run in flight settles (overshooting too): no longer paused; the overage stays on record.
      for (const open of release.splice(0)) open();
      const first = await runEnds(heldStart.body.id, 'succeeded');
      await card.getByTestId('budget-paused').waitFor({ state: 'detached' });
      const total = over.overageMicroUsd + first.overageMicroUsd;
      await card.getByTestId('budget-overage-badge').filter({ hasText: `Overage ${formatUsd(total)}` }).waitFor();
      expect(await message.innerText()).toContain('Holds for that account and model now allow for what the provider counts.');
      await screenshot(page, 'budgets-overage-settled');

      // The run's page says what it held and what it was charged above that.
      await page.goto(`${stack.api.url}/runs/${over.id}`);
      await page.getByTestId('run-overage').waitFor();
      expect(await page.getByTestId('run-overage').innerText()).toBe(`Charged ${formatUsd(over.overageMicroUsd)} more: the provider counted more prompt tokens than were held`);
      await screenshot(page, 'run-detail-overage');
    } finally {
      for (const open of release.splice(0)) open();
      fake.respondWith(null);
      fake.replyWith(null);
      fake.inflatePromptTokens(null);
      await as(stack.admin).delete(`/api/v1/budgets/${budgetId}`);
      await context.close();
    }
  });
});
