/**
 * Credits under concurrency (issue 15): a workspace's credit balance is a budget it cannot raise, held and settled by
 * the same ledger — so, as for budgets, 200 runs at once on a managed connector across two worker processes can
 * never spend past the credits, and the balance never goes below zero at any instant.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { as, signIn } from '../../../test/support/api.js';
import { runCleanups } from '../../../test/support/cleanups.js';
import { budgetPeriod, insertPriceOverride, ledgerSums, statusCounts } from '../../../test/support/money.js';
import { spawnWorkerProcess } from '../../../test/support/processes.js';
import { waitUntil } from '../../../test/support/runs.js';
import { startRuns, startStack } from '../../../test/support/stack.js';

const CREDITS = 1_000_000; // $1.00
// The instance prices mock-fast at $5,000 per 1M output tokens and nothing for input: with max output 20 tokens a
// run's worst case is exactly $0.10, and the mock always writes the full 20 tokens.
const WORST_CASE = 100_000;

describe('credits race (2 worker processes, managed mock account)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(() => runCleanups(cleanup));

  it('$1.00 of credits, 200 runs of worst case $0.10 at once → exactly 10 run, 190 refused with the next step, never below zero', async () => {
    const stack = await startStack({ inProcessWorker: false });
    cleanup.push(() => stack.close());
    const db = stack.api.db;
    await db.query(`UPDATE users SET is_instance_admin = true WHERE id = $1`, [stack.ws.users.owner.id]);
    const admin = await signIn(stack.api.url, stack.ws.users.owner);
    const managed = await as(admin).post('/api/v1/instance/managed-accounts', {
      name: 'Managed mock',
      kind: 'mock',
      mock: { latencyMs: 3000 },
      offer: 'all',
      share: { maxConcurrency: 1000 },
    });
    expect(managed.status).toBe(201);
    const [{ id: instanceWs }] = await db.query(`SELECT id FROM workspaces WHERE is_instance`);
    await insertPriceOverride(db, instanceWs, 'mock-fast', { input: 0, output: 5_000_000_000 });
    // A workspace override must not price the instance's account: this one would make every run free.
    await insertPriceOverride(db, stack.ws.id, 'mock-fast', { input: 0, output: 0 });
    expect((await as(admin).post(`/api/v1/instance/workspaces/${stack.ws.id}/credits`, { kind: 'grant', amountMicroUsd: String(CREDITS) })).status).toBe(201);
    const [{ id: connectorId }] = await db.query(`SELECT id FROM provider_accounts WHERE workspace_id = $1 AND managed_source_id IS NOT NULL`, [stack.ws.id]);
    const [{ id: creditsBudget }] = await db.query(`SELECT id FROM budgets WHERE workspace_id = $1 AND scope_type = 'credits'`, [stack.ws.id]);
    const op = (await as(stack.member).post('/api/v1/operators', { name: 'racer', accountId: connectorId, model: 'mock-fast', maxOutputTokens: 20 })).body;

    const ids = await startRuns(stack.member, op.id, 200, (i) => `credits race ${i}: a long and detailed answer please`, 50);
    let max = 0;
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const p = await budgetPeriod(db, creditsBudget);
        max = Math.max(max, p.spent + p.held);
        samples++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const workers = await Promise.all([0, 1].map((i) => spawnWorkerProcess({ ...stack.workerEnv, VAULTRUN_RUNS_CONCURRENCY: '100', VAULTRUN_WORKER_ID: `credits-${i}` })));
    cleanup.push(() => Promise.all(workers.map((w) => w.stop())));
    await waitUntil(async () => {
      const c = await statusCounts(db, ids);
      return (c.succeeded ?? 0) + (c.blocked ?? 0) + (c.failed ?? 0) === ids.length;
    }, 90_000, 'all 200 runs to finish');
    sampling = false;
    await sampler;

    expect(await statusCounts(db, ids)).toEqual({ succeeded: 10, blocked: 190 });
    expect(samples).toBeGreaterThan(20);
    expect(max).toBeLessThanOrEqual(CREDITS);
    const period = await budgetPeriod(db, creditsBudget);
    expect([period.spent, period.held]).toEqual([10 * WORST_CASE, 0]);
    expect(await ledgerSums(db, creditsBudget)).toEqual({ spent: period.spent, held: 0 });
    const blocked = await db.query(`SELECT DISTINCT error_code, blocked_budget_id FROM runs WHERE id = ANY($1) AND status = 'blocked'`, [ids]);
    expect(blocked).toEqual([{ error_code: 'credits_exhausted', blocked_budget_id: creditsBudget }]);
    const [reason] = await db.query(`SELECT status_reason FROM runs WHERE id = ANY($1) AND status = 'blocked' LIMIT 1`, [ids]);
    expect(reason.status_reason).toMatch(/Your Vaultrun credits do not cover this.*ask your instance administrator for more credits, or connect your own provider key/);
    const [{ paid }] = await db.query(`SELECT array_agg(DISTINCT paid_with) AS paid FROM runs WHERE id = ANY($1)`, [ids]);
    expect(paid).toEqual(['credits']);

    const credits = (await as(stack.member).get('/api/v1/credits')).body;
    expect(credits).toMatchObject({ balanceMicroUsd: '0', availableMicroUsd: '0', heldMicroUsd: '0', spentMicroUsd: String(CREDITS), exhausted: true });
    expect(credits.grants[0]).toMatchObject({ usedMicroUsd: String(CREDITS), status: 'used' });
  }, 150_000);
});
