import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Envelope, SecretUnreadable, StoredKeyUnreadable, type SecretEndpoint, type SecretPlace, type SecretPurpose } from './envelope.js';
import { generateMasterKey, MasterKeyError, parseKeyRing } from './keyring.js';

const ring = parseKeyRing([generateMasterKey(1), generateMasterKey(2)].join(','));
const envelope = new Envelope(ring);
const place = (): SecretPlace => ({ workspaceId: randomUUID(), accountId: randomUUID() });
const purpose = fc.constantFrom<SecretPurpose>('api_key', 'admin_key');
const OPENAI: SecretEndpoint = { kind: 'openai', origin: 'https://api.openai.com' };

function sealSecret(p: SecretPlace, pur: SecretPurpose, secret: string, endpoint: SecretEndpoint = OPENAI) {
  const { dek, wrapped } = envelope.newDek(p, 1);
  return { wrapped, ciphertext: envelope.encryptSecret(p, pur, dek, 1, secret, endpoint) };
}
function openSecret(p: SecretPlace, pur: SecretPurpose, s: ReturnType<typeof sealSecret>, endpoint: SecretEndpoint = OPENAI) {
  const dek = envelope.unwrapDek(p, s.wrapped);
  return envelope.decryptSecret(p, pur, dek, s.wrapped.dekVersion, s.ciphertext, endpoint);
}

/** Flips one bit of the base64url body of a `v1.….<body>` string. */
function flipBit(formatted: string, bitIndex: number): string {
  const dot = formatted.lastIndexOf('.');
  const raw = Buffer.from(formatted.slice(dot + 1), 'base64url');
  const i = bitIndex % (raw.length * 8);
  raw[i >> 3]! ^= 1 << (i & 7);
  return formatted.slice(0, dot + 1) + raw.toString('base64url');
}

