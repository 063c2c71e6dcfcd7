import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Probe = () => Promise<{ ok: boolean; body: Record<string, unknown> }>;

/** A tiny HTTP endpoint for orchestrators: GET /health (liveness), GET /ready (dependencies), GET /metrics (Prometheus). */
export async function startHealthServer(
  host: string,
  port: number,
  probes: { health: Probe; ready: Probe; metrics?: () => Promise<{ contentType: string; body: string }> },
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/metrics' && probes.metrics) {
      probes.metrics().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        () => res.writeHead(500).end(),
      );
      return;
    }
    const probe = req.method === 'GET' && path === '/health' ? probes.health : req.method === 'GET' && path === '/ready' ? probes.ready : null;
    if (!probe) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"not_found"}');
      return;
    }
    probe().then(
      ({ ok, body }) => res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (err: unknown) =>
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', error: String(err).slice(0, 200) })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
