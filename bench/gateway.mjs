// `pnpm bench gateway` (issue 12): the OpenAI-compatible gateway side by side with Portkey's open-source gateway, in one
// run, through the same fake provider (its own process, answering at once: bench/gateway-fake.mjs) and the same load
// generator. Targets: the fake itself (direct), Vaultrun's gateway in the API process (apps/api/dist/main.js) and alone
// (apps/api/dist/gateway-main.js) — auth, the account limiter, budget reservation, settlement and records all on,
// under a workspace budget — and Portkey (@portkey-ai/gateway, a pure proxy: no budgets, no persistence).
// "Added" figures are a target's percentile minus the direct percentile measured in the same run.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { apiClient, benchEnvironment, freePort, pct, pgClient, REDIS_URL, round, sleep, startApi, startProcess } from './lib.mjs';
import { ROOT } from '../scripts/lib.mjs';

const MODEL = 'gpt-4o-mini';
/** Connections the load generator keeps open per target (as bench/lib.mjs's LOAD_CONNECTIONS). */
const CONNECTIONS = 128;
const STREAMS_CONCURRENT = 100;
const OPEN_STREAMS = 1000;
// Seconds of each measurement (a smoke run may scale them down: gatewayComparison({ scale: 0.2 })).
let MAX_RPS_SECONDS = 5;
let OPEN_LOOP_SECONDS = 5;
let STREAMS_SECONDS = 4;
const log = (msg) => process.stderr.write(`[bench] gateway: ${msg}\n`);

/** One target's HTTP client: its base URL, the headers it needs, the model name it is sent. */
function loadClient({ url, headers, model }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const holdAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  /**
   * One chat completion; resolves with its status, time to the first body byte and total time, both counted from
   * `from` (performance.now(): when it was due), the body read to its end.
   */
  const send = ({ stream = false, content = 'Say ok', from = performance.now(), hold = false } = {}) =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify({ model, messages: [{ role: 'user', content }], max_tokens: 16, ...(stream ? { stream: true } : {}) });
      const req = http.request(`${url}/chat/completions`, { method: 'POST', agent: hold ? holdAgent : agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        let ttfb = null;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          if (ttfb === null) {
            ttfb = performance.now() - from;
            if (hold) resolve({ status: res.statusCode, ttfb, close: () => req.destroy() });
          }
          if (!hold) text += c;
        });
        res.on('end', () => {
          const total = performance.now() - from;
          if (res.statusCode !== 200) return resolve({ status: res.statusCode, ttfb, total, error: text.slice(0, 300) });
          if (stream ? !text.includes('[DONE]') : !text.includes('"chat.completion"')) return resolve({ status: 0, ttfb, total, error: text.slice(0, 300) });
          resolve({ status: 200, ttfb, total });
        });
        res.on('error', (err) => (hold ? resolve({ status: 0, ttfb, error: err.message, close: () => undefined }) : reject(err)));
      });
      req.on('error', (err) => (hold ? resolve({ status: 0, ttfb: null, error: err.message, close: () => undefined }) : reject(err)));
      req.end(payload);
    });
  return { send, close: () => (agent.destroy(), holdAgent.destroy()) };
}

/** Closed loop: `parallel` requests in flight for `seconds`; completed requests per second. */
async function maxRps(client, seconds, parallel = CONNECTIONS) {
  const until = performance.now() + seconds * 1000;
  let ok = 0;
  let failed = 0;
  let lastError = null;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < until) {
        const r = await client.send();
        if (r.status === 200) ok++;
        else {
          failed++;
          lastError = `${r.status} ${r.error}`;
        }
      }
    }),
  );
  return { requestsPerSecond: round(ok / ((performance.now() - t0) / 1000), 0), requests: ok, failed, ...(lastError ? { lastError } : {}) };
}

/** Open loop: request i is due at t0 + i/rate and its latency counts from then, whether or not it could be sent. */
async function openLoop(client, perSecond, seconds) {
  const total = perSecond * seconds;
  const latencies = [];
  let failed = 0;
  const t0 = performance.now();
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(client.send({ from: due }).then((r) => (r.status === 200 ? latencies.push(r.total) : failed++)));
  }
  await Promise.all(pending);
  return { perSecond, achievedPerSecond: round(total / ((performance.now() - t0) / 1000), 1), failed, p50Ms: round(pct(latencies, 50)), p99Ms: round(pct(latencies, 99)), maxMs: round(Math.max(...latencies)) };
}

/** `parallel` streams at all times for `seconds`: time to the first byte of each stream's body. */
async function streamsTtfb(client, parallel, seconds) {
  const until = performance.now() + seconds * 1000;
  const ttfbs = [];
  let failed = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < until) {
        const r = await client.send({ stream: true });
        if (r.status === 200) ttfbs.push(r.ttfb);
        else failed++;
      }
    }),
  );
  return { concurrent: parallel, streams: ttfbs.length, failed, p50Ms: round(pct(ttfbs, 50)), p99Ms: round(pct(ttfbs, 99)) };
}

