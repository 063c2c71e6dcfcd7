import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError } from '../errors.js';
import { keyFor, type KeyRing } from './keyring.js';

/**
 * Envelope encryption for provider secrets.
 *
 *   KEK (master key ring, version k) ──wraps──▶ DEK (random, per provider account, version d) ──encrypts──▶ secret
 *
 * Both layers are AES-256-GCM with a fresh random 96-bit nonce and a 16-byte tag. Associated data binds every
 * ciphertext to where it belongs — format, workspace, account, purpose, key versions and, for secrets, the endpoint
 * the secret may be sent to (provider kind and normalized origin) — so a ciphertext copied to another row, account
 * or workspace, relabelled with another version, or read for another endpoint fails to decrypt.
 *
 * Self-describing formats (the versions are also integer columns, so rows needing re-wrap can be queried):
 *   wrapped DEK:  v1.<kekVersion>.<dekVersion>.<base64url(nonce ‖ ciphertext ‖ tag)>
 *   secret:       v2.<dekVersion>.<base64url(nonce ‖ ciphertext ‖ tag)>   (v1: the same without the endpoint in its AAD)
 *   wrapped key:  v1.<kekVersion>.<base64url(nonce ‖ ciphertext ‖ tag)>   (instance keys, webhook signing secrets)
 */
/** Format of wrapped data keys (and of the key-check values). */
export const ENVELOPE_FORMAT = 'v1';
/** Format of secrets written today: the endpoint is part of the associated data. */
export const SECRET_FORMAT = 'v2';
/** Secrets written before endpoint binding; readable (see SecretStore) and upgraded to v2. */
export const LEGACY_SECRET_FORMAT = 'v1';
/** Format of keys wrapped directly by the master key (no data key between). */
export const WRAPPED_KEY_FORMAT = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DEK_BYTES = 32;

export type SecretPurpose = 'api_key' | 'admin_key';

/** Where a secret lives; part of every associated-data string. */
export interface SecretPlace {
  workspaceId: string;
  accountId: string;
}

/**
 * Where a secret may be sent: the provider kind and the normalized origin of its base URL (see
 * `endpointOrigin` in @vaultrun/providers). Part of every v2 secret's associated data, so decrypting requires
 * naming the endpoint the key is for — and a key cannot be decrypted for any other.
 */
export interface SecretEndpoint {
  kind: string;
  origin: string;
}

export const sameEndpoint = (a: SecretEndpoint, b: SecretEndpoint): boolean => a.kind === b.kind && a.origin === b.origin;

/** A key wrapped directly by a master key version (`v1.<kekVersion>.<body>`). */
export interface WrappedKey {
  kekVersion: number;
  wrapped: string;
}

export interface WrappedDek {
  kekVersion: number;
  dekVersion: number;
  wrapped: string;
}

/** A secret could not be decrypted. Never returns null, never says more than where and which versions. */
export class SecretUnreadable extends DomainError {
  constructor(place: SecretPlace, what: string) {
    super('secret_unreadable', 'internal', `The stored ${what} of provider account ${place.accountId} cannot be decrypted (tampered, moved, or a wrong master key).`);
  }
}

/** A key wrapped by the master key could not be unwrapped. */
export class StoredKeyUnreadable extends DomainError {
  constructor(what: string) {
    super('secret_unreadable', 'internal', `The stored ${what} cannot be decrypted (tampered, moved, or a wrong master key).`);
  }
}

const dekAad = (p: SecretPlace, kek: number, dek: number) => `vaultrun:dek:${ENVELOPE_FORMAT}|ws=${p.workspaceId}|acct=${p.accountId}|kek=${kek}|dek=${dek}`;
const legacySecretAad = (p: SecretPlace, purpose: SecretPurpose, dek: number) =>
  `vaultrun:secret:${LEGACY_SECRET_FORMAT}|ws=${p.workspaceId}|acct=${p.accountId}|purpose=${purpose}|dek=${dek}`;
const secretAad = (p: SecretPlace, purpose: SecretPurpose, dek: number, e: SecretEndpoint) =>
  `vaultrun:secret:${SECRET_FORMAT}|ws=${p.workspaceId}|acct=${p.accountId}|purpose=${purpose}|dek=${dek}|kind=${e.kind}|origin=${e.origin}`;
const keyAad = (context: string, kek: number) => `vaultrun:key:${WRAPPED_KEY_FORMAT}|${context}|kek=${kek}`;
const checkAad = (kek: number) => `vaultrun:kcv:${ENVELOPE_FORMAT}|kek=${kek}`;
const CHECK_PLAINTEXT = 'vaultrun master key check';

function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
}

/** Returns null on any failure (wrong key, tampering, truncation, wrong AAD); callers turn that into an error. */
function open(key: Buffer, sealed: string, aad: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < NONCE_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}

export class Envelope {
  constructor(private readonly ring: KeyRing) {}

  get activeKekVersion(): number {
    return this.ring.active;
  }

  /** A master key version's bytes, for deriving instance keys from (HKDF). Never log or store it. */
  masterKey(kekVersion: number): Buffer {
    return keyFor(this.ring, kekVersion);
  }

  /** A new random DEK, wrapped with the active KEK. The caller wipes `dek` (`.fill(0)`) when done. */
  newDek(place: SecretPlace, dekVersion: number): { dek: Buffer; wrapped: WrappedDek } {
    const dek = randomBytes(DEK_BYTES);
    return { dek, wrapped: this.wrap(place, dek, dekVersion, this.ring.active) };
  }

