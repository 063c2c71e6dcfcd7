import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14 (docs/console.md): the Overview's covering index over runs, the audit trail's filter indexes, and budgets
 * that count their first period from its start (an opening balance on the period row).
 */
export class ConsoleAnalytics1797800000000 implements MigrationInterface {
  name = 'ConsoleAnalytics1797800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "budgets" ADD "count_from" text NOT NULL DEFAULT 'creation'`);
    await q.query(`ALTER TABLE "budget_periods" ADD "opening_micro_usd" bigint NOT NULL DEFAULT '0'`);
    await q.query(`CREATE INDEX "audit_events_workspace_target_idx" ON "audit_events"  ("workspace_id", "target_type", "target_id", "created_at") `);
    await q.query(`CREATE INDEX "audit_events_workspace_actor_idx" ON "audit_events"  ("workspace_id", "actor_id", "created_at") `);
    await q.query(`CREATE INDEX "audit_events_workspace_action_idx" ON "audit_events"  ("workspace_id", "action", "created_at") `);
    await q.query(`ALTER TABLE "budgets" ADD CONSTRAINT "budgets_count_from_check" CHECK ("count_from" IN ('creation', 'period_start'))`);
    // The same key as before (the runs list's order), now carrying what the Overview reads, so its aggregates are
    // index-only scans. Replaces the plain index rather than adding one: a run's updates maintain as many indexes as before.
    await q.query(`DROP INDEX "public"."runs_workspace_created_idx"`);
    await q.query(
      `CREATE INDEX "runs_workspace_created_idx" ON "runs" ("workspace_id", "created_at")
         INCLUDE ("status", "account_id", "operator_id", "started_by_type", "started_by_id", "cost_label", "cost_micro_usd", "provider_latency_ms", "queued_at", "finished_at")`,
    );
    // The Overview groups runs by UTC hour or day, and its latency histogram by (bucket, latency bin, duration bin).
    // Without statistics on those expressions the planner guesses about one group per run and gives up on parallel
    // aggregation (the 30-day histogram then scans a million runs on one core); with them it knows there are a few
    // thousand. The expressions must stay exactly those of apps/api/src/modules/analytics/analytics.service.ts.
    for (const unit of ['hour', 'day']) {
      await q.query(`CREATE STATISTICS "runs_created_${unit}_stats" ON (date_bin('1 ${unit}'::interval, "created_at", '2000-01-03 00:00:00+00'::timestamptz)) FROM "runs"`);
      await q.query(
        `CREATE STATISTICS "runs_latency_bins_${unit}_stats" (ndistinct) ON (date_bin('1 ${unit}'::interval, "created_at", '2000-01-03 00:00:00+00'::timestamptz)),
           (round(ln(greatest(("provider_latency_ms")::float8, 1)) / ln(1.04::float8))::int),
           (round(ln(greatest((extract(epoch FROM "finished_at" - "queued_at")::float8 * 1000)::float8, 1)) / ln(1.04::float8))::int) FROM "runs"`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP STATISTICS IF EXISTS "runs_created_hour_stats", "runs_created_day_stats", "runs_latency_bins_hour_stats", "runs_latency_bins_day_stats"`);
    await q.query(`DROP INDEX "public"."runs_workspace_created_idx"`);
    await q.query(`CREATE INDEX "runs_workspace_created_idx" ON "runs" ("workspace_id", "created_at") `);
    await q.query(`ALTER TABLE "budgets" DROP CONSTRAINT "budgets_count_from_check"`);
    await q.query(`DROP INDEX "public"."audit_events_workspace_action_idx"`);
    await q.query(`DROP INDEX "public"."audit_events_workspace_actor_idx"`);
    await q.query(`DROP INDEX "public"."audit_events_workspace_target_idx"`);
    await q.query(`ALTER TABLE "budget_periods" DROP COLUMN "opening_micro_usd"`);
    await q.query(`ALTER TABLE "budgets" DROP COLUMN "count_from"`);
  }
}
