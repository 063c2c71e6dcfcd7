import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createCreditsFunctions, dropCreditsFunctions } from './1798200000000-credits-ledger.js';

/**
 * The managed connector and credits (docs/managed.md): managed accounts and their offers, the instance workspace that
 * holds them, connectors, credit grants, the instance's price and alert settings, who pays for a run, a token's
 * billing pin, and the credits ledger (./1798200000000-credits-ledger.ts).
 */
export class ManagedCredits1798200000000 implements MigrationInterface {
  name = 'ManagedCredits1798200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "managed_accounts" ("account_id" uuid NOT NULL, "offer" text NOT NULL, "share_max_concurrency" integer NOT NULL, "share_requests_per_minute" integer, "share_tokens_per_minute" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "managed_accounts_share_check" CHECK ("share_max_concurrency" >= 1 AND ("share_requests_per_minute" IS NULL OR "share_requests_per_minute" >= 1) AND ("share_tokens_per_minute" IS NULL OR "share_tokens_per_minute" >= 1)), CONSTRAINT "managed_accounts_offer_check" CHECK ("offer" IN ('all', 'chosen')), CONSTRAINT "PK_33dd75f004cf98a9e6532f2a7fd" PRIMARY KEY ("account_id"))`);
    await q.query(`CREATE TABLE "managed_account_workspaces" ("account_id" uuid NOT NULL, "workspace_id" uuid NOT NULL, CONSTRAINT "PK_abc02e073d641057d285911213c" PRIMARY KEY ("account_id", "workspace_id"))`);
    await q.query(`CREATE TABLE "instance_settings" ("id" boolean NOT NULL DEFAULT true, "price_multiplier_permille" integer NOT NULL DEFAULT '1000', "low_balance_alert_pct" integer NOT NULL DEFAULT '80', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "instance_settings_values_check" CHECK ("price_multiplier_permille" BETWEEN 1 AND 100000 AND "low_balance_alert_pct" BETWEEN 1 AND 100), CONSTRAINT "instance_settings_single_check" CHECK ("id"), CONSTRAINT "PK_eb2567a5e4188cd54689e1d79ef" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "credit_grants" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "kind" text NOT NULL, "amount_micro_usd" bigint NOT NULL, "used_micro_usd" bigint NOT NULL DEFAULT '0', "forfeited_micro_usd" bigint NOT NULL DEFAULT '0', "expires_at" TIMESTAMP WITH TIME ZONE, "reference" text, "note" text, "created_by_id" uuid, "created_by_label" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "credit_grants_amounts_check" CHECK ("amount_micro_usd" > 0 AND "used_micro_usd" >= 0 AND "forfeited_micro_usd" >= 0 AND "used_micro_usd" + "forfeited_micro_usd" <= "amount_micro_usd"), CONSTRAINT "credit_grants_kind_check" CHECK ("kind" IN ('grant', 'top_up')), CONSTRAINT "PK_96397f777dbd187ab013c6df4c2" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "credit_grants_workspace_reference_key" ON "credit_grants"  ("workspace_id", "reference") WHERE "reference" IS NOT NULL`);
    await q.query(`CREATE INDEX "credit_grants_workspace_idx" ON "credit_grants"  ("workspace_id", "created_at") `);
    await q.query(`ALTER TABLE "workspaces" ADD "is_instance" boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "api_tokens" ADD "billing" text NOT NULL DEFAULT 'any'`);
    await q.query(`ALTER TABLE "runs" ADD "paid_with" text`);
    await q.query(`ALTER TABLE "runs" ADD "price_multiplier_permille" integer`);
    await q.query(`ALTER TABLE "provider_accounts" ADD "managed_source_id" uuid`);
    await q.query(`CREATE UNIQUE INDEX "budgets_workspace_credits_key" ON "budgets"  ("workspace_id") WHERE "scope_type" = 'credits'`);
    await q.query(`CREATE INDEX "provider_accounts_managed_source_idx" ON "provider_accounts"  ("managed_source_id") WHERE "managed_source_id" IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX "provider_accounts_workspace_managed_key" ON "provider_accounts"  ("workspace_id", "managed_source_id") WHERE "managed_source_id" IS NOT NULL`);
    await q.query(`ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_billing_check" CHECK ("billing" IN ('any', 'credits', 'own_key'))`);
    await q.query(`ALTER TABLE "runs" ADD CONSTRAINT "runs_paid_with_check" CHECK ("paid_with" IS NULL OR "paid_with" IN ('credits', 'own_key'))`);
    await q.query(`ALTER TABLE "provider_accounts" ADD CONSTRAINT "FK_1235d811eb180b7e1bb7274e53f" FOREIGN KEY ("managed_source_id") REFERENCES "provider_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "managed_accounts" ADD CONSTRAINT "FK_33dd75f004cf98a9e6532f2a7fd" FOREIGN KEY ("account_id") REFERENCES "provider_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "managed_account_workspaces" ADD CONSTRAINT "FK_7fdbf643c3682aa0b81198f49fe" FOREIGN KEY ("account_id") REFERENCES "managed_accounts"("account_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "managed_account_workspaces" ADD CONSTRAINT "FK_c3965cd09752644d32325948b5c" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "credit_grants" ADD CONSTRAINT "FK_4bc627fe491209edd93d712ffae" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "credit_grants" ADD CONSTRAINT "FK_5ceea1ff91628f94f889ba0fa9e" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "budgets" DROP CONSTRAINT "budgets_scope_check"`);
    await q.query(`ALTER TABLE "budgets" ADD CONSTRAINT "budgets_scope_check" CHECK ("scope_type" IN ('workspace', 'account', 'operator', 'token', 'credits') AND (("scope_type" IN ('workspace', 'credits')) = ("scope_id" IS NULL)))`);
    await q.query(`INSERT INTO "instance_settings" ("id") VALUES (true)`);
    await createCreditsFunctions(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropCreditsFunctions(q);
    await q.query(`DELETE FROM "budgets" WHERE "scope_type" = 'credits'`);
    await q.query(`ALTER TABLE "budgets" DROP CONSTRAINT "budgets_scope_check"`);
    await q.query(`ALTER TABLE "budgets" ADD CONSTRAINT "budgets_scope_check" CHECK ("scope_type" IN ('workspace', 'account', 'operator', 'token') AND (("scope_type" = 'workspace') = ("scope_id" IS NULL)))`);
    await q.query(`ALTER TABLE "credit_grants" DROP CONSTRAINT "FK_5ceea1ff91628f94f889ba0fa9e"`);
    await q.query(`ALTER TABLE "credit_grants" DROP CONSTRAINT "FK_4bc627fe491209edd93d712ffae"`);
    await q.query(`ALTER TABLE "managed_account_workspaces" DROP CONSTRAINT "FK_c3965cd09752644d32325948b5c"`);
    await q.query(`ALTER TABLE "managed_account_workspaces" DROP CONSTRAINT "FK_7fdbf643c3682aa0b81198f49fe"`);
    await q.query(`ALTER TABLE "managed_accounts" DROP CONSTRAINT "FK_33dd75f004cf98a9e6532f2a7fd"`);
    await q.query(`ALTER TABLE "provider_accounts" DROP CONSTRAINT "FK_1235d811eb180b7e1bb7274e53f"`);
    await q.query(`ALTER TABLE "runs" DROP CONSTRAINT "runs_paid_with_check"`);
    await q.query(`ALTER TABLE "api_tokens" DROP CONSTRAINT "api_tokens_billing_check"`);
    await q.query(`DROP INDEX "public"."provider_accounts_workspace_managed_key"`);
    await q.query(`DROP INDEX "public"."provider_accounts_managed_source_idx"`);
    await q.query(`DROP INDEX "public"."budgets_workspace_credits_key"`);
    await q.query(`ALTER TABLE "provider_accounts" DROP COLUMN "managed_source_id"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "price_multiplier_permille"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "paid_with"`);
    await q.query(`ALTER TABLE "api_tokens" DROP COLUMN "billing"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "is_instance"`);
    await q.query(`DROP INDEX "public"."credit_grants_workspace_idx"`);
    await q.query(`DROP INDEX "public"."credit_grants_workspace_reference_key"`);
    await q.query(`DROP TABLE "credit_grants"`);
    await q.query(`DROP TABLE "instance_settings"`);
    await q.query(`DROP TABLE "managed_account_workspaces"`);
    await q.query(`DROP TABLE "managed_accounts"`);
  }
}
