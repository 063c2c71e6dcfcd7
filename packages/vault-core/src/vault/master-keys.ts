import { VaultKeyCheck } from '@vaultrun/db';
import type { DataSource } from 'typeorm';
import type { Envelope } from '../crypto/envelope.js';
import { type KeyRing, MasterKeyError } from '../crypto/keyring.js';
import { rewrapWebhookSecret } from './webhook-secret.js';
import { instanceKeyContext } from './fingerprints.js';

/** Every master key version something in the database is wrapped with: data keys, instance keys, webhook secrets. */
const WRAPPED_BY_VERSION = `
  SELECT kek_version, count(*)::int AS n FROM (
    SELECT kek_version FROM provider_accounts WHERE dek_wrapped IS NOT NULL
    UNION ALL SELECT kek_version FROM vault_instance_keys
    UNION ALL SELECT alert_webhook_kek_version FROM workspaces WHERE alert_webhook_kek_version IS NOT NULL
  ) w GROUP BY kek_version ORDER BY kek_version`;

/**
 * Fail-closed boot check, run by every process before it serves: each configured master key version must
 * match the key check stored the first time that version was used, and every version that stored data keys
 * use must be in the ring. Records the check for versions seen for the first time.
 */
export async function assertMasterKeys(db: DataSource, envelope: Envelope, ring: KeyRing): Promise<void> {
  const repo = db.getRepository(VaultKeyCheck);
  for (const version of ring.keys.keys()) {
    await repo.createQueryBuilder().insert().values({ kekVersion: version, checkValue: envelope.keyCheckValue(version) }).orIgnore().execute();
  }
  await checkMasterKeys(db, envelope, ring);
}

/**
 * The same check, read-only, for readiness probes while the process runs: it fails once the database holds data
 * keys wrapped by a master key version this process lacks (e.g. `vault:rotate` ran with a new key that this
 * process was not restarted with), so an orchestrator stops sending it work it could not decrypt.
 */
export async function checkMasterKeys(db: DataSource, envelope: Envelope, ring: KeyRing): Promise<void> {
  for (const check of await db.getRepository(VaultKeyCheck).find()) {
    if (ring.keys.has(check.kekVersion) && !envelope.matchesKeyCheck(check.kekVersion, check.checkValue)) {
      throw new MasterKeyError(
        `Master key version ${check.kekVersion} does not match the key check stored in the database: this is not the key that version was created with.`,
      );
    }
  }
  const used: { kek_version: number }[] = await db.query(WRAPPED_BY_VERSION);
  const missing = used.map((r) => r.kek_version).filter((v) => !ring.keys.has(v));
  if (missing.length) {
    throw new MasterKeyError(
      `Stored secrets use master key version ${missing.join(', ')}, which the key ring does not contain. ` +
        'Add it to this process\'s VAULTRUN_MASTER_KEYS (retire a version only after `pnpm vaultrun vault:rotate` reports nothing left on it).',
    );
  }
}

export interface KeyUsage {
  activeVersion: number;
  /** Data keys per master key version. */
  accountsByVersion: Record<number, number>;
  /** Everything wrapped per master key version: data keys, the fingerprint key, webhook signing secrets. */
  wrappedByVersion: Record<number, number>;
}

export async function masterKeyUsage(db: DataSource, ring: KeyRing): Promise<KeyUsage> {
  const rows: { kek_version: number; n: number }[] = await db.query(
    `SELECT kek_version, count(*)::int AS n FROM provider_accounts WHERE dek_wrapped IS NOT NULL GROUP BY kek_version ORDER BY kek_version`,
  );
  const all: { kek_version: number; n: number }[] = await db.query(WRAPPED_BY_VERSION);
  return {
    activeVersion: ring.active,
    accountsByVersion: Object.fromEntries(rows.map((r) => [r.kek_version, r.n])),
    wrappedByVersion: Object.fromEntries(all.map((r) => [r.kek_version, r.n])),
  };
}

export interface RewrapProgress {
  total: number;
  rewrapped: number;
  /** Rows changed by someone else between read and write; picked up again on the next pass. */
  raced: number;
}

