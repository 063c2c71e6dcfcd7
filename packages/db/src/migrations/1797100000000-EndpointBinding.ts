import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Endpoint binding of provider keys (issue 10): the instance-key table (the HMAC key of key fingerprints, wrapped by
 * the master key) and the alert webhook signing secret wrapped by the master key. Secrets themselves cannot be
 * re-encrypted here (that needs the master key): the API and worker do it at boot, and so does `vaultrun vault:rotate`
 * (v1 secrets → v2 bound to the account's endpoint, sha256 fingerprints → HMAC, clear webhook secrets → wrapped).
 */
export class EndpointBinding1797100000000 implements MigrationInterface {
  name = 'EndpointBinding1797100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "vault_instance_keys" ("purpose" text NOT NULL, "kek_version" integer NOT NULL, "wrapped" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_438610c7c43c27c5b4a9ebb2230" PRIMARY KEY ("purpose"))`);
    await q.query(`ALTER TABLE "workspaces" ADD "alert_webhook_kek_version" integer`);
    await q.query(`ALTER TABLE "workspaces" ADD "alert_webhook_secret_hint" text`);
    // The hint of a secret still in clear, while it can be computed without the master key.
    await q.query(`UPDATE "workspaces" SET "alert_webhook_secret_hint" = 'whsec_…' || right("alert_webhook_secret", 4) WHERE "alert_webhook_secret" IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // A wrapped secret cannot be unwrapped here: going back drops the webhook's secret (set the webhook again).
    await q.query(`UPDATE "workspaces" SET "alert_webhook_secret" = NULL, "alert_webhook_url" = NULL WHERE "alert_webhook_kek_version" IS NOT NULL`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "alert_webhook_secret_hint"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "alert_webhook_kek_version"`);
    await q.query(`DROP TABLE "vault_instance_keys"`);
  }
}
