// The one outbound guard: where Vaultrun may open a connection to an address someone configured — a provider
// account's base URL (API verification, worker runs, re-verification, cost sync) and the budget alert webhook.
//
// Three classes of address:
//   - `forbidden`: link-local (169.254.0.0/16, fe80::/10) and cloud metadata endpoints (169.254.169.254,
//     fd00:ec2::254, 100.100.100.200, metadata.google.internal), multicast and reserved ranges. Never called.
//   - `private`: loopback, RFC 1918, unique-local IPv6, CGNAT, "this network" (0.0.0.0, ::) and `localhost`.
//     Called only when the deployment allows private networks (a self-hosted model on the LAN, a webhook receiver
//     next door): VAULTRUN_PROVIDER_ALLOW_PRIVATE for providers, VAULTRUN_WEBHOOK_ALLOW_PRIVATE for webhooks.
//   - public: everything else.
// IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4
// 2002::/16) are judged by that IPv4 address.
//
// Resolve-then-connect: the check runs inside the HTTP client's connector, on the address the socket is about to
// connect to (after DNS for a name, directly for a literal address, and again for every redirect hop), so a name
// that resolves — or is re-pointed after it was saved (DNS rebinding) — to a refused address is never connected to.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';

export interface OutboundPolicy {
  /** Loopback and private networks may be called (link-local and metadata never). */
  allowPrivate: boolean;
}

/** The default wherever no policy is given: nothing but the public internet. */
export const PUBLIC_ONLY: OutboundPolicy = Object.freeze({ allowPrivate: false });

export type AddressClass = 'public' | 'private' | 'forbidden';

function blockList(v4: readonly (readonly [string, number])[], v6: readonly (readonly [string, number])[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of v4) list.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of v6) list.addSubnet(network, prefix, 'ipv6');
  return list;
}

const FORBIDDEN = blockList(
  [
    ['169.254.0.0', 16], // link-local: AWS/GCP/Azure/OCI metadata (169.254.169.254), ECS task metadata (169.254.170.2)
    ['100.100.100.200', 32], // Alibaba Cloud metadata
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved, broadcast
  ],
  [
    ['fe80::', 10], // link-local
    ['fd00:ec2::254', 128], // AWS metadata over IPv6
    ['ff00::', 8], // multicast
  ],
);

