/**
 * The overshoot bound (issue 10 §2), on real worker processes: 100 concurrent runs against a $0.01 cap on a provider
 * that reports twice the prompt tokens it was sent, calibration cold. Every hold is too small, so the cap is crossed —
 * but only by runs that were already in flight when the first overage landed: from that instant nothing is admitted
 * (not even runs accepted by the API earlier), and the recorded figures prove total spend ≤ cap + what was in flight.
 *
 * The provider holds every "[gate]" call open until the test lets it answer, so which runs are in flight at each step
 * is decided by the test, never by the machine's speed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as } from '../../../test/support/api.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { budgetPeriod, insertBudget, insertPriceOverride, ledgerSums, statusCounts } from '../../../test/support/money.js';
import { spawnWorkerProcess, type WorkerProcess } from '../../../test/support/processes.js';
import { waitUntil } from '../../../test/support/runs.js';
import { startRuns, startStack, type Stack } from '../../../test/support/stack.js';

const CAP = 10_000; // $0.01
const TEXT = 'please summarise the budget guardrail: reserve the worst case, call the provider, settle to what it reported';

describe('the overshoot bound (2 worker processes, a provider that reports twice the prompt tokens)', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let workers: WorkerProcess[] = [];
  const gate: (() => void)[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAI({ inflatePromptTokens: { factor: 2 } });
    fake.replyWith(() => 'ok');
    fake.respondWith((req) => {
      const messages = (req.body as { messages?: { role?: string; content?: unknown }[] } | null)?.messages ?? [];
      if (!messages.some((m) => m.role === 'user' && String(m.content).includes('[gate]'))) return undefined;
      return new Promise<undefined>((resolve) => gate.push(() => resolve(undefined)));
    });
    stack = await startStack({ inProcessWorker: false });
  });
  afterAll(async () => {
    for (const open of gate.splice(0)) open();
    await Promise.all(workers.map((w) => w.stop()));
    await stack?.close();
    await fake?.close();
  });

  it('spend stays within cap + the worst cases in flight when the first overage landed; nothing is admitted after it', async () => {
    const db = stack.api.db;
    const account = (await as(stack.admin).post('/api/v1/provider-accounts', { verify: false, name: 'Counts double', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-bound-0001', defaultModel: 'gpt-4.1-mini' })).body;
    await db.query(`UPDATE provider_accounts SET max_concurrency = 1000 WHERE id = $1`, [account.id]);
    // $10 per 1M tokens in and out: 10 µ$ a token. One output token ("ok"): the prompt is the cost.
    await insertPriceOverride(db, stack.ws.id, 'gpt-4.1-mini', { input: 10_000_000, output: 10_000_000 });
    const budgetId = await insertBudget(db, stack.ws.id, { name: 'Cent', capMicroUsd: CAP });
    const operator = (await as(stack.member).post('/api/v1/operators', { name: 'doubled', accountId: account.id, maxOutputTokens: 1, instructions: 'Answer briefly.' })).body;
    workers = await Promise.all([0, 1].map((i) => spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_RUNS_CONCURRENCY: '100', VAULTRUN_WORKER_ID: `bound-${i}` })));

    // 1. 100 runs at once. Every admitted run's call is held open: the cap's worth are in flight, the rest blocked.
    const ids = await startRuns(stack.member, operator.id, 100, (i) => `[gate] run ${i}: ${TEXT}`, 50);
    let admitted = 0;
    await waitUntil(
      async () => {
        const blocked = (await statusCounts(db, ids)).blocked ?? 0;
        admitted = 100 - blocked;
        return fake.inFlight() === admitted && gate.length === admitted;
      },
      60_000,
      'every run to be admitted (in flight) or blocked',
    );
    expect(admitted).toBeGreaterThan(2);
    const inFlightHolds: { run_id: string; amount: string }[] = await db.query(`SELECT run_id, amount_micro_usd AS amount FROM budget_holds WHERE budget_id = $1 AND status = 'held'`, [budgetId]);
    expect(inFlightHolds).toHaveLength(admitted);
    const worstCasesInFlight = inFlightHolds.reduce((n, h) => n + Number(h.amount), 0);
    expect(worstCasesInFlight).toBeLessThanOrEqual(CAP);

    // 2. One call answers: the provider counted twice what was held — an overage, and the budget pauses at once.
    gate.shift()!();
    await waitUntil(async () => (await statusCounts(db, ids)).succeeded === 1, 30_000, 'the first answer to settle');
    const [first] = await db.query(`SELECT id, cost_micro_usd::int AS cost, estimate_micro_usd::int AS held, overage_micro_usd::int AS overage FROM runs WHERE id = ANY($1) AND status = 'succeeded'`, [ids]);
    expect(first.overage).toBe(first.cost - first.held);
    expect(first.overage).toBeGreaterThan(0);
    const budget = (await as(stack.member).get(`/api/v1/budgets/${budgetId}`)).body;
    expect(budget.currentPeriod).toMatchObject({ exhausted: true, overageMicroUsd: first.overage });
    const [{ metadata }] = await db.query(`SELECT metadata FROM audit_events WHERE action = 'budget.overage' AND target_id = $1`, [budgetId]);
    const exhaustedAt = new Date(metadata.exhaustedAt as string);
    // What was in flight when it landed: the worst cases of every admitted run, the overshooting one included.
    expect(Number(metadata.inFlightMicroUsd)).toBe(worstCasesInFlight);

    // 3. Runs the API accepted earlier (queued, as if created just before) reach the workers now: none is admitted.
    const late: { id: string }[] = await db.query(
      `INSERT INTO runs (workspace_id, kind, operator_id, started_by_type, started_by_id, account_id, model, instructions, input, temperature, max_output_tokens, status, max_attempts, queued_at)
       SELECT workspace_id, kind, operator_id, started_by_type, started_by_id, account_id, model, instructions, 'late run ' || g || ': ' || $2, temperature, max_output_tokens, 'queued', max_attempts, now()
         FROM runs, generate_series(1, 10) g WHERE id = $1 RETURNING id`,
      [ids[0], TEXT],
    );
    const lateIds = late.map((r) => r.id);
    await waitUntil(async () => (await statusCounts(db, lateIds)).blocked === 10, 60_000, 'the late runs to be refused by the workers');
    const reasons: { status_reason: string; blocked_budget_id: string; error_code: string }[] = await db.query(
      `SELECT DISTINCT status_reason, blocked_budget_id, error_code FROM runs WHERE id = ANY($1)`,
      [lateIds],
    );
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatchObject({ blocked_budget_id: budgetId, error_code: 'budget_exhausted' });
    expect(reasons[0]!.status_reason).toMatch(/^Budget "Cent" is paused after an overage/);
    // …and the API refuses new ones at once.
    const refused = await as(stack.member).post('/api/v1/runs', { operatorId: operator.id, input: `one more: ${TEXT}` });
    expect([refused.status, refused.body.code, refused.body.exhausted]).toEqual([402, 'budget_exhausted', true]);

    // 4. The rest answer (each overshooting too). Then the ledger tells the whole story.
    for (const open of gate.splice(0)) open();
    await waitUntil(async () => (await statusCounts(db, ids)).succeeded === admitted, 60_000, 'every admitted run to settle');

    const period = await budgetPeriod(db, budgetId);
    expect(period.held).toBe(0);
    expect(await ledgerSums(db, budgetId)).toEqual({ spent: period.spent, held: 0 });
    const charged: { cost: number; held: number; overage: number | null; hold_created: Date }[] = await db.query(
      `SELECT r.cost_micro_usd::int AS cost, h.amount_micro_usd::int AS held, r.overage_micro_usd::int AS overage, h.created_at AS hold_created
         FROM runs r JOIN budget_holds h ON h.run_id = r.id AND h.budget_id = $2 WHERE r.id = ANY($1) AND r.status = 'succeeded'`,
      [[...ids, ...lateIds], budgetId],
    );
    expect(charged).toHaveLength(admitted);
    for (const c of charged) {
      // The premise of the bound: this provider never reports more than twice what was held…
      expect(c.cost).toBeLessThanOrEqual(2 * c.held);
      // …every one of these calls overshot, was charged in full and says by how much…
      expect(c.overage).toBe(c.cost - c.held);
      // …and every run charged was admitted before the first overage landed.
      expect(c.hold_created.getTime()).toBeLessThan(exhaustedAt.getTime());
    }
    const spent = charged.reduce((n, c) => n + c.cost, 0);
    expect(period.spent).toBe(spent);
    // The cap was crossed (the provider counted more than any hold) — by at most what was in flight.
    expect(spent).toBeGreaterThan(CAP);
    expect(spent).toBeLessThanOrEqual(CAP + Number(metadata.inFlightMicroUsd));
    const [{ n: afterOverage }] = await db.query(`SELECT count(*)::int AS n FROM budget_holds WHERE budget_id = $1 AND created_at > $2`, [budgetId, exhaustedAt]);
    expect(afterOverage).toBe(0);
    const shown = (await as(stack.member).get(`/api/v1/budgets/${budgetId}`)).body.currentPeriod;
    expect(shown).toMatchObject({ exhausted: false, spentMicroUsd: spent, heldMicroUsd: 0, remainingMicroUsd: 0, overageMicroUsd: charged.reduce((n, c) => n + c.overage!, 0) });
  }, 150_000);
});
