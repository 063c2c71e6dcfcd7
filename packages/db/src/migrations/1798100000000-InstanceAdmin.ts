import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Instance administrators (a flag on users, separate from workspace roles) and workspace suspension. */
export class InstanceAdmin1798100000000 implements MigrationInterface {
  name = 'InstanceAdmin1798100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ADD "is_instance_admin" boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "workspaces" ADD "suspended_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "workspaces" ADD "suspended_reason" text`);
    // An existing instance: its first user (the owner created at first start) becomes its instance administrator.
    await q.query(`UPDATE "users" SET "is_instance_admin" = true WHERE "id" = (SELECT "id" FROM "users" ORDER BY "created_at" ASC, "id" ASC LIMIT 1)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "suspended_reason"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "suspended_at"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "is_instance_admin"`);
  }
}
