import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { as } from '../../../test/support/api.js';
import { launchBrowser, screenshot } from '../../../test/support/browser.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { gatewayClient, inferenceToken } from '../../../test/support/gateway.js';
import { eventually, waitForRun } from '../../../test/support/runs.js';
import { type Stack, startStack } from '../../../test/support/stack.js';
import { CONSOLE_PATHS, HOME_PATH } from '../src/routes/console-paths.js';

/**
 * The quality bars of the whole console, on every route of `src/routes/console-paths.ts` (so a page added there is
 * covered without touching this file), signed in as an owner over seeded data (so detail pages have something to
 * show), at a desktop (1440 × 900) and a phone (390 × 844) size:
 *   - axe (`@axe-core/playwright`), in the light and the dark scheme: no serious or critical violation;
 *   - a full-page screenshot per size and scheme in test-results/ (`console-<route>-<size>-<scheme>.png`);
 *   - no page wider than the phone's screen (`document.documentElement.scrollWidth <= innerWidth`);
 *   - no console error, no uncaught exception, no failed request, no response of 400 or more.
 * Plus the signed-out pages, the navigation drawer and the colour-scheme switch.
 */

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const hex = () => randomBytes(3).toString('hex');

const SIZES = {
  desktop: { viewport: { width: 1440, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
} satisfies Record<string, BrowserContextOptions>;
type Size = keyof typeof SIZES;
const SCHEMES = ['light', 'dark'] as const;

/** What went wrong while a page was open: console errors, exceptions, failed requests and error responses. */
interface Problems {
  list: string[];
  stop(): void;
}

function watchProblems(page: Page): Problems {
  const list: string[] = [];
  const onConsole = (message: { type(): string; text(): string; location(): { url: string } }) => {
    if (message.type() === 'error') list.push(`console error: ${message.text()} (${message.location().url})`);
  };
  const onPageError = (error: Error) => list.push(`uncaught: ${error.message}`);
  const onRequestFailed = (request: { url(): string; failure(): { errorText: string } | null }) => {
    const reason = request.failure()?.errorText ?? '';
    // A request the page itself cancelled (a query for a page left, the live stream closed) is no failure.
    if (reason !== 'net::ERR_ABORTED') list.push(`request failed: ${request.url()} ${reason}`);
  };
  const onResponse = (response: { status(): number; url(): string; request(): { method(): string } }) => {
    if (response.status() >= 400) list.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  };
  page.on('console', onConsole);
  page.on('pageerror', onPageError);
  page.on('requestfailed', onRequestFailed);
  page.on('response', onResponse);
  return {
    list,
    stop() {
      page.off('console', onConsole);
      page.off('pageerror', onPageError);
      page.off('requestfailed', onRequestFailed);
      page.off('response', onResponse);
    },
  };
}

/** Serious and critical axe findings, one line each (rule, impact, the first offending elements). */
async function axeFindings(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes
      .slice(0, 4)
      .map((n) => `${n.target.join(' ')}${n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)}]` : ''}`)
      .join(' | ')}`);
}

/** Waits until the page shows its heading and nothing is loading any more. */
async function settled(page: Page): Promise<void> {
  await page.locator('h1').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('.loading, .spinner'));
  // Fonts and late layout: measure and judge what the user would see.
  await page.evaluate(async () => {
    await document.fonts.ready;
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
}

async function pageWidth(page: Page): Promise<{ scrollWidth: number; innerWidth: number; widest: string }> {
  return page.evaluate(() => {
    const innerWidth = window.innerWidth;
    // For the failure message: the element that sticks out furthest past the screen's width.
    let widest = '';
    let right = document.documentElement.clientWidth;
    for (const element of Array.from(document.querySelectorAll('body *'))) {
      const box = element.getBoundingClientRect();
      if (box.right > right + 0.5) {
        right = box.right;
        widest = `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}.${String(element.className).split(' ').join('.')} (right edge ${Math.round(box.right)} px)`;
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth, widest };
  });
}

/**
 * The heavy libraries are chunks of their own (vite.config.ts names them): the pages that may load each one on
 * arrival. Any other page loading it would mean it ships code it does not use; the operator form's editor loads only
 * when a JSON schema is edited, so no page loads it on arrival.
 */
const LIBRARY_CHUNKS: Record<string, readonly string[]> = {
  'vendor-editor': [],
  'vendor-graph-layout': ['missions/:missionId'],
  'vendor-text-diff': ['comparisons/:comparisonId'],
};

const slug = (path: string) => path.replace(/^\//, '').replace(/\/:[a-zA-Z]+/g, '-detail').replace(/\//g, '-') || 'home';

describe('console quality: every route, both sizes, both colour schemes', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let browser: Browser;
  const sessions = {} as Record<Size, Awaited<ReturnType<BrowserContext['storageState']>>>;
  /** The id each `:param` of a route stands for. */
  const ids: Record<string, string> = {};
  let inviteToken = '';

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ['gpt-4.1-mini'] });
    stack = await startStack({ apiEnv: { VAULTRUN_CONSOLE_DIST: consoleDist }, workerEnv: { VAULTRUN_RECONCILE_EVERY_MS: '500' } });
    // The owner is also an instance administrator here, so the Instance pages are visited too.
    await stack.api.db.query(`UPDATE users SET is_instance_admin = true WHERE id = $1`, [stack.ws.users.owner.id]);
    const owner = await (await import('../../../test/support/api.js')).signIn(stack.api.url, stack.ws.users.owner);
    const api = as(owner);

    // Operators: a plain one and one with a JSON Schema output.
    const summariser = await api.post('/api/v1/operators', { name: 'Summariser', description: 'Turns a ticket into one sentence', instructions: 'Answer in one sentence.', maxOutputTokens: 120 });
    const triage = await api.post('/api/v1/operators', {
      name: 'Ticket triage',
      instructions: 'Classify the ticket.',
      outputSchema: { type: 'object', properties: { priority: { type: 'string', enum: ['low', 'high'] } }, required: ['priority'], additionalProperties: false },
    });
    const writer = await api.post('/api/v1/operators', { name: 'Writer', instructions: 'Write the note.' });
    expect([summariser.status, triage.status, writer.status]).toEqual([201, 201, 201]);

    // Runs: a success, a structured output and a failure.
    const started = await Promise.all([
      api.post('/api/v1/runs', { operatorId: summariser.body.id, input: 'The export button does nothing on Safari.' }),
      api.post('/api/v1/runs', { operatorId: triage.body.id, input: 'Checkout is down for every customer.' }),
      api.post('/api/v1/runs', { operatorId: summariser.body.id, input: 'Unknown model please [mock:fail=model_not_found]' }),
    ]);
    const runs = await Promise.all(started.map((res) => waitForRun(api, res.body.id)));
    ids.runId = runs[0]!.id;

    // A comparison: the mock against a live (fake) OpenAI account.
    const live = await api.post('/api/v1/provider-accounts', { name: 'Team OpenAI', kind: 'openai', baseUrl: fake.url, apiKey: `sk-proj-quality-${hex()}`, defaultModel: 'gpt-4.1-mini', verify: false });
    expect(live.status).toBe(201);
    // The Gateway page: a route with a fallback, and one app call through it (the official SDK, an inference token).
    const route = await api.post('/api/v1/gateway/routes', {
      name: 'fast',
      description: 'Quick answers for the support bot',
      targets: [
        { accountId: live.body.id, model: 'gpt-4.1-mini' },
        { accountId: stack.ws.mockAccountId, model: 'mock-fast' },
      ],
    });
    expect(route.status).toBe(201);
    const appToken = await inferenceToken(owner, { name: 'Support bot' });
    const appCall = await gatewayClient(stack.api.url, appToken.token, { maxRetries: 0 })
      .chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'Where is my order?' }], max_tokens: 40 })
      .withResponse();
    await eventually(async () => (await api.get(`/api/v1/runs/${appCall.response.headers.get('x-vaultrun-request-id')}`)).body, (r) => r.status === 'succeeded', 'the gateway call to be recorded');

    const comparison = await api.post('/api/v1/comparisons', { operatorId: summariser.body.id, liveAccountId: live.body.id, input: 'The invoice PDF is blank.' });
    expect(comparison.status).toBe(202);
    ids.comparisonId = comparison.body.id;
    await eventually(
      async () => (await api.get(`/api/v1/comparisons/${comparison.body.id}`)).body,
      (c) => c.mock?.status === 'succeeded' && c.live?.status === 'succeeded',
      'the comparison to finish',
    );

    // A mission whose plan (a step two others depend on) ran to the end.
    const mission = await api.post('/api/v1/missions', { title: 'Weekly digest', goal: 'Publish a digest of the week’s tickets' });
    expect(mission.status).toBe(201);
    ids.missionId = mission.body.id;
    const plan = await api.post(`/api/v1/missions/${mission.body.id}/plans`, {
      failurePolicy: 'stop',
      steps: [
        { id: 'collect', operator: summariser.body.id, input: 'Collect the tickets', dependsOn: [] },
        { id: 'triage', operator: triage.body.id, input: 'Triage them', dependsOn: ['collect'] },
        { id: 'write', operator: writer.body.id, input: 'Write the digest', dependsOn: ['collect'] },
      ],
    });
    expect(plan.status).toBe(201);
    expect((await api.post(`/api/v1/missions/${mission.body.id}/plans/${plan.body.id}/approve`)).status).toBe(202);
    await eventually(async () => (await api.get(`/api/v1/missions/${mission.body.id}`)).body, (m) => m.status === 'succeeded', 'the mission to finish');

    // Credits: a managed (mock) account offered to every workspace, credits granted, one run paid with them — so the
    // Credits and Managed accounts pages have something to show.
    const managed = await api.post('/api/v1/instance/managed-accounts', { name: 'Instance mock', kind: 'mock', defaultModel: 'mock-fast', offer: 'all', share: { maxConcurrency: 2 } });
    expect(managed.status).toBe(201);
    expect((await api.post(`/api/v1/instance/workspaces/${stack.ws.id}/credits`, { kind: 'grant', amountMicroUsd: '5000000', note: 'Trial' })).status).toBe(201);
    const connector = (await api.get('/api/v1/credits')).body.accounts[0];
    const creditWriter = await api.post('/api/v1/operators', { name: 'Credit writer', instructions: 'Write one line.', accountId: connector.id, model: 'mock-fast' });
    await waitForRun(api, (await api.post('/api/v1/runs', { operatorId: creditWriter.body.id, input: 'Hello' })).body.id);

    // A budget, an API token and a pending invite, so those pages are not empty.
    expect((await api.post('/api/v1/budgets', { name: 'Team monthly', scope: { type: 'workspace', id: null }, period: 'month', capMicroUsd: 50_000_000 })).status).toBe(201);
    expect((await api.post('/api/v1/tokens', { name: 'Status page', scopes: ['read'] })).status).toBe(201);
    const invite = await api.post('/api/v1/invites', { email: `new-${hex()}@example.test`, role: 'member' });
    expect(invite.status).toBe(201);
    inviteToken = new URL(invite.body.url).hash.replace('#token=', '');

    browser = await launchBrowser();
    for (const size of Object.keys(SIZES) as Size[]) {
      const context = await browser.newContext(SIZES[size]);
      const page = await context.newPage();
      await page.goto(`${stack.api.url}/login`);
      await page.getByTestId('login-email').fill(stack.ws.users.owner.email);
      await page.getByTestId('login-password').fill(stack.ws.users.owner.password);
      await page.getByTestId('login-submit').click();
      await page.waitForURL((u) => u.pathname === HOME_PATH);
      sessions[size] = await context.storageState();
      await context.close();
    }
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await fake?.close();
  });

  function urlOf(path: string): string {
    return (
      '/' +
      path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
        const id = ids[name];
        if (!id) throw new Error(`console-quality: no seeded id for :${name} (route ${path}); seed one in beforeAll`);
        return id;
      })
    );
  }

  /** Opens `path` in a fresh signed-in tab and holds it to every bar; returns what was found wrong. */
  async function inspect(size: Size, path: string, options: { signedIn?: boolean; name?: string; route?: string } = {}): Promise<string[]> {
    const context = await browser.newContext({ ...SIZES[size], reducedMotion: 'reduce', ...(options.signedIn === false ? {} : { storageState: sessions[size] }) });
    const page = await context.newPage();
    const problems = watchProblems(page);
    const found: string[] = [];
    const libraries = new Set<string>();
    page.on('request', (request) => {
      const chunk = /\/assets\/(vendor-[a-z-]+)-[\w-]+\.js$/.exec(new URL(request.url()).pathname)?.[1];
      if (chunk) libraries.add(chunk);
    });
    try {
      await page.goto(`${stack.api.url}${path}`);
      await settled(page);
      for (const scheme of SCHEMES) {
        await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
        found.push(...(await axeFindings(page)).map((f) => `[${scheme}] axe ${f}`));
        await screenshot(page, `console-${options.name ?? slug(path)}-${size}-${scheme}`);
      }
      for (const library of libraries) {
        if (!(LIBRARY_CHUNKS[library] ?? []).includes(options.route ?? '')) found.push(`loads ${library}, which this page does not use on arrival`);
      }
      const width = await pageWidth(page);
      if (width.scrollWidth > width.innerWidth || width.innerWidth !== SIZES[size].viewport.width) {
        found.push(`page is ${width.scrollWidth} px wide in a ${width.innerWidth} px window; widest: ${width.widest}`);
      }
    } finally {
      problems.stop();
      await context.close();
    }
    return [...found, ...problems.list];
  }

  for (const size of Object.keys(SIZES) as Size[]) {
    describe(`at ${size} size`, () => {
      it.each(CONSOLE_PATHS.map((p) => [p]))('/%s passes axe, fits the screen and logs no error', async (path) => {
        expect(await inspect(size, urlOf(path), { name: slug(path), route: path })).toEqual([]);
      });

      it('/ (home) and an unknown address pass too', async () => {
        expect(await inspect(size, '/', { name: 'home' })).toEqual([]);
        expect(await inspect(size, '/no-such-page', { name: 'not-found' })).toEqual([]);
      });

      it('the signed-out pages pass; a visitor without a session is not sent a request that can only fail', async () => {
        const context = await browser.newContext({ ...SIZES[size], reducedMotion: 'reduce' });
        const page = await context.newPage();
        const sessionChecks: number[] = [];
        page.on('response', (response) => {
          if (new URL(response.url()).pathname === '/api/v1/auth/me') sessionChecks.push(response.status());
        });
        await page.goto(`${stack.api.url}/runs`);
        await page.waitForURL(/\/login\?next=%2Fruns$/);
        await page.getByTestId('login-email').fill(stack.ws.users.viewer.email);
        await page.getByTestId('login-password').fill(stack.ws.users.viewer.password);
        await page.getByTestId('login-submit').click();
        await page.waitForURL(/\/runs$/);
        if (size === 'phone') await page.getByTestId('nav-open').click();
        await page.getByTestId('signout').click();
        await page.waitForURL(/\/login$/);
        await page.goto(`${stack.api.url}/settings`);
        await page.waitForURL(/\/login\?next=%2Fsettings$/);
        // Never signed in here, then signed out: the console knew, and never asked.
        expect(sessionChecks).toEqual([]);

        // A session that ended while away (here: its cookie removed) costs one 401, then the console knows.
        await page.getByTestId('login-email').fill(stack.ws.users.viewer.email);
        await page.getByTestId('login-password').fill(stack.ws.users.viewer.password);
        await page.getByTestId('login-submit').click();
        await page.waitForURL(/\/settings$/);
        // Away: the tab is closed (so no query of the open page can learn of the end first), the cookie removed.
        await page.close();
        await context.clearCookies();
        const back = await context.newPage();
        back.on('response', (response) => {
          if (new URL(response.url()).pathname === '/api/v1/auth/me') sessionChecks.push(response.status());
        });
        await back.goto(`${stack.api.url}/runs`);
        await back.waitForURL(/\/login\?next=%2Fruns$/);
        await back.goto(`${stack.api.url}/members`);
        await back.waitForURL(/\/login\?next=%2Fmembers$/);
        expect(sessionChecks).toEqual([401]);
        await context.close();

        expect(await inspect(size, '/login', { signedIn: false })).toEqual([]);
        expect(await inspect(size, `/accept-invite#token=${inviteToken}`, { signedIn: false, name: 'accept-invite' })).toEqual([]);
      });
    });
  }

  it('covers every section of the navigation (a page linked there but missing from console-paths.ts fails here)', async () => {
    const context = await browser.newContext({ ...SIZES.desktop, storageState: sessions.desktop });
    const page = await context.newPage();
    await page.goto(`${stack.api.url}${HOME_PATH}`);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    const linked = await page.getByRole('navigation', { name: 'Main' }).locator('a').evaluateAll((links) => links.map((a) => new URL((a as HTMLAnchorElement).href).pathname.slice(1)));
    await context.close();
    expect(linked.length).toBeGreaterThan(5);
    expect(linked.filter((path) => !(CONSOLE_PATHS as readonly string[]).includes(path))).toEqual([]);
  });

  it('on a phone, the navigation is a drawer: one top-bar row, opened by the menu button, closed by a link, Escape or the backdrop', async () => {
    const context = await browser.newContext({ ...SIZES.phone, storageState: sessions.phone, reducedMotion: 'reduce' });
    const page = await context.newPage();
    await page.goto(`${stack.api.url}/vault`);
    await settled(page);
    // One row: the top bar is as tall as its tallest control, and no navigation sits above the page.
    const bar = await page.locator('.topbar').boundingBox();
    expect(bar!.height).toBeLessThanOrEqual(60);
    const heading = await page.locator('h1').first().boundingBox();
    expect(heading!.y).toBeLessThan(140);
    expect(await page.getByTestId('nav-runs').isVisible()).toBe(false);

    await page.getByTestId('nav-open').click();
    await page.getByTestId('nav-runs').waitFor();
    expect(await page.getByTestId('nav-open').getAttribute('aria-expanded')).toBe('true');
    await page.screenshot({ path: join(process.cwd(), 'test-results', 'console-drawer-phone-light.png') });
    expect(await axeFindings(page)).toEqual([]);
    await page.getByTestId('nav-runs').click();
    await page.waitForURL(/\/runs$/);
    await page.getByTestId('nav-drawer').waitFor({ state: 'hidden' });

    await page.getByTestId('nav-open').click();
    await page.getByTestId('nav-settings').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('nav-drawer').waitFor({ state: 'hidden' });
    // Focus goes back to the button that opened it.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('nav-open');

    await page.getByTestId('nav-open').click();
    await page.getByTestId('nav-settings').waitFor();
    await page.mouse.click(380, 400); // on the backdrop, right of the panel
    await page.getByTestId('nav-drawer').waitFor({ state: 'hidden' });
    await context.close();
  });

  it('follows the system colour scheme until one is chosen, and remembers the choice in this browser', async () => {
    const context = await browser.newContext({ ...SIZES.desktop, storageState: sessions.desktop, colorScheme: 'dark' });
    const page = await context.newPage();
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const isDark = async () => {
      const [r, g, b] = (await background()).match(/\d+/g)!.map(Number);
      return r! + g! + b! < 3 * 64;
    };
    await page.goto(`${stack.api.url}/settings`);
    await settled(page);
    expect(await page.getByTestId('theme-system').isChecked()).toBe(true);
    expect(await isDark()).toBe(true);

    await page.getByTestId('theme-light').check();
    expect(await isDark()).toBe(false);
    await page.reload();
    await settled(page);
    expect(await page.getByTestId('theme-light').isChecked()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    expect(await isDark()).toBe(false);

    await page.getByTestId('theme-system').check();
    expect(await isDark()).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('vaultrun.theme'))).toBeNull();
    await context.close();
  });
});
