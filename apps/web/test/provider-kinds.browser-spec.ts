/**
 * The add-account stepper for the newer kinds in a real browser: an Anthropic account (the key checked for its shape,
 * verified against the fake Anthropic API through @anthropic-ai/sdk, a Claude default model suggested from the list),
 * an Azure OpenAI resource (endpoint, api-version, deployments) and an OpenAI-compatible preset.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { seedWorkspace, startTestApi, type SeededWorkspace, type TestApi } from '../../../test/support/api.js';
import { launchBrowser, recordTraffic, screenshot, signInThroughConsole } from '../../../test/support/browser.js';
import { type FakeAnthropic, startFakeAnthropic } from '../../../test/support/fake-anthropic.js';
import { type FakeAzureOpenAI, startFakeAzureOpenAI } from '../../../test/support/fake-azure-openai.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const hex = () => randomBytes(6).toString('hex');
const accountCard = (page: Page, name: string) => page.getByTestId('vault-account').filter({ has: page.getByRole('heading', { name, exact: true }) });

describe('adding the newer provider kinds in a real browser', () => {
  let api: TestApi;
  let ws: SeededWorkspace;
  let browser: Browser;
  let anthropic: FakeAnthropic;
  let azure: FakeAzureOpenAI;

  beforeAll(async () => {
    [anthropic, azure] = await Promise.all([startFakeAnthropic({ models: ['claude-opus-4-5', 'claude-haiku-4-5-20251001', 'claude-sonnet-4-5'] }), startFakeAzureOpenAI()]);
    api = await startTestApi({ VAULTRUN_CONSOLE_DIST: consoleDist });
    ws = await seedWorkspace(api.db, 'Providers Browser Co');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await Promise.all([anthropic?.close(), azure?.close()]);
  });

  async function openStepper(page: Page, kind: string) {
    await signInThroughConsole(page, api.url, ws.users.admin, '/vault');
    await page.getByTestId('vault-billing-note').waitFor();
    await page.getByTestId('vault-add').click();
    await page.getByTestId(`vault-kind-${kind}`).click();
  }

  it('adds an Anthropic account through the stepper: the key checked, verified, a Claude model chosen — the key never shown', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const traffic = recordTraffic(page);
    const sent: { path: string; body: string }[] = [];
    page.on('request', (req) => sent.push({ path: new URL(req.url()).pathname, body: req.postData() ?? '' }));
    const name = `Team Claude ${hex()}`;
    const key = `sk-ant-api03-browser-${hex()}${hex()}`;

    await openStepper(page, 'anthropic');
    await page.getByTestId('vault-name').fill(name);
    expect(await page.getByTestId('vault-api-key').getAttribute('placeholder')).toBe('sk-ant-api03-…');
    expect(await page.getByTestId('vault-add-panel').innerText()).toContain('console.anthropic.com › API keys');
    await page.getByTestId('vault-advanced').click();
    await page.getByTestId('vault-base-url').fill(anthropic.url);

    // An OpenAI key pasted by mistake: refused in words on the key field, and cleared.
    const openaiKey = `sk-proj-${hex()}${hex()}`;
    await page.getByTestId('vault-api-key').fill(openaiKey);
    await page.getByTestId('vault-save').click();
    await page.getByText('looks like an OpenAI project key (sk-proj-…), not an Anthropic key (sk-ant-api…). Paste the key from Anthropic').waitFor();
    expect(await page.getByTestId('vault-api-key').inputValue()).toBe('');
    expect(anthropic.requests).toEqual([]);
    await screenshot(page, 'providers-anthropic-wrong-key');

    await page.getByTestId('vault-api-key').fill(key);
    await screenshot(page, 'providers-anthropic-form');
    await page.getByTestId('vault-save').click();
    const models = page.getByTestId('vault-models');
    await models.waitFor();
    for (const m of ['claude-opus-4-5', 'claude-haiku-4-5-20251001', 'claude-sonnet-4-5']) await expect(models.getByText(m, { exact: true }).count()).resolves.toBe(1);
    // The suggestion: a small current Claude model (a dated snapshot counts as its family).
    expect(await page.getByTestId('vault-default-model').inputValue()).toBe('claude-haiku-4-5-20251001');
    await screenshot(page, 'providers-anthropic-models');
    await page.getByTestId('vault-default-model-save').click();
    await page.getByTestId('vault-add-panel').waitFor({ state: 'detached' });

    const card = accountCard(page, name);
    await card.locator('[data-testid="vault-status"][data-status="active"]').waitFor();
    expect(await card.innerText()).toContain('Anthropic');
    expect((await card.getByTestId('vault-key-hint').innerText()).trim()).toBe(`sk-ant-api…${key.slice(-4)}`);
    // Anthropic's own limits, read from its anthropic-ratelimit-* headers.
    await card.getByText('50 requests/min · 40,000 tokens/min').waitFor();
    // Cost sync is offered, through an Anthropic Admin API key.
    expect(await card.getByTestId('cost-sync').innerText()).toContain("Anthropic's bill");
    await card.getByTestId('vault-open-admin-key').click();
    expect(await card.getByTestId('vault-admin-key').getAttribute('placeholder')).toBe('sk-ant-admin01-…');
    expect(await card.innerText()).toContain('An Anthropic Admin API key (it starts with sk-ant-admin)');
    await screenshot(page, 'providers-anthropic-card');

    expect(anthropic.requests.map((r) => [r.pathname, r.key])).toEqual([['/v1/models', key]]);
    const html = await page.content();
    expect(html).not.toContain(key);
    expect(traffic.bodies.filter((b) => b.body.includes(key)).map((b) => b.url)).toEqual([]);
    expect(sent.filter((r) => r.body.includes(key)).map((r) => r.path)).toEqual(['/api/v1/provider-accounts']);
    await context.close();
  });

  it('adds an Azure OpenAI resource: endpoint and key in the main step, api-version under Advanced, deployments listed', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const name = `Azure prod ${hex()}`;
    await openStepper(page, 'azure-openai');
    await page.getByTestId('vault-name').fill(name);
    await page.getByTestId('vault-base-url').fill(azure.url);
    await page.getByTestId('vault-api-key').fill(`${hex()}${hex()}${hex()}`);
    await page.getByTestId('vault-advanced').click();
    await page.getByTestId('vault-api-version').fill('2025-04-01-preview');
    await page.getByTestId('vault-save').click();
    await page.getByText('Connected. The provider listed 2 deployments').waitFor();
    expect(await page.getByTestId('vault-default-model').inputValue()).toBe('gpt-4o-mini');
    await page.getByTestId('vault-default-model-save').click();
    const card = accountCard(page, name);
    await card.locator('[data-testid="vault-status"][data-status="active"]').waitFor();
    expect(await card.innerText()).toContain('api-version 2025-04-01-preview');
    expect(await card.getByTestId('vault-cost-reporting').innerText()).toContain('Costs stay Estimated by Vaultrun');
    expect(await card.getByTestId('vault-open-admin-key').count()).toBe(0);
    await screenshot(page, 'providers-azure-card');
    await context.close();
  });

  it('a preset fills in the base URL and asks for its key', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await openStepper(page, 'openai-compatible');
    await page.getByTestId('vault-preset-groq').click();
    expect(await page.getByTestId('vault-base-url').inputValue()).toBe('https://api.groq.com/openai/v1');
    expect(await page.getByTestId('vault-name').inputValue()).toBe('Groq');
    expect(await page.getByTestId('vault-api-key').getAttribute('placeholder')).toBe('gsk_…');
    // A hosted preset needs its key before it can be saved.
    expect(await page.getByTestId('vault-save').isDisabled()).toBe(true);
    await screenshot(page, 'providers-preset');
    await page.getByTestId('vault-preset-ollama').click();
    expect(await page.getByTestId('vault-base-url').inputValue()).toBe('http://localhost:11434/v1');
    expect(await page.getByTestId('vault-save').isDisabled()).toBe(false);
    await context.close();
  });
});