/** Opens `count` streams that the provider keeps open; the gateway process's RSS once all have their first byte. */
async function openStreamsRss(client, count, rssMb) {
  const idleMb = rssMb();
  const opened = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i += 100) opened.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => client.send({ stream: true, content: 'hold', hold: true })))));
  const open = opened.filter((s) => s.status === 200).length;
  const openSeconds = round((performance.now() - t0) / 1000, 1);
  await sleep(500); // let the process settle with every stream open
  const mb = rssMb();
  for (const s of opened) s.close();
  return { streams: count, open, openSeconds, idleRssMb: round(idleMb, 0), rssMb: round(mb, 0), ...(open < count ? { lastError: opened.find((s) => s.status !== 200)?.error } : {}) };
}

/**
 * Every figure for one target. `pid`: the process that serves it (the fake for direct), for its CPU time per request
 * while at its maximum rate and, with `memory`, its RSS (fresh, then with 1,000 open streams).
 */
async function measure(name, client, pid, { memory: withMemory = true, afterStreams } = {}) {
  const rssMb = rssOf(pid);
  const freshRssMb = round(rssMb(), 0);
  log(`${name}: warm-up`);
  await maxRps(client, 1, 32);
  await streamsTtfb(client, 10, 0.5);
  log(`${name}: max req/s`);
  const cpuBefore = cpuMsOf(pid);
  const max = await maxRps(client, MAX_RPS_SECONDS);
  max.cpuMsPerRequest = round((cpuMsOf(pid) - cpuBefore) / max.requests);
  await sleep(500);
  log(`${name}: open loop 200 req/s`);
  const at200 = await openLoop(client, 200, OPEN_LOOP_SECONDS);
  await sleep(500);
  log(`${name}: open loop 500 req/s`);
  const at500 = await openLoop(client, 500, OPEN_LOOP_SECONDS);
  await sleep(500);
  log(`${name}: ${STREAMS_CONCURRENT} concurrent streams`);
  const streams = await streamsTtfb(client, STREAMS_CONCURRENT, STREAMS_SECONDS);
  let memory = null;
  if (withMemory) {
    log(`${name}: ${OPEN_STREAMS} open streams`);
    memory = { freshRssMb, ...(await openStreamsRss(client, OPEN_STREAMS, rssMb)) };
    if (afterStreams) await afterStreams();
  }
  const result = { maxRps: max, at200, at500, streams, ...(memory ? { memory } : {}) };
  log(`${name}: ${JSON.stringify(result)}`);
  return result;
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system, ms) of one process so far. */
function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function rssOf(pid) {
  return () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  };
}

async function startFake() {
  const fake = startProcess('bench/gateway-fake.mjs', {}, /fake listening on (\d+)/);
  const [, port] = await fake.ready;
  return { ...fake, url: `http://127.0.0.1:${port}/v1` };
}

