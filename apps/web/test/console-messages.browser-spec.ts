import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { as, type SeededUser } from '../../../test/support/api.js';
import { launchBrowser, screenshot, signInThroughConsole } from '../../../test/support/browser.js';
import { eventually, waitForRun } from '../../../test/support/runs.js';
import { type Stack, startStack } from '../../../test/support/stack.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const hex = () => randomBytes(3).toString('hex');

/**
 * Forms and messages: rules from the API's document with messages that leave when the field is fixed, account pickers
 * that do not offer accounts that cannot run, a warning before running an unpriced model, a refused Copilot message
 * that links to its budget, and budget banners a person can dismiss (remembered per user).
 */
describe('console forms and messages in a real browser', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack({ apiEnv: { VAULTRUN_CONSOLE_DIST: consoleDist } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function signedIn(user: SeededUser, path: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInThroughConsole(page, stack.api.url, user, path);
    return page;
  }

  it('checks the operator form with the API’s rules, and each message leaves as soon as its field is fixed', async () => {
    const page = await signedIn(stack.ws.users.member, '/operators');
    await page.getByTestId('operator-new').click();
    await page.getByTestId('operator-temperature').fill('7');
    await page.getByTestId('operator-max-tokens').fill('0');
    await page.getByTestId('operator-save').click();
    const form = page.getByTestId('operator-new-panel');
    // Name: minLength 1; temperature: 0–2; max output tokens: 1–200,000 — all from apps/api/openapi.json.
    await form.getByText('Required.').waitFor();
    await form.getByText('A number from 0 to 2.').waitFor();
    await form.getByText('A number from 1 to 200,000.').waitFor();
    await screenshot(page, 'operator-form-rules');
    await page.getByTestId('operator-temperature').fill('0.5');
    await form.getByText('A number from 0 to 2.').waitFor({ state: 'detached' });
    // The others are still wrong: still said.
    expect(await form.getByText('Required.').count()).toBe(1);
    expect(await form.getByText('A number from 1 to 200,000.').count()).toBe(1);
    await page.getByTestId('operator-name').fill(`Fixed ${hex()}`);
    await page.getByTestId('operator-max-tokens').fill('300');
    await form.getByText('Fix the fields marked above to save.').waitFor({ state: 'detached' });
    await page.getByTestId('operator-save').click();
    await page.getByTestId('operator-row').first().waitFor();
    await page.context().close();
  });

  it('does not offer accounts that cannot run unless asked, and marks them; warns before running or comparing a model without a price', async () => {
    const admin = as(stack.admin);
    const make = async (name: string, status: string) => {
      const res = await admin.post('/api/v1/provider-accounts', { name, kind: 'mock' });
      expect(res.status).toBe(201);
      await stack.api.db.query(`UPDATE provider_accounts SET status = $2 WHERE id = $1`, [res.body.id, status]);
      return res.body.id as string;
    };
    const refused = await make(`Refused key ${hex()}`, 'invalid_key');
    const broke = await make(`No quota ${hex()}`, 'quota_exhausted');
    const off = await make(`Switched off ${hex()}`, 'disabled');
    const operator = await admin.post('/api/v1/operators', { name: `Picker ${hex()}`, instructions: 'Answer.' });
    expect(operator.status).toBe(201);

    const page = await signedIn(stack.ws.users.admin, '/operators');
    // The operators table shows one row per operator; its card (with Run) opens from the row.
    const listRow = page.locator('[data-testid="operator-list-row"]').filter({ has: page.getByText(operator.body.name, { exact: true }) });
    await listRow.first().getByTestId('operator-list-toggle').click();
    const row = page.locator(`[data-testid="operator-row"][data-operator-id="${operator.body.id}"]`);
    await row.getByTestId('operator-run').click();
    await page.getByTestId('run-advanced').click();
    const picker = page.getByTestId('run-account');
    const offered = () => picker.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect((await offered()).some((id) => [refused, broke, off].includes(id))).toBe(false);
    await page.getByTestId('run-account-show-all').click();
    expect(await offered()).toEqual(expect.arrayContaining([refused, broke, off]));
    const marked = picker.locator('optgroup[label="Cannot run now"] option');
    expect(await marked.count()).toBe(3);
    expect(await picker.locator(`option[value="${off}"]`).isDisabled()).toBe(true);
    expect(await picker.locator(`option[value="${refused}"]`).innerText()).toMatch(/cannot run/);

    // A model the mock does not price: said before the run, and the button says so too.
    expect(await page.getByTestId('no-price-warning').count()).toBe(0);
    await page.getByTestId('run-model').fill('mock-unpriced');
    const warning = page.getByTestId('no-price-warning');
    await warning.waitFor();
    expect(await warning.innerText()).toContain('No price for mock-unpriced');
    expect(await page.getByTestId('run-submit').innerText()).toBe('Start run without a price');
    await screenshot(page, 'run-form-no-price');
    await page.getByTestId('run-model').fill('mock-fast');
    await warning.waitFor({ state: 'detached' });
    expect(await page.getByTestId('run-submit').innerText()).toBe('Start run');

    // A comparison against an OpenAI-compatible account: its models are priced only by overrides.
    const compatible = await admin.post('/api/v1/provider-accounts', { name: `Local vLLM ${hex()}`, kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', defaultModel: 'llama-3-8b', verify: false });
    expect(compatible.status).toBe(201);
    await page.goto(`${stack.api.url}/comparisons`);
    await page.getByTestId('comparison-live-account').selectOption(compatible.body.id);
    await page.getByTestId('no-price-warning').waitFor();
    expect(await page.getByTestId('comparison-submit').innerText()).toBe('Compare without a price');
    await page.context().close();
  });

  it('links a Copilot message refused by a budget to that budget', async () => {
    const budget = await as(stack.admin).post('/api/v1/budgets', { name: `Copilot pennies ${hex()}`, scope: { type: 'workspace', id: null }, period: 'month', capMicroUsd: 1 });
    expect(budget.status).toBe(201);
    try {
      const mission = await as(stack.member).post('/api/v1/missions', { title: `Refused ${hex()}` });
      expect(mission.status).toBe(201);
      const page = await signedIn(stack.ws.users.member, `/missions/${mission.body.id}`);
      await page.getByTestId('mission-message-input').fill('Summarise the week.');
      await page.getByTestId('mission-send').click();
      // The API refuses it at once (402): the alert names the budget and links to it.
      const link = page.getByTestId('problem-budget-link');
      await link.waitFor();
      expect(await link.getAttribute('href')).toBe(`/budgets#budget-${budget.body.id}`);
      expect(await link.innerText()).toContain(budget.body.name);
      await screenshot(page, 'missions-copilot-refused');
      await page.context().close();
    } finally {
      await as(stack.admin).delete(`/api/v1/budgets/${budget.body.id}`);
    }
  });

  it('lets each person dismiss a budget banner; it stays dismissed for them, and shows again for someone else', async () => {
    const admin = as(stack.admin);
    // Expensive mock-fast ($100 per 1M output tokens) and a $0.10 budget alerting at 1%: one run passes the threshold.
    const price = await admin.post('/api/v1/price-overrides', { model: 'mock-fast', inputMicroUsdPerM: 1_000_000, outputMicroUsdPerM: 100_000_000 });
    expect(price.status).toBe(201);
    const budget = await admin.post('/api/v1/budgets', { name: `Alerting ${hex()}`, scope: { type: 'workspace', id: null }, period: 'month', capMicroUsd: 100_000, softThresholdPct: 1 });
    expect(budget.status).toBe(201);
    try {
      const operator = await admin.post('/api/v1/operators', { name: `Spender ${hex()}`, instructions: 'Answer in one sentence.', maxOutputTokens: 100 });
      const run = await admin.post('/api/v1/runs', { operatorId: operator.body.id, input: 'Spend a little.' });
      expect(await waitForRun(admin, run.body.id)).toMatchObject({ status: 'succeeded' });
      await eventually(async () => (await admin.get(`/api/v1/budgets/${budget.body.id}`)).body, (b) => b.currentPeriod.softThresholdReached, 'the soft threshold');

      const page = await signedIn(stack.ws.users.admin, '/runs');
      const banner = page.getByTestId('budget-banner');
      await banner.waitFor();
      await page.getByTestId('budget-banner-dismiss').click();
      await banner.waitFor({ state: 'detached' });
      await page.reload();
      await page.getByTestId('runs-live').waitFor();
      await page.getByTestId('nav-budgets').click();
      await page.getByTestId('budget-row-toggle').first().waitFor();
      expect(await banner.count()).toBe(0);
      const stored = await page.evaluate((id) => localStorage.getItem(`vaultrun.dismissed.${id}`), stack.ws.users.admin.id);
      expect(JSON.parse(stored!)).toEqual([expect.stringContaining(`budget-soft:${budget.body.id}:`)]);
      await page.context().close();

      // Another person on their own browser still sees it.
      const other = await signedIn(stack.ws.users.owner, '/runs');
      await other.getByTestId('budget-banner').waitFor();
      await other.context().close();
    } finally {
      await admin.delete(`/api/v1/budgets/${budget.body.id}`);
      await admin.delete(`/api/v1/price-overrides/${price.body.id}`);
    }
  });

  describe('without a worker', () => {
    let idle: Stack;
    beforeAll(async () => {
      idle = await startStack({ apiEnv: { VAULTRUN_CONSOLE_DIST: consoleDist }, inProcessWorker: false });
    });
    afterAll(async () => {
      await idle?.close();
    });

    it('links a Copilot message whose run a budget blocked to that budget', async () => {
      const budget = await as(idle.admin).post('/api/v1/budgets', { name: `Blocking ${hex()}`, scope: { type: 'workspace', id: null }, period: 'month', capMicroUsd: 50_000_000 });
      const mission = await as(idle.member).post('/api/v1/missions', { title: `Blocked ${hex()}` });
      const sent = await as(idle.member).post(`/api/v1/missions/${mission.body.id}/messages`, { content: 'Summarise the week.' });
      expect([budget.status, mission.status, sent.status]).toEqual([201, 201, 202]);
      const detail = (await as(idle.member).get(`/api/v1/missions/${mission.body.id}`)).body;
      const runId = detail.messages.find((m: { copilotRun?: { id: string } }) => m.copilotRun)!.copilotRun.id;
      // No worker here: the run waits queued, and is given the outcome the engine gives a run its budget refuses.
      await idle.api.db.query(`UPDATE runs SET status = 'blocked', blocked_budget_id = $2, status_reason = 'Budget exhausted' WHERE id = $1`, [runId, budget.body.id]);

      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await signInThroughConsole(page, idle.api.url, idle.ws.users.member, `/missions/${mission.body.id}`);
      const link = page.getByTestId('chat-blocked-by').getByTestId('run-blocked-budget-link');
      await link.waitFor();
      expect(await link.getAttribute('href')).toBe(`/budgets#budget-${budget.body.id}`);
      expect(await link.innerText()).toBe(budget.body.name);
      await screenshot(page, 'missions-copilot-blocked');
      await context.close();
    });
  });
});
