import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatUsd } from '@vaultrun/providers';
import type { Browser, Locator, Page } from 'playwright-core';
import { as, type SeededUser } from '../../../test/support/api.js';
import { launchBrowser, screenshot, signInThroughConsole, unreadable } from '../../../test/support/browser.js';
import { eventually } from '../../../test/support/runs.js';
import { type Stack, startStack } from '../../../test/support/stack.js';

type Json = Record<string, any>;

const consoleDist = fileURLToPath(new URL('../dist', import.meta.url));
const hex = () => randomBytes(3).toString('hex');
const MISSION_PAGE = /\/missions\/[0-9a-f-]{36}$/;

/**
 * The Missions page against the real API (serving the built console) and an in-process worker, with the mock
 * provider playing the Copilot: a message asking for a "plan" gets one over the workspace's operators, a ```plan
 * block gets exactly that plan back, and mock directives in a step's input apply to that step's run.
 */
describe('Missions in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  // The mock Copilot plans over the operators in name order: Collector, then Publisher and Summariser in parallel.
  const OPERATORS = ['Collector', 'Publisher', 'Summariser'];
  const ops: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startStack({ apiEnv: { VAULTRUN_CONSOLE_DIST: consoleDist }, workerEnv: { VAULTRUN_RECONCILE_EVERY_MS: '500' } });
    browser = await launchBrowser();
    for (const name of OPERATORS) {
      const res = await as(stack.admin).post('/api/v1/operators', { name, description: `The ${name.toLowerCase()} of the team`, instructions: `You are the ${name}. Answer in one sentence.`, maxOutputTokens: 60 });
      expect(res.status).toBe(201);
      ops[name] = res.body.id;
    }
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const signInAt = (page: Page, user: SeededUser, path: string) => signInThroughConsole(page, stack.api.url, user, path);

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    return page;
  }

  /** A marker that survives only as long as the page is not reloaded: everything after it arrived live. */
  async function markPage(page: Page) {
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  }
  async function pageWasNotReloaded(page: Page): Promise<boolean> {
    return page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);
  }

  const api = () => as(stack.member);
  const getMission = async (id: string): Promise<Json> => (await api().get(`/api/v1/missions/${id}`)).body;
  const missionIdOf = (page: Page) => new URL(page.url()).pathname.split('/').pop()!;
  const step = (page: Page, id: string) => page.locator(`[data-testid="plan-step"][data-step-id="${id}"]`);
  const stepIs = (page: Page, id: string, status: string) => page.locator(`[data-testid="plan-step"][data-step-id="${id}"][data-status="${status}"]`);
  const missionIs = (page: Page, status: string) => page.locator(`[data-testid="mission-status"][data-status="${status}"]`);
  const assistantMessages = (page: Page) => page.locator('[data-testid="chat-message"][data-role="assistant"]');
  const scripted = (plan: unknown) => `Run this plan exactly:\n\`\`\`plan\n${JSON.stringify(plan, null, 1)}\n\`\`\``;

  /** Waits for a locator; on a timeout, says what the page and the server show. */
  async function waitLive(page: Page, locator: Locator, what: string, timeout = 20_000) {
    try {
      await locator.waitFor({ timeout });
    } catch (err) {
      const steps = await page.getByTestId('plan-step').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step-id')}=${e.getAttribute('data-status')}`));
      const live = await page.getByTestId('runs-live').getAttribute('data-state').catch(unreadable);
      const truth = MISSION_PAGE.test(page.url()) ? await getMission(missionIdOf(page)) : null;
      throw new Error(
        `${what}: the page shows steps ${steps.join(' ')} (live: ${live}); the server says ${truth?.status} ${JSON.stringify(truth?.currentRun?.steps.map((s: Json) => `${s.stepId}=${s.run.status}`))}`,
        { cause: err },
      );
    }
  }

  async function createMissionInConsole(page: Page, title: string, goal: string, sendGoal: boolean) {
    await page.getByTestId('nav-missions').click();
    await page.waitForURL(/\/missions$/);
    await page.getByTestId('mission-new').click();
    await page.getByTestId('mission-title').fill(title);
    await page.getByTestId('mission-goal-input').fill(goal);
    if (sendGoal) await page.getByTestId('mission-send-goal').check();
    await page.getByTestId('mission-create').click();
    await page.waitForURL(MISSION_PAGE);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
  }

  async function send(page: Page, content: string) {
    await page.getByTestId('mission-message-input').fill(content);
    await page.getByTestId('mission-send').click();
    // Sent: the box empties and the message shows at once.
    await page.locator('[data-testid="mission-message-input"]').and(page.locator(':placeholder-shown')).waitFor();
  }

  it('talks with the Copilot, receives its plan as a graph, approves it and watches the steps finish live; the cost shows by label', async () => {
    const page = await newPage();
    await signInAt(page, stack.ws.users.member, '/missions');
    await page.getByText('No missions yet.', { exact: false }).waitFor();
    await page.getByTestId('runs-live').and(page.locator('[data-state="open"]')).waitFor();

    // A mission whose goal goes to the Copilot as the first message: without the word "plan", it answers in words.
    const title = `Weekly digest ${hex()}`;
    await createMissionInConsole(page, title, 'Summarise this week’s support tickets and draft a note for the team.', true);
    await markPage(page);
    const missionId = missionIdOf(page);
    expect(await page.getByTestId('mission-goal').innerText()).toContain('support tickets');
    await assistantMessages(page).first().waitFor();
    const firstAnswer = await assistantMessages(page).first().getByTestId('chat-message-text').innerText();
    for (const name of OPERATORS) expect(firstAnswer).toContain(name);
    expect(await page.getByTestId('plan-none').isVisible()).toBe(true);
    expect(await page.getByTestId('mission-copilot').innerText()).toContain('mock-fast');

    // Ask for a plan. The Copilot takes 1.5 s (a mock directive): its turn shows as pending, then the answer and the
    // plan graph arrive through the run stream — no reload.
    await send(page, 'Make a plan for this week’s digest, please. [mock:latency=1500]');
    await page.locator('[data-testid="chat-message"][data-role="user"]').nth(1).waitFor();
    await page.getByTestId('chat-pending').waitFor();
    await screenshot(page, 'missions-copilot-thinking');
    await waitLive(page, page.locator('[data-testid="chat-message"][data-role="assistant"]:not([data-plan-id=""])'), 'the Copilot’s plan');
    expect(await page.getByTestId('chat-pending').count()).toBe(0);
    const card = page.getByTestId('plan-card');
    await card.and(page.locator('[data-plan-status="proposed"]')).waitFor();
    expect(await card.getByTestId('plan-status').innerText()).toBe('Awaiting approval');

    // The API's view of the plan: step1 first, step2 and step3 both on its output, in parallel.
    let m = await getMission(missionId);
    expect(m.messages.map((x: Json) => x.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    const plan = m.plans[0];
    expect(plan.steps.map((s: Json) => [s.id, s.operatorName, s.dependsOn])).toEqual([
      ['step1', 'Collector', []],
      ['step2', 'Publisher', ['step1']],
      ['step3', 'Summariser', ['step1']],
    ]);
    expect(await page.getByTestId('chat-plan-link').innerText()).toContain('3 steps');

    // The graph: a box per step with its operator, an edge per dependency, layered by depth.
    expect(await page.getByTestId('plan-step').count()).toBe(3);
    for (const s of plan.steps) {
      expect(await step(page, s.id).getByTestId('plan-step-operator').innerText()).toBe(s.operatorName);
      expect(await step(page, s.id).getAttribute('data-status')).toBe('planned');
    }
    const edges = await page.getByTestId('plan-edge').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-from')}->${e.getAttribute('data-to')}`));
    expect(edges.sort()).toEqual(['step1->step2', 'step1->step3']);
    const [b1, b2, b3] = await Promise.all(['step1', 'step2', 'step3'].map(async (id) => (await step(page, id).boundingBox())!));
    expect(b2!.y).toBe(b3!.y);
    expect(b2!.y).toBeGreaterThan(b1!.y + b1!.height);
    expect(b2!.x).not.toBe(b3!.x);
    // Its worst case, before approval; no budget covers it.
    expect(await page.getByTestId('plan-worst-case').innerText()).toBe(formatUsd(plan.estimate.worstCaseMicroUsd));
    expect(await page.getByTestId('plan-budget').count()).toBe(0);
    await screenshot(page, 'missions-plan-proposed');

    // Approve: the mission runs. step1 holds its call 1.5 s (its input carries the message's directive), so it is
    // seen running; then step2 and step3; each status arrives live.
    await page.getByTestId('plan-approve').click();
    await waitLive(page, missionIs(page, 'running'), 'the mission running');
    await waitLive(page, stepIs(page, 'step1', 'running'), 'step1 running');
    await page.getByTestId('mission-run').and(page.locator('[data-status="running"]')).waitFor();
    expect(await card.getByTestId('plan-status').innerText()).toBe('Approved');
    expect(await page.getByTestId('plan-approve').count()).toBe(0);
    await page.getByTestId('mission-cancel').waitFor();
    await screenshot(page, 'missions-running');
    for (const id of ['step1', 'step2', 'step3']) await waitLive(page, stepIs(page, id, 'succeeded'), `${id} succeeded`);
    await waitLive(page, missionIs(page, 'succeeded'), 'the mission succeeded');
    await page.getByTestId('mission-run').and(page.locator('[data-status="succeeded"]')).waitFor();
    expect(await page.getByTestId('mission-run-summary').innerText()).toBe('3 of 3 steps succeeded.');
    expect(await page.getByTestId('mission-cancel').count()).toBe(0);
    // Edges now read "done".
    expect(await page.locator('[data-testid="plan-edge"][data-state="done"]').count()).toBe(2);

    // The server agrees, and the step boxes link to the step runs.
    m = await eventually(() => getMission(missionId), (x) => x.status === 'succeeded', 'the mission succeeded (API)');
    expect(m.plans[0].status).toBe('approved');
    expect(m.currentRun.run).toMatchObject({ kind: 'mission', status: 'succeeded', statusReason: '3 of 3 steps succeeded.' });
    for (const s of m.currentRun.steps) {
      expect(s.run.status).toBe('succeeded');
      expect(await step(page, s.stepId).getAttribute('data-run-id')).toBe(s.run.id);
      expect(await step(page, s.stepId).getAttribute('href')).toBe(`/runs/${s.run.id}`);
    }

    // The cost by label: two copilot runs and three steps, all estimated by Vaultrun (the mock reports no cost).
    expect(m.cost.runs).toBe(5);
    expect(m.cost.byLabel.estimated.runs).toBe(5);
    const cost = page.getByTestId('mission-cost');
    await waitLive(page, cost.and(page.locator(`[data-micro-usd="${m.cost.costMicroUsd}"][data-runs="5"]`)), 'the mission cost');
    const estimated = cost.locator('[data-testid="spend-legend-item"][data-label="estimated"]');
    expect(await estimated.getAttribute('data-micro-usd')).toBe(String(m.cost.byLabel.estimated.costMicroUsd));
    expect(await estimated.getAttribute('data-runs')).toBe('5');
    expect(await estimated.innerText()).toContain('Estimated by Vaultrun');
    expect(await estimated.innerText()).toContain(formatUsd(m.cost.byLabel.estimated.costMicroUsd));
    expect(await cost.locator('[data-testid="spend-legend-item"][data-label="verified"]').getAttribute('data-runs')).toBe('0');
    expect(await cost.getByTestId('spend-total').getAttribute('data-micro-usd')).toBe(String(m.cost.costMicroUsd));
    expect(await page.getByTestId('mission-cost-steps').getAttribute('data-micro-usd')).toBe(String(m.currentRun.cost.costMicroUsd));
    expect(await page.getByTestId('mission-run-cost').innerText()).toBe(formatUsd(m.currentRun.cost.costMicroUsd));
    expect(await pageWasNotReloaded(page)).toBe(true);
    await screenshot(page, 'missions-succeeded');

    // A step box opens its run.
    await step(page, 'step2').click();
    await page.waitForURL(`**/runs/${m.currentRun.steps[1].run.id}`);
    await page.locator('[data-testid="run-detail-status"][data-status="succeeded"]').waitFor();
    // …and the run page leads back to its mission.
    const partOf = page.getByTestId('run-part-of');
    expect(await partOf.innerText()).toBe('A mission, step “step2”');
    await partOf.click();
    await page.waitForURL(`**/missions/${missionId}`);
    await step(page, 'step2').waitFor();

    // The list shows the mission, succeeded.
    await page.getByTestId('nav-missions').click();
    const row = page.locator(`[data-testid="mission-row"][data-mission-id="${missionId}"]`);
    await row.and(page.locator('[data-status="succeeded"]')).waitFor();
    expect(await row.getByTestId('mission-link').innerText()).toBe(title);
    await screenshot(page, 'missions-list');
    await page.context().close();
  }, 90_000);

  it('a scripted diamond plan, edited in the console (a cycle is refused with its errors), fails at step b under “stop”: the mission names the step', async () => {
    const page = await newPage();
    await signInAt(page, stack.ws.users.member, '/missions');
    await createMissionInConsole(page, `Diamond ${hex()}`, 'Collect, summarise and check, then publish.', false);
    await markPage(page);
    const missionId = missionIdOf(page);
    await page.getByTestId('chat-empty').waitFor();

    await send(
      page,
      scripted({
        title: 'Diamond',
        failurePolicy: 'stop',
        steps: [
          { id: 'a', operator: 'Collector', input: 'Collect this week’s facts', dependsOn: [] },
          { id: 'b', operator: 'Summariser', input: 'Summarise: {{steps.a.output}} [mock:fail=provider_rejected]', dependsOn: ['a'] },
          { id: 'c', operator: 'Publisher', input: 'Check: {{steps.a.output}} [mock:latency=1500]', dependsOn: ['a'] },
          { id: 'd', operator: 'Publisher', input: 'Publish:\n{{steps.b.output}}\n---\n{{steps.c.output}}', dependsOn: ['b', 'c'] },
        ],
      }),
    );
    const card = page.getByTestId('plan-card');
    await waitLive(page, card.and(page.locator('[data-plan-status="proposed"]')), 'the scripted plan');
    expect(await page.getByTestId('plan-step').count()).toBe(4);
    expect(await page.getByTestId('plan-edge').count()).toBe(4);
    const [ya, yb, yc, yd] = await Promise.all(['a', 'b', 'c', 'd'].map(async (id) => (await step(page, id).boundingBox())!.y));
    expect(yb).toBe(yc);
    expect(ya).toBeLessThan(yb!);
    expect(yd).toBeGreaterThan(yb!);
    const first = (await getMission(missionId)).plans[0];

    // Edit it: make "a" depend on "d" — a cycle. The API refuses the plan and the editor lists the problems.
    await page.getByTestId('plan-edit').click();
    const editor = page.getByTestId('plan-editor');
    const stepA = editor.locator('[data-testid="plan-edit-step"][data-step-index="0"]');
    expect(await stepA.getByTestId('plan-edit-step-id').inputValue()).toBe('a');
    await stepA.getByTestId('plan-edit-dep-d').check({ force: true });
    await page.getByTestId('plan-edit-save').click();
    const errors = page.getByTestId('plan-edit-errors');
    await errors.waitFor();
    expect(await errors.innerText()).toMatch(/dependency cycle/);
    await screenshot(page, 'missions-plan-edit-refused');
    expect((await getMission(missionId)).plans).toHaveLength(1);

    // Undo that, rename the plan, and propose it: a new plan based on the Copilot's, which it supersedes.
    await stepA.getByTestId('plan-edit-dep-d').uncheck({ force: true });
    await page.getByTestId('plan-edit-title').fill('Diamond (reviewed)');
    await page.getByTestId('plan-edit-save').click();
    await page.getByTestId('plan-notice').waitFor();
    await waitLive(page, page.locator('[data-testid="plan-card"][data-plan-status="proposed"]').filter({ hasText: 'Plan 2' }), 'the edited plan');
    expect(await card.innerText()).toContain('Diamond (reviewed)');
    expect(await card.innerText()).toContain('Edited by a person from plan 1');
    let m = await getMission(missionId);
    expect(m.plans.map((p: Json) => [p.status, p.createdBy, p.basedOnPlanId])).toEqual([
      ['superseded', 'copilot', null],
      ['proposed', 'user', first.id],
    ]);
    expect(m.plans[1].steps.map((s: Json) => [s.id, s.operatorId, s.dependsOn])).toEqual([
      ['a', ops.Collector, []],
      ['b', ops.Summariser, ['a']],
      ['c', ops.Publisher, ['a']],
      ['d', ops.Publisher, ['b', 'c']],
    ]);
    // The older plan can still be looked at.
    await page.getByTestId('plan-select').selectOption(first.id);
    await card.and(page.locator('[data-plan-status="superseded"]')).waitFor();
    expect(await page.getByTestId('plan-approve').count()).toBe(0);
    await page.getByTestId('plan-select').selectOption(m.plans[1].id);
    await card.and(page.locator('[data-plan-status="proposed"]')).waitFor();

    // Approve: a succeeds, b fails; under "stop" c (still running) and d are cancelled; the mission failed, naming b.
    await page.getByTestId('plan-approve').click();
    await waitLive(page, stepIs(page, 'a', 'succeeded'), 'a succeeded');
    await waitLive(page, stepIs(page, 'b', 'failed'), 'b failed');
    await waitLive(page, stepIs(page, 'c', 'cancelled'), 'c cancelled');
    await waitLive(page, stepIs(page, 'd', 'cancelled'), 'd cancelled');
    await waitLive(page, missionIs(page, 'failed'), 'the mission failed');
    await page.getByTestId('mission-run').and(page.locator('[data-status="failed"]')).waitFor();
    const summary = await page.getByTestId('mission-run-summary').innerText();
    expect(summary).toMatch(/^1 of 4 steps succeeded; step "b" failed: /);
    // Edges out of a (succeeded) read done; out of b (failed) and c (cancelled), broken.
    const edgeStates = await page.getByTestId('plan-edge').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-from')}->${e.getAttribute('data-to')}:${e.getAttribute('data-state')}`));
    expect(edgeStates.sort()).toEqual(['a->b:done', 'a->c:done', 'b->d:broken', 'c->d:broken']);

    m = await eventually(() => getMission(missionId), (x) => x.status === 'failed', 'the mission failed (API)');
    expect(m.currentRun.run.statusReason).toBe(summary);
    const runOf = (id: string) => m.currentRun.steps.find((s: Json) => s.stepId === id).run;
    expect(runOf('a').status).toBe('succeeded');
    expect(runOf('b')).toMatchObject({ status: 'failed', error: { code: 'provider_rejected' } });
    expect(runOf('c')).toMatchObject({ status: 'cancelled', error: { code: 'mission_stopped' } });
    expect(runOf('d').status).toBe('cancelled');
    expect(await step(page, 'b').getAttribute('href')).toBe(`/runs/${runOf('b').id}`);
    expect(await pageWasNotReloaded(page)).toBe(true);
    await screenshot(page, 'missions-failed');
    await page.context().close();
  }, 90_000);

  it('an invalid plan shows its problems and cannot be approved; a plan that may not fit a budget is flagged, and the budget that blocks a step is named', async () => {
    // Set up through the API: a mission whose Copilot proposed a plan naming an operator that does not exist.
    const created = await api().post('/api/v1/missions', { title: `Budgeted ${hex()}`, goal: 'Publish a note' });
    expect(created.status).toBe(201);
    const missionId = created.body.id;
    const sent = await api().post(`/api/v1/missions/${missionId}/messages`, {
      content: scripted({ title: 'Broken', failurePolicy: 'stop', steps: [{ id: 'write', operator: 'Ghostwriter', input: 'Write it', dependsOn: [] }] }),
    });
    expect(sent.status).toBe(202);
    await eventually(() => getMission(missionId), (x) => x.plans.length === 1, 'the invalid plan');

    const page = await newPage();
    await signInAt(page, stack.ws.users.member, `/missions/${missionId}`);
    await markPage(page);
    const card = page.getByTestId('plan-card');
    await card.and(page.locator('[data-plan-status="invalid"]')).waitFor();
    expect(await page.getByTestId('plan-error').allInnerTexts()).toEqual(['Step "write" names operator "Ghostwriter", which is not an operator of this workspace.']);
    expect(await page.getByTestId('plan-approve').count()).toBe(0);
    expect(await step(page, 'write').getAttribute('class')).toContain('plan-step-invalid');
    expect(await page.getByTestId('plan-edit').innerText()).toBe('Fix in the editor');
    await screenshot(page, 'missions-plan-invalid');

    // A budget on the Summariser too small for one worst case, then a plan using it: flagged before approval.
    const budgetName = `Summariser pennies ${hex()}`;
    const budget = await as(stack.admin).post('/api/v1/budgets', { name: budgetName, scope: { type: 'operator', id: ops.Summariser }, period: 'month', capMicroUsd: 1 });
    expect(budget.status).toBe(201);
    try {
      await send(
        page,
        scripted({
          title: 'Pricey',
          failurePolicy: 'stop',
          steps: [
            { id: 'collect', operator: 'Collector', input: 'Collect', dependsOn: [] },
            { id: 'summarise', operator: 'Summariser', input: 'Summarise {{steps.collect.output}}', dependsOn: ['collect'] },
          ],
        }),
      );
      await waitLive(page, card.and(page.locator('[data-plan-status="proposed"]')), 'the second plan');
      const flagged = page.locator(`[data-testid="plan-budget"][data-budget-id="${budget.body.id}"]`);
      await flagged.waitFor();
      expect(await flagged.getAttribute('data-exceeded')).toBe('true');
      expect(await flagged.innerText()).toContain(budgetName);
      await page.getByTestId('plan-budget-warning').waitFor();
      await screenshot(page, 'missions-plan-budget-flagged');

      // Approved anyway: the step under the budget is blocked; the mission says which step and which budget.
      await page.getByTestId('plan-approve').click();
      await waitLive(page, stepIs(page, 'collect', 'succeeded'), 'collect succeeded');
      await waitLive(page, stepIs(page, 'summarise', 'blocked'), 'summarise blocked');
      await waitLive(page, missionIs(page, 'failed'), 'the mission failed');
      const blockedBy = page.getByTestId('mission-blocked-by');
      await blockedBy.waitFor();
      expect(await blockedBy.getAttribute('data-budget-id')).toBe(budget.body.id);
      expect(await page.getByTestId('mission-blocked-budget-link').getAttribute('href')).toBe(`/budgets#budget-${budget.body.id}`);
      expect(await page.getByTestId('mission-run-summary').innerText()).toMatch(new RegExp(`^1 of 2 steps succeeded; step "summarise" was blocked by budget "${budgetName}": `));
      const m = await getMission(missionId);
      expect(m.currentRun.run).toMatchObject({ status: 'failed', blockedBy: { budgetId: budget.body.id, budgetName } });
      expect(await pageWasNotReloaded(page)).toBe(true);
      await screenshot(page, 'missions-blocked-by-budget');
    } finally {
      await as(stack.admin).delete(`/api/v1/budgets/${budget.body.id}`);
    }
    await page.context().close();
  }, 90_000);

  it('cancels a running mission from the console: the running step is aborted and the rest never start', async () => {
    const page = await newPage();
    await signInAt(page, stack.ws.users.member, '/missions');
    await createMissionInConsole(page, `Long haul ${hex()}`, 'Something slow', false);
    await markPage(page);
    const missionId = missionIdOf(page);
    await send(
      page,
      scripted({
        title: 'Slow',
        failurePolicy: 'stop',
        steps: [
          { id: 'slow', operator: 'Collector', input: 'Take your time [mock:latency=20000]', dependsOn: [] },
          { id: 'after', operator: 'Publisher', input: 'Then: {{steps.slow.output}}', dependsOn: ['slow'] },
        ],
      }),
    );
    await waitLive(page, page.locator('[data-testid="plan-card"][data-plan-status="proposed"]'), 'the plan');
    await page.getByTestId('plan-approve').click();
    await waitLive(page, stepIs(page, 'slow', 'running'), 'slow running');
    // The button asks first.
    await page.getByTestId('mission-cancel').click();
    await page.getByTestId('confirm-accept').click();
    await waitLive(page, missionIs(page, 'cancelled'), 'the mission cancelled');
    await waitLive(page, stepIs(page, 'slow', 'cancelled'), 'slow cancelled');
    await waitLive(page, stepIs(page, 'after', 'cancelled'), 'after cancelled');
    await page.getByTestId('mission-run').and(page.locator('[data-status="cancelled"]')).waitFor();
    expect(await page.getByTestId('mission-run-summary').innerText()).toMatch(/^Cancelled by member-/);
    expect(await page.getByTestId('mission-cancel').count()).toBe(0);
    const m = await eventually(() => getMission(missionId), (x) => x.currentRun.steps.every((s: Json) => s.run.status === 'cancelled'), 'every step cancelled (API)');
    expect(m.status).toBe('cancelled');
    expect(m.currentRun.steps.map((s: Json) => [s.stepId, s.run.providerCalls])).toEqual([
      ['slow', 1],
      ['after', 0],
    ]);
    expect(await pageWasNotReloaded(page)).toBe(true);
    await screenshot(page, 'missions-cancelled');
    await page.context().close();
  }, 90_000);

  it('lists missions newest first, 50 at a time, and loads older ones on demand', async () => {
    const tag = `Paged ${Date.now()}`;
    for (let i = 0; i < 51; i++) expect((await as(stack.member).post('/api/v1/missions', { title: `${tag} #${i}` })).status).toBe(201);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await signInAt(page, stack.ws.users.member, '/missions');
    const rows = page.getByTestId('mission-row');
    await rows.nth(49).waitFor();
    expect(await rows.count()).toBe(50);
    expect(await rows.first().getByTestId('mission-link').innerText()).toBe(`${tag} #50`);
    const total = (await stack.api.db.query(`SELECT count(*)::int AS n FROM missions WHERE workspace_id = $1`, [stack.ws.id]))[0].n as number;
    await page.getByTestId('missions-load-more').click();
    await rows.nth(total - 1).waitFor();
    expect(await rows.count()).toBe(total);
    expect(await page.getByTestId('missions-load-more').count()).toBe(total > 100 ? 1 : 0);
    await page.context().close();
  }, 60_000);
});
