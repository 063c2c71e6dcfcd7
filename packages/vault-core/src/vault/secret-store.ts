import { ProviderAccount, ProviderSecret, type SecretPurposeColumn } from '@vaultrun/db';
import type { DataSource, EntityManager } from 'typeorm';
import {
  type Envelope,
  LEGACY_SECRET_FORMAT,
  sameEndpoint,
  type SecretEndpoint,
  type SecretPlace,
  type SecretPurpose,
  SecretUnreadable,
} from '../crypto/envelope.js';
import { endpointOf } from './endpoint.js';

export interface SecretMeta {
  hint: string;
  fingerprint: string;
  keyShape: string;
}

interface SecretRow {
  secret_id: string;
  kind: string;
  base_url: string | null;
  dek_wrapped: string;
  kek_version: number;
  dek_version: number;
  ciphertext: string;
  secret_dek_version: number;
}

/** The account's endpoint as its row says now, or null when its base URL cannot be used at all. */
function rowEndpoint(row: { kind: string; base_url: string | null }): SecretEndpoint | null {
  try {
    return endpointOf({ kind: row.kind, baseUrl: row.base_url });
  } catch {
    return null;
  }
}

/**
 * Stores provider secrets under the account's data key, each bound to the endpoint it may be sent to (provider kind +
 * origin of the base URL). Plaintext only ever exists in this process's memory for the duration of a call; nothing
 * here logs, caches or returns ciphertext.
 */
export class SecretStore {
  constructor(private readonly envelope: Envelope) {}

  /**
   * Stores `plaintext` as the account's `purpose` secret for `endpoint`, replacing any previous one. `endpoint` must be
   * what the account row says (inside this transaction) — a secret is never bound to an endpoint its account does not
   * have. Every write rotates the account's data key: the account's other secret is re-encrypted under the new key,
   * the old ciphertext is overwritten and the old data key is gone. Runs inside the caller's transaction and locks
   * the account row.
   */
  async put(m: EntityManager, place: SecretPlace, purpose: SecretPurpose, plaintext: string, meta: SecretMeta, endpoint: SecretEndpoint): Promise<void> {
    const accounts = m.getRepository(ProviderAccount);
    const secrets = m.getRepository(ProviderSecret);
    const account = await accounts.findOne({ where: { id: place.accountId, workspaceId: place.workspaceId }, lock: { mode: 'pessimistic_write' } });
    if (!account) throw new Error(`provider account ${place.accountId} vanished while storing its secret`);
    const current = endpointOf(account);
    if (!sameEndpoint(current, endpoint)) {
      throw new Error(`refusing to bind a secret of provider account ${place.accountId} to an endpoint its row does not name`);
    }

    const oldDek = account.dekWrapped
      ? this.envelope.unwrapDek(place, { kekVersion: account.kekVersion!, dekVersion: account.dekVersion, wrapped: account.dekWrapped })
      : null;
    const dekVersion = account.dekVersion + 1;
    const { dek, wrapped } = this.envelope.newDek(place, dekVersion);
    try {
      for (const other of await secrets.find({ where: { accountId: place.accountId } })) {
        if (other.purpose === purpose) continue;
        const text = this.open(place, other.purpose, oldDek!, other.dekVersion, other.ciphertext, current);
        await secrets.update({ id: other.id }, { ciphertext: this.envelope.encryptSecret(place, other.purpose, dek, dekVersion, text, endpoint), dekVersion });
      }
      const ciphertext = this.envelope.encryptSecret(place, purpose, dek, dekVersion, plaintext, endpoint);
      await secrets.upsert(
        { workspaceId: place.workspaceId, accountId: place.accountId, purpose: purpose as SecretPurposeColumn, dekVersion, ciphertext, ...meta },
        { conflictPaths: ['accountId', 'purpose'] },
      );
      await accounts.update({ id: place.accountId }, { dekWrapped: wrapped.wrapped, kekVersion: wrapped.kekVersion, dekVersion });
    } finally {
      dek.fill(0);
      oldDek?.fill(0);
    }
  }

