import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createLedgerFunctions, LEDGER_FUNCTIONS } from './1795425439100-money-ledger.js';

export class Money1795425439100 implements MigrationInterface {
  name = 'Money1795425439100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "budgets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "name" text NOT NULL, "scope_type" text NOT NULL, "scope_id" uuid, "period" text NOT NULL, "cap_micro_usd" bigint NOT NULL, "soft_threshold_pct" integer NOT NULL DEFAULT '80', "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "budgets_cap_check" CHECK ("cap_micro_usd" >= 0 AND "soft_threshold_pct" BETWEEN 1 AND 100), CONSTRAINT "budgets_period_check" CHECK ("period" IN ('day', 'week', 'month', 'lifetime')), CONSTRAINT "budgets_scope_check" CHECK ("scope_type" IN ('workspace', 'account', 'operator', 'token') AND (("scope_type" = 'workspace') = ("scope_id" IS NULL))), CONSTRAINT "PK_9c8a51748f82387644b773da482" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "budgets_workspace_idx" ON "budgets"  ("workspace_id") `);
    await q.query(`CREATE TABLE "budget_periods" ("budget_id" uuid NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "spent_micro_usd" bigint NOT NULL DEFAULT '0', "held_micro_usd" bigint NOT NULL DEFAULT '0', "alerted_at" TIMESTAMP WITH TIME ZONE, "alert_delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "budget_periods_amounts_check" CHECK ("held_micro_usd" >= 0), CONSTRAINT "PK_7d121a2357a3230156ed99ae09f" PRIMARY KEY ("budget_id", "period_start"))`);
    await q.query(`CREATE TABLE "budget_holds" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "run_id" uuid NOT NULL, "budget_id" uuid NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "amount_micro_usd" bigint NOT NULL, "status" text NOT NULL DEFAULT 'held', "charged_micro_usd" bigint, "attempt" integer NOT NULL, "folded" boolean NOT NULL DEFAULT false, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "closed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "budget_holds_status_check" CHECK ("status" IN ('held', 'settled', 'released', 'kept', 'expired')), CONSTRAINT "PK_5685cf113c8bf547427abf4a2c0" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "budget_holds_held_expiry_idx" ON "budget_holds"  ("expires_at") WHERE "status" = 'held'`);
    await q.query(`CREATE INDEX "budget_holds_run_idx" ON "budget_holds"  ("run_id") `);
    await q.query(`CREATE INDEX "budget_holds_unfolded_idx" ON "budget_holds"  ("budget_id", "period_start") WHERE "status" <> 'held' AND NOT "folded"`);
    await q.query(`CREATE UNIQUE INDEX "budget_holds_run_budget_key" ON "budget_holds"  ("run_id", "budget_id") WHERE "status" = 'held'`);
    await q.query(`CREATE TABLE "budget_adjustments" ("budget_id" uuid NOT NULL, "account_id" uuid NOT NULL, "day" date NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "amount_micro_usd" bigint NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b6f24fa4042d44dea7de308cca3" PRIMARY KEY ("budget_id", "account_id", "day"))`);
    await q.query(`CREATE TABLE "cost_sync_days" ("account_id" uuid NOT NULL, "day" date NOT NULL, "workspace_id" uuid NOT NULL, "provider_micro_usd" bigint NOT NULL, "vaultrun_micro_usd" bigint NOT NULL, "drift_micro_usd" bigint NOT NULL, "applied_micro_usd" bigint NOT NULL DEFAULT '0', "status" text NOT NULL, "checks" integer NOT NULL DEFAULT '1', "checked_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "cost_sync_days_status_check" CHECK ("status" IN ('matched', 'drift')), CONSTRAINT "PK_47ff5911645218e992553c11c78" PRIMARY KEY ("account_id", "day"))`);
    await q.query(`CREATE INDEX "cost_sync_days_workspace_idx" ON "cost_sync_days"  ("workspace_id", "day") `);
    await q.query(`CREATE TABLE "price_overrides" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "model" text NOT NULL, "input_micro_usd_per_m" bigint NOT NULL, "cached_input_micro_usd_per_m" bigint NOT NULL, "output_micro_usd_per_m" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "price_overrides_amounts_check" CHECK ("input_micro_usd_per_m" >= 0 AND "cached_input_micro_usd_per_m" >= 0 AND "output_micro_usd_per_m" >= 0), CONSTRAINT "PK_432ad5c747d56017d50f35dea8c" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "price_overrides_workspace_model_key" ON "price_overrides"  ("workspace_id", "model") `);
    await q.query(`ALTER TABLE "workspaces" ADD "alert_webhook_url" text`);
    await q.query(`ALTER TABLE "workspaces" ADD "alert_webhook_secret" text`);
    await q.query(`ALTER TABLE "runs" ADD "cost_micro_usd" bigint`);
    await q.query(`ALTER TABLE "runs" ADD "cost_label" text`);
    await q.query(`ALTER TABLE "runs" ADD "estimate_micro_usd" bigint`);
    await q.query(`ALTER TABLE "runs" ADD "cost_cap_micro_usd" bigint`);
    await q.query(`ALTER TABLE "runs" ADD "blocked_budget_id" uuid`);
    await q.query(`CREATE INDEX "runs_account_finished_idx" ON "runs"  ("account_id", "finished_at") `);
    await q.query(`ALTER TABLE "budgets" ADD CONSTRAINT "FK_97494a1a209f926933e79633fec" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "budget_periods" ADD CONSTRAINT "FK_8aee1350827113b9237bfb35fd7" FOREIGN KEY ("budget_id") REFERENCES "budgets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "budget_holds" ADD CONSTRAINT "FK_07dbd80994ad39ed2e82d6b0092" FOREIGN KEY ("budget_id") REFERENCES "budgets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "budget_adjustments" ADD CONSTRAINT "FK_fe72b4c433f824186a38d893ac3" FOREIGN KEY ("budget_id") REFERENCES "budgets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "price_overrides" ADD CONSTRAINT "FK_7c392a643ac1f0907a339238030" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await createLedgerFunctions(q);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const fn of LEDGER_FUNCTIONS) await q.query(`DROP FUNCTION IF EXISTS ${fn}`);
    await q.query(`DROP VIEW IF EXISTS budget_balances`);
    await q.query(`ALTER TABLE "budget_adjustments" DROP CONSTRAINT "FK_fe72b4c433f824186a38d893ac3"`);
    await q.query(`ALTER TABLE "price_overrides" DROP CONSTRAINT "FK_7c392a643ac1f0907a339238030"`);
    await q.query(`ALTER TABLE "budget_holds" DROP CONSTRAINT "FK_07dbd80994ad39ed2e82d6b0092"`);
    await q.query(`ALTER TABLE "budget_periods" DROP CONSTRAINT "FK_8aee1350827113b9237bfb35fd7"`);
    await q.query(`ALTER TABLE "budgets" DROP CONSTRAINT "FK_97494a1a209f926933e79633fec"`);
    await q.query(`DROP INDEX "public"."runs_account_finished_idx"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "blocked_budget_id"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "cost_cap_micro_usd"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "estimate_micro_usd"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "cost_label"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "cost_micro_usd"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "alert_webhook_secret"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "alert_webhook_url"`);
    await q.query(`DROP INDEX "public"."price_overrides_workspace_model_key"`);
    await q.query(`DROP TABLE "price_overrides"`);
    await q.query(`DROP INDEX "public"."cost_sync_days_workspace_idx"`);
    await q.query(`DROP TABLE "cost_sync_days"`);
    await q.query(`DROP INDEX "public"."budget_holds_run_budget_key"`);
    await q.query(`DROP INDEX "public"."budget_holds_unfolded_idx"`);
    await q.query(`DROP INDEX "public"."budget_holds_run_idx"`);
    await q.query(`DROP INDEX "public"."budget_holds_held_expiry_idx"`);
    await q.query(`DROP TABLE "budget_holds"`);
    await q.query(`DROP TABLE "budget_periods"`);
    await q.query(`DROP TABLE "budget_adjustments"`);
    await q.query(`DROP INDEX "public"."budgets_workspace_idx"`);
    await q.query(`DROP TABLE "budgets"`);
  }
}
