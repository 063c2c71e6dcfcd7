import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdempotentComparisonsAndMessages1795439814301 implements MigrationInterface {
  name = 'IdempotentComparisonsAndMessages1795439814301';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "mission_messages" ADD "idempotency_key" text`);
    await q.query(`ALTER TABLE "mission_messages" ADD "request_hash" text`);
    await q.query(`ALTER TABLE "comparisons" ADD "idempotency_key" text`);
    await q.query(`ALTER TABLE "comparisons" ADD "request_hash" text`);
    await q.query(`CREATE UNIQUE INDEX "mission_messages_idempotency_key" ON "mission_messages"  ("mission_id", "idempotency_key") WHERE "idempotency_key" IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX "comparisons_workspace_idempotency_key" ON "comparisons"  ("workspace_id", "idempotency_key") WHERE "idempotency_key" IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."comparisons_workspace_idempotency_key"`);
    await q.query(`DROP INDEX "public"."mission_messages_idempotency_key"`);
    await q.query(`ALTER TABLE "comparisons" DROP COLUMN "request_hash"`);
    await q.query(`ALTER TABLE "comparisons" DROP COLUMN "idempotency_key"`);
    await q.query(`ALTER TABLE "mission_messages" DROP COLUMN "request_hash"`);
    await q.query(`ALTER TABLE "mission_messages" DROP COLUMN "idempotency_key"`);
  }
}
