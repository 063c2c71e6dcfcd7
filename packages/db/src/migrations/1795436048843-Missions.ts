import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Missions1795436048843 implements MigrationInterface {
  name = 'Missions1795436048843';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "missions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "title" text NOT NULL, "goal" text NOT NULL DEFAULT '', "current_run_id" uuid, "created_by_type" text NOT NULL, "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_787aebb1ac5923c9904043c6309" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "missions_workspace_created_idx" ON "missions"  ("workspace_id", "created_at") `);
    await q.query(`CREATE TABLE "mission_messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "mission_id" uuid NOT NULL, "role" text NOT NULL, "content" text NOT NULL, "author_type" text, "author_id" uuid, "copilot_run_id" uuid, "plan_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "mission_messages_role_check" CHECK ("role" IN ('user', 'assistant')), CONSTRAINT "PK_24ec70f279964973e415e965f32" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "mission_messages_answer_key" ON "mission_messages"  ("copilot_run_id") WHERE "role" = 'assistant'`);
    await q.query(`CREATE INDEX "mission_messages_mission_idx" ON "mission_messages"  ("mission_id", "created_at") `);
    await q.query(`CREATE TABLE "mission_plans" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "mission_id" uuid NOT NULL, "based_on_plan_id" uuid, "title" text NOT NULL DEFAULT '', "failure_policy" text NOT NULL DEFAULT 'stop', "steps" jsonb NOT NULL, "status" text NOT NULL DEFAULT 'proposed', "errors" jsonb, "mission_run_id" uuid, "created_by_type" text, "created_by_id" uuid, "approved_by_id" uuid, "approved_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "mission_plans_failure_policy_check" CHECK ("failure_policy" IN ('stop', 'continue')), CONSTRAINT "mission_plans_status_check" CHECK ("status" IN ('proposed', 'invalid', 'approved', 'superseded')), CONSTRAINT "PK_afa59ce0405df774be58fc78a66" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "mission_plans_mission_idx" ON "mission_plans"  ("mission_id", "created_at") `);
    await q.query(`CREATE TABLE "comparisons" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "operator_id" uuid, "input" text NOT NULL, "mock_run_id" uuid NOT NULL, "live_run_id" uuid NOT NULL, "created_by_type" text NOT NULL, "created_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_fd57ecac9337bc1fdeffafbc33c" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "comparisons_workspace_created_idx" ON "comparisons"  ("workspace_id", "created_at") `);
    await q.query(`ALTER TABLE "workspaces" ADD "copilot_account_id" uuid`);
    await q.query(`ALTER TABLE "workspaces" ADD "copilot_model" text`);
    await q.query(`ALTER TABLE "runs" ADD "mission_id" uuid`);
    await q.query(`ALTER TABLE "runs" ADD "plan_step" text`);
    await q.query(`ALTER TABLE "runs" ADD "history" jsonb`);
    await q.query(`DROP INDEX "public"."runs_account_status_idx"`);
    await q.query(`DROP INDEX "public"."runs_account_finished_idx"`);
    await q.query(`ALTER TABLE "runs" ALTER COLUMN "account_id" DROP NOT NULL`);
    await q.query(`CREATE INDEX "runs_account_finished_idx" ON "runs"  ("account_id", "finished_at") `);
    await q.query(`CREATE INDEX "runs_mission_idx" ON "runs"  ("mission_id") WHERE "mission_id" IS NOT NULL`);
    await q.query(`CREATE INDEX "runs_account_status_idx" ON "runs"  ("account_id", "status") `);
    await q.query(`ALTER TABLE "missions" ADD CONSTRAINT "FK_05cee28349bd19b23901196bb08" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "mission_messages" ADD CONSTRAINT "FK_82ae4083dada66358cc784e77cb" FOREIGN KEY ("mission_id") REFERENCES "missions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "mission_plans" ADD CONSTRAINT "FK_cb2e53b9f1408a6c1c75f5c7167" FOREIGN KEY ("mission_id") REFERENCES "missions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "comparisons" ADD CONSTRAINT "FK_2ebdc4fa8c3bccf2d843119220a" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "comparisons" DROP CONSTRAINT "FK_2ebdc4fa8c3bccf2d843119220a"`);
    await q.query(`ALTER TABLE "mission_plans" DROP CONSTRAINT "FK_cb2e53b9f1408a6c1c75f5c7167"`);
    await q.query(`ALTER TABLE "mission_messages" DROP CONSTRAINT "FK_82ae4083dada66358cc784e77cb"`);
    await q.query(`ALTER TABLE "missions" DROP CONSTRAINT "FK_05cee28349bd19b23901196bb08"`);
    await q.query(`DROP INDEX "public"."runs_account_status_idx"`);
    await q.query(`DROP INDEX "public"."runs_mission_idx"`);
    await q.query(`DROP INDEX "public"."runs_account_finished_idx"`);
    await q.query(`ALTER TABLE "runs" ALTER COLUMN "account_id" SET NOT NULL`);
    await q.query(`CREATE INDEX "runs_account_finished_idx" ON "runs" USING btree ("account_id", "finished_at") `);
    await q.query(`CREATE INDEX "runs_account_status_idx" ON "runs" USING btree ("account_id", "status") `);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "history"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "plan_step"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "mission_id"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "copilot_model"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "copilot_account_id"`);
    await q.query(`DROP INDEX "public"."comparisons_workspace_created_idx"`);
    await q.query(`DROP TABLE "comparisons"`);
    await q.query(`DROP INDEX "public"."mission_plans_mission_idx"`);
    await q.query(`DROP TABLE "mission_plans"`);
    await q.query(`DROP INDEX "public"."mission_messages_mission_idx"`);
    await q.query(`DROP INDEX "public"."mission_messages_answer_key"`);
    await q.query(`DROP TABLE "mission_messages"`);
    await q.query(`DROP INDEX "public"."missions_workspace_created_idx"`);
    await q.query(`DROP TABLE "missions"`);
  }
}
