/**
 * Provider cost sync end to end: a real OpenAI account (the `openai` SDK against the local fake, whose Costs API
 * answers per-day amounts), runs executed by an in-process worker through the API, and the `cost-sync` job on the
 * maintenance queue.
 *
 * Runs can only finish "now", so to put runs on past days the test runs real runs and then moves their
 * `finished_at` back with SQL (and the account's and the budget's `created_at`, which cost sync and
 * vaultrun_adjust compare against). Everything else — costs, labels, holds, budget spend — is what the worker wrote.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QUEUES } from '@vaultrun/engine';
import { Job, Queue, QueueEvents } from 'bullmq';
import { as } from '../../../test/support/api.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { CapturedLogs } from '../../../test/support/logs.js';
import { waitForRun } from '../../../test/support/runs.js';
import { type Stack, startRuns, startStack } from '../../../test/support/stack.js';

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Every 12-character window of a secret. */
const pieces = (secret: string) => Array.from({ length: secret.length - 11 }, (_, i) => secret.slice(i, i + 12));

describe('provider cost sync (OpenAI Costs API)', () => {
  const logs = new CapturedLogs();
  const adminKeys = {
    good: `sk-admin-costsync${randomBytes(12).toString('hex')}`,
    refused: `sk-admin-invalid${randomBytes(12).toString('hex')}`,
    down: `sk-admin-broken${randomBytes(12).toString('hex')}`,
  };
  let fake: FakeOpenAI;
  let stack: Stack;
  let queue: Queue;
  let events: QueueEvents;
  let accountId: string;
  let refusedId: string;
  let downId: string;
  let budgetId: string;
  const jobs: Job[] = [];

  // The UTC days of this test: today and the three closed days before it.
  let today: string;
  let d1: string; // yesterday: matches
  let d2: string; // two days ago: drift (and one call with an unknown outcome)
  let d3: string; // three days ago: no runs
  const runs = { d1: [] as string[], d2: [] as string[], today: [] as string[] };
  /** When this suite began (attempts recorded by its syncs are later; the database and this process share a clock). */
  const suiteStartedAt = Date.now();

  const sql = <T = Record<string, any>>(text: string, params: unknown[] = []) => stack.api.db.query(text, params) as Promise<T[]>;
  const labels = async (ids: string[]) =>
    (await sql<{ cost_label: string }>(`SELECT cost_label FROM runs WHERE id = ANY($1) ORDER BY id`, [ids])).map((r) => r.cost_label);
  const sumCost = async (ids: string[]) => Number((await sql(`SELECT COALESCE(sum(cost_micro_usd), 0) AS v FROM runs WHERE id = ANY($1)`, [ids]))[0]!.v);
  const syncDay = async (day: string) => (await sql(`SELECT * FROM cost_sync_days WHERE account_id = $1 AND day = $2`, [accountId, day]))[0];
  const spent = async () => Number((await sql(`SELECT spent_micro_usd FROM budget_balances WHERE budget_id = $1`, [budgetId]))[0]!.spent_micro_usd);
  const adjustment = async (day: string) =>
    Number((await sql(`SELECT amount_micro_usd FROM budget_adjustments WHERE budget_id = $1 AND account_id = $2 AND day = $3`, [budgetId, accountId, day]))[0]?.amount_micro_usd ?? 0);
  /** What the budget's spend for one account-day is made of: charged holds of that day's runs + that day's adjustment. */
  const daySpend = async (ids: string[], day: string) =>
    Number((await sql(`SELECT COALESCE(sum(charged_micro_usd), 0) AS c FROM budget_holds WHERE budget_id = $1 AND run_id = ANY($2) AND status <> 'held'`, [budgetId, ids]))[0]!.c) +
    (await adjustment(day));

  async function runCostSync(data: { accountId?: string } = {}) {
    const job = await queue.add('cost-sync', data);
    jobs.push(job);
    return (await job.waitUntilFinished(events, 30_000)) as { accounts: number; failed: number; matched: number; drift: number; notPublished: number };
  }

  async function moveRuns(ids: string[], day: string) {
    await sql(`UPDATE runs SET finished_at = $2::timestamptz WHERE id = ANY($1)`, [ids, `${day}T12:00:00Z`]);
  }

  beforeAll(async () => {
    // Days are computed once, and the worker's cost sync is pinned to the same instant: crossing UTC midnight
    // during the test changes nothing.
    const now = Date.now();
    [today, d1, d2, d3] = [0, 1, 2, 3].map((back) => dayOf(now - back * DAY_MS)) as [string, string, string, string];

    fake = await startFakeOpenAI();
    stack = await startStack({ logDestination: logs, apiEnv: { LOG_LEVEL: 'trace' }, workerEnv: { LOG_LEVEL: 'trace' }, clock: () => new Date(now) });
    const admin = as(stack.admin);
    const connection = { url: stack.api.config.redisUrl };
    const prefix = `${stack.workerEnv.VAULTRUN_REDIS_PREFIX}:bull`;
    queue = new Queue(QUEUES.maintenance, { connection, prefix });
    events = new QueueEvents(QUEUES.maintenance, { connection, prefix });
    await events.waitUntilReady();
    // The schedule runs a first cost sync as soon as the worker boots: let it finish (with no accounts yet), so
    // every check below is one this test asked for.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(await queue.getCompleted()).some((j) => j.name === 'cost-sync')) await new Promise((r) => setTimeout(r, 100));

    const created = await admin.post('/api/v1/provider-accounts', { name: 'OpenAI (cost sync)', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-costsync000000000000000000000000' });
    expect(created.status).toBe(201);
    accountId = created.body.id;
    expect((await admin.put(`/api/v1/provider-accounts/${accountId}/admin-key`, { adminKey: adminKeys.good })).status).toBe(200);

    // A workspace budget (lifetime: one period) that existed on every day of the test.
    [{ id: budgetId }] = (await sql(
      `INSERT INTO budgets (workspace_id, name, scope_type, period, cap_micro_usd, created_at) VALUES ($1, 'Everything', 'workspace', 'lifetime', 1000000000, now() - interval '10 days') RETURNING id`,
      [stack.ws.id],
    )) as [{ id: string }];

    const operator = await admin.post('/api/v1/operators', { name: 'Summariser', accountId, model: 'gpt-4o-mini', maxOutputTokens: 64 });
    expect(operator.status).toBe(201);
    const ids = await startRuns(stack.admin, operator.body.id, 5, (i) => `Summarise ticket number ${i} please`);
    for (const id of ids) expect((await waitForRun(stack.admin.agent, id)).status).toBe('succeeded');
    // Every run was estimated from tokens × price, pending provider sync (the account has an admin key).
    expect(await labels(ids)).toEqual(['pending_sync', 'pending_sync', 'pending_sync', 'pending_sync', 'pending_sync']);
    runs.d1 = ids.slice(0, 2);
    runs.d2 = ids.slice(2, 4);
    runs.today = ids.slice(4);
    await moveRuns(runs.d1, d1);
    await moveRuns(runs.d2, d2);

    // One more d2 run whose provider call had an unknown outcome (the worker died mid-call): its worst case is kept
    // as spend and it has no cost. Reproduced on a real run by rewriting its hold as recovery would have closed it.
    const [unknown] = await startRuns(stack.admin, operator.body.id, 1, () => 'The call whose outcome nobody knows');
    await waitForRun(stack.admin.agent, unknown!);
    await sql(
      `WITH h AS (SELECT id, amount_micro_usd, charged_micro_usd, folded FROM budget_holds WHERE run_id = $1 AND budget_id = $2),
            upd AS (UPDATE budget_holds bh SET status = 'kept', charged_micro_usd = h.amount_micro_usd FROM h WHERE bh.id = h.id
                    RETURNING h.amount_micro_usd - h.charged_micro_usd AS extra, h.folded)
       UPDATE budget_periods SET spent_micro_usd = spent_micro_usd + (SELECT extra FROM upd) WHERE budget_id = $2 AND (SELECT folded FROM upd)`,
      [unknown, budgetId],
    );
    await sql(`UPDATE runs SET cost_micro_usd = NULL, cost_label = 'unavailable' WHERE id = $1`, [unknown]);
    runs.d2.push(unknown!);
    await moveRuns([unknown!], d2);
    await sql(`UPDATE provider_accounts SET created_at = now() - interval '10 days' WHERE id = $1`, [accountId]);

    // Two more accounts whose admin keys fail: one refused (401), one provider outage (500).
    for (const [name, key] of [['refused', adminKeys.refused], ['down', adminKeys.down]] as const) {
      const res = await admin.post('/api/v1/provider-accounts', { name: `OpenAI ${name}`, kind: 'openai', baseUrl: fake.url, apiKey: `sk-proj-${name}000000000000000000000000` });
      expect((await admin.put(`/api/v1/provider-accounts/${res.body.id}/admin-key`, { adminKey: key })).status).toBe(200);
      await sql(`UPDATE provider_accounts SET created_at = now() - interval '10 days' WHERE id = $1`, [res.body.id]);
      if (name === 'refused') refusedId = res.body.id;
      else downId = res.body.id;
    }
  }, 180_000);

  afterAll(async () => {
    await events?.close();
    await queue?.close();
    await stack?.close();
    await fake?.close();
  });

  it('keeps the cost-sync schedule in Redis (every 60 minutes by default)', async () => {
    const scheduler = await queue.getJobScheduler('cost-sync');
    expect(scheduler?.every).toBe(60 * 60_000);
    expect(scheduler?.name).toBe('cost-sync');
  });

  it('skips the days the provider has not published, and never looks at today', async () => {
    // Only a bucket for today (a provider that includes the current, partial day): every closed day is unpublished.
    fake.setCosts({ days: { [today]: 7 }, ignoreEndTime: true });
    const result = await runCostSync({ accountId });
    expect(result).toEqual({ accounts: 1, failed: 0, matched: 0, drift: 0, notPublished: 3 });
    const [request] = fake.costRequests();
    expect(request!.key).toBe(adminKeys.good);
    expect(request!.query).toMatchObject({
      start_time: String(Date.parse(`${d3}T00:00:00Z`) / 1000),
      end_time: String(Date.parse(`${today}T00:00:00Z`) / 1000),
      bucket_width: '1d',
      limit: expect.stringMatching(/^\d+$/),
    });
    expect(await sql(`SELECT * FROM cost_sync_days WHERE account_id = $1`, [accountId])).toEqual([]);
    expect(await labels([...runs.d1, ...runs.today])).toEqual(['pending_sync', 'pending_sync', 'pending_sync']);
  });

  describe('after the provider publishes the closed days', () => {
    let v1: number;
    let v2: number;
    let k2: number;
    let spentBefore: number;
    let firstResult: Awaited<ReturnType<typeof runCostSync>>;

    beforeAll(async () => {
      v1 = await sumCost(runs.d1);
      v2 = await sumCost(runs.d2);
      k2 = Number((await sql(`SELECT max(charged_micro_usd) AS k FROM budget_holds WHERE run_id = ANY($1) AND status = 'kept'`, [runs.d2]))[0]!.k);
      expect(v1).toBeGreaterThan(0);
      expect(k2).toBeGreaterThan(0);
      spentBefore = await spent();
      fake.reset();
      fake.setCosts({
        days: {
          // d1: two line items, within $0.01 of Vaultrun's figure. d2: $0.50 more than Vaultrun recorded.
          [d1]: [`${(v1 + 4_000) / 1e6}`, 0.005],
          [d2]: (v2 + 500_000) / 1e6,
          [d3]: '0',
          [today]: 3,
        },
        maxPageSize: 1,
        ignoreEndTime: true,
      });
      firstResult = await runCostSync();
    });

    it('follows the pagination (one bucket per page) and sums every result of a bucket', async () => {
      const requests = fake.costRequests().filter((r) => r.key === adminKeys.good);
      // d3, d2, d1 — and today's bucket, which the fake adds and cost sync ignores.
      expect(requests.length).toBeGreaterThanOrEqual(3);
      expect(requests[0]!.query.page).toBeUndefined();
      for (const r of requests.slice(1)) expect(r.query.page).toEqual(expect.any(String));
      expect(new Set(requests.map((r) => r.query.page)).size).toBe(requests.length);
      expect(requests.every((r) => r.query.bucket_width === '1d' && r.query.start_time === requests[0]!.query.start_time)).toBe(true);
      expect(Number((await syncDay(d1)).provider_micro_usd)).toBe(v1 + 9_000);
      expect(Number((await syncDay(d2)).provider_micro_usd)).toBe(v2 + 500_000);
      expect(Number((await syncDay(d3)).provider_micro_usd)).toBe(0);
      expect(firstResult).toEqual({ accounts: 3, failed: 2, matched: 2, drift: 1, notPublished: 0 });
    });

    it('a matching day verifies its runs and corrects budget spend to the provider figure', async () => {
      const row = await syncDay(d1);
      expect(row).toMatchObject({ status: 'matched', vaultrun_micro_usd: String(v1), drift_micro_usd: '9000', applied_micro_usd: '9000', checks: 1 });
      expect(await labels(runs.d1)).toEqual(['verified', 'verified']);
      // The budget's spend for this account-day is now exactly what the provider billed.
      expect(await daySpend(runs.d1, d1)).toBe(v1 + 9_000);
      // A day with no runs that the provider billed $0 for matches too, and needs no correction.
      expect(await syncDay(d3)).toMatchObject({ status: 'matched', vaultrun_micro_usd: '0', applied_micro_usd: '0' });
    });

    it('a mismatch records the drift with its sign and leaves the runs unverified', async () => {
      const row = await syncDay(d2);
      // Provider higher than Vaultrun: positive drift ("key used outside Vaultrun").
      expect(row).toMatchObject({ status: 'drift', vaultrun_micro_usd: String(v2), drift_micro_usd: '500000' });
      // The kept worst case is already in spend, so the correction is provider − Vaultrun − kept.
      expect(Number(row.applied_micro_usd)).toBe(500_000 - k2);
      expect(await daySpend(runs.d2, d2)).toBe(v2 + 500_000);
      // The provider published and did not confirm: estimated, no longer pending; the unknown call stays unavailable.
      expect((await labels(runs.d2)).sort()).toEqual(['estimated', 'estimated', 'unavailable']);
      expect(await spent()).toBe(spentBefore + 9_000 + (500_000 - k2));
    });

    it('the ledger invariant still holds: spent = Σ charged holds + Σ adjustments', async () => {
      const [l] = await sql(
        `SELECT (SELECT COALESCE(sum(charged_micro_usd), 0) FROM budget_holds WHERE budget_id = $1 AND status <> 'held')
              + (SELECT COALESCE(sum(amount_micro_usd), 0) FROM budget_adjustments WHERE budget_id = $1) AS ledger`,
        [budgetId],
      );
      expect(Number(l!.ledger)).toBe(await spent());
    });

    it("today is never verified, even when the provider returns a bucket for it", async () => {
      expect(await labels(runs.today)).toEqual(['pending_sync']);
      expect(await syncDay(today)).toBeUndefined();
    });

    it('shows the status on the account and the days through the API', async () => {
      const account = await as(stack.member).get(`/api/v1/provider-accounts/${accountId}`);
      expect(account.body.costSync).toMatchObject({ enabled: true, lastSyncedDay: d1, status: 'matched', providerMicroUsd: v1 + 9_000, vaultrunMicroUsd: v1, driftMicroUsd: 9_000 });
      expect(typeof account.body.costSync.lastCheckedAt).toBe('string');
      const days = await as(stack.member).get(`/api/v1/provider-accounts/${accountId}/cost-sync`);
      expect(days.status).toBe(200);
      expect(days.body.items.map((d: { day: string }) => d.day)).toEqual([d1, d2, d3]);
      expect(days.body.items[1]).toMatchObject({ day: d2, status: 'drift', providerMicroUsd: v2 + 500_000, vaultrunMicroUsd: v2, driftMicroUsd: 500_000, checks: 1 });
      // The mock account has no cost sync at all.
      const mock = await as(stack.member).get(`/api/v1/provider-accounts/${stack.ws.mockAccountId}`);
      expect(mock.body.costSync).toBeNull();
    });

    it('a refused admin key or an outage is logged with the account id and code, and the others still sync', async () => {
      const warnings = logs.lines.filter((l) => l.includes('cost sync could not read provider costs')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ accountId: refusedId, code: 'invalid_api_key', level: 40 }),
          expect.objectContaining({ accountId: downId, code: 'provider_unavailable', level: 40 }),
        ]),
      );
    });

    it('shows each account the outcome of its last attempt, in words, until a new admin key is set', async () => {
      const costSyncOf = async (id: string) => (await as(stack.member).get(`/api/v1/provider-accounts/${id}`)).body.costSync;
      const refused = await costSyncOf(refusedId);
      expect(refused).toMatchObject({ enabled: true, lastSyncedDay: null, lastError: { code: 'invalid_api_key', message: expect.stringContaining('OpenAI refused the admin key') } });
      expect(Date.parse(refused.lastAttemptAt)).toBeGreaterThanOrEqual(suiteStartedAt - 1000);
      expect(await costSyncOf(downId)).toMatchObject({ lastError: { code: 'provider_unavailable', message: expect.stringContaining('the next scheduled sync tries again') } });
      const good = await costSyncOf(accountId);
      expect(good.lastError).toBeNull();
      expect(typeof good.lastAttemptAt).toBe('string');
      // The outcome was about the old admin key: a new one starts afresh.
      expect((await as(stack.admin).put(`/api/v1/provider-accounts/${downId}/admin-key`, { adminKey: adminKeys.down })).status).toBe(200);
      expect(await costSyncOf(downId)).toMatchObject({ lastAttemptAt: null, lastError: null });
    });

    it('a re-check applies only the difference and flips labels both ways', async () => {
      const before = await spent();
      // The provider's figures changed: d1 now $0.30 over Vaultrun (drift), d2 now exactly Vaultrun's + the kept call.
      fake.setCosts({ days: { [d1]: (v1 + 300_000) / 1e6, [d2]: v2 / 1e6, [d3]: 0 }, maxPageSize: 1 });
      const res = await as(stack.admin).post(`/api/v1/provider-accounts/${accountId}/cost-sync`);
      expect(res.status).toBe(202);
      expect(res.body.accountId).toBe(accountId);
      const job = (await Job.fromId(queue, res.body.jobId))!;
      jobs.push(job);
      expect(await job.waitUntilFinished(events, 30_000)).toEqual({ accounts: 1, failed: 0, matched: 2, drift: 1, notPublished: 0 });

      expect(await syncDay(d2)).toMatchObject({ status: 'matched', drift_micro_usd: '0', applied_micro_usd: String(-k2), checks: 2 });
      expect((await labels(runs.d2)).sort()).toEqual(['unavailable', 'verified', 'verified']);
      expect(await syncDay(d1)).toMatchObject({ status: 'drift', drift_micro_usd: '300000', applied_micro_usd: '300000', checks: 2 });
      expect(await labels(runs.d1)).toEqual(['estimated', 'estimated']);
      // Only the changes since the last check: d1 +300000 − 9000, d2 −k2 − (500000 − k2).
      expect(await spent()).toBe(before + (300_000 - 9_000) + (-k2 - (500_000 - k2)));
      expect(await adjustment(d1)).toBe(300_000);
      expect(await adjustment(d2)).toBe(-k2);
      expect(await daySpend(runs.d2, d2)).toBe(v2);
    });

    it('POST …/cost-sync refuses accounts without cost sync', async () => {
      const mock = await as(stack.admin).post(`/api/v1/provider-accounts/${stack.ws.mockAccountId}/cost-sync`);
      expect([mock.status, mock.body.code]).toEqual([400, 'cost_sync_unsupported']);
      const plain = await as(stack.admin).post('/api/v1/provider-accounts', { name: 'No admin key', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-plain0000000000000000000000' });
      const res = await as(stack.admin).post(`/api/v1/provider-accounts/${plain.body.id}/cost-sync`);
      expect([res.status, res.body.code]).toEqual([409, 'cost_sync_not_configured']);
      expect((await as(stack.admin).get(`/api/v1/provider-accounts/${plain.body.id}`)).body.costSync).toMatchObject({ enabled: false, lastSyncedDay: null, status: null });
    });

    it('counts checked days and failures in the worker metrics', async () => {
      const text = await (await fetch(`http://127.0.0.1:${stack.worker!.healthPort}/metrics`)).text();
      const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? 'NaN');
      expect(value('vaultrun_cost_sync_days_total{outcome="matched"}')).toBe(4);
      expect(value('vaultrun_cost_sync_days_total{outcome="drift"}')).toBe(2);
      expect(value('vaultrun_cost_sync_days_total{outcome="not_published"}')).toBe(3);
      expect(value('vaultrun_cost_sync_failures_total{code="invalid_api_key"}')).toBeGreaterThanOrEqual(1);
    });

    it('never puts an admin key in a log line, a job payload or a job result', async () => {
      expect(logs.lines.length).toBeGreaterThan(20);
      expect(logs.text).toContain('provider cost sync done');
      const jobText = JSON.stringify(await Promise.all(jobs.map(async (j) => (await Job.fromId(queue, j.id!))?.toJSON())));
      expect(jobText).toContain('notPublished');
      for (const [name, key] of Object.entries(adminKeys)) {
        // The provider really received each key…
        expect({ name, received: fake.requests.some((r) => r.key === key) }).toEqual({ name, received: true });
        // …and no 12-character piece of it appears anywhere here.
        expect({ name, inLogs: pieces(key).filter((p) => logs.text.includes(p)) }).toEqual({ name, inLogs: [] });
        expect({ name, inJobs: pieces(key).filter((p) => jobText.includes(p)) }).toEqual({ name, inJobs: [] });
      }
    });
  });
});
