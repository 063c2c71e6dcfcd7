import type { DataSource } from 'typeorm';
import { sweepExpiredCredits, sweepHolds } from '@vaultrun/money';
import { transitionRun } from './store.js';

export interface ReconcileResult {
  /** `running` runs whose worker stopped renewing its lease: back to the queue. */
  recovered: number;
  /** `queued` / `waiting` runs handed to `enqueue` (a no-op when their job still exists). */
  enqueued: number;
  /** Budget holds nobody closed: settled to a finished run's recorded cost, or expired (kept as spend). */
  holds: { settled: number; expired: number };
  /** Credits that expired (docs/managed.md): the workspaces swept and what was forfeited. */
  credits: { workspaces: number; forfeitedMicroUsd: number };
}

/** Runs younger than this are left alone: the API may still be adding their job. */
const SETTLE_MS = 5_000;

/** A `running` run whose lease expired. */
type DeadRunRow = { id: string };
/** A `queued` or `waiting` run that must have a job (delayed until its next try). */
type PendingRunRow = { id: string; next_attempt_at: Date | null };

/**
 * Postgres is the source of truth. Makes sure every accepted run that is not final has a job: recovers runs
 * whose worker died (lease expired) and re-enqueues queued/waiting runs — after a Redis flush or restart, their
 * jobs are gone. Enqueueing uses the run id as job id, so an existing job is never duplicated. Then sweeps the
 * budget holds no worker closed, and expires the credits that are due. Mission runs are not executed by workers (they have no lease and no job of their
 * own to recover): the mission engine's reconciler looks after them. Gateway calls are never re-run either (the app got
 * an answer or an error and decides itself): `finishLostGatewayCalls` (engine/gateway) ends those whose process died.
 */
export async function reconcileRuns(
  db: DataSource,
  enqueue: (runs: { id: string; delayMs: number }[]) => Promise<void>,
  options: { batchSize?: number } = {},
): Promise<ReconcileResult> {
  const batchSize = options.batchSize ?? 1000;
  const dead: DeadRunRow[] = await db.query(
    `SELECT id FROM runs WHERE status = 'running' AND kind NOT IN ('mission', 'gateway') AND (lease_expires_at IS NULL OR lease_expires_at < now()) AND updated_at < now() - make_interval(secs => $1) LIMIT $2`,
    [SETTLE_MS / 1000, batchSize],
  );
  let recovered = 0;
  for (const { id } of dead) {
    const res = await transitionRun(
      db,
      id,
      ['running'],
      'queued',
      { lease_owner: null, lease_expires_at: null },
      { type: 'recovered', message: 'The worker running it stopped; the run was put back in the queue' },
      // Whether the dead worker's call reached the provider is unknown: its holds stay as spend (cost sync corrects).
      { leaseExpired: true, closeHolds: { closing: { charge: null }, attempt: null } },
    );
    if (res.from) recovered++;
  }

  let enqueued = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows: PendingRunRow[] = await db.query(
      `SELECT id, next_attempt_at FROM runs WHERE status IN ('queued', 'waiting') AND kind NOT IN ('mission', 'gateway') AND id > $1
          AND (updated_at < now() - make_interval(secs => $2) OR id = ANY($3::uuid[]))
        ORDER BY id LIMIT $4`,
      [after, SETTLE_MS / 1000, dead.map((d) => d.id), batchSize],
    );
    if (!rows.length) break;
    const now = Date.now();
    await enqueue(rows.map((r) => ({ id: r.id, delayMs: r.next_attempt_at ? Math.max(0, new Date(r.next_attempt_at).getTime() - now) : 0 })));
    enqueued += rows.length;
    after = rows[rows.length - 1]!.id;
  }
  const holds = await sweepHolds(db);
  return { recovered, enqueued, holds, credits: await sweepExpiredCredits(db) };
}