describe('envelope encryption', () => {
  it('round-trips any secret exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), purpose, (secret, pur) => {
        const p = place();
        expect(openSecret(p, pur, sealSecret(p, pur, secret))).toBe(secret);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every single-bit flip of the ciphertext or of the wrapped data key', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.nat(), fc.boolean(), (secret, bit, inKey) => {
        const p = place();
        const s = sealSecret(p, 'api_key', secret);
        const tampered = inKey ? { ...s, wrapped: { ...s.wrapped, wrapped: flipBit(s.wrapped.wrapped, bit) } } : { ...s, ciphertext: flipBit(s.ciphertext, bit) };
        expect(() => openSecret(p, 'api_key', tampered)).toThrow(SecretUnreadable);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects every truncation', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 100 }), fc.nat(), fc.boolean(), (secret, cut, inKey) => {
        const p = place();
        const s = sealSecret(p, 'api_key', secret);
        const target = inKey ? s.wrapped.wrapped : s.ciphertext;
        const truncated = target.slice(0, cut % target.length);
        const t = inKey ? { ...s, wrapped: { ...s.wrapped, wrapped: truncated } } : { ...s, ciphertext: truncated };
        expect(() => openSecret(p, 'api_key', t)).toThrow(SecretUnreadable);
      }),
      { numRuns: 300 },
    );
  });

  it('binds to workspace, account and purpose: a copied ciphertext fails anywhere else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.constantFrom('workspace', 'account', 'purpose', 'row'), (secret, what) => {
        const p = place();
        const s = sealSecret(p, 'api_key', secret);
        if (what === 'workspace') expect(() => openSecret({ ...p, workspaceId: randomUUID() }, 'api_key', s)).toThrow(SecretUnreadable);
        if (what === 'account') expect(() => openSecret({ ...p, accountId: randomUUID() }, 'api_key', s)).toThrow(SecretUnreadable);
        if (what === 'purpose') expect(() => openSecret(p, 'admin_key', s)).toThrow(SecretUnreadable);
        if (what === 'row') {
          // Another account's ciphertext placed into this row (with this row's own data key).
          const q = place();
          const other = sealSecret(q, 'api_key', 'someone else');
          expect(() => openSecret(p, 'api_key', { ...s, ciphertext: other.ciphertext })).toThrow(SecretUnreadable);
          expect(() => openSecret(p, 'api_key', { ...s, wrapped: other.wrapped })).toThrow(SecretUnreadable);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a changed format, KEK version or DEK version', () => {
    const p = place();
    const s = sealSecret(p, 'api_key', 'sk-proj-abc');
    const [, kek, dek, body] = s.wrapped.wrapped.split('.');
    expect(() => openSecret(p, 'api_key', { ...s, wrapped: { ...s.wrapped, wrapped: `v2.${kek}.${dek}.${body}` } })).toThrow(SecretUnreadable);
    const otherKek = Number(kek) === 1 ? 2 : 1;
    expect(() => openSecret(p, 'api_key', { ...s, wrapped: { kekVersion: otherKek, dekVersion: 1, wrapped: `v1.${otherKek}.${dek}.${body}` } })).toThrow(SecretUnreadable);
    expect(() => openSecret(p, 'api_key', { ...s, wrapped: { ...s.wrapped, dekVersion: 2, wrapped: `v1.${kek}.2.${body}` } })).toThrow(SecretUnreadable);
    const dekKey = envelope.unwrapDek(p, s.wrapped);
    const [, , secretBody] = s.ciphertext.split('.');
    expect(() => envelope.decryptSecret(p, 'api_key', dekKey, 2, `v2.2.${secretBody}`, OPENAI)).toThrow(SecretUnreadable);
    expect(() => envelope.decryptSecret(p, 'api_key', dekKey, 1, `v9.1.${secretBody}`, OPENAI)).toThrow(SecretUnreadable);
    // A v2 secret relabelled v1 (to dodge the endpoint check) fails: the associated data differs.
    expect(() => envelope.decryptSecret(p, 'api_key', dekKey, 1, `v1.1.${secretBody}`, OPENAI)).toThrow(SecretUnreadable);
    expect(() => envelope.decryptLegacySecret(p, 'api_key', dekKey, 1, `v1.1.${secretBody}`)).toThrow(SecretUnreadable);
  });

  it('binds to the endpoint: a secret decrypts only for the kind and origin it was stored for', () => {
    const endpoints: SecretEndpoint[] = [
      OPENAI,
      { kind: 'openai', origin: 'https://attacker.example' },
      { kind: 'openai', origin: 'http://api.openai.com' },
      { kind: 'openai', origin: 'https://api.openai.com:8443' },
      { kind: 'openai-compatible', origin: 'https://api.openai.com' },
      { kind: 'openai-compatible', origin: 'http://127.0.0.1:11434' },
    ];
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), purpose, fc.nat(endpoints.length - 1), fc.nat(endpoints.length - 1), (secret, pur, stored, asked) => {
        const p = place();
        const s = sealSecret(p, pur, secret, endpoints[stored]!);
        expect(s.ciphertext.startsWith('v2.1.')).toBe(true);
        if (stored === asked) expect(openSecret(p, pur, s, endpoints[asked]!)).toBe(secret);
        else expect(() => openSecret(p, pur, s, endpoints[asked]!)).toThrow(SecretUnreadable);
      }),
      { numRuns: 300 },
    );
  });

  it('still reads legacy v1 secrets (no endpoint in their associated data), which are bound to place and purpose', () => {
    const p = place();
    const { dek } = envelope.newDek(p, 1);
    const legacy = envelope.encryptLegacySecret(p, 'api_key', dek, 1, 'sk-proj-old');
    expect(legacy.startsWith('v1.1.')).toBe(true);
    expect(envelope.decryptLegacySecret(p, 'api_key', dek, 1, legacy)).toBe('sk-proj-old');
    expect(() => envelope.decryptLegacySecret(p, 'admin_key', dek, 1, legacy)).toThrow(SecretUnreadable);
    expect(() => envelope.decryptLegacySecret({ ...p, accountId: randomUUID() }, 'api_key', dek, 1, legacy)).toThrow(SecretUnreadable);
    // The v2 reader never accepts a v1 string: only SecretStore's checked legacy path does.
    expect(() => envelope.decryptSecret(p, 'api_key', dek, 1, legacy, OPENAI)).toThrow(SecretUnreadable);
  });

  it('wraps keys directly under the master key, bound to their context and version; re-wraps them', () => {
    const old = new Envelope(parseKeyRing(`1:${ring.keys.get(1)!.toString('base64')}`));
    const key = Buffer.from('a key of the instance, 32 bytes!');
    const wrapped = old.wrapKey('instance=fingerprint', key);
    expect(wrapped.kekVersion).toBe(1);
    expect(wrapped.wrapped.startsWith('v1.1.')).toBe(true);
    expect(envelope.unwrapKey('instance=fingerprint', wrapped, 'k').equals(key)).toBe(true);
    expect(() => envelope.unwrapKey('instance=other', wrapped, 'k')).toThrow(StoredKeyUnreadable);
    expect(() => envelope.unwrapKey('instance=fingerprint', { ...wrapped, wrapped: flipBit(wrapped.wrapped, 77) }, 'k')).toThrow(StoredKeyUnreadable);
    expect(() => envelope.unwrapKey('instance=fingerprint', { kekVersion: 2, wrapped: wrapped.wrapped.replace(/^v1\.1\./, 'v1.2.') }, 'k')).toThrow(StoredKeyUnreadable);
    const rewrapped = envelope.rewrapKey('instance=fingerprint', wrapped, 'k');
    expect(rewrapped.kekVersion).toBe(2);
    expect(envelope.unwrapKey('instance=fingerprint', rewrapped, 'k').equals(key)).toBe(true);
  });

  it('never reuses a nonce across a large sample', () => {
    const p = place();
    const { dek } = envelope.newDek(p, 1);
    const nonces = new Set<string>();
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const body = envelope.encryptSecret(p, 'api_key', dek, 1, 'same plaintext', OPENAI).split('.')[2]!;
      nonces.add(Buffer.from(body, 'base64url').subarray(0, 12).toString('hex'));
    }
    expect(nonces.size).toBe(n);
  });

  it('re-wraps a data key under the active KEK without changing it', () => {
    const old = new Envelope(parseKeyRing(ring.keys.get(1) ? `1:${ring.keys.get(1)!.toString('base64')}` : ''));
    const p = place();
    const { dek, wrapped } = old.newDek(p, 3);
    expect(wrapped.kekVersion).toBe(1);
    const rewrapped = envelope.rewrapDek(p, wrapped);
    expect(rewrapped).toMatchObject({ kekVersion: 2, dekVersion: 3 });
    expect(envelope.unwrapDek(p, rewrapped).equals(dek)).toBe(true);
    expect(envelope.unwrapDek(p, wrapped).equals(dek)).toBe(true);
  });

  it('proves which key a version is with a key-check value', () => {
    const kcv = envelope.keyCheckValue(1);
    expect(envelope.matchesKeyCheck(1, kcv)).toBe(true);
    expect(envelope.matchesKeyCheck(2, kcv)).toBe(false);
    const imposter = new Envelope(parseKeyRing(generateMasterKey(1)));
    expect(imposter.matchesKeyCheck(1, kcv)).toBe(false);
  });
});

