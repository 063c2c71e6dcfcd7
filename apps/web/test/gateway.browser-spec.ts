/**
 * The console's Gateway page in a real browser: the base URL and snippets (a placeholder token, never a secret), the
 * model routes editor (client-side rules from the API's schema, a server refusal shown on its field, targets
 * reordered, accounts that cannot run marked), then a real call with the official `openai` SDK through the gateway to
 * the fake provider, seen in Recent calls and in the per-token usage with its cost label; the route edited and
 * deleted; a viewer reads the page without editing.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { as } from '../../../test/support/api.js';
import { launchBrowser, screenshot, signInThroughConsole } from '../../../test/support/browser.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { gatewayClient } from '../../../test/support/gateway.js';
import { eventually } from '../../../test/support/runs.js';
import { type Stack, startStack } from '../../../test/support/stack.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const hex = () => randomBytes(3).toString('hex');

describe('the Gateway page in a real browser', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let browser: Browser;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ['gpt-4o-mini'] });
    // A gateway call needs no worker: the API serves /v1 and records the call itself.
    stack = await startStack({ inProcessWorker: false, apiEnv: { VAULTRUN_CONSOLE_DIST: consoleDist } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await fake?.close();
  });

  const targetRows = (page: Page) => page.getByTestId('route-editor').getByTestId('route-target');

  it('creates a route in the editor (rules, a server refusal on its field, reordering); an SDK call through it shows in recent calls and usage with its cost label; edit, delete; a viewer only reads', async () => {
    const admin = as(stack.admin);
    const live = await admin.post('/api/v1/provider-accounts', { name: `Team OpenAI ${hex()}`, kind: 'openai', baseUrl: fake.url, apiKey: `sk-proj-console-${hex()}000000000000`, defaultModel: 'gpt-4o-mini', verify: false });
    expect(live.status).toBe(201);
    // An account whose key the provider refused: offered only behind "show the accounts that cannot run", and marked.
    const refused = await admin.post('/api/v1/provider-accounts', { name: `Old key ${hex()}`, kind: 'mock' });
    expect(refused.status).toBe(201);
    await stack.api.db.query(`UPDATE provider_accounts SET status = 'invalid_key' WHERE id = $1`, [refused.body.id]);
    const taken = await admin.post('/api/v1/gateway/routes', { name: `taken-${hex()}`, targets: [{ accountId: stack.ws.mockAccountId, model: 'mock-fast' }] });
    expect(taken.status).toBe(201);
    const info = (await admin.get('/api/v1/gateway')).body;

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInThroughConsole(page, stack.api.url, stack.ws.users.admin, '/gateway');

    // Connect an app: the base URL the API gives, snippets with a placeholder token.
    expect(await page.getByTestId('gateway-base-url').innerText()).toBe(info.baseUrl);
    for (const tab of ['curl', 'node', 'python', 'ai-sdk']) {
      await page.getByTestId(`gateway-snippet-tab-${tab}`).click();
      const code = await page.getByTestId('gateway-snippet').innerText();
      expect(code).toContain(info.baseUrl);
      expect(code).toContain('vr_…');
      expect(code).not.toMatch(/vr_[A-Za-z0-9]{8}/);
    }

    // A new route. The name with a space breaks the API's pattern: refused before any request, on the field; the
    // message leaves as the field is fixed.
    const routeName = `fast-${hex()}`;
    await page.getByTestId('route-new').click();
    await page.getByTestId('route-name').fill(`fast ${hex()}`);
    await targetRows(page).nth(0).getByTestId('route-target-account').selectOption(live.body.id);
    await targetRows(page).nth(0).getByTestId('route-target-model').fill('gpt-4o-mini');
    // A fallback target without an account: the schema's uuid rule, on that target's field.
    await page.getByTestId('route-target-add').click();
    let posted = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/gateway/routes')) posted++;
    });
    await page.getByTestId('route-save').click();
    await page.getByTestId('route-name-error').waitFor();
    expect(await page.getByTestId('route-name-error').innerText()).toMatch(/without spaces/);
    expect(await targetRows(page).nth(1).getByTestId('route-target-account-error').innerText()).toBe('Choose one from the list.');
    expect(posted).toBe(0);
    await page.getByTestId('route-name').fill(routeName);
    await page.getByTestId('route-name-error').waitFor({ state: 'detached' });

    // The account that cannot run is behind a button, then offered marked as such.
    const second = targetRows(page).nth(1);
    expect(await second.locator(`option[value="${refused.body.id}"]`).count()).toBe(0);
    await second.getByTestId('route-target-account-show-all').click();
    expect(await second.locator(`option[value="${refused.body.id}"]`).getAttribute('data-cannot-run')).toBe('true');
    await second.getByTestId('route-target-account').selectOption(refused.body.id);
    await second.getByTestId('route-target-cannot-run').waitFor();
    await second.getByTestId('route-target-account').selectOption(stack.ws.mockAccountId);
    await second.getByTestId('route-target-model').fill('mock-fast');
    await second.getByTestId('route-target-account-error').waitFor({ state: 'detached' });

    // Reorder: the fallback moves up, then back down.
    await second.getByTestId('route-target-up').click();
    expect(await targetRows(page).nth(0).getByTestId('route-target-model').inputValue()).toBe('mock-fast');
    await targetRows(page).nth(0).getByTestId('route-target-down').click();
    expect(await targetRows(page).nth(0).getByTestId('route-target-model').inputValue()).toBe('gpt-4o-mini');

    // A name another route has: the server's 409 is shown on the name field; fixing the name clears it.
    await page.getByTestId('route-name').fill(taken.body.name);
    await page.getByTestId('route-save').click();
    await page.getByTestId('route-name-error').filter({ hasText: 'already exists' }).waitFor();
    expect(posted).toBe(1);
    await page.getByTestId('route-name').fill(routeName);
    await page.getByTestId('route-name-error').waitFor({ state: 'detached' });
    await page.getByTestId('route-save').click();
    const row = page.locator(`[data-testid="route-row"][data-route-name="${routeName}"]`);
    await row.waitFor();
    expect(await row.getByTestId('route-row-target').allInnerTexts()).toEqual([expect.stringContaining('gpt-4o-mini'), expect.stringContaining('mock-fast')]);
    const saved = (await admin.get('/api/v1/gateway/routes')).body.items.find((r: { name: string }) => r.name === routeName);
    expect(saved.targets.map((t: { accountId: string; model: string }) => [t.accountId, t.model])).toEqual([
      [live.body.id, 'gpt-4o-mini'],
      [stack.ws.mockAccountId, 'mock-fast'],
    ]);

    // An app's key, made in the console: an API token with the inference scope, allowed this route only.
    const tokenName = `Support bot ${hex()}`;
    await page.goto(`${stack.api.url}/tokens`);
    await page.getByTestId('token-name').fill(tokenName);
    await page.getByTestId('token-scope-read').uncheck();
    await page.getByTestId('token-scope-inference').check();
    await page.getByTestId('token-allowed-models').fill(routeName);
    await page.getByTestId('token-create').click();
    const secret = await page.getByTestId('token-secret').innerText();
    expect(secret).toMatch(/^vr_/);
    const created = (await admin.get('/api/v1/tokens')).body.items.find((t: { name: string }) => t.name === tokenName);
    expect([created.scopes, created.allowedModels]).toEqual([['inference'], [routeName]]);
    const token = { id: created.id as string, token: secret };
    await page.getByTestId('token-secret-dismiss').click();

    // A real app call: the official SDK, the route's name, that token — served by the fake through the first target.
    // A model outside the token's allow-list is refused (403), so the list is in force.
    const client = gatewayClient(stack.api.url, token.token, { maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'not allowed' }] })).rejects.toMatchObject({ status: 403 });
    const { data: answer, response } = await client.chat.completions.create({ model: routeName, messages: [{ role: 'user', content: 'Hello from the console test' }], max_tokens: 50 }).withResponse();
    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect(response.headers.get('x-vaultrun-account')).toBe(live.body.name);
    const runId = response.headers.get('x-vaultrun-request-id');
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    const record = await eventually(() => admin.get(`/api/v1/runs/${runId}`).then((r) => r.body), (r) => r.status === 'succeeded' && !!r.costLabel, `record ${runId}`);
    expect(record.kind).toBe('gateway');

    await page.getByTestId('nav-gateway').click();
    await page.waitForURL((u) => u.pathname === '/gateway');
    // Recent calls (read again every few seconds): the call, the account and model that served it, its latency and its labelled cost.
    const call = page.locator(`[data-testid="call-row"][data-run-id="${runId}"]`);
    await call.locator(`[data-testid="call-cost"][data-label="${record.costLabel}"]`).waitFor({ timeout: 30_000 });
    expect(await call.getByTestId('call-account').innerText()).toBe(live.body.name);
    expect(await call.getByTestId('call-model').innerText()).toBe('gpt-4o-mini');
    expect(await call.getByTestId('call-cost').getAttribute('data-micro-usd')).toBe(String(record.costMicroUsd));
    expect(await call.getByTestId('call-latency').getAttribute('data-total')).toBe(String(record.gateway.totalMs));

    // Usage by token: one call, its tokens, its cost under its label.
    const usage = page.locator(`[data-testid="usage-row"][data-token-id="${token.id}"]`);
    await usage.waitFor({ timeout: 30_000 });
    expect(await usage.getAttribute('data-calls')).toBe('1');
    const tokens = usage.getByTestId('usage-tokens');
    expect([await tokens.getAttribute('data-input'), await tokens.getAttribute('data-output')]).toEqual([String(record.usage.inputTokens), String(record.usage.outputTokens)]);
    const labelled = usage.locator(`[data-testid="usage-cost-label"][data-label="${record.costLabel}"]`);
    expect([await labelled.getAttribute('data-calls'), await labelled.getAttribute('data-micro-usd')]).toEqual(['1', String(record.costMicroUsd)]);
    await screenshot(page, 'gateway-page-desktop');

    // The page never received the token itself (only its prefix) after the Tokens page dismissed it.
    expect(await page.content()).not.toContain(secret);

    // The call links to its run.
    await call.getByTestId('call-link').click();
    await page.waitForURL((u) => u.pathname === `/runs/${runId}`);

    // Edit: the fallback removed. Delete: gone from the list and from the API.
    await page.goto(`${stack.api.url}/gateway`);
    await row.getByTestId('route-edit').click();
    expect(await page.getByTestId('route-editor').getByTestId('route-name').inputValue()).toBe(routeName);
    await targetRows(page).nth(1).getByTestId('route-target-remove').click();
    await page.getByTestId('route-save').click();
    await page.getByTestId('route-editor').waitFor({ state: 'detached' });
    await row.getByTestId('route-row-target').nth(1).waitFor({ state: 'detached' });
    expect((await admin.get(`/api/v1/gateway/routes/${saved.id}`)).body.targets.map((t: { model: string }) => t.model)).toEqual(['gpt-4o-mini']);
    await row.getByTestId('route-delete').click();
    await page.getByRole('dialog').getByTestId('confirm-accept').click();
    await row.waitFor({ state: 'detached' });
    expect((await admin.get(`/api/v1/gateway/routes/${saved.id}`)).status).toBe(404);
    await context.close();

    // A viewer reads the page — routes, usage, calls — but is offered no editing.
    const viewerContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const viewerPage = await viewerContext.newPage();
    await signInThroughConsole(viewerPage, stack.api.url, stack.ws.users.viewer, '/gateway');
    await viewerPage.locator(`[data-testid="route-row"][data-route-name="${taken.body.name}"]`).waitFor();
    await viewerPage.locator(`[data-testid="call-row"][data-run-id="${runId}"]`).waitFor();
    await viewerPage.locator(`[data-testid="usage-row"][data-token-id="${token.id}"]`).waitFor();
    expect(await viewerPage.getByTestId('route-new').count()).toBe(0);
    expect(await viewerPage.getByTestId('route-edit').count()).toBe(0);
    await viewerContext.close();
  });
});
