import { describe, expect, it } from '@jest/globals';
import { isPrivateAddress, PrivateAddressError, privateHostReason, publicOnlyLookup } from './outbound.js';

const lookupOf = (host: string) =>
  new Promise<{ err: Error | null; address: unknown }>((resolve) => publicOnlyLookup(host, {}, (err, address) => resolve({ err, address })));

describe('outbound address guard', () => {
  it('tells private, loopback, link-local and reserved addresses from public ones, IPv4 and IPv6', () => {
    const notPublic = ['127.0.0.1', '127.1.2.3', '10.0.0.8', '172.16.0.1', '172.31.255.255', '192.168.1.10', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255'];
    const notPublic6 = ['::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '[::1]'];
    const publicOnes = ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'];
    expect(notPublic.filter((a) => !isPrivateAddress(a))).toEqual([]);
    expect(notPublic6.filter((a) => !isPrivateAddress(a))).toEqual([]);
    expect(publicOnes.filter((a) => isPrivateAddress(a))).toEqual([]);
    // A name is not an address: it is judged once it resolves.
    expect(isPrivateAddress('hooks.example.com')).toBe(false);
  });

  it('names what is wrong with a URL’s host, or nothing when its name must be resolved first', () => {
    expect(privateHostReason(new URL('http://localhost:8080/x'))).toBe('localhost is this machine');
    expect(privateHostReason(new URL('http://api.localhost/x'))).toBe('api.localhost is this machine');
    expect(privateHostReason(new URL('http://LocalHost.:80/x'))).toBe('localhost is this machine');
    expect(privateHostReason(new URL('http://169.254.169.254/latest/meta-data'))).toMatch(/^169\.254\.169\.254 is a private, loopback or link-local address$/);
    expect(privateHostReason(new URL('http://[::1]:3000/'))).toMatch(/^::1 is a private/);
    expect(privateHostReason(new URL('http://0x7f.1/'))).toMatch(/^127\.0\.0\.1 is a private/); // the URL parser normalises it
    expect(privateHostReason(new URL('https://hooks.example.com/x'))).toBeNull();
    expect(privateHostReason(new URL('https://93.184.216.34/x'))).toBeNull();
  });

  it('refuses at lookup a name that resolves to a private address, and passes public ones through', async () => {
    const local = await lookupOf('localhost');
    expect(local.err).toBeInstanceOf(PrivateAddressError);
    expect(local.err!.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a private, loopback or link-local address$/);
    expect((local.err as PrivateAddressError).code).toBe('private_address');
    const open = await lookupOf('93.184.216.34'); // an address looks itself up, without DNS
    expect(open).toEqual({ err: null, address: '93.184.216.34' });
  });
});
