import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SpendIndex1795425991218 implements MigrationInterface {
  name = 'SpendIndex1795425991218';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "runs_workspace_finished_idx" ON "runs"  ("workspace_id", "finished_at") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."runs_workspace_finished_idx"`);
  }
}
