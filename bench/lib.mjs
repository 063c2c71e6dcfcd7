// Shared plumbing for the benchmarks: processes, a fake OpenAI server, HTTP helpers, percentiles.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createDatabase, dropDatabase, runMigrations, withDatabase } from '../packages/db/dist/index.js';
import { ROOT } from '../scripts/lib.mjs';

export const PG_SERVER = process.env.VAULTRUN_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.VAULTRUN_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const pct = (values, p) => {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
export const round = (n, d = 2) => (n === null || n === undefined ? n : Math.round(n * 10 ** d) / 10 ** d);

export async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A fresh migrated database and a Redis prefix for one benchmark environment. */
export async function benchEnvironment() {
  const id = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const database = `vaultrun_bench_${id}`;
  await createDatabase(PG_SERVER, database);
  const databaseUrl = withDatabase(PG_SERVER, database);
  await runMigrations(databaseUrl);
  const prefix = `vrbench:${id}`;
  return {
    databaseUrl,
    prefix,
    masterKeys: `1:${randomBytes(32).toString('base64')}`,
    async drop() {
      await dropDatabase(PG_SERVER, database);
      const redis = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.unlink(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

/** `env.NODE_ARGS` (not passed on) holds extra node flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
export function startProcess(entry, { NODE_ARGS = '', ...env }, readyPattern) {
  const args = [...NODE_ARGS.split(' ').filter(Boolean), `${ROOT}/${entry}`];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start:\n${out}`)), 60_000);
    const onData = (c) => {
      out += c;
      const m = readyPattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => (out += c));
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}):\n${out}`)));
  });
  return {
    child,
    ready,
    output: () => out,
    rssMb: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : null;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
      }),
  };
}

export async function startApi(env, extra = {}) {
  const port = await freePort();
  const api = startProcess(
    'apps/api/dist/main.js',
    {
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: REDIS_URL,
      VAULTRUN_REDIS_PREFIX: env.prefix,
      VAULTRUN_MASTER_KEYS: env.masterKeys,
      VAULTRUN_API_PORT: String(port),
      VAULTRUN_PUBLIC_URL: `http://127.0.0.1:${port}`,
      VAULTRUN_ADMIN_PASSWORD: 'bench-admin-password',
      // The fake provider listens on this machine.
      VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'true',
      DATABASE_POOL_SIZE: '20',
      ...extra,
    },
    /listening on/,
  );
  await api.ready;
  return { ...api, url: `http://127.0.0.1:${port}` };
}

export async function startWorker(env, extra = {}) {
  const w = startProcess(
    'apps/worker/dist/main.js',
    {
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: REDIS_URL,
      VAULTRUN_REDIS_PREFIX: env.prefix,
      VAULTRUN_MASTER_KEYS: env.masterKeys,
      VAULTRUN_WORKER_HEALTH_PORT: '0',
      VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'true',
      DATABASE_POOL_SIZE: '20',
      ...extra,
    },
    /health on http:\/\/[^:]+:(\d+)/,
  );
  await w.ready;
  return w;
}

/** Signs in as the first owner and returns a client holding an API token (bearer) with the run scope. */
export async function apiClient(url) {
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@vaultrun.local', password: 'bench-admin-password' }) });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const { csrfToken } = await login.json();
  const session = async (method, path, body) => {
    const headers = { cookie, 'x-csrf-token': csrfToken, ...(body ? { 'content-type': 'application/json' } : {}) };
    const res = await fetch(`${url}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    // A refusal says why in its body, JSON or not (a proxy's error page); a success must be JSON, or empty (204).
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text === '' ? null : JSON.parse(text);
  };
  const { token } = await session('POST', '/api/v1/tokens', { name: 'bench', scopes: ['run', 'admin'] });
  return { session, token, ...bearerClient(url, token) };
}

/** Connections the load generator keeps open to the API at most (per token). */
export const LOAD_CONNECTIONS = 128;

/**
 * Sends requests with an API token. The load goes through a bounded keep-alive pool, as a real client's would: when
 * the API falls behind, requests wait for a connection (and that wait counts in their latency) instead of opening
 * thousands of sockets. Every scenario uses this one client, so their figures compare.
 */
export function bearerClient(url, token) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: LOAD_CONNECTIONS });
  const bearer = (method, path, body) =>
    new Promise((resolve, reject) => {
      const payload = body ? JSON.stringify(body) : undefined;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}) };
      const req = http.request(`${url}${path}`, { method, agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {
            // not JSON: keep null
          }
          resolve({ status: res.statusCode, body: json });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  return { bearer, close: () => agent.destroy() };
}

/** Minimal OpenAI-compatible server: /v1/models and /v1/chat/completions after `latencyMs`; tracks in-flight per key. */
export async function fakeOpenAI(latencyMs) {
  const inflight = new Map();
  const maxInflight = new Map();
  const calls = [];
  const server = http.createServer((req, res) => {
    const key = (req.headers.authorization ?? '').replace('Bearer ', '');
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const started = Date.now();
      if (req.url.endsWith('/models')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4.1-mini', object: 'model', created: 0, owned_by: 'bench' }] }));
        return;
      }
      const n = (inflight.get(key) ?? 0) + 1;
      inflight.set(key, n);
      maxInflight.set(key, Math.max(maxInflight.get(key) ?? 0, n));
      setTimeout(() => {
        inflight.set(key, inflight.get(key) - 1);
        calls.push({ key, at: started });
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${randomBytes(6).toString('hex')}` }).end(
          JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'gpt-4.1-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 } }),
        );
      }, fake.latencyMs);
    });
  });
  const fake = { latencyMs, inflight, maxInflight, calls, url: '', close: () => new Promise((r) => server.close(r)) };
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  server.keepAliveTimeout = 60_000;
  fake.url = `http://127.0.0.1:${server.address().port}/v1`;
  return fake;
}

export async function pgClient(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

export async function waitForCount(db, sql, params, target, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query(sql, params);
    if (rows[0].n >= target) return Date.now();
    if (Date.now() > deadline) throw new Error(`timed out: ${rows[0].n}/${target}`);
    await sleep(20);
  }
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system, ms) of one process so far, or null when it is gone. */
function cpuMsOf(pid) {
  try {
    // Fields after the command name (which may contain spaces) — utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null; // exited
  }
}

const commOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
};

/**
 * A machine-independent cost figure: CPU milliseconds spent by the given processes plus every PostgreSQL and Redis
 * server process, from when the meter is made to `stop()` (from /proc; processes that start meanwhile count whole, processes
 * that exit meanwhile are lost — the API's and workers' connection pools keep their backends for the whole run).
 */
export function cpuMeter(pids) {
  const serverPids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => ['postgres', 'redis-server'].includes(commOf(pid)));
  const sample = () => {
    const byPid = new Map();
    for (const pid of [...pids, ...serverPids()]) byPid.set(pid, { comm: commOf(pid), ms: cpuMsOf(pid) });
    return byPid;
  };
  const before = sample();
  return {
    /** CPU ms per group since the meter was made: { node, postgres, redis, total }. */
    stop() {
      const after = sample();
      const out = { node: 0, postgres: 0, redis: 0 };
      for (const [pid, a] of after) {
        if (a.ms === null) continue;
        const b = before.get(pid);
        const delta = a.ms - (b && b.comm === a.comm && b.ms !== null ? b.ms : 0);
        const group = a.comm === 'postgres' ? 'postgres' : a.comm === 'redis-server' ? 'redis' : 'node';
        out[group] += delta;
      }
      return { ...out, total: out.node + out.postgres + out.redis };
    },
  };
}
