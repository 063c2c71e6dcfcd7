import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Anthropic, Azure OpenAI and Gemini accounts; Azure's api-version per account. */
export class ProviderKinds1798000000000 implements MigrationInterface {
  name = 'ProviderKinds1798000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "provider_accounts" DROP CONSTRAINT "provider_accounts_kind_check"`);
    await q.query(
      `ALTER TABLE "provider_accounts" ADD CONSTRAINT "provider_accounts_kind_check" CHECK ("kind" IN ('openai', 'openai-compatible', 'anthropic', 'azure-openai', 'gemini', 'mock'))`,
    );
    await q.query(`ALTER TABLE "provider_accounts" ADD "api_version" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "provider_accounts" DROP COLUMN "api_version"`);
    // Fails (the old constraint is checked against every row) while accounts of the new kinds exist: delete them first.
    await q.query(`ALTER TABLE "provider_accounts" DROP CONSTRAINT "provider_accounts_kind_check"`);
    await q.query(`ALTER TABLE "provider_accounts" ADD CONSTRAINT "provider_accounts_kind_check" CHECK ("kind" IN ('openai', 'openai-compatible', 'mock'))`);
  }
}
