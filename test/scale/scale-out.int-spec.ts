/**
 * Scale out, proven under failure (issue 16), on real processes: 2 API and 3 worker processes (the built
 * apps/api and apps/worker dist/main.js) reach Redis only through three Sentinels (primary + replica) and PostgreSQL only through
 * PgBouncer in transaction mode (DATABASE_POOL_MODE=transaction; Debian's PgBouncer 1.18 cannot carry named
 * prepared statements there). Runs are spread over both APIs, each with an Idempotency-Key; mid-load the Redis
 * primary is SIGKILLed (Sentinel promotes the replica, every process follows) and so is one API process (its
 * clients retry on the other with the same key). Then: every run exists once and succeeded once, no account ever
 * had more calls in flight than its limit, the budget ledger adds up and stays under its cap.
 *
 * The heavy part runs once. Skipped, saying why, only when the Debian binaries are missing (.ci/run installs them).
 * VAULTRUN_SCALE_RUNS changes the number of runs (default 2000).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { createDataSource } from '@vaultrun/db';
import type { DataSource } from 'typeorm';
import { as, cookieOf, seedWorkspace, signIn } from '../support/api.js';
import { runCleanups } from '../support/cleanups.js';
import { startFakeOpenAI } from '../support/fake-openai.js';
import { budgetPeriod, insertBudget, insertPriceOverride, ledgerSums, statusCounts } from '../support/money.js';
import { spawnWorkerProcess, type WorkerProcess } from '../support/processes.js';
import { FAST_WORKER_ENV, waitUntil } from '../support/runs.js';
import { missingScaleBinaries, spawnApiProcess, startPgBouncer, startSentinelGroup, type ApiProcess } from '../support/scale.js';
import { scratchDatabase } from '../support/scratch-db.js';

const RUNS = Number(process.env.VAULTRUN_SCALE_RUNS ?? 2000);
const LIMITS = { 'sk-proj-scale-a': 4, 'sk-proj-scale-b': 6 } as const;
const CAP = 1_000_000_000; // $1,000: never reached here; the point is that every charge lands once
const missing = missingScaleBinaries();
if (missing.length) {
  process.stderr.write(`scale suite SKIPPED: ${missing.join(', ')} not installed (apt-get install -y redis-sentinel pgbouncer; .ci/run does it)\n`);
}

(missing.length ? describe.skip : describe)('scale out: 2 API + 3 worker processes, Redis Sentinel, PgBouncer (transaction mode)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    await runCleanups(cleanup);
  });

  it(`${RUNS} runs over both APIs while the Redis primary and one API process are killed: each run once, limits and budget exact`, async () => {
    // --- infrastructure: scratch database (migrated directly, as `pnpm db:migrate` would be), PgBouncer, Sentinel ---
    const scratch = await scratchDatabase();
    cleanup.push(() => scratch.drop());
    const direct: DataSource = createDataSource({ url: scratch.url, poolSize: 2 });
    await direct.initialize();
    cleanup.push(() => direct.destroy());
    const bouncer = await startPgBouncer({ poolSize: 12 });
    cleanup.push(() => bouncer.stop());
    const redis = await startSentinelGroup('mymaster');
    cleanup.push(() => redis.stop());
    const fake = await startFakeOpenAI();
    cleanup.push(() => fake.close());
    fake.setLatency(25);

    const ws = await seedWorkspace(direct);
    const env = {
      DATABASE_URL: bouncer.urlFor(scratch.url),
      DATABASE_POOL_MODE: 'transaction',
      DATABASE_POOL_SIZE: '5',
      // With sentinels, REDIS_URL supplies only password / db / TLS: an unresolvable host here proves nothing uses it.
      REDIS_URL: 'redis://redis-url-unused.invalid:6379/0',
      REDIS_SENTINELS: redis.sentinelsEnv,
      REDIS_SENTINEL_MASTER: 'mymaster',
      // A hash tag, as a Redis Cluster needs: every key in one slot.
      VAULTRUN_REDIS_PREFIX: '{vr-scale}',
      VAULTRUN_ENQUEUE_TIMEOUT_MS: '500',
    };

    // --- 2 API + 3 worker processes ---
    const apis: ApiProcess[] = await Promise.all([1, 2].map(() => spawnApiProcess(env)));
    cleanup.push(() => Promise.all(apis.map((a) => a.stop())));
    const workers: WorkerProcess[] = await Promise.all(
      [1, 2, 3].map((n) => spawnWorkerProcess({ ...FAST_WORKER_ENV, ...env, VAULTRUN_RUNS_CONCURRENCY: '20', VAULTRUN_WORKER_ID: `scale-${n}` })),
    );
    cleanup.push(() => Promise.all(workers.map((w) => w.stop())));

    const member = await signIn(apis[0]!.url, ws.users.member);
    const admin = await signIn(apis[0]!.url, ws.users.admin);
    const operators: string[] = [];
    for (const [key, maxConcurrency] of Object.entries(LIMITS)) {
      const acct = await as(admin).post('/api/v1/provider-accounts', { name: key, kind: 'openai', baseUrl: fake.url, apiKey: key, defaultModel: 'gpt-4.1-mini', verify: false, limits: { maxConcurrency } });
      expect(acct.status).toBe(201);
      const op = await as(member).post('/api/v1/operators', { name: `op-${key}`, accountId: acct.body.id, maxOutputTokens: 64 });
      expect(op.status).toBe(201);
      operators.push(op.body.id);
    }
    await insertPriceOverride(direct, ws.id, 'gpt-4.1-mini', { input: 1_000_000, output: 4_000_000 });
    const budgetId = await insertBudget(direct, ws.id, { name: 'Scale budget', capMicroUsd: CAP });

    // --- the load: RUNS runs, alternating between the APIs, 16 requests at a time ---
    const headers = { cookie: cookieOf(member), 'x-csrf-token': member.csrf, 'content-type': 'application/json' };
    const ids = new Array<string>(RUNS);
    const seen = { retriedAfterError: 0, replayed: 0, statuses: new Map<number, number>() };
    let apiKilled: Promise<void> | null = null;
    let redisKilled: Promise<void> | null = null;
    let submitted = 0;

    async function submit(i: number): Promise<void> {
      const body = JSON.stringify({ operatorId: operators[i % operators.length], input: `scale run ${i}` });
      let target = i % apis.length;
      // A client that knows two addresses, as behind a load balancer: an error (connection refused or reset, 5xx) sends
      // the same request, with the same Idempotency-Key, to the other one.
      for (let attempt = 0; attempt < 40; attempt++) {
        try {
          const res = await fetch(`${apis[target]!.url}/api/v1/runs`, { method: 'POST', headers: { ...headers, 'idempotency-key': `scale-${i}` }, body });
          seen.statuses.set(res.status, (seen.statuses.get(res.status) ?? 0) + 1);
          if (res.status === 202) {
            if (res.headers.get('idempotent-replayed') === 'true') seen.replayed++;
            ids[i] = ((await res.json()) as { id: string }).id;
            return;
          }
          if (res.status < 500) throw new Error(`run ${i} refused: ${res.status} ${await res.text()}`);
          await res.body?.cancel();
        } catch (err) {
          if (err instanceof Error && err.message.startsWith(`run ${i} refused`)) throw err;
          // The connection failed (the API process is gone): retry below.
        }
        seen.retriedAfterError++;
        target = (target + 1) % apis.length;
      }
      throw new Error(`run ${i}: no API accepted it after 40 attempts`);
    }

    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < RUNS) {
          const i = next++;
          await submit(i);
          submitted++;
          // Mid-load: the Redis primary dies at 30 % submitted, one API process at 50 % (requests still in flight on it).
          if (submitted === Math.floor(RUNS * 0.3)) redisKilled = redis.primary.kill();
          if (submitted === Math.floor(RUNS * 0.5)) apiKilled = apis[1]!.kill();
        }
      }),
    );
    expect(redisKilled).not.toBeNull();
    expect(apiKilled).not.toBeNull();
    await redisKilled;
    await apiKilled;

    // Sentinel promoted the replica.
    await waitUntil(async () => (await redis.primaryPorts()).every((p) => p === redis.replica.port), 60_000, 'the sentinels to promote the replica');

    // --- every run finishes ---
    await waitUntil(
      async () => ((await statusCounts(direct, ids)).succeeded ?? 0) === RUNS,
      240_000,
      `all ${RUNS} runs to succeed (workers: ${workers.map((w) => w.output.join('').slice(-500)).join(' | ')})`,
    );

    // Nothing accepted was lost or doubled: one run per Idempotency-Key, and it is the one its client was given.
    const rows: { id: string; key: string }[] = await direct.query(`SELECT id, idempotency_key AS key FROM runs WHERE workspace_id = $1`, [ws.id]);
    expect(rows).toHaveLength(RUNS);
    const byKey = new Map(rows.map((r) => [r.key, r.id]));
    expect(byKey.size).toBe(RUNS);
    expect(ids.every((id, i) => byKey.get(`scale-${i}`) === id)).toBe(true);
    // Clients did meet the dead API (connection refused or reset) and got through on the other one.
    expect(seen.retriedAfterError).toBeGreaterThan(0);
    // No request was answered with a server error: a failing API process fails at the connection, not with a 500.
    expect([...seen.statuses.keys()].filter((s) => s >= 500)).toEqual([]);

    // Every run succeeded exactly once: one "succeeded" event each.
    expect(await statusCounts(direct, ids)).toEqual({ succeeded: RUNS });
    const finals: { n: number }[] = await direct.query(`SELECT count(*)::int AS n FROM run_events WHERE run_id = ANY($1) AND type = 'succeeded' GROUP BY run_id`, [ids]);
    expect(finals).toHaveLength(RUNS);
    expect(finals.every((f) => f.n === 1)).toBe(true);

    // Per-account concurrency held across 3 workers, through the failover.
    for (const [key, limit] of Object.entries(LIMITS)) {
      expect(fake.requests.some((r) => r.key === key)).toBe(true);
      expect(fake.maxInFlight(key)).toBeLessThanOrEqual(limit);
    }

    // The budget: nothing held any more, the period equals its ledger, under the cap. Each run's successful attempt
    // settled once, to the run's cost; an attempt whose outcome was lost (its call aborted or its worker's claim lost
    // in the failover) kept its worst case, once — as in the single-process tests.
    const period = await budgetPeriod(direct, budgetId);
    expect(period.held).toBe(0);
    expect(period.spent).toBeGreaterThan(0);
    expect(period.spent).toBeLessThanOrEqual(CAP);
    expect(await ledgerSums(direct, budgetId)).toEqual({ spent: period.spent, held: 0 });
    const holds: { run_id: string; status: string; charged: string }[] = await direct.query(
      `SELECT run_id, status, charged_micro_usd AS charged FROM budget_holds WHERE run_id = ANY($1)`,
      [ids],
    );
    const costs = new Map<string, number>(
      (await direct.query(`SELECT id, cost_micro_usd FROM runs WHERE id = ANY($1)`, [ids])).map((r: { id: string; cost_micro_usd: string }) => [r.id, Number(r.cost_micro_usd)]),
    );
    const settled = holds.filter((h) => h.status === 'settled');
    expect(settled).toHaveLength(RUNS);
    expect(new Set(settled.map((h) => h.run_id)).size).toBe(RUNS);
    expect(settled.every((h) => Number(h.charged) === costs.get(h.run_id))).toBe(true);
    const kept = holds.filter((h) => h.status !== 'settled');
    expect(kept.every((h) => h.status === 'kept')).toBe(true);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(period.spent).toBe(sum([...costs.values()]) + sum(kept.map((h) => Number(h.charged))));

    // Every database connection went through PgBouncer, multiplexed onto at most its pool of server connections.
    const pools = (await bouncer.show('POOLS')).filter((p) => p.database === new URL(scratch.url).pathname.slice(1));
    expect(pools).toHaveLength(1);
    expect(Number(pools[0]!.sv_active) + Number(pools[0]!.sv_idle) + Number(pools[0]!.sv_used)).toBeLessThanOrEqual(12);
    // The surviving processes are still up.
    expect([apis[0]!, ...workers].every((p) => p.child.exitCode === null && p.child.signalCode === null)).toBe(true);
    const calls = new Map<string, number>();
    for (const r of fake.requests) {
      const input = /scale run \d+/.exec(JSON.stringify(r.body))?.[0];
      if (input) calls.set(input, (calls.get(input) ?? 0) + 1);
    }
    const [{ recovered }] = await direct.query(`SELECT count(*)::int AS recovered FROM run_events WHERE run_id = ANY($1) AND type = 'recovered'`, [ids]);
    process.stderr.write(
      `scale suite: ${RUNS} runs in ${Math.round((Date.now() - started) / 1000)} s after start-up; ${seen.retriedAfterError} client retries, ${seen.replayed} idempotent replays; ` +
        `${[...calls.values()].filter((n) => n > 1).length} runs called the provider more than once, ${kept.length} holds kept at worst case, ${recovered} recovered events; ` +
        `max in flight ${Object.keys(LIMITS).map((k) => `${k}=${fake.maxInFlight(k)}`).join(' ')}\n`,
    );
  }, 420_000);
});