/** Portkey's gateway on a free port (it parses only --port=N; ready when GET / answers). */
async function startPortkey() {
  const port = await freePort();
  const child = spawn(process.execPath, [`${ROOT}/node_modules/@portkey-ai/gateway/build/start-server.js`, `--port=${port}`, '--headless'], { cwd: ROOT, env: { PATH: process.env.PATH, NODE_ENV: 'production' }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 200 || child.exitCode !== null) throw new Error(`Portkey's gateway did not start (exit ${child.exitCode})`);
    await sleep(50);
  }
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        // Stopped already (by a signal, exitCode stays null).
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

const minus = (a, b) => (a === null || b === null ? null : round(a - b));

/** Added latency of a target over the direct figures. */
function added(target, direct) {
  return {
    maxRps: target.maxRps.requestsPerSecond,
    at200: { p50Ms: minus(target.at200.p50Ms, direct.at200.p50Ms), p99Ms: minus(target.at200.p99Ms, direct.at200.p99Ms) },
    at500: { p50Ms: minus(target.at500.p50Ms, direct.at500.p50Ms), p99Ms: minus(target.at500.p99Ms, direct.at500.p99Ms) },
    ttfb: { p50Ms: minus(target.streams.p50Ms, direct.streams.p50Ms), p99Ms: minus(target.streams.p99Ms, direct.streams.p99Ms) },
    rssMb: target.memory?.rssMb ?? null,
    cpuMsPerRequest: target.maxRps.cpuMsPerRequest,
  };
}

/** The bars for one Vaultrun target against Portkey's figures of the same run. */
function barsFor(v, p) {
  const bar = (value, limit, pass) => ({ value, bar: limit, pass });
  return {
    maxRpsVsPortkey: bar(round(v.maxRps / p.maxRps, 2), 1.5, v.maxRps >= 1.5 * p.maxRps),
    addedP99At200VsPortkey: bar(p.at200.p99Ms > 0 ? round(v.at200.p99Ms / p.at200.p99Ms, 2) : null, 1 / 3, v.at200.p99Ms <= p.at200.p99Ms / 3),
    addedP50At200Ms: bar(v.at200.p50Ms, 2, v.at200.p50Ms <= 2),
    addedP50At500Ms: bar(v.at500.p50Ms, 2, v.at500.p50Ms <= 2),
    addedTtfbP50Ms: bar(v.ttfb.p50Ms, 2, v.ttfb.p50Ms <= 2),
    rssWith1000StreamsMb: bar(v.rssMb, 300, v.rssMb !== null && v.rssMb <= 300),
  };
}

export async function gatewayComparison({ standalone = true, scale = 1 } = {}) {
  [MAX_RPS_SECONDS, OPEN_LOOP_SECONDS, STREAMS_SECONDS] = [5 * scale, 5 * scale, 4 * scale];
  const fake = await startFake();
  const env = await benchEnvironment();
  const stopping = [() => fake.stop(), () => env.drop()];
  const clients = [];
  try {
    const results = {};
    const direct = loadClient({ url: fake.url, headers: { authorization: 'Bearer sk-bench-direct' }, model: MODEL });
    clients.push(direct);
    results.direct = await measure('direct', direct, fake.child.pid, { memory: false });

    const portkey = await startPortkey();
    stopping.unshift(() => portkey.stop());
    const viaPortkey = loadClient({ url: `${portkey.url}/v1`, headers: { authorization: 'Bearer sk-bench-portkey', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.url }, model: MODEL });
    clients.push(viaPortkey);
    results.portkey = await measure('portkey', viaPortkey, portkey.pid);
    await portkey.stop();

    // Vaultrun: one workspace, an OpenAI account on the fake (limits wide enough for 1,000 streams), a workspace budget
    // (so every call reserves and settles), an inference token.
    const api = await startApi(env);
    stopping.unshift(() => api.stop());
    const admin = await apiClient(api.url);
    clients.push(admin);
    await admin.session('POST', '/api/v1/provider-accounts', { name: 'Fake', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-bench-gateway-000000000000', defaultModel: MODEL, verify: false, limits: { maxConcurrency: 1000, requestsPerMinute: null, tokensPerMinute: null } });
    await admin.session('POST', '/api/v1/budgets', { name: 'bench', scope: { type: 'workspace' }, period: 'month', capMicroUsd: 1_000_000_000_000 });
    const { token } = await admin.session('POST', '/api/v1/tokens', { name: 'bench-app', scopes: ['inference'] });
    const db = await pgClient(env.databaseUrl);
    stopping.unshift(() => db.end());
    // Between targets: every call of the last one settled (the 1,000 aborted streams included), no hold left open.
    const settled = async () => {
      for (let i = 0; ; i++) {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM runs WHERE kind = 'gateway' AND finished_at IS NULL`);
        if (rows[0].n === 0) return;
        if (i > 600) throw new Error(`${rows[0].n} gateway calls never finished`);
        await sleep(100);
      }
    };
    const vaultrun = (url) => loadClient({ url: `${url}/v1`, headers: { authorization: `Bearer ${token}` }, model: `Fake/${MODEL}` });
    const inApi = vaultrun(api.url);
    clients.push(inApi);
    results.vaultrunInApi = await measure('vaultrun (in the API)', inApi, api.child.pid, { afterStreams: settled });

    if (standalone) {
      const port = await freePort();
      const gw = startProcess('apps/api/dist/gateway-main.js', { DATABASE_URL: env.databaseUrl, REDIS_URL, VAULTRUN_REDIS_PREFIX: env.prefix, VAULTRUN_MASTER_KEYS: env.masterKeys, VAULTRUN_GATEWAY_PORT: String(port), VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'true', DATABASE_POOL_SIZE: '20' }, /gateway listening on/);
      stopping.unshift(() => gw.stop());
      await gw.ready;
      const alone = vaultrun(`http://127.0.0.1:${port}`);
      clients.push(alone);
      results.vaultrunStandalone = await measure('vaultrun (standalone)', alone, gw.child.pid, { afterStreams: settled });
    }

    const { rows } = await db.query(`SELECT status, count(*)::int AS n, sum(cost_micro_usd)::bigint AS cost FROM runs WHERE kind = 'gateway' GROUP BY status ORDER BY status`);
    const [budget] = (await db.query(`SELECT sum(spent_micro_usd)::bigint AS spent, sum(held_micro_usd)::bigint AS held FROM budget_balances`)).rows;
    const addedP = added(results.portkey, results.direct);
    const addedApi = added(results.vaultrunInApi, results.direct);
    const addedAlone = results.vaultrunStandalone ? added(results.vaultrunStandalone, results.direct) : null;
    return {
      ...results,
      added: { portkey: addedP, vaultrunInApi: addedApi, ...(addedAlone ? { vaultrunStandalone: addedAlone } : {}) },
      // What Vaultrun recorded meanwhile: every call a record, the budget's spend their sum, nothing left held.
      vaultrunRecords: { byStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])), costMicroUsd: rows.reduce((s, r) => s + Number(r.cost ?? 0), 0), budgetSpentMicroUsd: Number(budget.spent), budgetHeldMicroUsd: Number(budget.held) },
      bars: { inApi: barsFor(addedApi, addedP), ...(addedAlone ? { standalone: barsFor(addedAlone, addedP) } : {}) },
    };
  } finally {
    for (const c of clients) c.close();
    for (const stop of stopping) await stop().catch((err) => log(`clean-up: ${err.message}`));
  }
}
