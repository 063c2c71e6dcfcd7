import { isIP } from 'node:net';

/**
 * VAULTRUN_TRUST_PROXY: false | hop count | proxy addresses, or null when it is none of them. `true` means one hop:
 * trusting every hop (what `true` meant to Fastify) would let any client choose its address by sending
 * X-Forwarded-For itself.
 */
export function parseTrustProxy(raw: string): false | number | string[] | null {
  const value = raw.trim().toLowerCase();
  if (['false', '0', 'off', 'no', ''].includes(value)) return false;
  if (['true', 'on', 'yes'].includes(value)) return 1;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops >= 1 && hops <= 5 ? hops : null;
  }
  const entries = value.split(',').map((e) => e.trim());
  const valid = entries.every((e) => {
    const [address, prefix, ...rest] = e.split('/');
    const family = isIP(address ?? '');
    if (!family || rest.length) return false;
    if (prefix === undefined) return true;
    return /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
  });
  return valid ? entries : null;
}
