/**
 * DATABASE_READ_URL: the analytics overview and the spend report read the replica; everything else (sign-in, the
 * runs themselves) the primary. The "replica" here is a second database holding other rows for the same workspace,
 * so each answer shows which database it came from.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDataSource } from '@vaultrun/db';
import type { DataSource } from 'typeorm';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';
import { scratchDatabase } from '../../../test/support/scratch-db.js';

const insertRun = (db: DataSource, workspaceId: string, cost: number) =>
  db.query(
    `INSERT INTO runs (workspace_id, kind, started_by_type, account_id, model, input, max_output_tokens, status, queued_at, created_at, finished_at, cost_micro_usd, cost_label)
     VALUES ($1, 'operator', 'user', NULL, 'mock-fast', 'x', 100, 'succeeded', '2026-01-10T08:00:00Z', '2026-01-10T08:00:00Z', '2026-01-10T08:00:01Z', $2, 'verified')`,
    [workspaceId, cost],
  );

describe('DATABASE_READ_URL: reports read the replica', () => {
  let replica: { url: string; drop(): Promise<void> };
  let replicaDb: DataSource;
  let withReplica: TestApi;
  let withoutReplica: TestApi;
  let ws: SeededWorkspace;
  let admin: Session;

  beforeAll(async () => {
    replica = await scratchDatabase();
    replicaDb = createDataSource({ url: replica.url, poolSize: 1 });
    await replicaDb.initialize();
    withReplica = await startTestApi({ DATABASE_READ_URL: replica.url });
    withoutReplica = await startTestApi();
    ws = await seedWorkspace(withReplica.db);
    // The primary: one run costing 1,000. The replica: the same workspace with one run costing 7,000.
    await insertRun(withReplica.db, ws.id, 1000);
    await replicaDb.query(`INSERT INTO workspaces (id, name) VALUES ($1, $2)`, [ws.id, ws.name]);
    await insertRun(replicaDb, ws.id, 7000);
    admin = await signIn(withReplica.url, ws.users.admin);
  });
  afterAll(async () => {
    await withReplica?.close();
    await withoutReplica?.close();
    await replicaDb?.destroy();
    await replica?.drop();
  });

  const overview = (s: Session) => as(s).get(`/api/v1/analytics/overview?since=2026-01-10T00:00:00Z&until=2026-01-11T00:00:00Z`);

  it('the overview and the spend report come from the replica when it is set, from the primary otherwise', async () => {
    const fromReplica = await overview(admin);
    expect(fromReplica.status).toBe(200);
    expect(fromReplica.body.totals).toMatchObject({ runs: 1, succeeded: 1 });
    expect(fromReplica.body.totals.spend.costMicroUsd).toBe(7000);
    const spend = await as(admin).get('/api/v1/spend?from=2026-01-10&to=2026-01-10');
    expect(spend.status).toBe(200);
    expect(spend.body.total.costMicroUsd).toBe(7000);

    // The same workspace through an API without DATABASE_READ_URL: the primary's run.
    const primaryAdmin = await signIn(withoutReplica.url, ws.users.admin);
    const fromPrimary = await overview(primaryAdmin);
    expect(fromPrimary.body.totals.spend.costMicroUsd).toBe(1000);
    expect((await as(primaryAdmin).get('/api/v1/spend?from=2026-01-10&to=2026-01-10')).body.total.costMicroUsd).toBe(1000);
  });
});
