import { ProviderAccount, ProviderSecret, type SecretPurposeColumn } from '@vaultrun/db';
import type { DataSource, EntityManager } from 'typeorm';
import type { Envelope, SecretPlace, SecretPurpose } from '../crypto/envelope.js';

export interface SecretMeta {
  hint: string;
  fingerprint: string;
  keyShape: string;
}

interface SecretRow {
  dek_wrapped: string;
  kek_version: number;
  dek_version: number;
  ciphertext: string;
  secret_dek_version: number;
}

/**
 * Stores provider secrets under the account's data key. Plaintext only ever exists in this process's memory
 * for the duration of a call; nothing here logs, caches or returns ciphertext.
 */
export class SecretStore {
  constructor(private readonly envelope: Envelope) {}

  /**
   * Stores `plaintext` as the account's `purpose` secret, replacing any previous one. Every write rotates the
   * account's data key: the account's other secret is re-encrypted under the new key, the old ciphertext is
   * overwritten and the old data key is gone. Runs inside the caller's transaction and locks the account row.
   */
  async put(m: EntityManager, place: SecretPlace, purpose: SecretPurpose, plaintext: string, meta: SecretMeta): Promise<void> {
    const accounts = m.getRepository(ProviderAccount);
    const secrets = m.getRepository(ProviderSecret);
    const account = await accounts.findOne({ where: { id: place.accountId, workspaceId: place.workspaceId }, lock: { mode: 'pessimistic_write' } });
    if (!account) throw new Error(`provider account ${place.accountId} vanished while storing its secret`);

    const oldDek = account.dekWrapped
      ? this.envelope.unwrapDek(place, { kekVersion: account.kekVersion!, dekVersion: account.dekVersion, wrapped: account.dekWrapped })
      : null;
    const dekVersion = account.dekVersion + 1;
    const { dek, wrapped } = this.envelope.newDek(place, dekVersion);
    try {
      for (const other of await secrets.find({ where: { accountId: place.accountId } })) {
        if (other.purpose === purpose) continue;
        const text = this.envelope.decryptSecret(place, other.purpose, oldDek!, other.dekVersion, other.ciphertext);
        await secrets.update({ id: other.id }, { ciphertext: this.envelope.encryptSecret(place, other.purpose, dek, dekVersion, text), dekVersion });
      }
      const ciphertext = this.envelope.encryptSecret(place, purpose, dek, dekVersion, plaintext);
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

  /** The plaintext secret, or null when the account has none for that purpose. Throws on any decryption failure. */
  async read(db: DataSource | EntityManager, place: SecretPlace, purpose: SecretPurpose): Promise<string | null> {
    const rows: SecretRow[] = await db.query(
      `SELECT a.dek_wrapped, a.kek_version, a.dek_version, s.ciphertext, s.dek_version AS secret_dek_version
         FROM provider_accounts a JOIN provider_secrets s ON s.account_id = a.id AND s.purpose = $3
        WHERE a.id = $1 AND a.workspace_id = $2`,
      [place.accountId, place.workspaceId, purpose],
    );
    const row = rows[0];
    if (!row) return null;
    const dek = this.envelope.unwrapDek(place, { kekVersion: row.kek_version, dekVersion: row.dek_version, wrapped: row.dek_wrapped });
    try {
      return this.envelope.decryptSecret(place, purpose, dek, row.secret_dek_version, row.ciphertext);
    } finally {
      dek.fill(0);
    }
  }
}
