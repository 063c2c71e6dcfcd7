import { createServer, type Server } from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fetch } from 'undici';
import { classifyAddress, guardedAgent, guardedLookup, hostRefusal, isPrivateAddress, OutboundRefusedError, outboundRefusalOf, resolvedUrlRefusal, urlRefusal, type Resolver } from './outbound.js';

const strict = { allowPrivate: false };
const lenient = { allowPrivate: true };

/** A resolver answering from a table, and counting how often each name was asked (DNS rebinding: answers change). */
function stubResolver(answers: Record<string, string[][]>): Resolver & { asked: Record<string, number> } {
  const asked: Record<string, number> = {};
  const resolver = ((hostname, _options, callback) => {
    const n = (asked[hostname] = (asked[hostname] ?? 0) + 1);
    const rounds = answers[hostname];
    if (!rounds) return callback(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
    const round = rounds[Math.min(n, rounds.length) - 1]!;
    callback(null, round.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })));
  }) as Resolver & { asked: Record<string, number> };
  resolver.asked = asked;
  return resolver;
}

const lookupWith = (policy: { allowPrivate: boolean }, resolver: Resolver, host: string) =>
  new Promise<{ err: Error | null; address: unknown }>((resolve) => guardedLookup(policy, resolver)(host, {}, (err, address) => resolve({ err, address })));

