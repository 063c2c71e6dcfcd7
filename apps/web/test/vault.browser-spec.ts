import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { as, seedWorkspace, signIn, startTestApi, type SeededUser, type SeededWorkspace, type TestApi } from '../../../test/support/api.js';
import { launchBrowser, recordTraffic, screenshot, signInThroughConsole } from '../../../test/support/browser.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const FAKE_MODELS = ['gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini', 'o4-mini', 'text-embedding-3-small'];

const hex = () => randomBytes(4).toString('hex');
/** What the vault shows instead of a key: the kind prefix and the last 4 characters. */
const hintOf = (key: string) => `sk-proj-…${key.slice(-4)}`;

describe('Provider Vault in a real browser', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let browser: Browser;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: FAKE_MODELS });
    api = await startTestApi({ VAULTRUN_CONSOLE_DIST: consoleDist });
    ws = await seedWorkspace(api.db, 'Vault Browser Co');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await fake?.close();
  });

  async function signInAt(page: Page, user: SeededUser, path = '/vault') {
    await signInThroughConsole(page, api.url, user, path);
    await page.getByTestId('vault-billing-note').waitFor();
  }

  /** Opens the add flow and fills an OpenAI account pointed at the fake server. */
  async function fillOpenAIAccount(page: Page, name: string, key: string) {
    await page.getByTestId('vault-add').click();
    await page.getByTestId('vault-kind-openai').click();
    await page.getByTestId('vault-name').fill(name);
    await page.getByTestId('vault-api-key').fill(key);
    await page.getByTestId('vault-advanced').click();
    await page.getByTestId('vault-base-url').fill(fake.url);
  }

/** What a person sees with a modal dialog open: the viewport, not the whole page. */
async function dialogShot(page: Page, name: string) {
  await page.screenshot({ path: join(process.cwd(), 'test-results', `${name}.png`) });
}

