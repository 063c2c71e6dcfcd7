import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError } from '../errors.js';
import { keyFor, type KeyRing } from './keyring.js';

/**
 * Envelope encryption for provider secrets.
 *
 *   KEK (master key ring, version k) ──wraps──▶ DEK (random, per provider account, version d) ──encrypts──▶ secret
 *
 * Both layers are AES-256-GCM with a fresh random 96-bit nonce and a 16-byte tag. Associated data binds every
 * ciphertext to where it belongs — format, workspace, account, purpose and key versions — so a ciphertext copied
 * to another row, account or workspace, or relabelled with another version, fails to decrypt.
 *
 * Self-describing formats (the versions are also integer columns, so rows needing re-wrap can be queried):
 *   wrapped DEK:  v1.<kekVersion>.<dekVersion>.<base64url(nonce ‖ ciphertext ‖ tag)>
 *   secret:       v1.<dekVersion>.<base64url(nonce ‖ ciphertext ‖ tag)>
 */
export const ENVELOPE_FORMAT = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DEK_BYTES = 32;

export type SecretPurpose = 'api_key' | 'admin_key';

/** Where a secret lives; part of every associated-data string. */
export interface SecretPlace {
  workspaceId: string;
  accountId: string;
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

const dekAad = (p: SecretPlace, kek: number, dek: number) => `vaultrun:dek:${ENVELOPE_FORMAT}|ws=${p.workspaceId}|acct=${p.accountId}|kek=${kek}|dek=${dek}`;
const secretAad = (p: SecretPlace, purpose: SecretPurpose, dek: number) =>
  `vaultrun:secret:${ENVELOPE_FORMAT}|ws=${p.workspaceId}|acct=${p.accountId}|purpose=${purpose}|dek=${dek}`;
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

  encryptSecret(place: SecretPlace, purpose: SecretPurpose, dek: Buffer, dekVersion: number, plaintext: string): string {
    return `${ENVELOPE_FORMAT}.${dekVersion}.${seal(dek, Buffer.from(plaintext, 'utf8'), secretAad(place, purpose, dekVersion))}`;
  }

  decryptSecret(place: SecretPlace, purpose: SecretPurpose, dek: Buffer, dekVersion: number, ciphertext: string): string {
    const parts = ciphertext.split('.');
    if (parts.length !== 3 || parts[0] !== ENVELOPE_FORMAT || parts[1] !== String(dekVersion)) throw new SecretUnreadable(place, purpose);
    const plain = open(dek, parts[2]!, secretAad(place, purpose, dekVersion));
    if (!plain) throw new SecretUnreadable(place, purpose);
    return plain.toString('utf8');
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