const PRIVATE = blockList(
  [
    ['0.0.0.0', 8], // "this network": 0.0.0.0 reaches this host
    ['10.0.0.0', 8],
    ['100.64.0.0', 10], // carrier-grade NAT
    ['127.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15], // benchmarking
  ],
  [
    ['::', 128], // unspecified: reaches this host
    ['::1', 128],
    ['fc00::', 7], // unique local
  ],
);

/** Host names that are cloud metadata services whatever they resolve to. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata.azure.com', 'instance-data', 'instance-data.ec2.internal']);

/** The 16 bytes of an IPv6 address, or null when the text is not one. */
function ipv6Bytes(text: string): number[] | null {
  if (isIP(text) !== 6) return null;
  let head = text;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail.push(...dotted[1]!.split('.').map(Number));
    head = text.slice(0, -dotted[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const leftGroups = groups(left ?? '');
  const rightGroups = right === undefined ? [] : groups(right);
  const missing = 8 - tail.length / 2 - leftGroups.length - rightGroups.length;
  const all = [...leftGroups, ...Array<number>(right === undefined ? 0 : missing).fill(0), ...rightGroups];
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]).concat(tail);
  return bytes.length === 16 ? bytes : null;
}

/** The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4), or null. */
function embeddedIpv4(bytes: number[]): string | null {
  const zero = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  const v4 = (at: number) => bytes.slice(at, at + 4).join('.');
  if (zero(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4(12); // ::ffff:a.b.c.d
  if (zero(0, 12) && !zero(12, 14)) return v4(12); // ::a.b.c.d (deprecated "compatible"; not :: or ::1)
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zero(4, 12)) return v4(12); // NAT64
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4(2); // 6to4
  return null;
}

/** Which class an IP address belongs to; a host name (not an address) is `public` until it resolves. */
export function classifyAddress(address: string): AddressClass {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(ip);
  if (family === 0) return 'public';
  if (family === 6) {
    const bytes = ipv6Bytes(ip);
    const inner = bytes ? embeddedIpv4(bytes) : null;
    if (inner) return classifyAddress(inner);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (FORBIDDEN.check(ip, type)) return 'forbidden';
  if (PRIVATE.check(ip, type)) return 'private';
  return 'public';
}

/** True for an IP address outside the public internet (loopback, private, link-local, metadata, multicast, reserved). */
export function isPrivateAddress(address: string): boolean {
  return classifyAddress(address) !== 'public';
}

const CLASS_WORDS: Record<Exclude<AddressClass, 'public'>, string> = {
  forbidden: 'a link-local or cloud metadata address, which Vaultrun never calls',
  private: 'a private or loopback address',
};

/** Why a host (name or literal address) may not be called under `policy`, before any DNS; null when it may (a name is checked again once resolved). */
export function hostRefusal(hostname: string, policy: OutboundPolicy): string | null {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (METADATA_NAMES.has(host)) return `${host} is a cloud metadata service, which Vaultrun never calls`;
  if (host === 'localhost' || host.endsWith('.localhost')) return policy.allowPrivate ? null : `${host} is this machine`;
  const cls = classifyAddress(host);
  if (cls === 'forbidden' || (cls === 'private' && !policy.allowPrivate)) return `${host} is ${CLASS_WORDS[cls]}`;
  return null;
}

/** Why a URL may not be called under `policy` (its scheme or its host), or null. The URL parser has already normalised `0x7f.1` and the like. */
export function urlRefusal(url: URL, policy: OutboundPolicy): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol} URLs are not called`;
  return hostRefusal(url.hostname, policy);
}

/** A connection the guard refused. Never retried: the address, not the moment, is at fault. */
export class OutboundRefusedError extends Error {
  readonly code = 'outbound_refused';
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'OutboundRefusedError';
  }
}

/** The guard's refusal anywhere along an error's cause chain (fetch wraps connector errors), or null. */
export function outboundRefusalOf(err: unknown): OutboundRefusedError | null {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof OutboundRefusedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Resolver = (hostname: string, options: LookupOptions & { all: true }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolver: Resolver = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/**
 * A `dns.lookup` for outgoing connections that refuses names resolving to a refused address (any of them: a name
 * with one public and one private address is refused, so the connection cannot be steered to the bad one). Give it
 * to the HTTP client's connector so the check applies to the address actually connected to.
 */
export function guardedLookup(policy: OutboundPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const byName = hostRefusal(hostname, policy);
    if (byName) return callback(new OutboundRefusedError(byName), []);
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const cls = classifyAddress(a.address);
        if (cls === 'forbidden' || (cls === 'private' && !policy.allowPrivate)) {
          return callback(new OutboundRefusedError(`${hostname} resolves to ${a.address}, ${CLASS_WORDS[cls]}`), []);
        }
      }
      if (!addresses.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** Resolves a URL's host now and says why it may not be called (for a 400 when a URL is saved), or null. */
export async function resolvedUrlRefusal(url: URL, policy: OutboundPolicy, resolve: Resolver = systemResolver): Promise<string | null> {
  const early = urlRefusal(url, policy);
  if (early || isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) return early;
  return new Promise((done) => {
    guardedLookup(policy, resolve)(url.hostname, { all: true }, (err) => {
      // A name that does not resolve (yet) is not refused here: the call fails on its own, and is checked then.
      done(err instanceof OutboundRefusedError ? err.reason : null);
    });
  });
}

/**
 * An HTTP dispatcher (undici Agent) whose every connection passes the guard: a literal address is checked before the
 * socket opens (Node skips the lookup for those), a name on the address it resolves to.
 */
export function guardedAgent(policy: OutboundPolicy, resolve: Resolver = systemResolver): Agent {
  const connectChecked = buildConnector({ lookup: guardedLookup(policy, resolve) });
  return new Agent({
    connect: (options, callback) => {
      const refusal = hostRefusal(options.hostname, policy);
      if (refusal) return callback(new OutboundRefusedError(refusal), null);
      return connectChecked(options, callback);
    },
  });
}

const sharedAgents = new Map<boolean, Agent>();

/** One guarded dispatcher per policy for the whole process (connections are pooled and reused). */
export function outboundAgent(policy: OutboundPolicy): Agent {
  let agent = sharedAgents.get(policy.allowPrivate);
  if (!agent) {
    agent = guardedAgent(policy);
    sharedAgents.set(policy.allowPrivate, agent);
  }
  return agent;
}

/**
 * `fetch` through the guarded dispatcher, with the SDK's `(input, init)` signature. The URL is checked first (so a
 * refused literal address fails before anything is built), redirects are never followed (a key must not be carried
 * to wherever a server points), and every connection passes the guard.
 */
export async function guardedFetch(policy: OutboundPolicy, input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : input);
  const refusal = urlRefusal(url, policy);
  if (refusal) throw new TypeError('fetch failed', { cause: new OutboundRefusedError(refusal) });
  const { body, headers, method, signal } = init ?? {};
  const answer = await undiciFetch(url, {
    method,
    headers: Object.fromEntries(new Headers(headers)),
    body: body as UndiciRequestInit['body'],
    signal,
    redirect: 'manual',
    dispatcher: outboundAgent(policy),
  });
  // The SDK expects the runtime's own Response: the body is streamed across as it arrives (never read here).
  const source = answer.body;
  const noBody = source === null || answer.status === 204 || answer.status === 205 || answer.status === 304 || method === 'HEAD';
  return new Response(noBody ? null : relay(source), { status: answer.status, statusText: answer.statusText, headers: new Headers([...answer.headers]) });
}

/** A body stream of this runtime's own type that passes another stream's chunks along as they arrive. */
function relay(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array<ArrayBuffer>> {
  const chunks = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(new Uint8Array(next.value));
    },
    async cancel(reason: unknown) {
      await chunks.return?.(reason);
    },
  });
}
