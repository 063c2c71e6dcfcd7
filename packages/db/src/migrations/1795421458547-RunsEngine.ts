import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RunsEngine1795421458547 implements MigrationInterface {
  name = 'RunsEngine1795421458547';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "operators" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "name" text NOT NULL, "description" text NOT NULL DEFAULT '', "instructions" text NOT NULL DEFAULT '', "account_id" uuid, "model" text, "temperature" real, "max_output_tokens" integer NOT NULL DEFAULT '1024', "output_format" text NOT NULL DEFAULT 'text', "output_schema" jsonb, "cost_cap_micro_usd" bigint, "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "operators_max_output_tokens_check" CHECK ("max_output_tokens" BETWEEN 1 AND 200000), CONSTRAINT "operators_output_format_check" CHECK ("output_format" IN ('text', 'json_schema')), CONSTRAINT "PK_3d02b3692836893720335a79d1b" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "operators_workspace_name_key" ON "operators"  ("workspace_id", "name") `);
    await q.query(`CREATE TABLE "runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "kind" text NOT NULL, "operator_id" uuid, "parent_run_id" uuid, "started_by_type" text NOT NULL, "started_by_id" uuid, "account_id" uuid NOT NULL, "model" text NOT NULL, "instructions" text NOT NULL DEFAULT '', "input" text NOT NULL, "temperature" real, "max_output_tokens" integer NOT NULL, "output_schema" jsonb, "output" text, "output_json" jsonb, "status" text NOT NULL DEFAULT 'queued', "status_reason" text, "next_attempt_at" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "max_attempts" integer NOT NULL DEFAULT '3', "input_tokens" integer, "output_tokens" integer, "cached_input_tokens" integer, "provider_calls" integer NOT NULL DEFAULT '0', "provider_request_id" text, "error_code" text, "error_message" text, "idempotency_key" text, "request_hash" text, "lease_owner" text, "lease_expires_at" TIMESTAMP WITH TIME ZONE, "request_id" text, "queued_at" TIMESTAMP WITH TIME ZONE NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE, "provider_started_at" TIMESTAMP WITH TIME ZONE, "first_byte_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "provider_latency_ms" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "runs_status_check" CHECK ("status" IN ('queued', 'waiting', 'running', 'succeeded', 'failed', 'cancelled', 'blocked')), CONSTRAINT "runs_kind_check" CHECK ("kind" IN ('operator', 'copilot', 'mission', 'comparison', 'gateway')), CONSTRAINT "PK_46d6a1e257c38ba58f1a3c30836" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "runs_parent_idx" ON "runs"  ("parent_run_id") WHERE "parent_run_id" IS NOT NULL`);
    await q.query(`CREATE INDEX "runs_active_idx" ON "runs"  ("status", "updated_at") WHERE "status" IN ('queued', 'waiting', 'running')`);
    await q.query(`CREATE UNIQUE INDEX "runs_workspace_idempotency_key" ON "runs"  ("workspace_id", "idempotency_key") WHERE "idempotency_key" IS NOT NULL`);
    await q.query(`CREATE INDEX "runs_account_status_idx" ON "runs"  ("account_id", "status") `);
    await q.query(`CREATE INDEX "runs_workspace_status_idx" ON "runs"  ("workspace_id", "status") `);
    await q.query(`CREATE INDEX "runs_workspace_created_idx" ON "runs"  ("workspace_id", "created_at") `);
    await q.query(`CREATE TABLE "run_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "run_id" uuid NOT NULL, "workspace_id" uuid NOT NULL, "type" text NOT NULL, "message" text NOT NULL DEFAULT '', "data" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6a60304b2cec8281b713a19fa7b" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "run_events_run_idx" ON "run_events"  ("run_id", "created_at") `);
    await q.query(`ALTER TABLE "workspaces" ADD "default_account_id" uuid`);
    await q.query(`ALTER TABLE "workspaces" ADD "default_model" text`);
    await q.query(`ALTER TABLE "operators" ADD CONSTRAINT "FK_90578836916c6369d9c7e535f7c" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "operators" ADD CONSTRAINT "FK_67093ab40a7362d1de15519f527" FOREIGN KEY ("account_id") REFERENCES "provider_accounts"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "runs" ADD CONSTRAINT "FK_079418adf942a1b05644c569506" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "run_events" ADD CONSTRAINT "FK_5d8974d438d9e9eb7dd9f6856d1" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // Existing workspaces run on their embedded mock provider until an admin picks another default.
    await q.query(`UPDATE "workspaces" w SET "default_account_id" = p."id", "default_model" = 'mock-fast'
      FROM "provider_accounts" p WHERE p."workspace_id" = w."id" AND p."kind" = 'mock' AND w."default_account_id" IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "run_events" DROP CONSTRAINT "FK_5d8974d438d9e9eb7dd9f6856d1"`);
    await q.query(`ALTER TABLE "runs" DROP CONSTRAINT "FK_079418adf942a1b05644c569506"`);
    await q.query(`ALTER TABLE "operators" DROP CONSTRAINT "FK_67093ab40a7362d1de15519f527"`);
    await q.query(`ALTER TABLE "operators" DROP CONSTRAINT "FK_90578836916c6369d9c7e535f7c"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "default_model"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "default_account_id"`);
    await q.query(`DROP INDEX "public"."run_events_run_idx"`);
    await q.query(`DROP TABLE "run_events"`);
    await q.query(`DROP INDEX "public"."runs_workspace_created_idx"`);
    await q.query(`DROP INDEX "public"."runs_workspace_status_idx"`);
    await q.query(`DROP INDEX "public"."runs_account_status_idx"`);
    await q.query(`DROP INDEX "public"."runs_workspace_idempotency_key"`);
    await q.query(`DROP INDEX "public"."runs_active_idx"`);
    await q.query(`DROP INDEX "public"."runs_parent_idx"`);
    await q.query(`DROP TABLE "runs"`);
    await q.query(`DROP INDEX "public"."operators_workspace_name_key"`);
    await q.query(`DROP TABLE "operators"`);
  }
}