/** An account's card: its row in the accounts table, opened (a new account's row opens by itself). */
async function accountCard(page: Page, name: string) {
  const card = page.getByTestId('vault-account').filter({ has: page.getByRole('heading', { name, exact: true }) });
  const row = page.locator('[data-testid="vault-row"]').filter({ has: page.getByText(name, { exact: true }) });
  await row.first().waitFor();
  if ((await card.count()) === 0) await row.first().getByTestId('vault-row-toggle').click();
  await card.waitFor();
  return card;
}

  it('adds an OpenAI account, picks its default model, rotates and verifies the key — and never shows or stores a key', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const traffic = recordTraffic(page);
    const sent: { method: string; path: string; body: string }[] = [];
    page.on('request', (req) => sent.push({ method: req.method(), path: new URL(req.url()).pathname, body: req.postData() ?? '' }));

    const firstKey = `sk-proj-test-browser-${hex()}`;
    const secondKey = `sk-proj-test-browser-${hex()}`;
    const name = `Team OpenAI ${hex()}`;

    await signInAt(page, ws.users.admin);
    await fillOpenAIAccount(page, name, firstKey);
    expect(await page.getByTestId('vault-api-key').getAttribute('type')).toBe('password');
    expect(await page.getByTestId('vault-api-key').getAttribute('autocomplete')).toBe('off');
    await screenshot(page, 'vault-add-form');
    await page.getByTestId('vault-save').click();

    // Saved and verified: the models the provider listed, to pick the default from.
    const models = page.getByTestId('vault-models');
    await models.waitFor();
    for (const m of FAKE_MODELS) await expect(models.getByText(m, { exact: true }).count()).resolves.toBe(1);
    const card = await accountCard(page, name);
    await card.locator('[data-testid="vault-status"][data-status="active"]').waitFor();
    expect((await card.getByTestId('vault-status').innerText()).trim()).toBe('Active');
    expect((await card.getByTestId('vault-key-hint').innerText()).trim()).toBe(hintOf(firstKey));
    expect((await card.getByTestId('vault-last-verified').innerText()).trim()).not.toBe('never');
    await screenshot(page, 'vault-add-models');

    await page.getByTestId('vault-default-model').selectOption('o4-mini');
    await page.getByTestId('vault-default-model-save').click();
    await page.getByTestId('vault-add-panel').waitFor({ state: 'detached' });
    await card.getByText('o4-mini', { exact: true }).first().waitFor();
    await screenshot(page, 'vault-list');

    // Rotate to a second key (checked with the provider first), then verify with it.
    await card.getByTestId('vault-rotate').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('vault-rotate-key').fill(secondKey);
    expect(await dialog.getByTestId('vault-rotate-check').isChecked()).toBe(true);
    await dialogShot(page, 'vault-rotate-dialog');
    await dialog.getByTestId('vault-rotate-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    await card.getByTestId('vault-key-hint').getByText(hintOf(secondKey)).waitFor();

    const callsBefore = fake.requests.length;
    await card.getByTestId('vault-verify').click();
    await card.getByText(/^Verified: the provider listed/).waitFor();
    expect(fake.requests.length).toBeGreaterThan(callsBefore);
    expect(fake.requests.at(-1)?.key).toBe(secondKey);
    expect(fake.requests.at(-1)?.path).toBe('/v1/models');
    expect(fake.requests.some((r) => r.key === firstKey)).toBe(true);
    await page.waitForLoadState('networkidle');

    // Neither key is anywhere in the page, in storage, or in anything the API answered.
    const html = await page.content();
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    for (const key of [firstKey, secondKey]) {
      expect(html).not.toContain(key);
      expect(storage).not.toContain(key);
      expect(page.url()).not.toContain(key);
      expect(traffic.bodies.filter((b) => b.body.includes(key)).map((b) => b.url)).toEqual([]);
    }
    // Each key crossed the wire exactly once, towards the API: in the create and in the rotate request.
    const accountId = await card.getAttribute('data-account-id');
    expect(sent.filter((r) => r.body.includes(firstKey)).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v1/provider-accounts']);
    expect(sent.filter((r) => r.body.includes(secondKey)).map((r) => `${r.method} ${r.path}`)).toEqual([`POST /api/v1/provider-accounts/${accountId}/rotate`]);
    expect(sent.some((r) => r.path.includes(firstKey) || r.path.includes(secondKey))).toBe(false);
    await context.close();
  });

  it('shows a refused key as the mapped error in words, keeps the account as invalid_key, and refuses a bad rotation', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const name = `Broken OpenAI ${hex()}`;
    await signInAt(page, ws.users.admin);
    await fillOpenAIAccount(page, name, `sk-proj-test-invalid-${hex()}`);
    await page.getByTestId('vault-save').click();

    const panel = page.getByTestId('vault-add-panel');
    const panelError = panel.getByTestId('vault-error');
    await panelError.waitFor();
    expect((await panelError.innerText()).trim()).toBe('Invalid API key — verify the full key was copied');
    expect(await panel.innerText()).toContain('it starts with sk-proj-');
    const card = await accountCard(page, name);
    await card.locator('[data-testid="vault-status"][data-status="invalid_key"]').waitFor();
    expect((await card.getByTestId('vault-error').innerText()).trim()).toBe('Invalid API key — verify the full key was copied');
    expect((await card.getByTestId('vault-last-verified').innerText()).trim()).toBe('never');
    await screenshot(page, 'vault-error');

    // A refused key is not saved when rotating: the message says so, in words.
    await panel.getByRole('button', { name: 'Fix it later' }).click();
    await card.getByTestId('vault-rotate').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('vault-rotate-key').fill(`sk-proj-test-invalid-${hex()}`);
    await dialog.getByTestId('vault-rotate-submit').click();
    const refused = dialog.getByTestId('vault-error');
    await refused.waitFor();
    expect(await refused.innerText()).toContain('Invalid API key — verify the full key was copied');
    expect(await refused.innerText()).toContain('The previous key is still in use');
    await dialogShot(page, 'vault-rotate-refused');

    // A working key fixes the account in place.
    const goodKey = `sk-proj-test-browser-${hex()}`;
    await dialog.getByTestId('vault-rotate-key').fill(goodKey);
    await dialog.getByTestId('vault-rotate-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    await card.locator('[data-testid="vault-status"][data-status="active"]').waitFor();
    expect((await card.getByTestId('vault-key-hint').innerText()).trim()).toBe(hintOf(goodKey));
    expect(await card.getByTestId('vault-error').count()).toBe(0);
    await context.close();
  });

  it('shows a rate limit with its end time, warns when limits exceed what the provider grants, and restricts sharing', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const name = `Busy OpenAI ${hex()}`;
    await signInAt(page, ws.users.admin);
    await fillOpenAIAccount(page, name, `sk-proj-test-ratelimit-${hex()}`);
    await page.getByTestId('vault-save').click();

    const panel = page.getByTestId('vault-add-panel');
    await panel.getByTestId('vault-error').waitFor();
    expect((await panel.getByTestId('vault-error').innerText()).trim()).toBe('Rate limit exceeded — waiting and retrying');
    expect((await panel.innerText()).toLowerCase()).toContain('wait and retry; check your limits');
    const card = await accountCard(page, name);
    await card.locator('[data-testid="vault-status"][data-status="rate_limited"]').waitFor();
    expect((await card.getByTestId('vault-status').innerText()).trim()).toMatch(/^Rate limited until \d{2}:\d{2}$/);
    await screenshot(page, 'vault-rate-limited');
    await panel.getByRole('button', { name: 'Fix it later' }).click();

    // A working key: the provider now reports its limits (the fake grants 500 requests/min).
    await card.getByTestId('vault-rotate').click();
    await page.getByRole('dialog').getByTestId('vault-rotate-key').fill(`sk-proj-test-browser-${hex()}`);
    await page.getByRole('dialog').getByTestId('vault-rotate-submit').click();
    await card.locator('[data-testid="vault-status"][data-status="active"]').waitFor();
    await card.getByText('500 requests/min · 30,000 tokens/min').waitFor();

    await card.getByTestId('vault-open-limits').click();
    await card.getByTestId('vault-limit-rpm').fill('1000');
    await card.getByText(/1,000 requests\/min is more than the 500 the provider grants/).waitFor();
    await screenshot(page, 'vault-limits');
    await card.getByTestId('vault-limits-save').click();
    await card.locator('[data-testid="vault-warning"][data-code="limits_exceed_provider"]').waitFor();

    await card.getByTestId('vault-open-sharing').click();
    await card.getByTestId('vault-visibility-restricted').check();
    await card.locator(`[data-testid="vault-share-member"][data-user-id="${ws.users.member.id}"]`).check();
    await screenshot(page, 'vault-sharing');
    await card.getByTestId('vault-sharing-save').click();
    await card.getByTestId('vault-sharing').getByText('Restricted — 1 member, 0 API tokens').waitFor();
    await screenshot(page, 'vault-limits-warning');
    await context.close();
  });

  it('asks for the key again to move an account to another base URL, says why a URL is refused, and sends the new endpoint only the new key', async () => {
    const other = await startFakeOpenAI({ models: FAKE_MODELS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const sent: { method: string; path: string; body: string }[] = [];
    page.on('request', (req) => sent.push({ method: req.method(), path: new URL(req.url()).pathname, body: req.postData() ?? '' }));
    try {
      const storedKey = `sk-proj-test-browser-${hex()}`;
      const newKey = `sk-proj-test-browser-${hex()}`;
      const name = `Moving OpenAI ${hex()}`;
      await signInAt(page, ws.users.admin);
      await fillOpenAIAccount(page, name, storedKey);
      await page.getByTestId('vault-save').click();
      await page.getByTestId('vault-models').waitFor();
      await page.getByTestId('vault-add-panel').getByRole('button', { name: 'Skip' }).click();
      const card = await accountCard(page, name);
      await card.locator('[data-testid="vault-status"][data-status="active"]').waitFor();

      // Editing anything but the base URL asks for no key.
      await card.getByTestId('vault-open-settings').click();
      expect(await card.getByTestId('vault-edit-endpoint-key').count()).toBe(0);
      // A new base URL: the key is asked for again, with the reason; Save waits for it.
      await card.getByTestId('vault-edit-base-url').fill('http://169.254.169.254/v1');
      const keyField = card.getByTestId('vault-edit-endpoint-key');
      await keyField.waitFor();
      expect(await keyField.innerText()).toContain('bound to its current endpoint and is never sent anywhere else');
      expect(await card.getByTestId('vault-edit-save').isDisabled()).toBe(true);
      await card.getByTestId('vault-edit-endpoint-key-input').fill(newKey);
      expect(await card.getByTestId('vault-edit-endpoint-key-input').getAttribute('type')).toBe('password');
      await card.getByTestId('vault-edit-save').click();
      // A refused URL shows the server's reason next to the field.
      await card.getByText(/is never called: 169\.254\.169\.254 is a link-local or cloud metadata address/).waitFor();
      await screenshot(page, 'vault-base-url-refused');

      const otherUrl = other.url.replace('127.0.0.1', 'localhost');
      await card.getByTestId('vault-edit-base-url').fill(otherUrl);
      await card.getByTestId('vault-edit-endpoint-key-input').fill(newKey);
      await screenshot(page, 'vault-base-url-key-again');
      await card.getByTestId('vault-edit-save').click();
      await card.getByText(/^Saved: the account now calls the new base URL/).waitFor();
      await card.getByTestId('vault-key-hint').getByText(hintOf(newKey)).waitFor();

      // The new endpoint heard only the key given for it; the stored one never left for it.
      expect(other.requests.map((r) => r.key)).toEqual([newKey]);
      expect(fake.requests.some((r) => r.key === newKey)).toBe(false);
      const html = await page.content();
      for (const key of [storedKey, newKey]) expect(html).not.toContain(key);
      const accountId = await card.getAttribute('data-account-id');
      expect(sent.filter((r) => r.body.includes(newKey)).map((r) => `${r.method} ${r.path}`)).toEqual([
        `PATCH /api/v1/provider-accounts/${accountId}`,
        `PATCH /api/v1/provider-accounts/${accountId}`,
      ]);
    } finally {
      await context.close();
      await other.close();
    }
  });

  it('adds an OpenAI-compatible server without a key, edits, disables, enables and deletes it; adds a mock', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const name = `Local vLLM ${hex()}`;
    await signInAt(page, ws.users.admin);
    await page.getByTestId('vault-add').click();
    await page.getByTestId('vault-kind-openai-compatible').click();
    await page.getByTestId('vault-name').fill(name);
    await page.getByTestId('vault-base-url').fill(fake.url);
    await page.getByTestId('vault-save').click();
    await page.getByTestId('vault-models').waitFor();
    await page.getByTestId('vault-add-panel').getByRole('button', { name: 'Skip' }).click();

    const card = await accountCard(page, name);
    await card.locator('[data-testid="vault-status"][data-status="active"]').waitFor();
    expect((await card.getByTestId('vault-key-hint').innerText()).trim()).toBe('No key (server without authentication)');

    await card.getByTestId('vault-open-settings').click();
    await card.getByTestId('vault-edit-default-model').selectOption('gpt-4o');
    await card.getByTestId('vault-edit-save').click();
    await card.getByText('Settings saved.').waitFor();
    await card.getByText('gpt-4o', { exact: true }).first().waitFor();

    await card.getByTestId('vault-disable').click();
    await page.getByRole('dialog').getByTestId('confirm-accept').click();
    await card.locator('[data-testid="vault-status"][data-status="disabled"]').waitFor();
    expect(await card.getByTestId('vault-verify').isDisabled()).toBe(true);
    await card.getByTestId('vault-enable').click();
    await card.locator('[data-testid="vault-status"][data-status="active"]').waitFor();

    await card.getByTestId('vault-delete').click();
    const confirm = page.getByRole('dialog');
    expect(await confirm.innerText()).toContain(name);
    await confirm.getByTestId('confirm-accept').click();
    await card.waitFor({ state: 'detached' });

    // The built-in mock needs neither key nor URL.
    const mockName = `Demo mock ${hex()}`;
    await page.getByTestId('vault-add').click();
    await page.getByTestId('vault-kind-mock').click();
    expect(await page.getByTestId('vault-api-key').count()).toBe(0);
    await page.getByTestId('vault-name').fill(mockName);
    await page.getByTestId('vault-save').click();
    await page.getByTestId('vault-models').getByText('mock-smart').waitFor();
    await page.getByTestId('vault-default-model').selectOption('mock-smart');
    await page.getByTestId('vault-default-model-save').click();
    await (await accountCard(page, mockName)).getByText('mock-smart', { exact: true }).first().waitFor();
    await context.close();
  });

  it('sets, refuses and clears an OpenAI admin key without ever showing it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const traffic = recordTraffic(page);
    const name = `Costed OpenAI ${hex()}`;
    const adminKey = `sk-admin-test-browser-${hex()}`;
    await signInAt(page, ws.users.admin);
    await fillOpenAIAccount(page, name, `sk-proj-test-browser-${hex()}`);
    await page.getByTestId('vault-save').click();
    await page.getByTestId('vault-models').waitFor();
    await page.getByTestId('vault-add-panel').getByRole('button', { name: 'Skip' }).click();
    const card = await accountCard(page, name);

    await card.getByTestId('vault-open-admin-key').click();
    await card.getByTestId('vault-admin-key').fill(`sk-proj-not-an-admin-key-${hex()}`);
    await card.getByTestId('vault-admin-key-save').click();
    await card.getByText(/must be an OpenAI admin key/).waitFor();
    expect(await card.getByTestId('vault-admin-key').inputValue()).toBe('');

    await card.getByTestId('vault-admin-key').fill(adminKey);
    await card.getByTestId('vault-admin-key-save').click();
    await card.getByText(`sk-admin-…${adminKey.slice(-4)}`).first().waitFor();
    await card.getByTestId('vault-open-admin-key').click();
    await screenshot(page, 'vault-admin-key');
    await card.getByTestId('vault-admin-key-clear').click();
    await page.getByRole('dialog').getByTestId('confirm-accept').click();
    await card.getByText('Not set — costs are estimates').waitFor();

    await page.waitForLoadState('networkidle');
    expect(await page.content()).not.toContain(adminKey);
    expect(traffic.bodies.filter((b) => b.body.includes(adminKey)).map((b) => b.url)).toEqual([]);
    await context.close();
  });

  it('lets a viewer see the accounts but not add, verify, rotate or delete them', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInAt(page, ws.users.viewer);
    const mock = await accountCard(page, 'Mock provider');
    await mock.waitFor();
    await mock.locator('[data-testid="vault-status"][data-status="active"]').waitFor();
    expect(await page.getByTestId('vault-account').count()).toBeGreaterThanOrEqual(1);
    for (const id of ['vault-add', 'vault-verify', 'vault-rotate', 'vault-delete', 'vault-disable', 'vault-open-limits']) {
      expect(await page.getByTestId(id).count()).toBe(0);
    }
    expect(await page.getByTestId('vault-billing-note').innerText()).toContain('never shown again');
    await screenshot(page, 'vault-viewer');
    await context.close();
  });

  it('warns about a default model the provider does not list, and says what to do about a model list that is empty', async () => {
    const owner = await signIn(api.url, ws.users.owner);
    const create = (name: string, defaultModel: string) =>
      as(owner).post('/api/v1/provider-accounts', { name, kind: 'openai', baseUrl: fake.url, apiKey: `sk-proj-test-browser-${hex()}`, defaultModel });
    const unlisted = `Unlisted default ${hex()}`;
    expect((await create(unlisted, 'gpt-imaginary')).status).toBe(201);
    fake.respondWith((request) => (request.path === '/v1/models' ? { status: 200, body: { object: 'list', data: [] } } : undefined));
    const empty = `Lists nothing ${hex()}`;
    try {
      expect((await create(empty, 'gpt-4o')).status).toBe(201);
    } finally {
      fake.respondWith(null);
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInAt(page, ws.users.owner);
    const warned = await accountCard(page, unlisted);
    await warned.locator('[data-testid="vault-warning"][data-code="default_model_not_listed"]').getByText('"gpt-imaginary" is not among the models').waitFor();
    await warned.locator('[data-testid="vault-status"][data-status="active"]').waitFor();
    const refused = await accountCard(page, empty);
    await refused.locator('[data-testid="vault-status"][data-status="unverified"]').waitFor();
    await refused.locator('.provider-error[data-code="empty_model_list"]').getByText('platform.openai.com › Settings › Project').waitFor();
    await screenshot(page, 'vault-model-list-warnings');
    await context.close();
  });
});
