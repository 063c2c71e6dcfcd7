import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
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

/** A Redis of the test's own, for tests that flush or restart it (never the shared one). */
export async function startPrivateRedis(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 5000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error('private redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, port, stop: () => stopChild(child) };
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
