import { preparedQuery, type RunStatus } from '@vaultrun/db';
import { DataSource, type EntityManager } from 'typeorm';
import { type HoldClosing, holdClosingSql } from '@vaultrun/money';

/** Which status may follow which. Final statuses have no way out. */
export const RUN_TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'waiting', 'cancelled', 'failed', 'blocked'],
  waiting: ['running', 'waiting', 'queued', 'cancelled', 'failed', 'blocked'],
  running: ['succeeded', 'failed', 'cancelled', 'waiting', 'queued', 'blocked'],
  succeeded: [],
  failed: [],
  cancelled: [],
  blocked: [],
};

export const isFinal = (s: RunStatus) => RUN_TRANSITIONS[s].length === 0;

/** Every status a run can leave to reach `to`. */
export const sourcesOf = (to: RunStatus): RunStatus[] =>
  (Object.keys(RUN_TRANSITIONS) as RunStatus[]).filter((from) => RUN_TRANSITIONS[from].includes(to));

/** A trusted SQL expression for a patch value (code only, never user input), e.g. `COALESCE(started_at, now())`. */
export class Sql {
  constructor(readonly expression: string) {}
}

/** Column → value (or `Sql` expression) for the UPDATE, with snake_case column names. */
export type RunPatch = Record<string, unknown>;

export interface TransitionResult {
  /** The status the run had before (null when the compare-and-set matched nothing). */
  from: RunStatus | null;
  workspaceId: string | null;
}

/** Extra compare-and-set conditions, all parameterised (so every variant is one prepared statement). */
export interface TransitionGuard {
  /** Only if this worker holds the run's lease. */
  ownedBy?: string;
  /** Only if the run is not running under someone else's live lease (this worker may re-claim its own). */
  claimableBy?: string;
  /** Only if the run is not already waiting for exactly this reason (so a repeated wait adds no event). */
  unlessWaitingFor?: string;
  /** Only if the run's lease has expired (recovery of a dead worker's run). */
  leaseExpired?: boolean;
  /**
   * Also close the run's budget holds (of `attempt`; null: all), in the same statement — so a run is never
   * finished with its money unsettled, nor settled without finishing. Nothing is closed when the CAS fails.
   */
  closeHolds?: { closing: HoldClosing; attempt: number | null };
  /**
   * Also record the provider's prompt count (the patch's `input_tokens`) against this estimate in the account's
   * calibration (`vaultrun_calibrate`, usually a read and no write), in the same statement.
   */
  calibrate?: { estimatedPromptTokens: number };
}

/** What a transition returns when its compare-and-set applied (no row when it did not). */
type TransitionRow = { workspace_id: string; previous: RunStatus };

/**
 * Compare-and-set: moves the run to `to` only if its status is one of `from` and the guard holds. This is what
 * makes a run complete at most once, whatever retries, duplicate jobs or crashed workers happen. The timeline
 * event is written by the same statement, so the two never disagree.
 */
export async function transitionRun(
  db: DataSource | EntityManager,
  runId: string,
  from: readonly RunStatus[],
  to: RunStatus,
  patch: RunPatch = {},
  event: { type?: string; message?: string; data?: Record<string, unknown> } = {},
  guard: TransitionGuard = {},
): Promise<TransitionResult> {
  const allowed = from.filter((s) => RUN_TRANSITIONS[s].includes(to));
  const params: unknown[] = [runId, to, allowed, event.type ?? to, event.message ?? '', JSON.stringify(event.data ?? {})];
  const param = (v: unknown) => `$${params.push(v)}`;
  const sets = Object.entries(patch)
    .map(([c, v]) => `, "${c}" = ${v instanceof Sql ? v.expression : param(v)}`)
    .join('');
  const conditions: string[] = [];
  if (guard.ownedBy !== undefined) conditions.push(`r.lease_owner = ${param(guard.ownedBy)}`);
  if (guard.claimableBy !== undefined) {
    conditions.push(`(r.status <> 'running' OR r.lease_expires_at IS NULL OR r.lease_expires_at < now() OR r.lease_owner = ${param(guard.claimableBy)})`);
  }
  if (guard.unlessWaitingFor !== undefined) conditions.push(`(r.status <> 'waiting' OR r.status_reason IS DISTINCT FROM ${param(guard.unlessWaitingFor)})`);
  if (guard.leaseExpired) conditions.push(`(r.lease_expires_at IS NULL OR r.lease_expires_at < now())`);
  const text = `WITH prev AS (SELECT id, status FROM runs WHERE id = $1 FOR UPDATE),
     upd AS (
       UPDATE runs r SET status = $2, updated_at = now()${sets}
         FROM prev WHERE r.id = prev.id AND prev.status = ANY($3::text[])${conditions.map((c) => ` AND ${c}`).join('')}
       RETURNING r.id, r.workspace_id, r.account_id, r.model, r.input_tokens, prev.status AS previous),
     ev AS (INSERT INTO run_events (run_id, workspace_id, type, message, data) SELECT id, workspace_id, $4, $5, $6::jsonb FROM upd)${
       guard.closeHolds ? `,\n     money AS (${holdClosingSql(guard.closeHolds.closing, guard.closeHolds.attempt, param)})` : ''
     }${
       guard.calibrate
         ? `,\n     calib AS (SELECT vaultrun_calibrate(upd.workspace_id, upd.account_id, upd.model, ${param(guard.calibrate.estimatedPromptTokens)}::int, upd.input_tokens) AS n FROM upd)`
         : ''
     }
     SELECT workspace_id, previous${guard.closeHolds ? ', (SELECT n FROM money) AS holds_closed' : ''}${guard.calibrate ? ', (SELECT n FROM calib) AS calibrated' : ''} FROM upd`;
  // Outside a transaction the statement is prepared once per connection: this is the hot path of every run.
  const rows: TransitionRow[] = db instanceof DataSource ? (await preparedQuery<TransitionRow>(db, text, params)).rows : await db.query(text, params);
  const row = rows[0];
  return row ? { from: row.previous, workspaceId: row.workspace_id } : { from: null, workspaceId: null };
}

export async function addRunEvent(db: DataSource | EntityManager, runId: string, workspaceId: string, type: string, message = '', data: Record<string, unknown> = {}): Promise<void> {
  await db.query(`INSERT INTO run_events (run_id, workspace_id, type, message, data) VALUES ($1, $2, $3, $4, $5::jsonb)`, [runId, workspaceId, type, message, JSON.stringify(data)]);
}