  unwrapDek(place: SecretPlace, w: WrappedDek): Buffer {
    const parts = w.wrapped.split('.');
    const header = `${ENVELOPE_FORMAT}.${w.kekVersion}.${w.dekVersion}`;
    if (parts.length !== 4 || parts.slice(0, 3).join('.') !== header) throw new SecretUnreadable(place, 'data key');
    const dek = open(keyFor(this.ring, w.kekVersion), parts[3]!, dekAad(place, w.kekVersion, w.dekVersion));
    if (!dek || dek.length !== DEK_BYTES) throw new SecretUnreadable(place, 'data key');
    return dek;
  }

  /** Re-wraps a DEK under another KEK version (master-key rotation). The DEK itself does not change. */
  rewrapDek(place: SecretPlace, w: WrappedDek, toKekVersion = this.ring.active): WrappedDek {
    const dek = this.unwrapDek(place, w);
    try {
      return this.wrap(place, dek, w.dekVersion, toKekVersion);
    } finally {
      dek.fill(0);
    }
  }

  /** A v2 secret, readable only for `endpoint`. */
  encryptSecret(place: SecretPlace, purpose: SecretPurpose, dek: Buffer, dekVersion: number, plaintext: string, endpoint: SecretEndpoint): string {
    return `${SECRET_FORMAT}.${dekVersion}.${seal(dek, Buffer.from(plaintext, 'utf8'), secretAad(place, purpose, dekVersion, endpoint))}`;
  }

  /** Decrypts a v2 secret for the endpoint the caller is about to send it to; any other endpoint fails authentication. */
  decryptSecret(place: SecretPlace, purpose: SecretPurpose, dek: Buffer, dekVersion: number, ciphertext: string, endpoint: SecretEndpoint): string {
    const parts = ciphertext.split('.');
    if (parts.length !== 3 || parts[0] !== SECRET_FORMAT || parts[1] !== String(dekVersion)) throw new SecretUnreadable(place, purpose);
    const plain = open(dek, parts[2]!, secretAad(place, purpose, dekVersion, endpoint));
    if (!plain) throw new SecretUnreadable(place, purpose);
    return plain.toString('utf8');
  }

  /**
   * Decrypts a secret written before endpoint binding (v1). Its associated data names no endpoint, so the caller
   * (SecretStore) checks the endpoint against the account row itself and upgrades the ciphertext to v2 at once.
   */
  decryptLegacySecret(place: SecretPlace, purpose: SecretPurpose, dek: Buffer, dekVersion: number, ciphertext: string): string {
    const parts = ciphertext.split('.');
    if (parts.length !== 3 || parts[0] !== LEGACY_SECRET_FORMAT || parts[1] !== String(dekVersion)) throw new SecretUnreadable(place, purpose);
    const plain = open(dek, parts[2]!, legacySecretAad(place, purpose, dekVersion));
    if (!plain) throw new SecretUnreadable(place, purpose);
    return plain.toString('utf8');
  }

  /** Only for tests and the upgrade path's own tests: a v1 (endpoint-less) secret as older versions wrote it. */
  encryptLegacySecret(place: SecretPlace, purpose: SecretPurpose, dek: Buffer, dekVersion: number, plaintext: string): string {
    return `${LEGACY_SECRET_FORMAT}.${dekVersion}.${seal(dek, Buffer.from(plaintext, 'utf8'), legacySecretAad(place, purpose, dekVersion))}`;
  }

  /**
   * Wraps a key (or a short secret such as a webhook signing secret) directly with a master key version. `context`
   * names what it is and where it belongs (e.g. `instance=fingerprint`, `ws=<id>|purpose=alert_webhook_secret`); it is
   * the associated data, so a wrapped key moved to another context fails to unwrap.
   */
  wrapKey(context: string, key: Buffer, kekVersion = this.ring.active): WrappedKey {
    return { kekVersion, wrapped: `${WRAPPED_KEY_FORMAT}.${kekVersion}.${seal(keyFor(this.ring, kekVersion), key, keyAad(context, kekVersion))}` };
  }

  unwrapKey(context: string, w: WrappedKey, what: string): Buffer {
    const parts = w.wrapped.split('.');
    if (parts.length !== 3 || parts[0] !== WRAPPED_KEY_FORMAT || parts[1] !== String(w.kekVersion)) throw new StoredKeyUnreadable(what);
    const key = open(keyFor(this.ring, w.kekVersion), parts[2]!, keyAad(context, w.kekVersion));
    if (!key) throw new StoredKeyUnreadable(what);
    return key;
  }

  rewrapKey(context: string, w: WrappedKey, what: string, toKekVersion = this.ring.active): WrappedKey {
    const key = this.unwrapKey(context, w, what);
    try {
      return this.wrapKey(context, key, toKekVersion);
    } finally {
      key.fill(0);
    }
  }

  /** A key-check value for a KEK version: proves at boot that the configured key is the one data was written with. */
  keyCheckValue(kekVersion: number): string {
    return seal(keyFor(this.ring, kekVersion), Buffer.from(CHECK_PLAINTEXT), checkAad(kekVersion));
  }

  matchesKeyCheck(kekVersion: number, value: string): boolean {
    const plain = open(keyFor(this.ring, kekVersion), value, checkAad(kekVersion));
    return plain?.toString('utf8') === CHECK_PLAINTEXT;
  }

  private wrap(place: SecretPlace, dek: Buffer, dekVersion: number, kekVersion: number): WrappedDek {
    const sealed = seal(keyFor(this.ring, kekVersion), dek, dekAad(place, kekVersion, dekVersion));
    return { kekVersion, dekVersion, wrapped: `${ENVELOPE_FORMAT}.${kekVersion}.${dekVersion}.${sealed}` };
  }
}
