import type { DataSource } from 'typeorm';
import { closeHolds, type HoldClosing } from '@vaultrun/money';
import { type RunPatch, transitionRun } from '../runs/store.js';

export interface GatewayFinish {
  runId: string;
  /** The process that made the call (the record's lease owner). */
  leaseOwner: string;
  status: 'succeeded' | 'failed' | 'cancelled' | 'blocked';
  patch: RunPatch;
  event: { type?: string; message: string; data?: Record<string, unknown> };
  /** How the attempt's holds close; none when no budget applied (or none was taken). */
  holds: { closing: HoldClosing; attempt: number } | null;
  /** Record the provider's prompt count (the patch's `input_tokens`) against this estimate. */
  calibrate?: { estimatedPromptTokens: number };
}

/**
 * A gateway call's one round trip after the provider: the record's final state, its timeline event, the settlement of
 * its holds and the calibration sample — one compare-and-set statement, as a run's. Only the process that holds the
 * record's lease writes it, so a record the reconciler already finished (its process was too slow) is left alone;
 * its holds then close here on their own (the same rule as a run cancelled mid-call). Returns whether it was written.
 */
export async function finishGatewayCall(db: DataSource, f: GatewayFinish): Promise<boolean> {
  const res = await transitionRun(
    db,
    f.runId,
    ['running'],
    f.status,
    { ...f.patch, lease_owner: null, lease_expires_at: null, finished_at: new Date() },
    f.event,
    { ownedBy: f.leaseOwner, ...(f.holds ? { closeHolds: { closing: f.holds.closing, attempt: f.holds.attempt } } : {}), ...(f.calibrate ? { calibrate: f.calibrate } : {}) },
  );
  if (res.from) return true;
  if (f.holds) await closeHolds(db, f.runId, f.holds.attempt, f.holds.closing);
  return false;
}

/** What a lost call's record says (the worker's reconciler writes it). */
export const LOST_CALL_MESSAGE =
  'The Vaultrun process serving this gateway call stopped before the call finished: its outcome is unknown, so its worst case stays charged to its budgets (cost sync corrects the day to the provider\'s figure)';

/**
 * Gateway calls whose process died mid-call (their lease ran out): never retried — the app got an error or a broken
 * stream and may retry itself — but finished as failed, with their holds kept at the worst case (the provider may have
 * billed). Called by the worker's reconciler; safe from any number of processes (compare-and-set on each record).
 */
export async function finishLostGatewayCalls(db: DataSource, limit = 500): Promise<number> {
  const rows: { id: string }[] = await db.query(
    `SELECT id FROM runs WHERE status = 'running' AND kind = 'gateway' AND lease_expires_at < now() ORDER BY lease_expires_at LIMIT $1`,
    [limit],
  );
  let finished = 0;
  for (const { id } of rows) {
    const res = await transitionRun(
      db,
      id,
      ['running'],
      'failed',
      { error_code: 'gateway_call_lost', error_message: LOST_CALL_MESSAGE, cost_label: 'unavailable', finished_at: new Date(), lease_owner: null, lease_expires_at: null },
      { type: 'failed', message: LOST_CALL_MESSAGE },
      { leaseExpired: true, closeHolds: { closing: { charge: null }, attempt: null } },
    );
    if (res.from) finished++;
  }
  return finished;
}
