import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { as, type SeededUser } from '../../../test/support/api.js';
import { launchBrowser, screenshot, signInThroughConsole, unreadable } from '../../../test/support/browser.js';
import { waitForRun, waitUntil } from '../../../test/support/runs.js';
import { startStack, type Stack } from '../../../test/support/stack.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const hex = () => randomBytes(3).toString('hex');
const RUN_PAGE = /\/runs\/[0-9a-f-]{36}$/;

describe('Operators and Runs in a real browser', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    // API and an in-process worker on their own database and the same Redis prefix (test/support/stack.ts).
    stack = await startStack({ apiEnv: { VAULTRUN_CONSOLE_DIST: consoleDist }, workerEnv: { VAULTRUN_RECONCILE_EVERY_MS: '500' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const signInAt = (page: Page, user: SeededUser, path: string) => signInThroughConsole(page, stack.api.url, user, path);

  const statusIs = (page: Page, testId: string, status: string) => page.locator(`[data-testid="${testId}"][data-status="${status}"]`);
  const operatorRow = (page: Page, name: string) => page.getByTestId('operator-row').filter({ has: page.getByRole('heading', { name, exact: true }) });
  /** An operator's card: its row in the operators table, opened (a new operator's row opens by itself). */
  async function openOperator(page: Page, name: string) {
    const card = operatorRow(page, name);
    const row = page.locator('[data-testid="operator-list-row"]').filter({ has: page.getByText(name, { exact: true }) });
    await row.first().waitFor();
    if ((await card.count()) === 0) await row.first().getByTestId('operator-list-toggle').click();
    await card.waitFor();
    return card;
  }

  /** Waits for the run page to show `status`; on a timeout, says what the page showed and what the server knows. */
  async function waitForDetailStatus(page: Page, status: string, timeout = 15_000) {
    try {
      await statusIs(page, 'run-detail-status', status).waitFor({ timeout });
    } catch (err) {
      const shown = await page.getByTestId('run-detail-status').getAttribute('data-status').catch(unreadable);
      const runId = new URL(page.url()).pathname.split('/').pop()!;
      const truth = await as(stack.member).get(`/api/v1/runs/${runId}`);
      const live = await page.getByTestId('runs-live').getAttribute('data-state').catch(unreadable);
      throw new Error(`run page shows ${shown} (live: ${live}), waited for ${status}; the server says ${truth.body.status} ${JSON.stringify(truth.body.error)} ${JSON.stringify(truth.body.events?.map((e: { type: string }) => e.type))}`, { cause: err });
    }
  }

  /** A marker that survives only as long as the page is not reloaded. */
  async function markPage(page: Page) {
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  }
  async function pageWasNotReloaded(page: Page): Promise<boolean> {
    return page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);
  }

  async function createTextOperator(page: Page, name: string) {
    await page.getByTestId('operator-new').click();
    await page.getByTestId('operator-name').fill(name);
    await page.getByTestId('operator-description').fill('Summarises a support ticket in one line');
    await page.getByTestId('operator-instructions').fill('You summarise support tickets. Answer with one short sentence.');
    await page.getByTestId('operator-format-text').click();
    await page.getByTestId('operator-cost-cap').fill('0.05');
    await page.getByTestId('operator-save').click();
    await operatorRow(page, name).waitFor();
  }

  async function startRunFrom(page: Page, operatorName: string, input: string): Promise<string> {
    const row = await openOperator(page, operatorName);
    await row.getByTestId('operator-run').click();
    await row.getByTestId('run-input').fill(input);
    await row.getByTestId('run-submit').click();
    await page.waitForURL(RUN_PAGE);
    return new URL(page.url()).pathname.split('/').pop()!;
  }

  it('creates a text operator, runs it and watches the run finish live, then sees runs change live on the Runs page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const name = `Ticket summariser ${hex()}`;

    await signInAt(page, stack.ws.users.member, '/operators');
    await page.getByTestId('workspace-defaults').waitFor();
    await createTextOperator(page, name);
    const row = await openOperator(page, name);
    const operatorId = (await row.getAttribute('data-operator-id'))!;
    expect(await row.getByTestId('operator-format').innerText()).toMatch(/text/i);
    expect(await row.getByTestId('operator-account-name').innerText()).toContain('Workspace default: Mock provider');
    expect(await row.innerText()).toContain('$0.05');
    await screenshot(page, 'operators-list');

    // Run it from the operator: the run page opens and follows the run without a reload.
    const runId = await startRunFrom(page, name, 'The export button does nothing on Safari. [mock:latency=2000]');
    await markPage(page);
    await page.getByTestId('runs-live').and(page.locator('[data-state="open"]')).waitFor();
    await waitForDetailStatus(page, 'running', 10_000);
    expect(await page.getByTestId('run-output').count()).toBe(0);
    await waitForDetailStatus(page, 'succeeded');
    const output = page.getByTestId('run-output');
    await output.waitFor();
    expect((await output.innerText()).trim().length).toBeGreaterThan(0);
    await page.getByTestId('run-tokens').filter({ hasText: /\d+ total/ }).waitFor();
    await page.locator('[data-testid="run-event"][data-type="succeeded"]').waitFor();
    expect(await page.locator('[data-testid="run-event"][data-type="queued"]').count()).toBe(1);
    expect(await page.locator('[data-testid="run-event"][data-type="running"]').count()).toBe(1);
    expect(await pageWasNotReloaded(page)).toBe(true);
    await screenshot(page, 'run-detail-succeeded');

    // The Runs page lists it as succeeded.
    await page.getByTestId('nav-runs').click();
    await page.waitForURL(/\/runs$/);
    await statusIs(page, 'run-row', 'succeeded').and(page.locator(`[data-run-id="${runId}"]`)).waitFor();
    // Idle now: folded under "idle accounts", but there.
    await page.getByTestId('queue-health').getByTestId('queue-account').and(page.locator(`[data-account-id="${stack.ws.mockAccountId}"]`)).waitFor({ state: 'attached' });
    await page.getByTestId('runs-live').and(page.locator('[data-state="open"]')).waitFor();

    // A slow run started elsewhere (the API, as the same member) appears at the top and changes live:
    // no reload, and no new GET /api/v1/runs (the list) was needed for it.
    await markPage(page);
    const listRequests: string[] = [];
    page.on('request', (req) => {
      if (req.method() === 'GET' && new URL(req.url()).pathname === '/api/v1/runs') listRequests.push(req.url());
    });
    const started = await as(stack.member).post('/api/v1/runs', { operatorId, input: 'A slow one [mock:latency=3000]' });
    expect(started.status).toBe(202);
    const slowRow = page.locator(`[data-testid="run-row"][data-run-id="${started.body.id}"]`);
    await slowRow.and(page.locator('[data-status="running"]')).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('run-row').first().getAttribute('data-run-id')).toBe(started.body.id);
    await slowRow.getByTestId('run-status').and(page.locator('[data-status="running"]')).waitFor();
    await screenshot(page, 'runs-list-running');
    await slowRow.and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 15_000 });
    await slowRow.getByTestId('run-status').and(page.locator('[data-status="succeeded"]')).waitFor();
    // Its tokens came with the one-run fetch that follows a final status.
    await slowRow.filter({ hasText: /\d+ in · \d+ out/ }).waitFor();
    expect(listRequests).toEqual([]);
    expect(await pageWasNotReloaded(page)).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/runs');
    await screenshot(page, 'runs-list');

    // Filters: only failed runs → none of these.
    await page.getByTestId('runs-filter-status-failed').click();
    await page.waitForURL(/status=failed/);
    await page.getByText('No runs match these filters.').waitFor();
    // Several statuses at once (sent as status=succeeded,failed): both succeeded runs.
    await page.getByTestId('runs-filter-status-succeeded').click();
    await page.waitForURL(/status=succeeded%2Cfailed|status=succeeded,failed/);
    await statusIs(page, 'run-row', 'succeeded').nth(1).waitFor();
    expect(await page.getByTestId('run-row').count()).toBe(2);
    await context.close();
  });

  it('checks a JSON Schema as it is typed, shows the API’s verdict on save, and runs a JSON operator to pretty JSON', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const name = `Ticket classifier ${hex()}`;
    await signInAt(page, stack.ws.users.member, '/operators');

    await page.getByTestId('operator-new').click();
    await page.getByTestId('operator-name').fill(name);
    await page.getByTestId('operator-instructions').fill('Classify the ticket. Answer in JSON.');
    await page.getByTestId('operator-format-json').click();
    const schema = page.getByTestId('operator-schema');
    const schemaError = page.getByTestId('operator-schema-error');

    // A syntax error is shown while typing, by line and column.
    await schema.fill('{\n  "type": "object",\n  "properties": {\n    "summary": { "type": "string" }\n    "tags": { "type": "array" }\n  }\n}');
    await schemaError.and(page.locator('[data-source="syntax"]')).waitFor();
    expect(await schemaError.innerText()).toContain('Line 5, column 5');
    expect(await schemaError.innerText()).toContain('Missing “,” between two properties');
    await screenshot(page, 'operator-form-schema-syntax-error');

    // Valid JSON, but not a schema the API can compile: its 400 message is shown under the editor.
    await schema.fill('{ "type": "object", "properties": { "summary": { "type": "strnig" } } }');
    expect(await schemaError.count()).toBe(0);
    await page.getByTestId('operator-save').click();
    await schemaError.and(page.locator('[data-source="api"]')).waitFor();
    expect(await schemaError.innerText()).toMatch(/JSON Schema is not valid/);
    await screenshot(page, 'operator-form-schema-api-error');

    // The example schema is valid: save, and the operator is listed as JSON.
    await page.getByTestId('operator-schema-example').click();
    expect(await schemaError.count()).toBe(0);
    await screenshot(page, 'operator-form-schema');
    await page.getByTestId('operator-save').click();
    const row = await openOperator(page, name);
    await row.waitFor();
    expect(await row.getByTestId('operator-format').innerText()).toMatch(/json/i);

    await startRunFrom(page, name, 'The export button does nothing on Safari.');
    await waitForDetailStatus(page, 'succeeded');
    const json = page.getByTestId('run-output-json');
    await json.waitFor();
    const text = await json.innerText();
    expect(text).toContain('\n  "'); // pretty-printed
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['sentiment', 'summary', 'tags']);
    await screenshot(page, 'run-detail-json');
    await context.close();
  });

  it('ends on the final status when the run page’s first read is answered after the run finished', async () => {
    // The race behind a flaky run page: the mock finishes while the page's first GET /runs/{id} is in flight, so
    // that answer predates the stream's "succeeded". Here the first answer is read early and delivered late.
    const operator = await as(stack.member).post('/api/v1/operators', { name: `Late reader ${hex()}`, instructions: 'Answer in one sentence.', maxOutputTokens: 50 });
    expect(operator.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInAt(page, stack.ws.users.member, '/runs');
    const run = await as(stack.member).post('/api/v1/runs', { operatorId: operator.body.id, input: 'Quick, but not instant [mock:latency=6000]' });
    expect(run.status).toBe(202);

    let staleStatus: string | undefined;
    let reads = 0;
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === `/api/v1/runs/${run.body.id}`) reads++;
    });
    await page.route(`**/api/v1/runs/${run.body.id}`, async (route) => {
      const early = await route.fetch();
      staleStatus = ((await early.json()) as { status: string }).status;
      await waitForRun(as(stack.member), run.body.id, ['succeeded']);
      // The stream's "succeeded" reaches the page, which reads the run again while this first read is still held.
      await waitUntil(() => reads >= 2, 30_000, 'the page to read the run again');
      // The page may have given up on this read (it asked again when "succeeded" arrived): Playwright's Chromium route
      // then delivers nothing and does not fail (it ignores the protocol error of a request that is gone).
      await route.fulfill({ response: early });
    }, { times: 1 });
    await page.goto(`${stack.api.url}/runs/${run.body.id}`);
    await waitForDetailStatus(page, 'succeeded');
    expect(staleStatus).toMatch(/^(queued|running)$/);
    await page.getByTestId('run-output').waitFor();
    await context.close();
  });

  it('shows a failed run’s error in words, and cancels a slow run from its page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const name = `Flaky ${hex()}`;
    await signInAt(page, stack.ws.users.member, '/operators');
    await createTextOperator(page, name);

    await startRunFrom(page, name, 'Please fail [mock:fail=model_not_found]');
    await waitForDetailStatus(page, 'failed');
    const error = page.getByTestId('run-error');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toBe('model_not_found');
    expect(await error.innerText()).toContain('Model not found — verify model access');
    expect(await page.getByTestId('run-cancel').count()).toBe(0);
    await screenshot(page, 'run-detail-failed');

    await page.getByTestId('nav-operators').click();
    await startRunFrom(page, name, 'Take your time [mock:latency=30000]');
    await waitForDetailStatus(page, 'running', 10_000);
    await page.getByTestId('run-cancel').click();
    await waitForDetailStatus(page, 'cancelled', 10_000);
    await page.locator('[data-testid="run-event"][data-type="cancelled"]').waitFor();
    expect(await page.getByTestId('run-cancel').count()).toBe(0);
    await screenshot(page, 'run-detail-cancelled');
    await context.close();
  });

  it('shows why a run waits and when it tries again, on its page and in the list', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const name = `Rate limited ${hex()}`;
    await signInAt(page, stack.ws.users.member, '/operators');
    await createTextOperator(page, name);

    // The mock answers 429 with retry-after 1 s on every call: the run waits (no attempt spent) and tries again.
    const runId = await startRunFrom(page, name, 'Busy provider [mock:fail=rate_limited]');
    await waitForDetailStatus(page, 'waiting');
    const statusText = page.getByTestId('run-status-text');
    expect(await statusText.innerText()).toContain('Rate limit exceeded');
    await statusText.filter({ hasText: /next try in \d+ s|trying again now/ }).waitFor();
    await page.locator('[data-testid="run-event"][data-type="waiting"]').first().waitFor();
    await screenshot(page, 'run-detail-waiting');

    await page.getByTestId('nav-runs').click();
    const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
    await row.and(page.locator('[data-status="waiting"]')).waitFor({ timeout: 10_000 });
    expect(await row.getByTestId('run-status-reason').innerText()).toContain('Rate limit exceeded');
    await screenshot(page, 'runs-list-waiting');

    await row.click();
    await page.waitForURL(RUN_PAGE);
    await page.getByTestId('run-cancel').click();
    await waitForDetailStatus(page, 'cancelled', 10_000);
    await context.close();
  });

  it('lets an admin set the workspace default provider and model in Settings', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInAt(page, stack.ws.users.admin, '/settings');
    const account = page.getByTestId('workspace-default-account');
    await expect(account.inputValue()).resolves.toBe(stack.ws.mockAccountId);
    await page.getByTestId('workspace-default-model').fill('mock-smart');
    await page.getByTestId('workspace-defaults-save').click();
    await page.getByText('Defaults saved.').waitFor();
    await page.reload();
    await expect(page.getByTestId('workspace-default-model').inputValue()).resolves.toBe('mock-smart');
    const saved = await as(stack.admin).get('/api/v1/workspace');
    expect(saved.body).toMatchObject({ defaultAccountId: stack.ws.mockAccountId, defaultModel: 'mock-smart' });
    await context.close();
  });

  it('edits an operator (model override, temperature) and deletes it, keeping its runs', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const name = `Editable ${hex()}`;
    await signInAt(page, stack.ws.users.member, '/operators');
    await createTextOperator(page, name);
    const row = await openOperator(page, name);
    const operatorId = (await row.getAttribute('data-operator-id'))!;

    await row.getByTestId('operator-edit').click();
    await row.getByTestId('operator-model').fill('mock-smart');
    await row.getByTestId('operator-temperature').fill('3');
    await row.getByTestId('operator-save').click();
    await row.getByText('A number from 0 to 2').waitFor();
    await row.getByTestId('operator-temperature').fill('0.2');
    await row.getByTestId('operator-save').click();
    await row.getByText('Changes saved.').waitFor();
    const saved = await as(stack.member).get(`/api/v1/operators/${operatorId}`);
    expect(saved.body).toMatchObject({ model: 'mock-smart', temperature: 0.2, costCapMicroUsd: 50000 });

    const runId = await startRunFrom(page, name, 'Which model?');
    await waitForDetailStatus(page, 'succeeded');
    expect(await page.getByText('mock-smart', { exact: true }).count()).toBeGreaterThan(0);

    await page.getByTestId('nav-operators').click();
    await (await openOperator(page, name)).getByTestId('operator-delete').click();
    await page.getByRole('dialog').getByTestId('confirm-accept').click();
    await operatorRow(page, name).waitFor({ state: 'detached' });
    const run = await as(stack.member).get(`/api/v1/runs/${runId}`);
    expect(run.status).toBe(200);
    await context.close();
  });

  it('lets a viewer read operators and runs but not create, run or cancel', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInAt(page, stack.ws.users.viewer, '/operators');
    await page.getByTestId('operator-list-toggle').first().click();
    await page.getByTestId('operator-row').first().waitFor();
    expect(await page.getByTestId('operator-new').count()).toBe(0);
    expect(await page.getByTestId('operator-run').count()).toBe(0);
    expect(await page.getByTestId('operator-edit').count()).toBe(0);
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('run-row').first().click();
    await page.waitForURL(RUN_PAGE);
    await page.getByTestId('run-detail-status').waitFor();
    expect(await page.getByTestId('run-cancel').count()).toBe(0);
    await context.close();
  });
});