  /** Deletes a secret. When none is left the wrapped data key is dropped too (nothing can decrypt old copies). */
  async remove(m: EntityManager, place: SecretPlace, purpose: SecretPurpose): Promise<boolean> {
    await m.getRepository(ProviderAccount).findOne({ where: { id: place.accountId }, lock: { mode: 'pessimistic_write' } });
    const { affected } = await m.getRepository(ProviderSecret).delete({ accountId: place.accountId, purpose });
    const left = await m.getRepository(ProviderSecret).count({ where: { accountId: place.accountId } });
    if (left === 0) await m.getRepository(ProviderAccount).update({ id: place.accountId }, { dekWrapped: null, kekVersion: null });
    return (affected ?? 0) > 0;
  }

  /**
   * The plaintext secret for sending to `endpoint` (the kind and origin the caller will call), or null when the
   * account has none for that purpose. Throws `secret_unreadable` on any decryption failure — including a secret
   * bound to another endpoint, e.g. after the account's base URL was changed without supplying the key again.
   * A legacy (v1) secret is read only when `endpoint` is what the account row names, and is upgraded to v2 then.
   */
  async read(db: DataSource | EntityManager, place: SecretPlace, purpose: SecretPurpose, endpoint: SecretEndpoint): Promise<string | null> {
    const rows: SecretRow[] = await db.query(
      `SELECT s.id AS secret_id, a.kind, a.base_url, a.dek_wrapped, a.kek_version, a.dek_version, s.ciphertext, s.dek_version AS secret_dek_version
         FROM provider_accounts a JOIN provider_secrets s ON s.account_id = a.id AND s.purpose = $3
        WHERE a.id = $1 AND a.workspace_id = $2`,
      [place.accountId, place.workspaceId, purpose],
    );
    const row = rows[0];
    if (!row) return null;
    const dek = this.envelope.unwrapDek(place, { kekVersion: row.kek_version, dekVersion: row.dek_version, wrapped: row.dek_wrapped });
    try {
      const plaintext = this.open(place, purpose, dek, row.secret_dek_version, row.ciphertext, endpoint, rowEndpoint(row));
      if (row.ciphertext.startsWith(`${LEGACY_SECRET_FORMAT}.`)) {
        // First read since endpoint binding: store it as v2 for this (checked) endpoint. Compare-and-set, so a
        // concurrent rotation is never overwritten; losing that race is fine (the rotation wrote v2 itself).
        const upgraded = this.envelope.encryptSecret(place, purpose, dek, row.secret_dek_version, plaintext, endpoint);
        await db.query(`UPDATE provider_secrets SET ciphertext = $1 WHERE id = $2 AND ciphertext = $3`, [upgraded, row.secret_id, row.ciphertext]);
      }
      return plaintext;
    } finally {
      dek.fill(0);
    }
  }

  /**
   * Decrypts for `endpoint`: v2 through its associated data; legacy v1 only when `endpoint` is the one the account row
   * names (`rowNames`, default: the endpoint itself — callers that already hold the row's endpoint).
   */
  private open(
    place: SecretPlace,
    purpose: SecretPurpose,
    dek: Buffer,
    dekVersion: number,
    ciphertext: string,
    endpoint: SecretEndpoint,
    rowNames: SecretEndpoint | null = endpoint,
  ): string {
    if (!ciphertext.startsWith(`${LEGACY_SECRET_FORMAT}.`)) return this.envelope.decryptSecret(place, purpose, dek, dekVersion, ciphertext, endpoint);
    if (!rowNames || !sameEndpoint(rowNames, endpoint)) throw new SecretUnreadable(place, purpose);
    return this.envelope.decryptLegacySecret(place, purpose, dek, dekVersion, ciphertext);
  }
}
