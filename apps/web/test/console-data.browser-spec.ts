/**
 * Issue 14 in a real browser: the Overview's figures against seeded runs, the list tables (search, filters, sort, a
 * new item highlighted), queue health folding idle accounts, the audit trail (pickers, drawer, CSV), budgets counting
 * from the period's start — at 1440 × 900 and 390 × 844, never wider than the screen.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { as, seedWorkspace, type SeededUser, type SeededWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';
import { launchBrowser, screenshot, signInThroughConsole } from '../../../test/support/browser.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const hex = () => randomBytes(3).toString('hex');
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

describe('console data pages in a real browser', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let owner: Session;
  let browser: Browser;
  let alpha: { id: string; name: string };
  let beta: { id: string; name: string };
  let broken: { id: string; name: string };

  const insertRun = (r: { operatorId: string | null; accountId: string; minutesAgo: number; status: string; label?: string | null; cost?: number | null; latencyMs?: number | null }) =>
    api.db.query(
      `INSERT INTO runs (workspace_id, kind, operator_id, started_by_type, account_id, model, input, max_output_tokens, status, queued_at, created_at, finished_at,
                         cost_micro_usd, cost_label, provider_latency_ms)
       VALUES ($1, 'operator', $2, 'user', $3, 'mock-fast', 'x', 100, $4, now() - $5 * interval '1 minute', now() - $5 * interval '1 minute',
               CASE WHEN $4 IN ('queued', 'waiting', 'running') THEN NULL ELSE now() - $5 * interval '1 minute' + interval '900 ms' END, $6, $7, $8)`,
      [ws.id, r.operatorId, r.accountId, r.status, r.minutesAgo, r.cost ?? null, r.label ?? null, r.latencyMs ?? null],
    );

  beforeAll(async () => {
    api = await startTestApi({ VAULTRUN_CONSOLE_DIST: consoleDist });
    ws = await seedWorkspace(api.db, `Data Co ${hex()}`);
    owner = await signIn(api.url, ws.users.owner);
    browser = await launchBrowser();
    alpha = (await as(owner).post('/api/v1/operators', { name: `Alpha ${hex()}` })).body;
    beta = (await as(owner).post('/api/v1/operators', { name: `Beta ${hex()}` })).body;
    broken = (await as(owner).post('/api/v1/provider-accounts', { name: `Broken key ${hex()}`, kind: 'mock' })).body;
    await api.db.query(`UPDATE provider_accounts SET status = 'invalid_key' WHERE id = $1`, [broken.id]);
    // The last hours (no worker runs here: the rows are the fixtures).
    const A = ws.mockAccountId;
    await insertRun({ operatorId: alpha.id, accountId: A, minutesAgo: 30, status: 'succeeded', label: 'verified', cost: 250_000, latencyMs: 400 });
    await insertRun({ operatorId: alpha.id, accountId: A, minutesAgo: 90, status: 'succeeded', label: 'estimated', cost: 150_000, latencyMs: 800 });
    await insertRun({ operatorId: alpha.id, accountId: A, minutesAgo: 95, status: 'failed', label: 'unavailable' });
    await insertRun({ operatorId: beta.id, accountId: A, minutesAgo: 150, status: 'succeeded', label: 'estimated', cost: 100_000, latencyMs: 1200 });
    // Two days ago: outside "last 24 hours", inside "last 7 days".
    await insertRun({ operatorId: beta.id, accountId: A, minutesAgo: 2 * 24 * 60, status: 'succeeded', label: 'estimated', cost: 1_000_000, latencyMs: 500 });
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  async function open(size: { width: number; height: number }, user: SeededUser, path: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: size, acceptDownloads: true });
    const page = await context.newPage();
    await signInThroughConsole(page, api.url, user, path);
    return { context, page };
  }

  /** No page is wider than the screen (a table may scroll inside its own frame, but the page may not). */
  async function expectNoPageOverflow(page: Page, what: string) {
    const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
    expect([what, scroll <= width]).toEqual([what, true]);
  }

  it('the Overview is the home page and shows the figures of the seeded runs; the period and an operator filter change them', async () => {
    const { context, page } = await open(DESKTOP, ws.users.owner, '/overview');
    const overview = page.getByTestId('overview');
    await overview.waitFor();
    expect(await page.getByTestId('kpi-runs').getAttribute('data-value')).toBe('4');
    expect(await page.getByTestId('kpi-success').getAttribute('data-value')).toBe(String(3 / 4));
    expect(await page.getByTestId('kpi-spend').getAttribute('data-value')).toBe('500000');
    expect(await page.getByTestId('kpi-spend').innerText()).toContain('$0.50');
    // Nearest-rank p50 of 400, 800, 1200 ms is 800 (within 2%).
    const [p50] = (await page.getByTestId('kpi-latency').getAttribute('data-value'))!.split('/').map(Number);
    expect(Math.abs(p50! - 800) / 800).toBeLessThanOrEqual(0.02);
    const tops = page.getByTestId('top-operators').getByTestId('top-item');
    expect(await tops.evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-id'), r.getAttribute('data-runs')]))).toEqual([
      [alpha.id, '3'],
      [beta.id, '1'],
    ]);
    // The charts drew the runs per hour and the spend by label.
    expect(await page.getByTestId('overview-run-segment').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('[data-testid="overview-spend-segment"][data-series="verified"]').getAttribute('data-value')).toBe('250000');
    await page.mouse.move(0, 0);
    await screenshot(page, 'overview-desktop');
    await expectNoPageOverflow(page, 'overview desktop');

    await page.getByTestId('overview-period').selectOption('7d');
    await page.locator('[data-testid="kpi-runs"][data-value="5"]').waitFor();
    expect(page.url()).toContain('period=7d');
    await page.getByTestId('overview-operator').selectOption(beta.id);
    await page.locator('[data-testid="kpi-runs"][data-value="2"]').waitFor();
    expect(await page.getByTestId('kpi-spend').getAttribute('data-value')).toBe('1100000');
    // The top list links to the operator, whose row opens and is highlighted.
    await page.getByTestId('top-operators').getByRole('link', { name: beta.name }).click();
    await page.waitForURL((u) => u.pathname === '/operators');
    await page.locator(`[data-testid="operator-list-row"][data-operator-id="${beta.id}"][data-highlighted="true"]`).waitFor();
    await page.locator(`[data-testid="operator-row"][data-operator-id="${beta.id}"]`).waitFor();
    await context.close();

    const phone = await open(PHONE, ws.users.viewer, '/overview');
    await phone.page.getByTestId('overview').waitFor();
    await phone.page.getByTestId('overview-run-segment').first().waitFor();
    await screenshot(phone.page, 'overview-phone');
    await expectNoPageOverflow(phone.page, 'overview phone');
    await phone.context.close();
  });

  it('accounts: search, a status filter, sort; a new account is shown and highlighted; stacked rows on a phone', async () => {
    const tag = hex();
    for (const name of ['Zulu', 'Echo', 'Kilo']) await as(owner).post('/api/v1/provider-accounts', { name: `${name} ${tag}`, kind: 'mock' });
    const { context, page } = await open(DESKTOP, ws.users.owner, '/vault');
    const rows = page.getByTestId('vault-row');
    await rows.first().waitFor();
    const names = () => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));

    await page.getByTestId('vault-search').fill(tag);
    await page.waitForURL((u) => u.searchParams.get('q') === tag);
    // The previous page stays on screen until the search answers: wait for the answer, not the URL.
    await expectEventually(names, [`Zulu ${tag}`, `Echo ${tag}`, `Kilo ${tag}`]);
    await page.getByTestId('sort-name').click();
    await page.waitForURL((u) => u.searchParams.get('sort') === 'name');
    await expectEventually(names, [`Echo ${tag}`, `Kilo ${tag}`, `Zulu ${tag}`]);
    await page.getByTestId('sort-name').click();
    await expectEventually(names, [`Zulu ${tag}`, `Kilo ${tag}`, `Echo ${tag}`]);

    await page.getByTestId('vault-search').fill('');
    await page.getByTestId('vault-filter-status').selectOption('invalid_key');
    await expectEventually(names, [broken.name]);
    expect(await page.getByTestId('vault-row-status').textContent()).toBe('Invalid key');
    await screenshot(page, 'vault-table-filtered');

    // A new account (the mock needs no key): its row appears highlighted, open, although the filter would hide it.
    await page.getByTestId('vault-add').click();
    const fresh = `Fresh ${tag}`;
    await page.getByTestId('vault-kind-mock').click();
    await page.getByTestId('vault-name').fill(fresh);
    await page.getByTestId('vault-save').click();
    const highlighted = page.locator(`[data-testid="vault-row"][data-highlighted="true"][data-name="${fresh}"]`);
    await highlighted.waitFor();
    expect(await highlighted.innerText()).toContain('New');
    await page.getByTestId('vault-account').filter({ has: page.getByRole('heading', { name: fresh, exact: true }) }).waitFor();
    await screenshot(page, 'vault-table-new-account');
    await context.close();

    const phone = await open(PHONE, ws.users.owner, '/vault');
    await phone.page.getByTestId('vault-row').first().waitFor();
    // Stacked: each cell is a labelled line of its own, the header row is hidden.
    expect(await phone.page.locator('.data-table thead').evaluate((el) => el.getBoundingClientRect().height <= 1)).toBe(true);
    await expectNoPageOverflow(phone.page, 'vault phone');
    await screenshot(phone.page, 'vault-table-phone');
    await phone.context.close();
  });

  it('operators, tokens and members: filters, search, sort, a new token highlighted — on desktop and phone', async () => {
    const tag = hex();
    await as(owner).post('/api/v1/operators', { name: `Stuck ${tag}`, accountId: broken.id });
    const { context, page } = await open(DESKTOP, ws.users.owner, '/operators');
    await page.getByTestId('operator-list-row').first().waitFor();
    await page.getByTestId('operator-filter-health').selectOption('unusable');
    await expectEventually(() => page.getByTestId('operator-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), [`Stuck ${tag}`]);
    expect(await page.getByTestId('operator-account-problem').textContent()).toBe('Invalid key');
    await screenshot(page, 'operators-table-filtered');

    const revoked = (await as(owner).post('/api/v1/tokens', { name: `old ${tag}`, scopes: ['read'] })).body;
    await as(owner).delete(`/api/v1/tokens/${revoked.id}`);
    await page.goto(`${api.url}/tokens`);
    await page.getByTestId('token-name').fill(`ci ${tag}`);
    await page.getByTestId('token-scope-run').check();
    await page.getByTestId('token-create').click();
    await page.getByTestId('token-secret-dismiss').click();
    const newRow = page.locator('[data-testid="token-row"][data-highlighted="true"]');
    await newRow.waitFor();
    expect(await newRow.innerText()).toContain(`ci ${tag}`);
    await page.getByTestId('token-filter-status').selectOption('revoked');
    // The new token stays pinned on top; under it, only the revoked one.
    const listed = page.locator('[data-testid="token-row"]:not([data-highlighted])');
    await expectEventually(() => listed.evaluateAll((els) => els.map((e) => e.getAttribute('data-token-id'))), [revoked.id]);
    expect(await listed.getByTestId('token-status').textContent()).toBe('revoked');
    await page.getByTestId('token-filter-status').selectOption('');
    await page.getByTestId('token-search').fill('no-such-token-anywhere');
    await page.waitForURL((u) => u.searchParams.get('q') === 'no-such-token-anywhere');
    await screenshot(page, 'tokens-table');

    await page.goto(`${api.url}/members`);
    await page.getByTestId('member-row').first().waitFor();
    await page.getByTestId('member-filter-role').selectOption('viewer');
    await expectEventually(() => page.getByTestId('member-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-member-email'))), [ws.users.viewer.email]);
    await page.getByTestId('member-filter-role').selectOption('');
    await page.getByTestId('sort-email').click();
    await page.getByTestId('sort-email').click();
    await page.waitForURL((u) => u.searchParams.get('sort') === '-email');
    const everyone = Object.values(ws.users).map((u) => u.email);
    await expectEventually(() => page.getByTestId('member-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-member-email')!)), [...everyone].sort().reverse());
    await screenshot(page, 'members-table');
    await context.close();

    const phone = await open(PHONE, ws.users.owner, '/members');
    await phone.page.getByTestId('member-row').first().waitFor();
    await expectNoPageOverflow(phone.page, 'members phone');
    await screenshot(phone.page, 'members-table-phone');
    for (const path of ['/tokens', '/operators', '/budgets', '/audit', '/runs']) {
      await phone.page.goto(`${api.url}${path}`);
      await phone.page.locator('h1').waitFor();
      await phone.page.waitForLoadState('networkidle');
      await expectNoPageOverflow(phone.page, `${path} phone`);
      await screenshot(phone.page, `${path.slice(1)}-phone`);
    }
    await phone.context.close();
  });

  it('queue health shows busy accounts and folds the idle ones', async () => {
    await insertRun({ operatorId: alpha.id, accountId: ws.mockAccountId, minutesAgo: 1, status: 'queued' });
    const { context, page } = await open(DESKTOP, ws.users.owner, '/runs');
    const busy = page.getByTestId('queue-busy');
    await busy.locator(`[data-testid="queue-account"][data-account-id="${ws.mockAccountId}"]`).waitFor();
    const idle = page.getByTestId('queue-idle');
    expect(await idle.locator('summary').innerText()).toMatch(/^\d+ idle accounts?$/);
    expect(await idle.locator(`[data-account-id="${broken.id}"]`).isVisible()).toBe(false);
    await idle.locator('summary').click();
    expect(await idle.locator(`[data-account-id="${broken.id}"]`).isVisible()).toBe(true);
    await screenshot(page, 'runs-queue-health');
    await context.close();
  });

  it('the audit trail: pick an action and an actor, filter by a target, see before/after in the drawer, and download the same events as CSV', async () => {
    const name = `Renamed ${hex()}`;
    await as(owner).patch(`/api/v1/operators/${alpha.id}`, { name, maxOutputTokens: 321 });
    const { context, page } = await open(DESKTOP, ws.users.owner, '/audit');
    await page.getByTestId('audit-row').first().waitFor();
    await page.getByTestId('audit-filter-action').selectOption('operator.update');
    await page.waitForURL((u) => u.searchParams.get('action') === 'operator.update');
    await page.locator('[data-testid="audit-row"][data-action="operator.update"]').first().waitFor();
    await expectEventually(() => page.getByTestId('audit-row').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-action')))]), ['operator.update']);
    await page.getByTestId('audit-filter-actor').selectOption(`user:${ws.users.owner.id}`);
    const row = page.getByTestId('audit-row').filter({ hasText: name });
    await row.first().waitFor();
    // The target is named as it is now, and links to it.
    expect(await row.first().getByTestId('audit-target-link').innerText()).toBe(name);
    await row.first().getByTestId('audit-filter-by-target').click();
    await page.getByTestId('audit-target-chip').waitFor();
    expect(new URL(page.url()).searchParams.get('targetId')).toBe(alpha.id);

    await row.first().getByTestId('audit-open').click();
    const drawer = page.getByTestId('audit-drawer');
    const change = drawer.locator('[data-testid="audit-change"][data-field="maxOutputTokens"]');
    await change.waitFor();
    expect([await change.getByTestId('audit-change-from').innerText(), await change.getByTestId('audit-change-to').innerText()]).toEqual(['1024', '321']);
    expect(await drawer.locator('[data-testid="audit-change"][data-field="name"]').getByTestId('audit-change-to').innerText()).toBe(name);
    await screenshot(page, 'audit-drawer');
    await drawer.getByTestId('audit-drawer-close').click();

    // The date range: nothing before the workspace existed.
    await page.getByTestId('audit-filter-to').fill('2000-01-01');
    await page.getByText('No events match.').waitFor();
    await page.getByTestId('audit-filter-to').fill('');
    await page.getByTestId('audit-row').first().waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toContain('"time","action","outcome"');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines.slice(1)) {
      expect(line).toContain('"operator.update"');
      expect(line).toContain(`"${alpha.id}"`);
    }
    expect(csv).toContain(`""to"":321`);
    await context.close();

    const phone = await open(PHONE, ws.users.owner, '/audit');
    await phone.page.getByTestId('audit-row').first().waitFor();
    await expectNoPageOverflow(phone.page, 'audit phone');
    await screenshot(phone.page, 'audit-phone');
    await phone.context.close();
  });

  it('a budget that counts from the period start opens with the month-to-date spend; budgets filter and sort in their table', async () => {
    const { context, page } = await open(DESKTOP, ws.users.owner, '/budgets');
    await page.getByTestId('budget-new').click();
    const name = `Month to date ${hex()}`;
    await page.getByTestId('budget-name').fill(name);
    await page.getByTestId('budget-period').selectOption('month');
    await page.getByTestId('budget-count-from-period-start').check();
    await page.getByTestId('budget-cap').fill('100');
    await page.getByTestId('budget-save').click();
    const card = page.getByTestId('budget-card').filter({ has: page.getByRole('heading', { name, exact: true }) });
    await card.waitFor();
    // Every run seeded above finished this month (they are at most two days old) — unless the month began since.
    const [{ spent }] = await api.db.query(
      `SELECT COALESCE(sum(cost_micro_usd), 0)::int AS spent FROM runs WHERE workspace_id = $1 AND finished_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
      [ws.id],
    );
    expect(await card.getByTestId('budget-spent').getAttribute('data-micro-usd')).toBe(String(spent));
    if (spent > 0) expect(await card.getByTestId('budget-opening').getAttribute('data-micro-usd')).toBe(String(spent));
    await page.locator('[data-testid="budget-row"][data-highlighted="true"]').waitFor();
    await screenshot(page, 'budgets-count-from-period-start');

    await as(owner).post('/api/v1/budgets', { name: `Tiny ${hex()}`, scope: { type: 'workspace', id: null }, period: 'lifetime', capMicroUsd: 1, countFrom: 'period_start' });
    await page.reload();
    await page.getByTestId('budget-row').first().waitFor();
    await page.getByTestId('budget-filter-state').selectOption('exhausted');
    await expectEventually(() => page.getByTestId('budget-row').evaluateAll((els) => els.map((e) => (e.getAttribute('data-name') ?? '').split(' ')[0])), ['Tiny']);
    await context.close();
  });
});

/** Waits (on the page's own updates, not a fixed sleep) until `read` answers `want`. */
async function expectEventually<T>(read: () => Promise<T>, want: T, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = await read();
  while (JSON.stringify(last) !== JSON.stringify(want)) {
    if (Date.now() > until) expect(last).toEqual(want);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
}