/**
 * Master-key rotation: re-wraps every data key — and every other key the master key wraps (the fingerprint key,
 * alert webhook signing secrets) — that is not on the active version. Online and resumable —
 * each row is updated with compare-and-set (only if its wrapped key is still the one we read), so it is safe
 * with the API and workers running, and running it again continues where it stopped.
 */
export async function rewrapAllDataKeys(
  db: DataSource,
  envelope: Envelope,
  options: { batchSize?: number; onProgress?: (p: RewrapProgress) => void } = {},
): Promise<RewrapProgress> {
  const active = envelope.activeKekVersion;
  const batchSize = options.batchSize ?? 200;
  const [{ n: total }]: { n: number }[] = await db.query(
    `SELECT ((SELECT count(*) FROM provider_accounts WHERE dek_wrapped IS NOT NULL AND kek_version <> $1)
           + (SELECT count(*) FROM vault_instance_keys WHERE kek_version <> $1)
           + (SELECT count(*) FROM workspaces WHERE alert_webhook_kek_version IS NOT NULL AND alert_webhook_kek_version <> $1))::int AS n`,
    [active],
  );
  const progress: RewrapProgress = { total, rewrapped: 0, raced: 0 };
  options.onProgress?.(progress);
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows: { id: string; workspace_id: string; kek_version: number; dek_version: number; dek_wrapped: string }[] = await db.query(
      `SELECT id, workspace_id, kek_version, dek_version, dek_wrapped FROM provider_accounts
        WHERE dek_wrapped IS NOT NULL AND kek_version <> $1 AND id > $2 ORDER BY id LIMIT $3`,
      [active, after, batchSize],
    );
    if (!rows.length) break;
    for (const row of rows) {
      const place = { workspaceId: row.workspace_id, accountId: row.id };
      const next = envelope.rewrapDek(place, { kekVersion: row.kek_version, dekVersion: row.dek_version, wrapped: row.dek_wrapped });
      const [, updated] = (await db.query(
        `UPDATE provider_accounts SET dek_wrapped = $1, kek_version = $2 WHERE id = $3 AND dek_wrapped = $4`,
        [next.wrapped, next.kekVersion, row.id, row.dek_wrapped],
      )) as [unknown, number];
      if (updated === 1) progress.rewrapped++;
      else progress.raced++;
      options.onProgress?.(progress);
    }
    after = rows[rows.length - 1]!.id;
  }
  const count = (updated: number) => {
    if (updated === 1) progress.rewrapped++;
    else progress.raced++;
    options.onProgress?.(progress);
  };
  const instanceKeys: { purpose: string; kek_version: number; wrapped: string }[] = await db.query(
    `SELECT purpose, kek_version, wrapped FROM vault_instance_keys WHERE kek_version <> $1`,
    [active],
  );
  for (const k of instanceKeys) {
    const next = envelope.rewrapKey(instanceKeyContext(k.purpose), { kekVersion: k.kek_version, wrapped: k.wrapped }, `${k.purpose} key`);
    const [, updated] = (await db.query(`UPDATE vault_instance_keys SET wrapped = $1, kek_version = $2 WHERE purpose = $3 AND wrapped = $4`, [
      next.wrapped,
      next.kekVersion,
      k.purpose,
      k.wrapped,
    ])) as [unknown, number];
    count(updated);
  }
  const webhookSecrets: { id: string; alert_webhook_kek_version: number; alert_webhook_secret: string }[] = await db.query(
    `SELECT id, alert_webhook_kek_version, alert_webhook_secret FROM workspaces WHERE alert_webhook_kek_version IS NOT NULL AND alert_webhook_kek_version <> $1`,
    [active],
  );
  for (const w of webhookSecrets) {
    const next = rewrapWebhookSecret(envelope, w.id, { kekVersion: w.alert_webhook_kek_version, wrapped: w.alert_webhook_secret });
    const [, updated] = (await db.query(
      `UPDATE workspaces SET alert_webhook_secret = $1, alert_webhook_kek_version = $2 WHERE id = $3 AND alert_webhook_secret = $4`,
      [next.wrapped, next.kekVersion, w.id, w.alert_webhook_secret],
    )) as [unknown, number];
    count(updated);
  }
  return progress;
}
