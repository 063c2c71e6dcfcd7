import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOverageLedgerFunctions, OVERAGE_LEDGER_FUNCTIONS } from './1797300000000-budget-overage-ledger.js';
import { createLedgerFunctions, LEDGER_FUNCTIONS } from './1795425439100-money-ledger.js';

/** Overage, exhaustion, shrink-to-fit and prompt calibration (docs/budgets.md); the ledger functions change with it. */

export class BudgetOverage1797300000000 implements MigrationInterface {
  name = 'BudgetOverage1797300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "token_calibrations" ("account_id" uuid NOT NULL, "model" text NOT NULL, "workspace_id" uuid NOT NULL, "ratios_permille" integer array NOT NULL DEFAULT '{}', "high_ratio_permille" integer NOT NULL, "samples" integer NOT NULL DEFAULT '0', "raised_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6d2ca16b0a48f93cc4bced82720" PRIMARY KEY ("account_id", "model"))`);
    await q.query(`ALTER TABLE "budgets" ADD "shrink_min_output_tokens" integer`);
    await q.query(`ALTER TABLE "budget_periods" ADD "overage_micro_usd" bigint NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "budget_periods" ADD "overage_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "budget_periods" ADD "exhausted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "budget_periods" ADD "overage_delivered_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "runs" ADD "prompt_tokens_held" integer`);
    await q.query(`ALTER TABLE "runs" ADD "overage_micro_usd" bigint`);
    await q.query(`ALTER TABLE "runs" ADD "requested_max_output_tokens" integer`);
    await q.query(`ALTER TABLE "budgets" ADD CONSTRAINT "budgets_shrink_check" CHECK ("shrink_min_output_tokens" IS NULL OR "shrink_min_output_tokens" >= 1)`);
    await q.query(`ALTER TABLE "token_calibrations" ADD CONSTRAINT "FK_caf1a8a38a9190ecacb6316bfb7" FOREIGN KEY ("account_id") REFERENCES "provider_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "token_calibrations" ADD CONSTRAINT "FK_ad401e0ff6efa7e3edd251a71de" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await createOverageLedgerFunctions(q);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to the Money migration's ledger: drop every ledger function and the view, and create that version again.
    for (const fn of [...OVERAGE_LEDGER_FUNCTIONS, ...LEDGER_FUNCTIONS]) await q.query(`DROP FUNCTION IF EXISTS ${fn}`);
    await q.query(`DROP VIEW IF EXISTS budget_balances`);
    await createLedgerFunctions(q);
    await q.query(`ALTER TABLE "token_calibrations" DROP CONSTRAINT "FK_ad401e0ff6efa7e3edd251a71de"`);
    await q.query(`ALTER TABLE "token_calibrations" DROP CONSTRAINT "FK_caf1a8a38a9190ecacb6316bfb7"`);
    await q.query(`ALTER TABLE "budgets" DROP CONSTRAINT "budgets_shrink_check"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "requested_max_output_tokens"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "overage_micro_usd"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "prompt_tokens_held"`);
    await q.query(`ALTER TABLE "budget_periods" DROP COLUMN "overage_delivered_at"`);
    await q.query(`ALTER TABLE "budget_periods" DROP COLUMN "exhausted_at"`);
    await q.query(`ALTER TABLE "budget_periods" DROP COLUMN "overage_at"`);
    await q.query(`ALTER TABLE "budget_periods" DROP COLUMN "overage_micro_usd"`);
    await q.query(`ALTER TABLE "budgets" DROP COLUMN "shrink_min_output_tokens"`);
    await q.query(`DROP TABLE "token_calibrations"`);
  }
}
