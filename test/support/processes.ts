import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEnv } from './env.js';
import { ROOT } from './spawn.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
async function listening(port: number, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A Redis of the test's own, for tests that flush, stop or restart it (never the shared one). `port` restarts one
 * on the port a stopped instance used (empty, as after a real restart without persistence).
 */
export async function startPrivateRedis(port?: number): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  port ??= await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  await listening(port, 'private redis-server');
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => stopChild(child) };
}

export interface PrivatePostgres {
  url: string;
  port: number;
  /** Stops the server (fast shutdown: open connections are terminated). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it and deletes its data directory. */
  destroy(): Promise<void>;
}

/**
 * A throw-away PostgreSQL cluster in a temp directory on a free port, for tests that stop or restart the database
 * (never the shared one). Run as root, the server runs as the `postgres` user, which owns the directory.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = `/usr/lib/postgresql/${readdirSync('/etc/postgresql').sort().pop()}/bin`;
  const dir = mkdtempSync(join(tmpdir(), 'vaultrun-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', `${bin}/${tool}`, ...args]] : [`${bin}/${tool}`, args];
    return new Promise<void>((resolve, reject) => {
      execFile(file, argv, { cwd: dir }, (err, _stdout, stderr) => (err ? reject(new Error(`${tool} failed: ${stderr || err.message}`)) : resolve()));
    });
  };
  const data = join(dir, 'data');
  await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  let running = false;
  const start = async () => {
    await run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
    running = true;
    await listening(port, 'private postgres', 30_000);
  };
  const stop = async () => {
    await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    running = false;
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    async destroy() {
      if (running) await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export interface WorkerProcess {
  child: ChildProcess;
  healthPort: number;
  output: string[];
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** The built worker (apps/worker/dist/main.js) as a real child process on the test database. */
export async function spawnWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const t = testEnv();
  const child = spawn(process.execPath, [`${ROOT}/apps/worker/dist/main.js`], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: t.databaseUrl,
      DATABASE_POOL_SIZE: '6',
      REDIS_URL: t.redisUrl,
      VAULTRUN_MASTER_KEYS: t.masterKeys,
      // The fake provider listens on 127.0.0.1: tests allow private provider URLs unless they test the guard (test/adversarial).
      VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'true',
      VAULTRUN_WORKER_HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const healthPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output.join('')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const m = /health on http:\/\/[^:]+:(\d+)\/health/.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before starting:\n${output.join('')}`));
    });
  });
  return {
    child,
    healthPort,
    output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
    kill: () => stopChild(child, 'SIGKILL'),
  };
}
