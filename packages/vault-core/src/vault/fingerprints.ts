import { hkdfSync, randomBytes } from 'node:crypto';
import { apiKeyFingerprint } from '@vaultrun/providers';
import type { DataSource } from 'typeorm';
import type { Envelope, WrappedKey } from '../crypto/envelope.js';

/** The row of `vault_instance_keys` holding the fingerprint key, and its wrapping context (associated data). */
export const FINGERPRINT_KEY_PURPOSE = 'fingerprint';
export const instanceKeyContext = (purpose: string) => `instance=${purpose}`;

/**
 * Key fingerprints as a keyed HMAC (`hmac-sha256:` + 16 hex digits): without the instance's fingerprint key, a
 * fingerprint cannot be used to test guesses of a key (a plain hash of a low-entropy or leaked key can).
 *
 * The fingerprint key is derived once per instance with HKDF-SHA256 from the active master key (and a random salt),
 * then stored wrapped by the master key in `vault_instance_keys` — so it survives master-key rotation (`vault:rotate`
 * re-wraps it like a data key) and every process of the instance computes the same fingerprints.
 */
export class KeyFingerprints {
  private key: Promise<Buffer> | null = null;

  constructor(
    private readonly db: DataSource,
    private readonly envelope: Envelope,
  ) {}

  async of(secret: string): Promise<string> {
    return apiKeyFingerprint(secret, await this.load());
  }

  /** Creates the fingerprint key on first boot and checks it unwraps (the boot checks call this). */
  async ensure(): Promise<void> {
    await this.load();
  }

  private load(): Promise<Buffer> {
    this.key ??= this.loadOrCreate().catch((err: unknown) => {
      this.key = null; // not cached: the next call tries again (e.g. after a passing database error)
      throw err;
    });
    return this.key;
  }

  private async loadOrCreate(): Promise<Buffer> {
    const context = instanceKeyContext(FINGERPRINT_KEY_PURPOSE);
    const active = this.envelope.activeKekVersion;
    const fresh = Buffer.from(hkdfSync('sha256', this.envelope.masterKey(active), randomBytes(32), 'vaultrun fingerprint key v1', 32));
    try {
      const wrapped = this.envelope.wrapKey(context, fresh);
      // Two processes booting at once: the first insert wins, both read it back.
      await this.db.query(`INSERT INTO vault_instance_keys (purpose, kek_version, wrapped) VALUES ($1, $2, $3) ON CONFLICT (purpose) DO NOTHING`, [
        FINGERPRINT_KEY_PURPOSE,
        wrapped.kekVersion,
        wrapped.wrapped,
      ]);
    } finally {
      fresh.fill(0);
    }
    const rows: { kek_version: number; wrapped: string }[] = await this.db.query(`SELECT kek_version, wrapped FROM vault_instance_keys WHERE purpose = $1`, [FINGERPRINT_KEY_PURPOSE]);
    const stored: WrappedKey = { kekVersion: rows[0]!.kek_version, wrapped: rows[0]!.wrapped };
    return this.envelope.unwrapKey(context, stored, 'key fingerprint key');
  }
}
