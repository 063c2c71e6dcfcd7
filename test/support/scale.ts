/**
 * Real processes for the scale suite (test/scale): a Redis primary + replica watched by three sentinels, a PgBouncer
 * in transaction mode, and the built API as a child process. Each on free ports and a temp directory of its own;
 * `stop()` / `kill()` end only what it started.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { testEnv } from './env.js';
import { freePort } from './processes.js';
import { waitUntil } from './runs.js';
import { ROOT } from './spawn.js';

/** The path of a binary (PATH, then /usr/sbin where Debian puts pgbouncer), or null. */
export function binary(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The Debian binaries the scale suite runs (.ci/run installs them): the missing ones, by name. */
export function missingScaleBinaries(): string[] {
  return ['redis-server', 'redis-sentinel', 'pgbouncer'].filter((b) => !binary(b));
}

interface Child {
  child: ChildProcess;
  output: string[];
}

function start(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const output: string[] = [];
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  return { child, output };
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function signal(child: ChildProcess, sig: NodeJS.Signals): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(sig);
  });
}

async function accepting(port: number): Promise<boolean> {
  return new Promise<boolean>((r) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
}

/** A flat Redis reply (`[k1, v1, k2, v2…]`) as an object. */
function pairs(reply: unknown): Record<string, string> {
  const list = reply as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
}

export interface SentinelGroup {
  master: string;
  primary: { port: number; kill(): Promise<void> };
  replica: { port: number };
  sentinels: { host: string; port: number }[];
  /** `REDIS_SENTINELS` for these sentinels. */
  sentinelsEnv: string;
  /** The primary's port as every sentinel reports it. */
  primaryPorts(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * Redis primary + replica + three sentinels (quorum 2), all private. Resolves once every sentinel sees the replica
 * and the two other sentinels, so a failover can happen from the first command on.
 */
export async function startSentinelGroup(master = 'mymaster'): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'vaultrun-sentinel-'));
  const children: Child[] = [];
  const redisArgs = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir];
  const [p1, p2] = [await freePort(), await freePort()];
  const primary = start('redis-server', redisArgs(p1));
  children.push(primary);
  await waitUntil(() => accepting(p1), 10_000, 'the Redis primary to listen');
  children.push(start('redis-server', [...redisArgs(p2), '--replicaof', '127.0.0.1', String(p1)]));
  await waitUntil(() => accepting(p2), 10_000, 'the Redis replica to listen');

  const sentinels: { host: string; port: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${i}.conf`);
    // Sentinel rewrites its configuration file as it learns: it must be writable.
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'daemonize no',
        `dir ${dir}`,
        `sentinel monitor ${master} 127.0.0.1 ${p1} 2`,
        `sentinel down-after-milliseconds ${master} 1000`,
        `sentinel failover-timeout ${master} 10000`,
        `sentinel parallel-syncs ${master} 1`,
        '',
      ].join('\n'),
    );
    children.push(start('redis-sentinel', [conf]));
    sentinels.push({ host: '127.0.0.1', port });
  }
  const clients = sentinels.map((s) => new Redis({ host: s.host, port: s.port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 }));
  for (const c of clients) c.on('error', () => undefined); // a sentinel still starting; waitUntil below retries
  const masterInfo = async (c: Redis) => pairs(await c.call('SENTINEL', 'master', master).catch(() => []));
  await waitUntil(
    async () => {
      const infos = await Promise.all(clients.map(masterInfo));
      return infos.every((m) => Number(m['num-slaves']) >= 1 && Number(m['num-other-sentinels']) >= 2);
    },
    60_000,
    'the sentinels to see the replica and each other',
  );
  const primaryPorts = () =>
    Promise.all(clients.map(async (c) => Number(((await c.call('SENTINEL', 'get-master-addr-by-name', master).catch(() => [])) as string[])[1] ?? 0)));
  return {
    master,
    primary: { port: p1, kill: () => signal(primary.child, 'SIGKILL') },
    replica: { port: p2 },
    sentinels,
    sentinelsEnv: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    primaryPorts,
    async stop() {
      for (const c of clients) c.disconnect();
      await Promise.all(children.map((c) => signal(c.child, 'SIGTERM')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PgBouncer {
  port: number;
  /** `url` with its host and port replaced by PgBouncer's. */
  urlFor(url: string): string;
  /** `SHOW <what>` on PgBouncer's admin console, as rows. */
  show(what: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/**
 * PgBouncer in transaction mode in front of the shared PostgreSQL (every database, trust auth). PgBouncer refuses to
 * run as root: as root it runs as `postgres`, which owns its directory.
 */
export async function startPgBouncer(options: { poolSize: number }): Promise<PgBouncer> {
  const server = new URL(process.env.VAULTRUN_TEST_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const dir = mkdtempSync(join(tmpdir(), 'vaultrun-pgbouncer-'));
  const port = await freePort();
  const user = decodeURIComponent(server.username || 'postgres');
  writeFileSync(join(dir, 'users.txt'), `"${user}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize}`,
      'max_client_conn = 1000',
      'ignore_startup_parameters = extra_float_digits',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  let bouncer: Child;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    for (const f of ['', 'users.txt', 'pgbouncer.ini']) chownSync(join(dir, f), uid, gid);
    chmodSync(dir, 0o700);
    bouncer = start('runuser', ['-u', 'postgres', '--', binary('pgbouncer')!, join(dir, 'pgbouncer.ini')]);
  } else {
    bouncer = start(binary('pgbouncer')!, [join(dir, 'pgbouncer.ini')]);
  }
  await waitUntil(() => exited(bouncer.child) || accepting(port), 10_000, 'PgBouncer to listen');
  if (exited(bouncer.child)) throw new Error(`pgbouncer exited: ${bouncer.output.join('')}`);
  // pg's own types are a dependency of packages/db only; the admin console needs just connect / query / end.
  type AdminClient = { connect(): Promise<void>; query(q: { text: string; queryMode: 'simple' }): Promise<{ rows: Record<string, unknown>[] }>; end(): Promise<void> };
  const pg = createRequire(import.meta.url)('pg') as { Client: new (options: object) => AdminClient };
  return {
    port,
    urlFor(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async show(what) {
      // The admin console speaks the simple query protocol only.
      const client = new pg.Client({ host: '127.0.0.1', port, user, database: 'pgbouncer' });
      await client.connect();
      try {
        return (await client.query({ text: `SHOW ${what}`, queryMode: 'simple' })).rows;
      } finally {
        await client.end();
      }
    },
    async stop() {
      // runuser passes SIGTERM on to PgBouncer and exits with it.
      await signal(bouncer.child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ApiProcess {
  url: string;
  output: string[];
  child: ChildProcess;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** The built API (apps/api/dist/main.js) as a real child process, on a free port. */
export async function spawnApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const t = testEnv();
  const port = await freePort();
  const api = start(process.execPath, [`${ROOT}/apps/api/dist/main.js`], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: t.databaseUrl,
      REDIS_URL: t.redisUrl,
      VAULTRUN_MASTER_KEYS: t.masterKeys,
      VAULTRUN_API_HOST: '127.0.0.1',
      VAULTRUN_API_PORT: String(port),
      VAULTRUN_PUBLIC_URL: `http://127.0.0.1:${port}`,
      // The fake provider listens on 127.0.0.1.
      VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'true',
      ...env,
    },
  });
  await waitUntil(
    () => {
      if (exited(api.child)) throw new Error(`API exited (${api.child.exitCode}) before listening:\n${api.output.join('')}`);
      return /listening on/.test(api.output.join(''));
    },
    60_000,
    'the API process to listen',
  );
  return {
    url: `http://127.0.0.1:${port}`,
    output: api.output,
    child: api.child,
    stop: () => signal(api.child, 'SIGTERM'),
    kill: () => signal(api.child, 'SIGKILL'),
  };
}

/** Whether a binary runs at all (e.g. pgbouncer -V), for a clear skip message. */
export function versionOf(name: string, flag = '--version'): string | null {
  const path = binary(name);
  if (!path) return null;
  const res = spawnSync(path, [flag], { encoding: 'utf8' });
  return (res.stdout || res.stderr || '').trim().split('\n')[0] ?? null;
}
