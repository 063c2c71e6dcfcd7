// Runs-engine benchmarks (issue 4). Each function returns plain numbers; scripts/bench.mjs prints them as JSON.
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { apiClient, bearerClient, benchEnvironment, cpuMeter, fakeOpenAI, pct, pgClient, REDIS_URL, round, sleep, startApi, startWorker, waitForCount } from './lib.mjs';

/** The yardstick: BullMQ alone — no-op jobs added and processed in one process, same Redis, same machine. */
export async function rawBullmqBaseline({ jobs = 20_000, concurrency = 50 } = {}) {
  const prefix = `vrbench:baseline:${randomUUID()}`;
  const connection = { url: REDIS_URL };
  const queue = new Queue('baseline', { connection, prefix });
  const worker = new Worker('baseline', async () => undefined, { connection, prefix, concurrency });
  await worker.waitUntilReady();
  let done = 0;
  const finished = new Promise((resolve) => worker.on('completed', () => ++done === jobs && resolve()));
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, jobs - i) }, (_, j) => ({ name: 'noop', data: { i: i + j }, opts: { removeOnComplete: true } })));
  }
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { jobs, jobsPerSecond: round(jobs / seconds, 0) };
}

/** One API process and `workers` worker processes on a fresh database; `setup` gets a ready client. */
async function withPlatform({ workers = 1, workerEnv = {}, apiEnv = {} }, fn) {
  const env = await benchEnvironment();
  const api = await startApi(env, apiEnv);
  const procs = [];
  try {
    for (let i = 0; i < workers; i++) procs.push(await startWorker(env, { VAULTRUN_WORKER_ID: `bench-${i}`, ...workerEnv }));
    const client = await apiClient(api.url);
    const db = await pgClient(env.databaseUrl);
    try {
      return await fn({ env, api, workers: procs, client, db });
    } finally {
      client.close();
      await db.end();
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await api.stop();
    await env.drop();
  }
}

async function mockOperator(client, maxConcurrency = 500) {
  const { items } = await client.session('GET', '/api/v1/provider-accounts');
  const mock = items.find((a) => a.kind === 'mock');
  await client.session('PATCH', `/api/v1/provider-accounts/${mock.id}`, { limits: { maxConcurrency } });
  return client.session('POST', '/api/v1/operators', { name: `bench-${randomUUID()}`, accountId: mock.id, maxOutputTokens: 16 });
}

async function openAIOperator(client, fake, key, limits) {
  const acct = await client.session('POST', '/api/v1/provider-accounts', { name: key, kind: 'openai', baseUrl: fake.url, apiKey: key, defaultModel: 'gpt-4.1-mini', verify: false, limits });
  const op = await client.session('POST', '/api/v1/operators', { name: `op-${key}`, accountId: acct.id, maxOutputTokens: 16 });
  return { acct, op };
}

/**
 * Fires `count` POST /runs with at most `parallel` in flight; returns per-request latencies (ms). `target` is one
 * client and operator, or a list to spread the runs over (round robin).
 */
async function closedLoop(client, operatorId, count, parallel, targets = [{ client, operatorId }]) {
  const latencies = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        const target = targets[i % targets.length];
        const res = await target.client.bearer('POST', '/api/v1/runs', { operatorId: target.operatorId, input: `bench ${i}` });
        if (res.status !== 202) throw new Error(`POST /runs → ${res.status} ${JSON.stringify(res.body)}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
}

/**
 * Fires POST /runs at a fixed rate (open loop: the schedule does not wait for answers). A request's latency counts
 * from the moment it was due, so time spent waiting for a connection or for the load generator itself is not hidden.
 */
async function openLoop(client, operatorId, perSecond, seconds) {
  const total = perSecond * seconds;
  const latencies = [];
  const t0 = performance.now();
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(
      (async () => {
        const res = await client.bearer('POST', '/api/v1/runs', { operatorId, input: `open ${i}` });
        if (res.status !== 202) throw new Error(`POST /runs → ${res.status}`);
        latencies.push(performance.now() - due);
      })(),
    );
  }
  await Promise.all(pending);
  return { latencies, achievedPerSecond: total / ((performance.now() - t0) / 1000) };
}

/** 1. End-to-end runs/s through the HTTP API on the mock provider at 0 ms: POST → final row. */
export async function endToEndThroughput({ runs = 5000, parallel = 64, workers = 1 } = {}) {
  return withPlatform({ workers, workerEnv: { VAULTRUN_RUNS_CONCURRENCY: '100' } }, async ({ api, workers: procs, client, db }) => {
    const op = await mockOperator(client);
    await closedLoop(client, op.id, 200, 20); // warm-up
    await waitForCount(db, `SELECT count(*)::int AS n FROM runs WHERE status = 'succeeded'`, [], 200, 60_000);
    const cpu = cpuMeter([api.child.pid, ...procs.map((w) => w.child.pid)]);
    const t0 = Date.now();
    await closedLoop(client, op.id, runs, parallel);
    const end = await waitForCount(db, `SELECT count(*)::int AS n FROM runs WHERE status = 'succeeded'`, [], runs + 200, 300_000);
    const used = cpu.stop();
    return {
      runs,
      workers,
      runsPerSecond: round(runs / ((end - t0) / 1000), 0),
      // API + worker(s) + every PostgreSQL and Redis server process; the load generator is not counted.
      cpuMsPerRun: round(used.total / runs, 2),
      cpuMsPerRunBy: { node: round(used.node / runs, 2), postgres: round(used.postgres / runs, 2), redis: round(used.redis / runs, 2) },
    };
  });
}

/** 2. Vaultrun's own overhead per run against a provider answering in 50 ms, at 200 runs/s steady. */
export async function addedLatency({ perSecond = 200, seconds = 10 } = {}) {
  const fake = await fakeOpenAI(50);
  try {
    return await withPlatform({ workers: 1, workerEnv: { VAULTRUN_RUNS_CONCURRENCY: '200' } }, async ({ client, db }) => {
      const { op } = await openAIOperator(client, fake, 'sk-proj-bench-latency', { maxConcurrency: 200 });
      await openLoop(client, op.id, 50, 2); // warm-up
      const since = new Date();
      const { achievedPerSecond } = await openLoop(client, op.id, perSecond, seconds);
      const total = perSecond * seconds;
      await waitForCount(db, `SELECT count(*)::int AS n FROM runs WHERE created_at >= $1 AND status = 'succeeded'`, [since], total, 120_000);
      const { rows } = await db.query(
        `SELECT EXTRACT(EPOCH FROM (finished_at - queued_at)) * 1000 - provider_latency_ms AS added FROM runs WHERE created_at >= $1 AND status = 'succeeded'`,
        [since],
      );
      const added = rows.map((r) => Number(r.added));
      return { perSecond, achievedPerSecond: round(achievedPerSecond, 1), runs: added.length, p50Ms: round(pct(added, 50)), p99Ms: round(pct(added, 99)), maxMs: round(Math.max(...added)) };
    });
  } finally {
    await fake.close();
  }
}

/** 3. Admission latency of POST /runs at 500 requests/s (mock provider, a worker executing meanwhile). */
export async function admissionLatency({ perSecond = 500, seconds = 10, apiEnv = {} } = {}) {
  return withPlatform({ workers: 1, workerEnv: { VAULTRUN_RUNS_CONCURRENCY: '100' }, apiEnv }, async ({ client }) => {
    const op = await mockOperator(client);
    await openLoop(client, op.id, 100, 2); // warm-up
    const { latencies, achievedPerSecond } = await openLoop(client, op.id, perSecond, seconds);
    return { perSecond, achievedPerSecond: round(achievedPerSecond, 1), requests: latencies.length, p50Ms: round(pct(latencies, 50)), p99Ms: round(pct(latencies, 99)), maxMs: round(Math.max(...latencies)) };
  });
}

/** Inserts runs straight into Postgres and enqueues them (set-up for the limit and memory benchmarks). */
async function seedRuns(env, db, { workspaceId, operatorId, accountId, model, count }) {
  const queue = new Queue('runs', { connection: { url: REDIS_URL }, prefix: `${env.prefix}:bull` });
  for (let i = 0; i < count; i += 1000) {
    const n = Math.min(1000, count - i);
    const { rows } = await db.query(
      `INSERT INTO runs (workspace_id, kind, operator_id, started_by_type, account_id, model, input, max_output_tokens, status, queued_at)
       SELECT $1, 'operator', $2, 'system', $3, $4, 'seeded ' || g, 16, 'queued', now() FROM generate_series(1, $5) g RETURNING id`,
      [workspaceId, operatorId, accountId, model, n],
    );
    await queue.addBulk(rows.map((r) => ({ name: 'execute-run', data: { runId: r.id }, opts: { jobId: r.id, removeOnComplete: true, removeOnFail: true, attempts: 10 } })));
  }
  await queue.close();
}

/** 4. Limit precision: 20 accounts (concurrency 4, 600 requests/min each) over one minute, 2 worker processes. */
export async function limitsPrecision({ accounts = 20, maxConcurrency = 4, rpm = 600, latencyMs = 400, windowSeconds = 60 } = {}) {
  const fake = await fakeOpenAI(latencyMs);
  try {
    return await withPlatform({ workers: 2, workerEnv: { VAULTRUN_RUNS_CONCURRENCY: '100' } }, async ({ env, client, db }) => {
      const ws = (await client.session('GET', '/api/v1/workspace')).id;
      const keys = [];
      for (let i = 0; i < accounts; i++) {
        const key = `sk-proj-bench-limits-${i}`;
        const { acct, op } = await openAIOperator(client, fake, key, { maxConcurrency, requestsPerMinute: rpm });
        keys.push(key);
        await seedRuns(env, db, { workspaceId: ws, operatorId: op.id, accountId: acct.id, model: 'gpt-4.1-mini', count: Math.ceil(rpm * 1.15) });
      }
      // The window starts with the first provider call: the limits apply from there.
      while (!fake.calls.length) await sleep(20);
      const t0 = Math.min(...fake.calls.map((c) => c.at));
      await sleep(Math.max(0, t0 + windowSeconds * 1000 + latencyMs + 500 - Date.now()));
      const inWindow = (key) => fake.calls.filter((c) => c.key === key && c.at < t0 + windowSeconds * 1000).length;
      // Violations: more calls in flight than allowed, or more than the rpm in any 60 s sliding window.
      let violations = 0;
      for (const key of keys) {
        if ((fake.maxInflight.get(key) ?? 0) > maxConcurrency) violations++;
        const times = fake.calls.filter((c) => c.key === key).map((c) => c.at).sort((a, b) => a - b);
        for (let i = rpm; i < times.length; i++) if (times[i] - times[i - rpm] < 60_000) violations++;
      }
      const used = keys.reduce((s, k) => s + inWindow(k), 0);
      const limit = accounts * Math.min(rpm * (windowSeconds / 60), maxConcurrency * (windowSeconds * 1000) / latencyMs);
      // The second half of the window, once the backlog has been sorted into waiting runs.
      const half = t0 + (windowSeconds * 1000) / 2;
      const usedSecondHalf = fake.calls.filter((c) => c.at >= half && c.at < t0 + windowSeconds * 1000).length;
      return {
        accounts,
        maxConcurrency,
        rpm,
        windowSeconds,
        violations,
        maxInFlightSeen: Math.max(...keys.map((k) => fake.maxInflight.get(k) ?? 0)),
        callsInWindow: used,
        summedLimit: limit,
        utilisation: round(used / limit, 3),
        utilisationSecondHalf: round(usedSecondHalf / (limit / 2), 3),
      };
    });
  } finally {
    await fake.close();
  }
}

/** 5. Worker memory with 10,000 runs queued and 500 provider calls held open. */
export async function workerMemory({ queued = 10_000, inFlight = 500 } = {}) {
  const fake = await fakeOpenAI(120_000);
  try {
    return await withPlatform({ workers: 1, workerEnv: { VAULTRUN_RUNS_CONCURRENCY: String(inFlight), DATABASE_POOL_SIZE: '30' } }, async ({ env, client, db, workers }) => {
      const idleMb = workers[0].rssMb();
      const ws = (await client.session('GET', '/api/v1/workspace')).id;
      const { acct, op } = await openAIOperator(client, fake, 'sk-proj-bench-memory', { maxConcurrency: inFlight });
      await seedRuns(env, db, { workspaceId: ws, operatorId: op.id, accountId: acct.id, model: 'gpt-4.1-mini', count: queued + inFlight });
      const deadline = Date.now() + 120_000;
      while ((fake.inflight.get('sk-proj-bench-memory') ?? 0) < inFlight && Date.now() < deadline) await sleep(200);
      await sleep(3000);
      const samples = [];
      for (let i = 0; i < 5; i++) {
        samples.push(workers[0].rssMb());
        await sleep(500);
      }
      const { rows } = await db.query(`SELECT status, count(*)::int AS n FROM runs GROUP BY status`);
      return { queued, inFlight: fake.inflight.get('sk-proj-bench-memory') ?? 0, idleRssMb: round(idleMb, 1), rssMb: round(Math.max(...samples), 1), runsByStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])) };
    });
  } finally {
    await fake.close();
  }
}

/** Redis commands and Postgres transactions per run, from the servers' own counters, over `runs` mock runs. */
export async function costPerRun({ runs = 1000 } = {}) {
  return withPlatform({ workers: 1 }, async ({ client, db }) => {
    const op = await mockOperator(client);
    await closedLoop(client, op.id, 100, 10);
    await waitForCount(db, `SELECT count(*)::int AS n FROM runs WHERE status = 'succeeded'`, [], 100, 60_000);
    await sleep(500);
    const redis = new Redis(REDIS_URL);
    const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))[1]);
    const xacts = async () => Number((await db.query(`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`)).rows[0].n);
    const [c0, x0] = [await commands(), await xacts()];
    await closedLoop(client, op.id, runs, 20);
    await waitForCount(db, `SELECT count(*)::int AS n FROM runs WHERE status = 'succeeded'`, [], runs + 100, 120_000);
    await sleep(300);
    const [c1, x1] = [await commands(), await xacts()];
    redis.disconnect();
    // The counters include background work (reconciler ticks, heartbeats, this script's polling): an upper bound.
    return { runs, redisCommandsPerRun: round((c1 - c0) / runs, 1), postgresTransactionsPerRun: round((x1 - x0) / runs, 1) };
  });
}

/**
 * 6. What the budget guardrail costs: end-to-end runs/s (as in 1) without budgets, with every run reserving and
 * settling against one hot workspace budget (every run locks the same ledger row), and spread over 50 workspaces
 * with a budget each. The engine figure is measured before and after (averaged), in the same platform.
 */
export async function budgetThroughput({ runs = 3000, parallel = 64, workspaces = 50 } = {}) {
  return withPlatform({ workers: 1, workerEnv: { VAULTRUN_RUNS_CONCURRENCY: '100' } }, async ({ api, client, db }) => {
    const huge = 1_000_000_000_000; // $1,000,000: never exhausted, every run still reserves and settles
    let done = 0;
    const measure = async (targets) => {
      const t0 = Date.now();
      await closedLoop(null, null, runs, parallel, targets);
      done += runs;
      const end = await waitForCount(db, `SELECT count(*)::int AS n FROM runs WHERE status = 'succeeded'`, [], done, 300_000);
      return round(runs / ((end - t0) / 1000), 0);
    };
    const op = await mockOperator(client);
    const home = [{ client, operatorId: op.id }];
    await closedLoop(client, op.id, 300, 20); // warm-up
    done += 300;
    await waitForCount(db, `SELECT count(*)::int AS n FROM runs WHERE status = 'succeeded'`, [], done, 60_000);

    const engineBefore = await measure(home);
    const hot = await client.session('POST', '/api/v1/budgets', { name: 'hot', scope: { type: 'workspace', id: null }, period: 'month', capMicroUsd: huge });
    const hotBudget = await measure(home);
    await client.session('DELETE', `/api/v1/budgets/${hot.id}`);

    // 50 workspaces, each with its mock account, an operator, a workspace budget and an API token.
    const spread = [];
    const homeWs = (await client.session('GET', '/api/v1/workspace')).id;
    for (let i = 0; i < workspaces; i++) {
      const ws = await client.session('POST', '/api/v1/workspaces', { name: `bench-${i}` });
      await client.session('POST', '/api/v1/auth/workspace', { workspaceId: ws.id });
      const wsOp = await mockOperator(client);
      await client.session('POST', '/api/v1/budgets', { name: `ws-${i}`, scope: { type: 'workspace', id: null }, period: 'month', capMicroUsd: huge });
      const { token } = await client.session('POST', '/api/v1/tokens', { name: `bench-${i}`, scopes: ['run'] });
      spread.push({ client: bearerClient(api.url, token), operatorId: wsOp.id });
    }
    await client.session('POST', '/api/v1/auth/workspace', { workspaceId: homeWs });
    const fiftyWorkspaces = await measure(spread);
    for (const s of spread) s.client.close();
    const engineAfter = await measure(home);

    const engine = round((engineBefore + engineAfter) / 2, 0);
    const [{ held }] = (await db.query(`SELECT COALESCE(sum(held_micro_usd), 0)::bigint AS held FROM budget_balances`)).rows;
    return {
      runs,
      engineRunsPerSecond: engine,
      engineBefore,
      engineAfter,
      hotBudgetRunsPerSecond: hotBudget,
      fiftyWorkspacesRunsPerSecond: fiftyWorkspaces,
      hotBudgetCost: round(1 - hotBudget / engine, 3),
      fiftyWorkspacesCost: round(1 - fiftyWorkspaces / engine, 3),
      heldAfterwardsMicroUsd: Number(held),
    };
  });
}

/**
 * 9. What paying with credits costs (issue 15): end-to-end runs/s (as in 1) on the workspace's own mock account, then
 * on a managed connector — the managed account's key, endpoint and limits joined in, the credits budget reserved and
 * settled by every run, the run marked `paid_with` by its trigger — then on its own account again. Same platform.
 */
export async function creditsThroughput({ runs = 3000, parallel = 64 } = {}) {
  return withPlatform({ workers: 1, workerEnv: { VAULTRUN_RUNS_CONCURRENCY: '100' } }, async ({ client, db }) => {
    let done = 0;
    const measure = async (operatorId) => {
      const t0 = Date.now();
      await closedLoop(client, operatorId, runs, parallel);
      done += runs;
      const end = await waitForCount(db, `SELECT count(*)::int AS n FROM runs WHERE status = 'succeeded'`, [], done, 300_000);
      return round(runs / ((end - t0) / 1000), 0);
    };
    const own = await mockOperator(client);
    await closedLoop(client, own.id, 300, 20); // warm-up
    done += 300;
    await waitForCount(db, `SELECT count(*)::int AS n FROM runs WHERE status = 'succeeded'`, [], done, 60_000);
    const ownBefore = await measure(own.id);

    await db.query(`UPDATE users SET is_instance_admin = true`);
    const managed = await client.session('POST', '/api/v1/instance/managed-accounts', {
      name: 'bench managed',
      kind: 'mock',
      limits: { maxConcurrency: 500 },
      offer: 'all',
      share: { maxConcurrency: 500 },
    });
    const homeWs = (await client.session('GET', '/api/v1/workspace')).id;
    // $1,000,000 of credits: never exhausted, every run still reserves and settles against them.
    await client.session('POST', `/api/v1/instance/workspaces/${homeWs}/credits`, { kind: 'grant', amountMicroUsd: '1000000000000' });
    const { items } = await client.session('GET', '/api/v1/provider-accounts');
    const connector = items.find((a) => a.managed);
    const onCredits = await client.session('POST', '/api/v1/operators', { name: `bench-credits-${managed.id}`, accountId: connector.id, maxOutputTokens: 16 });
    const credits = await measure(onCredits.id);
    const ownAfter = await measure(own.id);

    const engine = round((ownBefore + ownAfter) / 2, 0);
    const [{ paid, held }] = (
      await db.query(
        `SELECT (SELECT count(*)::int FROM runs WHERE paid_with = 'credits') AS paid,
                (SELECT COALESCE(sum(held_micro_usd), 0)::bigint FROM budget_balances) AS held`,
      )
    ).rows;
    return {
      runs,
      ownKeyRunsPerSecond: engine,
      ownBefore,
      ownAfter,
      creditsRunsPerSecond: credits,
      creditsCost: round(1 - credits / engine, 3),
      runsPaidWithCredits: paid,
      heldAfterwardsMicroUsd: Number(held),
    };
  });
}

/**
 * 8. Fairness: account A has a backlog of `backlog` runs at concurrency 1 against a 50 ms provider; account B's runs
 * (the mock, one after another) must not wait behind it. Reports B's latency (POST → final row) and how much of A's
 * backlog was done meanwhile.
 */
export async function fairnessLatency({ backlog = 2000, bRuns = 20 } = {}) {
  const fake = await fakeOpenAI(50);
  try {
    return await withPlatform({ workers: 2, workerEnv: { VAULTRUN_RUNS_CONCURRENCY: '20' } }, async ({ env, client, db }) => {
      const ws = (await client.session('GET', '/api/v1/workspace')).id;
      const { acct, op } = await openAIOperator(client, fake, 'sk-proj-bench-fairness', { maxConcurrency: 1 });
      await seedRuns(env, db, { workspaceId: ws, operatorId: op.id, accountId: acct.id, model: 'gpt-4.1-mini', count: backlog });
      while (!fake.calls.length) await sleep(20);
      const b = await mockOperator(client);
      const latencies = [];
      for (let i = 0; i < bRuns; i++) {
        const t = performance.now();
        const res = await client.bearer('POST', '/api/v1/runs', { operatorId: b.id, input: `fair ${i}` });
        if (res.status !== 202) throw new Error(`POST /runs → ${res.status}`);
        await waitForCount(db, `SELECT count(*)::int AS n FROM runs WHERE id = $1 AND status = 'succeeded'`, [res.body.id], 1, 60_000);
        latencies.push(performance.now() - t);
      }
      const [{ done }] = (await db.query(`SELECT count(*)::int AS done FROM runs WHERE account_id = $1 AND status = 'succeeded'`, [acct.id])).rows;
      await db.query(`UPDATE runs SET status = 'cancelled' WHERE account_id = $1 AND status IN ('queued', 'waiting')`, [acct.id]);
      return { backlog, bRuns, p50Ms: round(pct(latencies, 50), 0), p95Ms: round(pct(latencies, 95), 0), maxMs: round(Math.max(...latencies), 0), backlogDoneMeanwhile: done };
    });
  } finally {
    await fake.close();
  }
}
