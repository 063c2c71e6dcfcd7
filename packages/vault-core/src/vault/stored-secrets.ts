// Bringing secrets stored by older versions up to today's formats. Run at every API and worker boot (after the
// master-key check) and by `vaultrun vault:rotate`; cheap when there is nothing left to do, safe to run concurrently
// (every row is updated with compare-and-set) and resumable.
import type { DataSource } from 'typeorm';
import { LEGACY_SECRET_FORMAT, type Envelope, type SecretPurpose } from '../crypto/envelope.js';
import type { KeyRing } from '../crypto/keyring.js';
import { sealWebhookSecret } from './webhook-secret.js';
import { endpointOf } from './endpoint.js';
import type { KeyFingerprints } from './fingerprints.js';
import { assertMasterKeys } from './master-keys.js';

export interface SecretUpgradeResult {
  /** Provider secrets re-encrypted as v2 (bound to their account's current endpoint) or given an HMAC fingerprint. */
  providerSecrets: number;
  /** Alert webhook signing secrets that were stored in clear and are now wrapped by the master key. */
  webhookSecrets: number;
  /** Secrets that could not be read (left as they are; their accounts need the key again). */
  unreadable: number;
  /** Rows changed by someone else between read and write (already current, or picked up next time). */
  raced: number;
}

interface LegacySecretRow {
  id: string;
  workspace_id: string;
  account_id: string;
  purpose: SecretPurpose;
  ciphertext: string;
  dek_version: number;
  kind: string;
  base_url: string | null;
  dek_wrapped: string;
  kek_version: number;
  account_dek_version: number;
}

/**
 * Upgrades what older versions stored:
 * - provider secrets in format v1 (no endpoint in the associated data) become v2, bound to the account's kind and
 *   base-URL origin as the row names them now;
 * - fingerprints that are a plain SHA-256 (`sha256:…`) become the keyed HMAC (`hmac-sha256:…`);
 * - alert webhook signing secrets stored in clear are wrapped by the active master key.
 */
export async function upgradeStoredSecrets(db: DataSource, envelope: Envelope, fingerprints: KeyFingerprints, batchSize = 200): Promise<SecretUpgradeResult> {
  const result: SecretUpgradeResult = { providerSecrets: 0, webhookSecrets: 0, unreadable: 0, raced: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows: LegacySecretRow[] = await db.query(
      `SELECT s.id, s.workspace_id, s.account_id, s.purpose, s.ciphertext, s.dek_version, a.kind, a.base_url, a.dek_wrapped, a.kek_version,
              a.dek_version AS account_dek_version
         FROM provider_secrets s JOIN provider_accounts a ON a.id = s.account_id
        WHERE (s.ciphertext LIKE $1 OR s.fingerprint NOT LIKE 'hmac-sha256:%') AND s.id > $2
        ORDER BY s.id LIMIT $3`,
      [`${LEGACY_SECRET_FORMAT}.%`, after, batchSize],
    );
    if (!rows.length) break;
    for (const row of rows) {
      const place = { workspaceId: row.workspace_id, accountId: row.account_id };
      let next: { ciphertext: string; fingerprint: string };
      try {
        const endpoint = endpointOf({ kind: row.kind, baseUrl: row.base_url });
        const dek = envelope.unwrapDek(place, { kekVersion: row.kek_version, dekVersion: row.account_dek_version, wrapped: row.dek_wrapped });
        try {
          const legacy = row.ciphertext.startsWith(`${LEGACY_SECRET_FORMAT}.`);
          const text = legacy
            ? envelope.decryptLegacySecret(place, row.purpose, dek, row.dek_version, row.ciphertext)
            : envelope.decryptSecret(place, row.purpose, dek, row.dek_version, row.ciphertext, endpoint);
          next = {
            ciphertext: legacy ? envelope.encryptSecret(place, row.purpose, dek, row.dek_version, text, endpoint) : row.ciphertext,
            fingerprint: await fingerprints.of(text),
          };
        } finally {
          dek.fill(0);
        }
      } catch {
        // An unusable base URL or an undecryptable secret: nothing to upgrade; reading it fails the same way later.
        result.unreadable++;
        continue;
      }
      const [, updated] = (await db.query(`UPDATE provider_secrets SET ciphertext = $1, fingerprint = $2 WHERE id = $3 AND ciphertext = $4`, [
        next.ciphertext,
        next.fingerprint,
        row.id,
        row.ciphertext,
      ])) as [unknown, number];
      if (updated === 1) result.providerSecrets++;
      else result.raced++;
    }
    after = rows[rows.length - 1]!.id;
  }

  const clear: { id: string; alert_webhook_secret: string }[] = await db.query(
    `SELECT id, alert_webhook_secret FROM workspaces WHERE alert_webhook_secret IS NOT NULL AND alert_webhook_kek_version IS NULL`,
  );
  for (const w of clear) {
    const sealed = sealWebhookSecret(envelope, w.id, w.alert_webhook_secret);
    const [, updated] = (await db.query(
      `UPDATE workspaces SET alert_webhook_secret = $1, alert_webhook_kek_version = $2 WHERE id = $3 AND alert_webhook_secret = $4 AND alert_webhook_kek_version IS NULL`,
      [sealed.wrapped, sealed.kekVersion, w.id, w.alert_webhook_secret],
    )) as [unknown, number];
    if (updated === 1) result.webhookSecrets++;
    else result.raced++;
  }
  return result;
}

/**
 * What every process does before it serves: the fail-closed master-key check, then the fingerprint key (created on
 * the instance's first boot), then the upgrade of anything older versions stored. Returns the upgrade's counts.
 */
export async function prepareVault(db: DataSource, envelope: Envelope, ring: KeyRing, fingerprints: KeyFingerprints): Promise<SecretUpgradeResult> {
  await assertMasterKeys(db, envelope, ring);
  await fingerprints.ensure();
  return upgradeStoredSecrets(db, envelope, fingerprints);
}
