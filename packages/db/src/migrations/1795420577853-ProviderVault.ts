import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ProviderVault1795420577853 implements MigrationInterface {
  name = 'ProviderVault1795420577853';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "provider_accounts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "name" text NOT NULL, "kind" text NOT NULL, "base_url" text, "default_model" text, "max_concurrency" integer NOT NULL DEFAULT '4', "requests_per_minute" integer, "tokens_per_minute" integer, "visibility" text NOT NULL DEFAULT 'workspace', "status" text NOT NULL DEFAULT 'unverified', "last_error_code" text, "rate_limited_until" TIMESTAMP WITH TIME ZONE, "last_verified_at" TIMESTAMP WITH TIME ZONE, "last_checked_at" TIMESTAMP WITH TIME ZONE, "models" jsonb NOT NULL DEFAULT '[]', "provider_limits" jsonb, "mock_settings" jsonb, "dek_wrapped" text, "kek_version" integer, "dek_version" integer NOT NULL DEFAULT '0', "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "provider_accounts_limits_check" CHECK ("max_concurrency" >= 1 AND ("requests_per_minute" IS NULL OR "requests_per_minute" >= 1) AND ("tokens_per_minute" IS NULL OR "tokens_per_minute" >= 1)), CONSTRAINT "provider_accounts_visibility_check" CHECK ("visibility" IN ('workspace', 'restricted')), CONSTRAINT "provider_accounts_status_check" CHECK ("status" IN ('unverified', 'active', 'invalid_key', 'quota_exhausted', 'rate_limited', 'disabled')), CONSTRAINT "provider_accounts_kind_check" CHECK ("kind" IN ('openai', 'openai-compatible', 'mock')), CONSTRAINT "PK_30803043b7efd4483786901ddc0" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "provider_accounts_kek_version_idx" ON "provider_accounts"  ("kek_version") `);
    await q.query(`CREATE UNIQUE INDEX "provider_accounts_workspace_name_key" ON "provider_accounts"  ("workspace_id", "name") `);
    await q.query(`CREATE TABLE "provider_account_access" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "account_id" uuid NOT NULL, "principal_type" text NOT NULL, "principal_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "provider_account_access_type_check" CHECK ("principal_type" IN ('user', 'token')), CONSTRAINT "PK_6a0c6fe4c10e068fbe3408b5108" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "provider_account_access_principal_idx" ON "provider_account_access"  ("workspace_id", "principal_type", "principal_id") `);
    await q.query(`CREATE UNIQUE INDEX "provider_account_access_key" ON "provider_account_access"  ("account_id", "principal_type", "principal_id") `);
    await q.query(`CREATE TABLE "provider_secrets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "account_id" uuid NOT NULL, "purpose" text NOT NULL, "dek_version" integer NOT NULL, "ciphertext" text NOT NULL, "hint" text NOT NULL, "fingerprint" text NOT NULL, "key_shape" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "provider_secrets_purpose_check" CHECK ("purpose" IN ('api_key', 'admin_key')), CONSTRAINT "PK_d20dd983853ca18929e1c57b1fe" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "provider_secrets_account_purpose_key" ON "provider_secrets"  ("account_id", "purpose") `);
    await q.query(`CREATE TABLE "vault_key_checks" ("kek_version" integer NOT NULL, "check_value" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_98bbce8aca871aeb73274d5c661" PRIMARY KEY ("kek_version"))`);
    await q.query(`ALTER TABLE "provider_accounts" ADD CONSTRAINT "FK_fb087a0fd5f943001d099f54174" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "provider_accounts" ADD CONSTRAINT "FK_6da83f4840484f201167b894e24" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "provider_account_access" ADD CONSTRAINT "FK_514903b59b104abea3a88363e15" FOREIGN KEY ("account_id") REFERENCES "provider_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "provider_secrets" ADD CONSTRAINT "FK_b6e2cc112bd2b0716441a8a8a71" FOREIGN KEY ("account_id") REFERENCES "provider_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // Every workspace has the embedded mock provider, so a fresh install can run without any key.
    await q.query(`INSERT INTO "provider_accounts" ("workspace_id", "name", "kind", "status", "models", "max_concurrency", "mock_settings", "last_verified_at", "last_checked_at")
      SELECT w."id", 'Mock provider', 'mock', 'active', '["mock-fast", "mock-smart"]'::jsonb, 8, '{}'::jsonb, now(), now() FROM "workspaces" w
      WHERE NOT EXISTS (SELECT 1 FROM "provider_accounts" p WHERE p."workspace_id" = w."id" AND p."kind" = 'mock')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "provider_secrets" DROP CONSTRAINT "FK_b6e2cc112bd2b0716441a8a8a71"`);
    await q.query(`ALTER TABLE "provider_account_access" DROP CONSTRAINT "FK_514903b59b104abea3a88363e15"`);
    await q.query(`ALTER TABLE "provider_accounts" DROP CONSTRAINT "FK_6da83f4840484f201167b894e24"`);
    await q.query(`ALTER TABLE "provider_accounts" DROP CONSTRAINT "FK_fb087a0fd5f943001d099f54174"`);
    await q.query(`DROP TABLE "vault_key_checks"`);
    await q.query(`DROP INDEX "public"."provider_secrets_account_purpose_key"`);
    await q.query(`DROP TABLE "provider_secrets"`);
    await q.query(`DROP INDEX "public"."provider_account_access_key"`);
    await q.query(`DROP INDEX "public"."provider_account_access_principal_idx"`);
    await q.query(`DROP TABLE "provider_account_access"`);
    await q.query(`DROP INDEX "public"."provider_accounts_workspace_name_key"`);
    await q.query(`DROP INDEX "public"."provider_accounts_kek_version_idx"`);
    await q.query(`DROP TABLE "provider_accounts"`);
  }
}
