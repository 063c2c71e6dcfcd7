import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CostSyncAttempts1796433359159 implements MigrationInterface {
  name = 'CostSyncAttempts1796433359159';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "provider_accounts" ADD "cost_sync_attempted_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "provider_accounts" ADD "cost_sync_error_code" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "provider_accounts" DROP COLUMN "cost_sync_error_code"`);
    await q.query(`ALTER TABLE "provider_accounts" DROP COLUMN "cost_sync_attempted_at"`);
  }
}
