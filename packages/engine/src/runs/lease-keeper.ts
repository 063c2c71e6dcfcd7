import { preparedQuery, type Run, type RunStatus } from '@vaultrun/db';
import { type ExecutorDeps, LEASE_LOST, type LeaseLoss } from './execution.js';

/** Renews this worker's lease of a running run; says whether it did, and the run's status either way. */
const RENEW_LEASE = `WITH renewed AS (
    UPDATE runs SET lease_expires_at = now() + make_interval(secs => $2) WHERE id = $1 AND lease_owner = $3 AND status = 'running' RETURNING id)
  SELECT (SELECT count(*) FROM renewed)::int AS renewed, status FROM runs WHERE id = $1`;
type RenewLeaseRow = { renewed: number; status: RunStatus };

/**
 * While the call runs: renews the run's lease (Postgres) and its account slot (Redis) every third of the lease,
 * and aborts the call as soon as this worker can no longer prove the lease is its own — a renewal that matched
 * nothing (another worker took the run over, or the reconciler recovered it), or renewals that kept failing until
 * the lease could run out. Past that point another worker may take the run, so this one must stop calling.
 * `confirmedUntil` (this process's clock) is measured from before the lease was written: never later than the
 * expiry Postgres holds. A renewal that finds the run cancelled ends the call as a cancel.
 */
export function keepLease(
  deps: ExecutorDeps,
  run: Pick<Run, 'id'>,
  /** The account slots the call holds: its account's, and a managed connector's managed account's (docs/managed.md). */
  accountIds: readonly string[],
  controller: AbortController,
  confirmedUntil: number,
): { stop(): void } {
  const { db, limiter, workerId, leaseTtlMs, log, observer } = deps;
  const every = Math.max(250, Math.floor(leaseTtlMs / 3));
  // Abort this long before the lease would run out, so no other worker can have taken it while this one calls.
  const margin = Math.min(2_000, Math.floor(leaseTtlMs / 10));
  const stopCalling = (reason: typeof LEASE_LOST | 'cancelled', why: LeaseLoss | null) => {
    if (controller.signal.aborted) return;
    if (why) {
      observer?.leaseLost?.(why);
      log?.warn({ runId: run.id, worker: workerId, why }, 'run lease lost: aborting the provider call');
    }
    controller.abort(reason);
  };
  let deadline: NodeJS.Timeout | undefined;
  const confirm = (until: number) => {
    clearTimeout(deadline);
    deadline = setTimeout(() => stopCalling(LEASE_LOST, 'unconfirmed'), Math.max(0, until - margin - Date.now()));
  };
  confirm(confirmedUntil);
  // One warning per call and kind: an outage must not log a line per run per renewal.
  const warned = { lease: false, slot: false };
  let renewing = false;
  const renew = async () => {
    const sentAt = Date.now();
    try {
      const { rows } = await preparedQuery<RenewLeaseRow>(db, RENEW_LEASE, [run.id, leaseTtlMs / 1000, workerId]);
      const row = rows[0];
      if (row?.renewed) confirm(sentAt + leaseTtlMs);
      // Cancelled meanwhile: the cancel message may not have arrived (Redis down); end the call as a cancel.
      else if (row?.status === 'cancelled') stopCalling('cancelled', null);
      else stopCalling(LEASE_LOST, 'taken_over');
    } catch (err) {
      // Postgres unreachable: the deadline above aborts the call if no renewal gets through before it.
      if (!warned.lease) log?.warn({ runId: run.id, worker: workerId, err }, 'could not renew the run lease; retrying until it runs out');
      warned.lease = true;
    }
  };
  const beat = () => {
    if (!renewing) {
      renewing = true;
      void renew().finally(() => (renewing = false));
    }
    for (const accountId of accountIds) {
      limiter.refresh(accountId, run.id, workerId).catch((err: unknown) => {
        // The slot expires on its own if it cannot be renewed: the account may briefly admit one call more.
        if (!warned.slot) log?.warn({ runId: run.id, accountId, err }, 'could not renew the account slot');
        warned.slot = true;
      });
    }
  };
  const timer = setInterval(beat, every);
  // The claim was slow (a busy database): renew now rather than let the first beat come too close to the end.
  if (confirmedUntil - Date.now() < leaseTtlMs - every) beat();
  return {
    stop: () => {
      clearInterval(timer);
      clearTimeout(deadline);
    },
  };
}
