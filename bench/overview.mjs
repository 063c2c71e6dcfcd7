// The Overview's aggregation at scale (issue 14): `pnpm bench overview` seeds 1,000,000 runs into a fresh database
// (SQL, no worker: what is measured is the read side) and times GET /api/v1/analytics/overview over them.
import { apiClient, benchEnvironment, bearerClient, pct, pgClient, round, startApi } from './lib.mjs';

const DAY_MS = 86_400_000;

/**
 * One busy workspace: `runs` runs over the last `days` days (16 accounts, 3 of them restricted; 40 operators;
 * 6 API tokens), statuses and cost labels in realistic shares. Another workspace holds runs the first must never
 * count. Returns what the timings need.
 */
async function seed(db, client, { runs, days }) {
  const accounts = [];
  for (let i = 0; i < 16; i++) {
    const restricted = i >= 13;
    accounts.push(await client.session('POST', '/api/v1/provider-accounts', { name: `bench-account-${i}`, kind: 'mock', visibility: restricted ? 'restricted' : 'workspace' }));
  }
  const operators = [];
  for (let i = 0; i < 40; i++) operators.push(await client.session('POST', '/api/v1/operators', { name: `bench-operator-${i}`, accountId: accounts[i % accounts.length].id }));
  const tokens = [];
  for (let i = 0; i < 6; i++) tokens.push(await client.session('POST', '/api/v1/tokens', { name: `bench-token-${i}`, scopes: ['run'] }));
  const reader = await client.session('POST', '/api/v1/tokens', { name: 'bench-reader', scopes: ['read'] });
  const { rows: ws } = await db.query(`SELECT workspace_id FROM provider_accounts WHERE id = $1`, [accounts[0].id]);
  const workspaceId = ws[0].workspace_id;
  const { rows: users } = await db.query(`SELECT user_id FROM memberships WHERE workspace_id = $1 LIMIT 1`, [workspaceId]);

  // Deterministic: the same figures every time.
  await db.query(`SELECT setseed(0.14)`);
  const chunk = 100_000;
  for (let done = 0; done < runs; done += chunk) {
    await db.query(
      `INSERT INTO runs (workspace_id, kind, operator_id, started_by_type, started_by_id, account_id, model, input, max_output_tokens, status,
                         queued_at, started_at, finished_at, created_at, updated_at, cost_micro_usd, cost_label, provider_latency_ms, input_tokens, output_tokens)
       SELECT $1, 'operator', ($2::uuid[])[1 + (i % 40)], CASE WHEN t < 6 THEN 'token' ELSE 'user' END,
              CASE WHEN t < 6 THEN ($3::uuid[])[1 + t] ELSE $4::uuid END,
              ($5::uuid[])[1 + (i % 40) % 16], 'mock-fast', 'bench input', 256, s.status,
              c, c + interval '40 ms', CASE WHEN s.status IN ('queued', 'running') THEN NULL ELSE c + (200 + lat) * interval '1 ms' END, c, c,
              CASE WHEN s.label IN ('verified', 'estimated', 'pending_sync') THEN 50 + (i % 977) END, s.label,
              CASE WHEN s.status = 'succeeded' THEN lat END, 120, 80
         FROM generate_series($6::int, $7::int) i
         -- i * 0 ties the lateral to each row: without it the planner computes the random values once.
         CROSS JOIN LATERAL (SELECT now() - (random() + i * 0) * ($8::int * interval '1 day') AS c, (random() * 100 + i * 0)::int AS t, (100 + random() * random() * 4000 + i * 0)::int AS lat, random() + i * 0 AS x, random() + i * 0 AS y) v
         CROSS JOIN LATERAL (SELECT CASE WHEN v.x < 0.90 THEN 'succeeded' WHEN v.x < 0.96 THEN 'failed' WHEN v.x < 0.98 THEN 'cancelled' WHEN v.x < 0.99 THEN 'blocked'
                                         WHEN v.x < 0.995 THEN 'queued' ELSE 'running' END AS status,
                                    CASE WHEN v.x >= 0.96 THEN NULL WHEN v.y < 0.70 THEN 'estimated' WHEN v.y < 0.90 THEN 'verified' WHEN v.y < 0.95 THEN 'pending_sync' ELSE 'unavailable' END AS label) s`,
      [workspaceId, operators.map((o) => o.id), tokens.map((t) => t.id), users[0].user_id, accounts.map((a) => a.id), done, Math.min(runs, done + chunk) - 1, days],
    );
    process.stderr.write(`[bench] overview: ${Math.min(runs, done + chunk).toLocaleString('en')} runs seeded\n`);
  }
  // A neighbour whose runs must not count.
  const other = await db.query(`INSERT INTO workspaces (name) VALUES ('bench neighbour') RETURNING id`);
  await db.query(
    `INSERT INTO runs (workspace_id, kind, started_by_type, model, input, max_output_tokens, status, queued_at, created_at, finished_at, cost_micro_usd, cost_label)
     SELECT $1, 'operator', 'system', 'mock-fast', 'x', 1, 'succeeded', now() - i * interval '1 minute', now() - i * interval '1 minute', now(), 1000, 'estimated'
       FROM generate_series(1, 10000) i`,
    [other.rows[0].id],
  );
  // As autovacuum would leave a table that has settled: statistics and the visibility map up to date.
  await db.query(`VACUUM ANALYZE runs`);
  return { workspaceId, accounts, reader };
}

