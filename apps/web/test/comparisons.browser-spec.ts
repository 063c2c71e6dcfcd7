import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatUsd } from '@vaultrun/providers';
import type { Browser, Page } from 'playwright-core';
import { as, type SeededUser } from '../../../test/support/api.js';
import { launchBrowser, screenshot, signInThroughConsole } from '../../../test/support/browser.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { type Stack, startStack } from '../../../test/support/stack.js';

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const hex = () => randomBytes(3).toString('hex');
const COMPARISON_PAGE = /\/comparisons\/[0-9a-f-]{36}$/;

/** The console's share format (features/comparisons/comparison-format.ts). */
function share(value: number): string {
  const pct = value * 100;
  if (pct >= 10) return `${Math.round(pct)}%`;
  if (pct >= 1) return `${pct.toFixed(1)}%`;
  return `${Number(pct.toPrecision(2))}%`;
}

describe('Comparisons in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ['gpt-4.1-mini'] });
    stack = await startStack({ apiEnv: { VAULTRUN_CONSOLE_DIST: consoleDist }, workerEnv: { VAULTRUN_RECONCILE_EVERY_MS: '500' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await fake?.close();
  });

  const signInAt = (page: Page, user: SeededUser, path: string) => signInThroughConsole(page, stack.api.url, user, path);

  const sideStatus = (page: Page, side: 'mock' | 'live', status: string) => page.locator(`[data-testid="side-${side}"][data-status="${status}"]`);
  const getComparison = async (id: string) => (await as(stack.member).get(`/api/v1/comparisons/${id}`)).body;
  const markPage = (page: Page) => page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  const notReloaded = (page: Page) => page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);

  /** Fills the form (pickers by id: their labels carry the account status) and waits for the comparison's page. */
  async function startFromConsole(page: Page, options: { operatorId: string; liveAccountId: string; mockAccountId?: string; input: string }): Promise<string> {
    await page.getByTestId('comparison-operator').selectOption(options.operatorId);
    await page.getByTestId('comparison-live-account').selectOption(options.liveAccountId);
    if (options.mockAccountId) {
      await page.getByTestId('comparison-advanced').click();
      await page.getByTestId('comparison-mock-account').selectOption(options.mockAccountId);
    }
    await page.getByTestId('comparison-input').fill(options.input);
    await page.getByTestId('comparison-submit').click();
    await page.waitForURL(COMPARISON_PAGE);
    return new URL(page.url()).pathname.split('/').pop()!;
  }

  it('starts a comparison from the console, follows both sides live, and shows outputs, labels and the estimate check as the API has them', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    const operatorName = `Summariser ${hex()}`;
    const liveName = `Team OpenAI ${hex()}`;
    const mockName = `Reporting mock ${hex()}`;
    const operator = await as(stack.member).post('/api/v1/operators', { name: operatorName, instructions: 'Answer in one sentence.', maxOutputTokens: 150 });
    expect(operator.status).toBe(201);
    const liveAccount = await as(stack.admin).post('/api/v1/provider-accounts', { name: liveName, kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-browser-test', defaultModel: 'gpt-4.1-mini', verify: false });
    expect(liveAccount.status).toBe(201);
    // A mock that reports its own cost, as a provider can (→ Verified by Provider).
    const mockAccount = await as(stack.admin).post('/api/v1/provider-accounts', { name: mockName, kind: 'mock', mock: { reportCost: true } });
    expect(mockAccount.status).toBe(201);
    // The live provider takes 3 s to answer: long enough to watch the live side run.
    fake.setLatency(3000);

    await signInAt(page, stack.ws.users.member, '/comparisons');
    await page.getByText('No comparisons yet.', { exact: false }).waitFor();
    await page.getByTestId('nav-comparisons').waitFor();
    await screenshot(page, 'comparisons-empty');

    const input = `The export button does nothing on Safari ${hex()}.`;
    const id = await startFromConsole(page, { operatorId: operator.body.id, liveAccountId: liveAccount.body.id, mockAccountId: mockAccount.body.id, input });
    await markPage(page);
    await sideStatus(page, 'live', 'running').waitFor({ timeout: 10_000 });
    await sideStatus(page, 'mock', 'succeeded').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('side-live-output').count()).toBe(0);
    await screenshot(page, 'comparison-live-running');

    // The live side finishes and the page follows without a reload.
    await sideStatus(page, 'live', 'succeeded').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="comparison-differences"][data-finished="true"]').waitFor();
    expect(await notReloaded(page)).toBe(true);
    const api = await getComparison(id);
    expect(api).toMatchObject({ mock: { status: 'succeeded', costLabel: 'verified' }, live: { status: 'succeeded', costLabel: 'estimated' }, differences: { outputsEqual: false } });

    // Outputs, as the API has them, with the differing words marked on each side.
    expect(await page.getByTestId('side-mock-output').innerText()).toBe(api.mock.output);
    expect(await page.getByTestId('side-live-output').innerText()).toBe(`Fake reply to: ${input}`);
    expect(await page.getByTestId('side-live-output').getByTestId('diff-mark').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('side-mock-output').getByTestId('diff-mark').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('diff-outputs').getAttribute('data-tone')).toBe('differs');
    expect(await page.getByTestId('side-live-account').innerText()).toBe(liveName);
    expect(await page.getByTestId('side-live-model').innerText()).toBe('gpt-4.1-mini');
    expect(await page.getByTestId('side-mock-schema').getAttribute('data-valid')).toBe('n/a');

    // Labels: the mock's own figure is verified; OpenAI's tokens × the price table are estimated.
    expect(await page.getByTestId('side-mock-cost').getAttribute('data-label')).toBe('verified');
    expect(await page.getByTestId('side-mock-cost').getAttribute('data-micro-usd')).toBe(String(api.mock.costMicroUsd));
    expect(await page.getByTestId('side-live-cost').getAttribute('data-label')).toBe('estimated');
    expect(await page.getByTestId('side-live-cost').getAttribute('data-micro-usd')).toBe(String(api.live.costMicroUsd));
    expect(await page.getByTestId('estimate-mock-label').innerText()).toBe('Verified by Provider');
    expect(await page.getByTestId('estimate-live-label').innerText()).toBe('Estimated by Vaultrun');
    const tokens = page.getByTestId('side-live-tokens');
    expect([await tokens.getAttribute('data-input'), await tokens.getAttribute('data-output')]).toEqual([String(api.live.usage.inputTokens), String(api.live.usage.outputTokens)]);

    // The estimate check: worst case held vs charged, per side, exactly the API's figures.
    for (const side of ['mock', 'live'] as const) {
      const e = api[side].estimate;
      expect(e.worstCaseMicroUsd).toBeGreaterThan(e.chargedMicroUsd);
      const row = page.getByTestId(`estimate-${side}`);
      expect({
        worst: await row.getAttribute('data-worst-case'),
        charged: await row.getAttribute('data-charged'),
        difference: await row.getAttribute('data-difference'),
        share: await row.getAttribute('data-share'),
      }).toEqual({ worst: String(e.worstCaseMicroUsd), charged: String(e.chargedMicroUsd), difference: String(e.differenceMicroUsd), share: String(e.chargedShareOfWorstCase) });
      expect(await page.getByTestId(`estimate-${side}-worst-case`).innerText()).toBe(formatUsd(e.worstCaseMicroUsd));
      expect(await page.getByTestId(`estimate-${side}-charged`).innerText()).toBe(formatUsd(e.chargedMicroUsd));
      expect(await page.getByTestId(`estimate-${side}-difference`).innerText()).toBe(`−${formatUsd(-e.differenceMicroUsd)}`);
      expect(await page.getByTestId(`estimate-${side}-share`).innerText()).toBe(share(e.chargedShareOfWorstCase));
    }
    await screenshot(page, 'comparison-finished');

    // A side opens its run, and the run page leads back to the comparison.
    await page.getByTestId('side-live-run-link').click();
    await page.waitForURL(`**/runs/${api.live.runId}`);
    await page.getByTestId('run-part-of').click();
    await page.waitForURL(`**/comparisons/${id}`);
    await sideStatus(page, 'live', 'succeeded').waitFor();

    // The list shows it, and opens it.
    await page.getByRole('link', { name: 'Comparisons', exact: true }).first().click();
    const row = page.locator(`[data-testid="comparison-row"][data-comparison-id="${id}"]`);
    // What was read while the runs were in flight is shown first, then read again (it was invalidated meanwhile).
    await row.locator('[data-testid="row-live"][data-status="succeeded"]').waitFor({ timeout: 10_000 });
    expect(await row.getByTestId('row-live-share').innerText()).toBe(share(api.live.estimate.chargedShareOfWorstCase));
    await screenshot(page, 'comparisons-list');
    // A click anywhere in the row (here: its input excerpt) opens the comparison.
    await row.locator('.cmp-input-excerpt').click();
    await page.waitForURL(new RegExp(`/comparisons/${id}$`));
    await page.locator(`[data-testid="side-live"][data-status="succeeded"]`).waitFor();
    await context.close();
  });

  it('shows each side’s schema verdict, and a live output that fails the schema with its error in words', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    fake.reset();
    const operatorName = `Triage ${hex()}`;
    const liveName = `Live ${hex()}`;
    const schema = { type: 'object', properties: { summary: { type: 'string' }, priority: { type: 'integer' } }, required: ['summary', 'priority'], additionalProperties: false };
    const operator = await as(stack.member).post('/api/v1/operators', { name: operatorName, instructions: 'Triage the ticket.', outputFormat: 'json_schema', outputSchema: schema, maxOutputTokens: 150 });
    expect(operator.status).toBe(201);
    const liveAccount = await as(stack.admin).post('/api/v1/provider-accounts', { name: liveName, kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-browser-json', defaultModel: 'gpt-4.1-mini', verify: false });
    expect(liveAccount.status).toBe(201);
    fake.respondWith((req) =>
      req.path.startsWith('/v1/chat')
        ? {
            status: 200,
            latencyMs: 1500,
            body: { id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4.1-mini', choices: [{ index: 0, message: { role: 'assistant', content: '{"summary": 42}' }, finish_reason: 'stop' }], usage: { prompt_tokens: 30, completion_tokens: 6, total_tokens: 36 } },
          }
        : undefined,
    );

    await signInAt(page, stack.ws.users.member, '/comparisons');
    // The first answer is lost (the connection drops after the API accepted the request): starting again carries
    // the same Idempotency-Key, so the API answers the comparison it already started instead of a second one.
    const keys: string[] = [];
    page.on('request', (req) => {
      if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/v1/comparisons') keys.push(req.headers()['idempotency-key'] ?? '');
    });
    await page.route(
      '**/api/v1/comparisons',
      async (route) => {
        await route.fetch();
        await route.abort('connectionreset');
      },
      { times: 1 },
    );
    await page.getByTestId('comparison-operator').selectOption(operator.body.id);
    await page.getByTestId('comparison-live-account').selectOption(liveAccount.body.id);
    await page.getByTestId('comparison-input').fill('Ticket: the invoice PDF is blank.');
    await page.getByTestId('comparison-submit').click();
    await page.getByRole('alert').waitFor();
    await page.getByTestId('comparison-submit').click();
    await page.waitForURL(COMPARISON_PAGE);
    const id = new URL(page.url()).pathname.split('/').pop()!;
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    const started = (await as(stack.member).get('/api/v1/comparisons')).body.items.filter((c: { operator: { id: string } }) => c.operator.id === operator.body.id);
    expect(started.map((c: { id: string }) => c.id)).toEqual([id]);
    await markPage(page);
    await sideStatus(page, 'live', 'failed').waitFor({ timeout: 15_000 });
    await sideStatus(page, 'mock', 'succeeded').waitFor();
    await page.locator('[data-testid="comparison-differences"][data-finished="true"]').waitFor();
    expect(await notReloaded(page)).toBe(true);
    const api = await getComparison(id);
    expect(api).toMatchObject({ outputFormat: 'json_schema', mock: { schemaValid: true }, live: { schemaValid: false, error: { code: 'invalid_output' } } });

    expect(await page.getByTestId('side-mock-schema').getAttribute('data-valid')).toBe('true');
    expect(await page.getByTestId('side-live-schema').getAttribute('data-valid')).toBe('false');
    expect(await page.getByTestId('side-live-error').getAttribute('data-code')).toBe('invalid_output');
    expect(await page.getByTestId('side-live-error-message').innerText()).toBe(api.live.error.message);
    expect(await page.getByTestId('diff-schema').innerText()).toContain('Only the mock side matches');
    // The raw output the model sent is shown, and the call was still charged (estimated).
    expect(await page.getByTestId('side-live-output').innerText()).toBe('{"summary": 42}');
    expect(await page.getByTestId('side-live-cost').getAttribute('data-label')).toBe('estimated');
    expect(await page.getByTestId('estimate-live').getAttribute('data-charged')).toBe(String(api.live.estimate.chargedMicroUsd));
    await screenshot(page, 'comparison-schema');
    await context.close();
  });

  it('lets a viewer read comparisons but not start one', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    await signInAt(page, stack.ws.users.viewer, '/comparisons');
    await page.getByTestId('comparison-row').first().waitFor();
    expect(await page.getByTestId('comparison-new').count()).toBe(0);
    await context.close();
  });
});