describe('outbound address guard', () => {
  it('sorts addresses into public, private (loopback, RFC 1918, ULA, CGNAT, this-network) and forbidden (link-local, metadata, multicast)', () => {
    const forbidden = ['169.254.169.254', '169.254.170.2', '169.254.0.1', '100.100.100.200', 'fe80::1', 'fd00:ec2::254', '224.0.0.1', '255.255.255.255', 'ff02::1'];
    const priv = ['127.0.0.1', '127.1.2.3', '10.0.0.8', '172.16.0.1', '172.31.255.255', '192.168.1.10', '100.64.0.1', '0.0.0.0', '::1', '::', 'fc00::1', 'fd12:3456::1', '[::1]'];
    const publicOnes = ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', 'hooks.example.com'];
    expect(forbidden.filter((a) => classifyAddress(a) !== 'forbidden')).toEqual([]);
    expect(priv.filter((a) => classifyAddress(a) !== 'private')).toEqual([]);
    expect(publicOnes.filter((a) => classifyAddress(a) !== 'public')).toEqual([]);
    expect(['127.0.0.1', '169.254.169.254'].every(isPrivateAddress)).toBe(true);
  });

  it('judges IPv6 forms that carry an IPv4 address by that address (mapped, compatible, NAT64, 6to4)', () => {
    expect(classifyAddress('::ffff:127.0.0.1')).toBe('private');
    expect(classifyAddress('::ffff:7f00:1')).toBe('private'); // how the URL parser writes [::ffff:127.0.0.1]
    expect(classifyAddress('::ffff:a9fe:a9fe')).toBe('forbidden'); // 169.254.169.254
    expect(classifyAddress('::127.0.0.1')).toBe('private');
    expect(classifyAddress('64:ff9b::a9fe:a9fe')).toBe('forbidden');
    expect(classifyAddress('2002:7f00:1::')).toBe('private');
    expect(classifyAddress('::ffff:808:808')).toBe('public');
  });

  it('names what is wrong with a URL before any DNS; link-local and metadata stay refused when private networks are allowed', () => {
    expect(urlRefusal(new URL('http://localhost:8080/x'), strict)).toBe('localhost is this machine');
    expect(urlRefusal(new URL('http://LocalHost.:80/x'), strict)).toBe('localhost is this machine');
    expect(urlRefusal(new URL('http://api.localhost/x'), strict)).toBe('api.localhost is this machine');
    expect(urlRefusal(new URL('http://[::ffff:127.0.0.1]/v1'), strict)).toBe('::ffff:7f00:1 is a private or loopback address');
    expect(urlRefusal(new URL('http://0x7f.1/'), strict)).toBe('127.0.0.1 is a private or loopback address');
    expect(urlRefusal(new URL('http://0.0.0.0:11434/v1'), strict)).toBe('0.0.0.0 is a private or loopback address');
    expect(urlRefusal(new URL('http://[::]:11434/v1'), strict)).toBe(':: is a private or loopback address');
    for (const policy of [strict, lenient]) {
      expect(urlRefusal(new URL('http://169.254.169.254/latest/meta-data'), policy)).toBe('169.254.169.254 is a link-local or cloud metadata address, which Vaultrun never calls');
      expect(urlRefusal(new URL('http://[fd00:ec2::254]/'), policy)).toMatch(/^fd00:ec2::254 is a link-local or cloud metadata address/);
      expect(urlRefusal(new URL('http://metadata.google.internal/computeMetadata/v1'), policy)).toBe('metadata.google.internal is a cloud metadata service, which Vaultrun never calls');
      expect(urlRefusal(new URL('http://[fe80::1]/'), policy)).toMatch(/link-local/);
    }
    expect(urlRefusal(new URL('http://localhost:11434/v1'), lenient)).toBeNull();
    expect(urlRefusal(new URL('http://192.168.1.20:8000/v1'), lenient)).toBeNull();
    expect(urlRefusal(new URL('https://api.openai.com/v1'), strict)).toBeNull();
    expect(urlRefusal(new URL('ftp://example.com/'), lenient)).toBe('ftp: URLs are not called');
    expect(hostRefusal('93.184.216.34', strict)).toBeNull();
  });

  it('refuses at lookup a name resolving to a refused address — any of its addresses — and passes public ones through', async () => {
    const dns = stubResolver({ 'llm.example.com': [['93.184.216.34']], 'mixed.example.com': [['93.184.216.34', '10.0.0.7']], 'meta.example.com': [['169.254.169.254']] });
    expect(await lookupWith(strict, dns, 'llm.example.com')).toEqual({ err: null, address: '93.184.216.34' });
    const mixed = await lookupWith(strict, dns, 'mixed.example.com');
    expect(mixed.err).toBeInstanceOf(OutboundRefusedError);
    expect(mixed.err!.message).toBe('mixed.example.com resolves to 10.0.0.7, a private or loopback address');
    expect((await lookupWith(lenient, dns, 'mixed.example.com')).err).toBeNull();
    expect((await lookupWith(lenient, dns, 'meta.example.com')).err!.message).toBe('meta.example.com resolves to 169.254.169.254, a link-local or cloud metadata address, which Vaultrun never calls');
  });

  it('DNS rebinding: a name public when the URL was saved and private when connecting is refused at connection time', async () => {
    const dns = stubResolver({ 'rebind.example.com': [['93.184.216.34'], ['127.0.0.1']] });
    // Saving checks the first answer…
    expect(await resolvedUrlRefusal(new URL('http://rebind.example.com/v1'), strict, dns)).toBeNull();
    // …the connection looks it up again and refuses the new one.
    const connecting = await lookupWith(strict, dns, 'rebind.example.com');
    expect(connecting.err?.message).toBe('rebind.example.com resolves to 127.0.0.1, a private or loopback address');
    expect(dns.asked['rebind.example.com']).toBe(2);
  });

  describe('guarded HTTP client', () => {
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

    const attempt = (agent: ReturnType<typeof guardedAgent>, url: string) =>
      fetch(url, { dispatcher: agent }).then(
        (res) => ({ status: res.status, refusal: null }),
        (err: unknown) => ({ status: 0, refusal: outboundRefusalOf(err)?.message ?? `other: ${String(err)} ${String((err as { cause?: unknown }).cause)}` }),
      );

    it('refuses literal addresses (no lookup happens for those) and resolved names as it connects; allows them when told', async () => {
      const strictAgent = guardedAgent(strict, stubResolver({ 'rebind.example.com': [['127.0.0.1']] }));
      const lenientAgent = guardedAgent(lenient, stubResolver({ 'rebind.example.com': [['127.0.0.1']] }));
      try {
        expect(await attempt(strictAgent, `http://127.0.0.1:${port}/v1/models`)).toEqual({ status: 0, refusal: '127.0.0.1 is a private or loopback address' });
        expect(await attempt(strictAgent, `http://[::ffff:127.0.0.1]:${port}/v1/models`)).toEqual({ status: 0, refusal: '::ffff:7f00:1 is a private or loopback address' });
        expect(await attempt(strictAgent, `http://rebind.example.com:${port}/v1/models`)).toEqual({ status: 0, refusal: 'rebind.example.com resolves to 127.0.0.1, a private or loopback address' });
        expect(hits).toBe(0);
        expect(await attempt(lenientAgent, `http://127.0.0.1:${port}/v1/models`)).toEqual({ status: 204, refusal: null });
        expect(await attempt(lenientAgent, `http://rebind.example.com:${port}/v1/models`)).toEqual({ status: 204, refusal: null });
        expect(hits).toBe(2);
        expect(await attempt(lenientAgent, 'http://169.254.169.254/latest/meta-data')).toEqual({ status: 0, refusal: '169.254.169.254 is a link-local or cloud metadata address, which Vaultrun never calls' });
      } finally {
        await Promise.all([strictAgent.close(), lenientAgent.close()]);
      }
    });
  });
});