async function timeIt(client, path, times) {
  const ms = [];
  let body = null;
  for (let i = 0; i < times + 2; i++) {
    const t0 = performance.now();
    const res = await client.bearer('GET', path);
    const elapsed = performance.now() - t0;
    if (res.status !== 200) throw new Error(`GET ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    body = res.body;
    if (i >= 2) ms.push(elapsed); // two warm-up calls
  }
  return { p50Ms: round(pct(ms, 50), 0), maxMs: round(Math.max(...ms), 0), runsCounted: body.totals.runs };
}

export async function overviewLatency({ runs = 1_000_000, days = 30, times = 10 } = {}) {
  const env = await benchEnvironment();
  const api = await startApi(env);
  const client = await apiClient(api.url);
  const db = await pgClient(env.databaseUrl);
  try {
    const t0 = Date.now();
    const { accounts, reader } = await seed(db, client, { runs, days });
    const seedSeconds = Math.round((Date.now() - t0) / 1000);
    const until = new Date();
    const q = (ms, extra = '') => `/api/v1/analytics/overview?since=${new Date(until.getTime() - ms).toISOString()}&until=${until.toISOString()}${extra}`;
    const readerClient = bearerClient(api.url, reader.token);
    try {
      const result = {
        runs,
        days,
        seedSeconds,
        last24Hours: await timeIt(client, q(DAY_MS), times),
        last7Days: await timeIt(client, q(7 * DAY_MS), times),
        last30Days: await timeIt(client, q(30 * DAY_MS), times),
        last30DaysOneAccount: await timeIt(client, q(30 * DAY_MS, `&accountId=${accounts[1].id}`), times),
        // A read-scoped token is not a vault manager: the restricted accounts' runs are filtered out.
        last30DaysRestrictedViewer: await timeIt(readerClient, q(30 * DAY_MS), times),
        last24HoursRestrictedViewer: await timeIt(readerClient, q(DAY_MS), times),
      };
      return result;
    } finally {
      readerClient.close();
    }
  } finally {
    client.close();
    await db.end();
    await api.stop();
    // VAULTRUN_BENCH_KEEP_DB=1 keeps the seeded database for EXPLAIN (ANALYZE, BUFFERS) by hand (drop it afterwards).
    if (process.env.VAULTRUN_BENCH_KEEP_DB === '1') process.stderr.write(`[bench] overview: kept ${env.databaseUrl}\n`);
    else await env.drop();
  }
}
