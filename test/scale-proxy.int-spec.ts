/**
 * The compose `scale` profile's load balancer (docker/nginx-scale.conf), run by a real nginx in front of two local
 * stand-in API replicas: event streams reach the client as they are written (the first event before the stream
 * ends), a replica that refuses connections is skipped, a POST that reached a replica which then died is answered 502
 * and never resent to the other one (the client retries with its Idempotency-Key), upstream connections are kept
 * alive and X-Forwarded-For is overwritten. (Not proven here: `proxy_buffering off` itself — with these small events
 * nginx passes them on at once either way; it matters for slow clients and large answers.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/processes.js';
import { ROOT } from './support/spawn.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? 'nginx';

interface Replica {
  name: string;
  server: http.Server;
  port: number;
  posts: number;
  seen: http.IncomingHttpHeaders[];
  /** Lets the current SSE response send its second event and end. */
  release?: () => void;
}

async function startReplica(name: string): Promise<Replica> {
  const replica = { name, posts: 0, seen: [] } as unknown as Replica;
  replica.server = http.createServer((req, res) => {
    replica.seen.push(req.headers);
    if (req.method === 'POST' && req.url === '/api/v1/runs') {
      // Dies mid-request: the body arrived, no answer ever leaves.
      replica.posts++;
      req.resume();
      req.on('end', () => req.socket.destroy());
      return;
    }
    if (req.url === '/api/v1/runs/stream' || req.url === '/v1/chat/completions') {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`event: run\ndata: first from ${name}\n\n`);
      // The rest only once the client has shown it received the first event: a buffering proxy would hold it back
      // and this response would never end.
      replica.release = () => res.end(`event: run\ndata: last\n\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-replica': name });
    res.end(JSON.stringify({ status: 'ok', replica: name, xff: req.headers['x-forwarded-for'] ?? null }));
  });
  await new Promise<void>((r) => replica.server.listen(0, '127.0.0.1', r));
  replica.port = (replica.server.address() as AddressInfo).port;
  return replica;
}

function stopReplica(r: Replica): Promise<void> {
  r.server.closeAllConnections();
  return new Promise((resolve) => r.server.close(() => resolve()));
}

/** Reads an event stream until `first` appears in it, then releases the replica and reads to the end. */
async function readStream(res: Response, replicas: Replica[]): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let released = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
    if (!released && text.includes('data: first from')) {
      released = true;
      const name = /first from (\w+)/.exec(text)![1];
      replicas.find((r) => r.name === name)!.release!();
    }
  }
}

describe('compose scale profile: nginx over API replicas (docker/nginx-scale.conf)', () => {
  let dir: string;
  let nginx: ChildProcess;
  let base: string;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    a = await startReplica('A');
    b = await startReplica('B');
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'vaultrun-nginx-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'html'));
    writeFileSync(join(dir, 'html/index.html'), '<!doctype html><title>console</title>');
    // The shipped file, with the compose service names and the listen port pointed at this test's processes.
    const site = readFileSync(join(ROOT, 'docker/nginx-scale.conf'), 'utf8')
      .replace('server api-1:3000', `server 127.0.0.1:${a.port}`)
      .replace('server api-2:3000', `server 127.0.0.1:${b.port}`)
      .replace('listen 8080;', `listen 127.0.0.1:${port};`)
      .replace('root /usr/share/nginx/html;', `root ${join(dir, 'html')};`);
    expect(site).toContain(`127.0.0.1:${a.port}`);
    expect(site).toContain(`127.0.0.1:${b.port}`);
    writeFileSync(join(dir, 'site.conf'), site);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, t)};`).join('\n');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `pid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')} warn;\nevents {}\nhttp {\n  access_log off;\n${temp}\n  include ${join(dir, 'site.conf')};\n}\n`,
    );
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off; master_process off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    nginx.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<string>((resolve) => {
      nginx.once('exit', (code) => resolve(`nginx exited (${code}): ${stderr}`));
      nginx.once('error', (err) => resolve(`nginx did not start (${NGINX}: ${err.message}); CI installs it (apt-get install nginx)`));
    });
    base = `http://127.0.0.1:${port}`;
    // Until nginx answers its own probe.
    const up = (async () => {
      for (;;) {
        const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
        if (ok) return null;
        if (nginx.exitCode !== null || nginx.pid === undefined) return exited;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const failure = await Promise.race([up, exited]);
    if (failure) throw new Error(failure);
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const gone = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGTERM');
      await gone;
    }
    await Promise.all([a, b].filter(Boolean).map(stopReplica));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the console and proxies the probes over both replicas, keeping upstream connections alive', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('console');
    const answeredBy = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${base}/health`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { replica: string; xff: string };
      answeredBy.add(body.replica);
      // Overwritten with the peer nginx saw, never the client's claim.
      expect(body.xff).toBe('127.0.0.1');
    }
    expect([...answeredBy].sort()).toEqual(['A', 'B']);
    for (const h of [...a.seen, ...b.seen]) expect(h.connection).not.toBe('close');
  });

  it.each(['/api/v1/runs/stream', '/v1/chat/completions'])('passes the %s event stream on as it is written', async (path) => {
    const res = await fetch(`${base}${path}`, path.startsWith('/v1') ? { method: 'POST', body: '{"stream":true}', headers: { 'content-type': 'application/json' } } : {});
    expect(res.status).toBe(200);
    const text = await readStream(res, [a, b]);
    expect(text).toMatch(/data: first from [AB]\n\n[\s\S]*data: last/);
  }, 30_000);

  it('answers 502 for a POST whose replica died mid-request, and never resends it to the other replica', async () => {
    const before = a.posts + b.posts;
    const res = await fetch(`${base}/api/v1/runs`, { method: 'POST', body: '{"input":{}}', headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' } });
    expect(res.status).toBe(502);
    expect(a.posts + b.posts - before).toBe(1);
  });

  it('skips a replica that refuses connections: requests that never reached it go to the other', async () => {
    await stopReplica(a);
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${base}/ready`);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-replica')).toBe('B');
    }
  });
});
