import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fetch } from 'undici';
import { privateAddressRefusal, webhookAgent } from './webhook-http.js';

describe('webhook HTTP client', () => {
  let server: Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('refuses, as it connects, a name that resolves to a private address — and says so', async () => {
    const agent = webhookAgent(false);
    try {
      const err = await fetch(`http://localhost:${port}/hook`, { method: 'POST', dispatcher: agent }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(privateAddressRefusal(err)?.message).toBe('localhost is this machine');
      const literal = await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', dispatcher: agent }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(privateAddressRefusal(literal)?.message).toBe('127.0.0.1 is a private or loopback address');
      expect(hits).toBe(0);
    } finally {
      await agent.close();
    }
  });

  it('connects anywhere when private networks are allowed; other failures are not refusals', async () => {
    const agent = webhookAgent(true);
    try {
      expect((await fetch(`http://localhost:${port}/hook`, { method: 'POST', dispatcher: agent })).status).toBe(204);
      expect(hits).toBe(1);
      const refused = await fetch('http://127.0.0.1:1/hook', { dispatcher: agent }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(Error);
      expect(privateAddressRefusal(refused)).toBeNull();
      // Link-local and cloud metadata stay refused when private networks are allowed.
      const metadata = await fetch('http://169.254.169.254/latest/meta-data', { dispatcher: agent }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(privateAddressRefusal(metadata)?.message).toBe('169.254.169.254 is a link-local or cloud metadata address, which Vaultrun never calls');
    } finally {
      await agent.close();
    }
  });
});