describe('key ring', () => {
  const k = () => generateMasterKey(1).split(':')[1]!;

  it('parses versions, picks the highest as active unless told, and accepts files with comments', () => {
    const r = parseKeyRing(`# rotated 2026-11\n3:${k()}\n1:${k()}\n`);
    expect([...r.keys.keys()].sort()).toEqual([1, 3]);
    expect(r.active).toBe(3);
    expect(parseKeyRing(`3:${k()},1:${k()}`, 1).active).toBe(1);
  });

  it('refuses missing, malformed, short, duplicated and unknown-active rings without echoing key material', () => {
    const key = k();
    const cases: [string | undefined, number | undefined, RegExp][] = [
      [undefined, undefined, /No master key configured/],
      ['   ', undefined, /No master key configured/],
      [`one:${key}`, undefined, /entry #1 is malformed/],
      [`1:${Buffer.alloc(16).toString('base64')}`, undefined, /version 1 is 16 bytes/],
      [`1:${key},1:${key}`, undefined, /version 1 is listed twice/],
      [`0:${key}`, undefined, /versions start at 1/],
      [`1:${key}`, 2, /active master key version 2 is not in the key ring/],
    ];
    for (const [spec, active, message] of cases) {
      let thrown: unknown;
      try {
        parseKeyRing(spec, active);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(MasterKeyError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain(key);
    }
  });
});
