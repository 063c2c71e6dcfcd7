import { preparedQuery, type Run } from '@vaultrun/db';
import type { ProviderError } from '@vaultrun/providers';
import { closeHolds, type Refusal } from '@vaultrun/money';
import type { ExecuteOutcome, ExecutorDeps, Money } from './execution.js';
import type { RunAccount } from './run-rows.js';
import { type RunPatch, type TransitionGuard, transitionRun } from './store.js';

/** Account errors that describe a state a successful call proves over. */
const PASSING_ACCOUNT_ERRORS: string[] = ['rate_limited', 'provider_unavailable'];

/**
 * How an execution ends or pauses: every outcome is one compare-and-set on the run (with its timeline event), and a
 * transition that ends a provider attempt closes that attempt's budget holds in the same statement. Also what an
 * outcome tells others: the live-update bus, the account's state, the runs waiting for its slots.
 */
export class RunOutcomes {
  constructor(private readonly deps: ExecutorDeps) {}

  async onProviderError(run: Run, account: RunAccount, error: ProviderError, money: Money): Promise<ExecuteOutcome> {
    const { db } = this.deps;
    if (error.code === 'rate_limited') {
      // The whole account cools down; the run waits without spending an attempt.
      const until = await this.deps.limiter.cooldown(account.id, error.retryAfterMs ?? 5_000);
      // A managed account's key is shared by every workspace: all of them back off (docs/managed.md).
      if (account.keyAccount) await this.deps.limiter.cooldown(account.keyAccount.id, error.retryAfterMs ?? 5_000);
      await db.query(
        `UPDATE provider_accounts SET status = 'rate_limited', rate_limited_until = to_timestamp($2 / 1000.0), last_error_code = 'rate_limited'
          WHERE id = $1 AND status IN ('active', 'unverified', 'rate_limited')`,
        [account.id, until],
      );
      return this.wait(run, error.message, until, 'provider_rate_limited', { code: error.code }, undefined, money);
    }
    if (error.accountStatus) {
      await db.query(`UPDATE provider_accounts SET status = $2, last_error_code = $3 WHERE id = $1 AND status <> 'disabled'`, [account.id, error.accountStatus, error.code]);
      // Everyone waiting for this account's slots can fail now, with the same message, instead of waiting to.
      const waiting = await this.deps.limiter.waiting(account.id);
      if (waiting.length) await this.wakeWaiters(account.id, waiting);
    }
    const attempts = run.attempts + 1;
    if (error.retryable && attempts < run.maxAttempts) {
      const { baseDelayMs, maxDelayMs } = this.deps.retry;
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1));
      const at = Date.now() + Math.round(backoff / 2 + Math.random() * (backoff / 2)); // "equal jitter"
      return this.wait(run, `${error.message} — retrying (attempt ${attempts + 1} of ${run.maxAttempts})`, at, 'retry', { code: error.code }, attempts, money);
    }
    // A call that certainly cost nothing shows no cost at all; one whose outcome is unknown shows "unavailable".
    return this.finishFailed(run, error, { attempts, cost_label: money.closing === 'release' ? null : 'unavailable', finished_at: new Date(), lease_owner: null }, money);
  }

  async finishFailed(run: Run, error: ProviderError, patch: RunPatch, money: Money): Promise<ExecuteOutcome> {
    return this.finish(run, 'failed', { ...patch, error_code: error.code, error_message: error.message }, error.message, money);
  }

  async finish(run: Run, status: 'succeeded' | 'failed', patch: RunPatch, message: string, money: Money, data?: Record<string, unknown>): Promise<ExecuteOutcome> {
    const res = await this.transition(run, ['running'], status, patch, { message, ...(data ? { data } : {}) }, { ownedBy: this.deps.workerId }, money);
    if (!res.from) {
      // Cancelled while the call ran: keep what it consumed and cost, change nothing else. A cancel leaves the lease
      // owner in place, so the owner check lets this worker record its own call only: a run another worker took
      // over (its lease, its result) is never written.
      const { rowCount } = await preparedQuery(
        this.deps.db,
        `UPDATE runs SET input_tokens = COALESCE($2, input_tokens), output_tokens = COALESCE($3, output_tokens), provider_request_id = COALESCE($4, provider_request_id),
                cost_micro_usd = COALESCE($5, cost_micro_usd), cost_label = COALESCE($6, cost_label), overage_micro_usd = COALESCE($7, overage_micro_usd)
          WHERE id = $1 AND status = 'cancelled' AND lease_owner = $8`,
        [run.id, patch.input_tokens ?? null, patch.output_tokens ?? null, patch.provider_request_id ?? null, patch.cost_micro_usd ?? null, patch.cost_label ?? null, patch.overage_micro_usd ?? null, this.deps.workerId],
      );
      return { outcome: rowCount ? 'cancelled' : 'skipped' };
    }
    this.deps.observer?.runFinished?.(status);
    await this.publish(run, status, { errorCode: (patch.error_code as string | undefined) ?? null });
    return { outcome: status };
  }

  /**
   * A budget or the per-run cost cap refused the run: it ends `blocked`, naming what stopped it. Before a claim, only
   * a run no other worker holds under a live lease; after one, the caller passes `ownedBy`.
   */
  async block(run: Run, refusal: Refusal, from: Run['status'][], patch: RunPatch = {}, guard: TransitionGuard = { claimableBy: this.deps.workerId }): Promise<ExecuteOutcome> {
    const res = await transitionRun(
      this.deps.db,
      run.id,
      from,
      'blocked',
      { ...patch, status_reason: refusal.message, error_code: refusal.code, error_message: refusal.message, blocked_budget_id: refusal.budgetId, finished_at: new Date(), lease_owner: null, lease_expires_at: null },
      { message: refusal.message, data: refusal.details },
      guard,
    );
    if (!res.from) return { outcome: 'skipped' };
    this.deps.observer?.runBlocked?.(refusal.code);
    this.deps.observer?.runFinished?.('blocked');
    await this.publish(run, 'blocked', { errorCode: refusal.code, statusReason: refusal.message });
    return { outcome: 'blocked' };
  }

  async fail(run: Run, code: string, message: string): Promise<ExecuteOutcome> {
    // Never a run another worker holds under a live lease; a wait's reason and next try end with the wait.
    const res = await transitionRun(
      this.deps.db,
      run.id,
      ['queued', 'waiting', 'running'],
      'failed',
      { error_code: code, error_message: message, finished_at: new Date(), lease_owner: null, status_reason: null, next_attempt_at: null },
      { message },
      { claimableBy: this.deps.workerId },
    );
    if (!res.from) return { outcome: 'skipped' };
    this.deps.observer?.runFinished?.('failed');
    await this.publish(run, 'failed', { errorCode: code });
    return { outcome: 'failed' };
  }

  async wait(run: Run, reason: string, at: number, why: string, data: Record<string, unknown> = {}, attempts?: number, money?: Money): Promise<ExecuteOutcome> {
    const nextAttemptAt = new Date(at);
    const patch: RunPatch = { status_reason: reason, next_attempt_at: nextAttemptAt, lease_owner: null, lease_expires_at: null };
    if (attempts !== undefined) patch.attempts = attempts;
    // After a claim (an attempt, with its money) only while this worker still holds the lease; before one, only a
    // run no other worker holds under a live lease.
    const owner: TransitionGuard = money ? { ownedBy: this.deps.workerId } : { claimableBy: this.deps.workerId };
    // Record a timeline event when the reason changes, not for every re-check of the same wait.
    const res = await this.transition(
      run,
      ['queued', 'waiting', 'running'],
      'waiting',
      patch,
      { type: why === 'retry' ? 'retrying' : 'waiting', message: reason, data: { ...data, nextAttemptAt: nextAttemptAt.toISOString() } },
      { unlessWaitingFor: reason, ...owner },
      money,
    );
    // The attempt's run is running under this worker's lease, so a miss means it is no longer this worker's.
    if (!res.from && money) return { outcome: 'skipped' };
    if (!res.from) {
      // Same wait as before: no new event. A slot wait has no meaningful next try time (a release wakes it), so it
      // costs no write at all; a window or backoff wait moves its next try time.
      if (why !== 'concurrency') {
        const { rowCount } = await preparedQuery(this.deps.db, `UPDATE runs SET next_attempt_at = $2 WHERE id = $1 AND status = 'waiting'`, [run.id, nextAttemptAt]);
        if (rowCount === 0) return { outcome: 'skipped' };
      } else if (run.status !== 'waiting') return { outcome: 'skipped' };
    } else {
      await this.publish(run, 'waiting', { statusReason: reason, nextAttemptAt: nextAttemptAt.toISOString() });
    }
    return { outcome: 'waiting', at };
  }

  /** Shutdown: the call was aborted before it finished; the run goes back to the queue for another worker. */
  async handBack(run: Run, money: Money): Promise<ExecuteOutcome> {
    const res = await this.transition(
      run,
      ['running'],
      'queued',
      { lease_owner: null, lease_expires_at: null },
      { type: 'released', message: 'The worker shut down; the run was handed back' },
      { ownedBy: this.deps.workerId },
      money,
    );
    if (res.from) await this.publish(run, 'queued');
    return { outcome: 'waiting', at: Date.now() };
  }

  /** Closes the attempt's holds on their own, when no transition of the run can carry them. */
  async closeUnclosed(run: Run, money: Money): Promise<void> {
    if (money.attempt.holds) await closeHolds(this.deps.db, run.id, money.attempt.number, money.closing);
  }

  /**
   * After a success: a cooled-down account is active again, an error that described a passing state (a rate limit,
   * an unreachable provider) is cleared — the call just proved it over —, and the provider's limit headers are kept.
   */
  async noteAccountHealthy(account: RunAccount, rateLimits: unknown): Promise<void> {
    const staleError = account.lastErrorCode !== null && PASSING_ACCOUNT_ERRORS.includes(account.lastErrorCode);
    if (account.status === 'rate_limited' || staleError || (rateLimits && Date.now() - (account.providerLimits ? Date.parse(account.providerLimits.observedAt) : 0) > 10_000)) {
      await this.deps.db.query(
        `UPDATE provider_accounts SET status = CASE WHEN status = 'rate_limited' THEN 'active' ELSE status END,
           rate_limited_until = CASE WHEN status = 'rate_limited' THEN NULL ELSE rate_limited_until END,
           last_error_code = CASE WHEN last_error_code = ANY($3::text[]) THEN NULL ELSE last_error_code END,
           provider_limits = COALESCE($2::jsonb, provider_limits) WHERE id = $1`,
        [account.id, rateLimits ? JSON.stringify(rateLimits) : null, PASSING_ACCOUNT_ERRORS],
      );
    }
  }

  /** Wakes waiting runs through the queue. A wake-up that fails costs the run only time: its own timer brings it back. */
  async wakeWaiters(accountId: string, runIds: string[]): Promise<void> {
    try {
      await this.deps.wake?.(accountId, runIds);
    } catch (err) {
      this.deps.log?.warn({ accountId, runs: runIds.length, err }, 'could not wake waiting runs; their fallback timers will');
    }
  }

  publish(run: Run, status: string, extra: Record<string, unknown> = {}): Promise<void> {
    return this.deps.bus.changed({ id: run.id, workspaceId: run.workspaceId, status, kind: run.kind, operatorId: run.operatorId, accountId: run.accountId, missionId: run.missionId, ...extra });
  }

  /**
   * A transition that ends a provider attempt also closes that attempt's budget holds, in the same statement.
   * When the compare-and-set does not apply (cancelled meanwhile, or the same wait as before), they close alone.
   */
  private async transition(run: Run, from: Run['status'][], to: Run['status'], patch: RunPatch, event: { type?: string; message?: string; data?: Record<string, unknown> }, guard: TransitionGuard, money?: Money) {
    const withHolds: TransitionGuard = money?.attempt.holds ? { ...guard, closeHolds: { closing: money.closing, attempt: money.attempt.number } } : { ...guard };
    if (money?.calibrate) withHolds.calibrate = money.calibrate;
    const res = await transitionRun(this.deps.db, run.id, from, to, patch, event, withHolds);
    if (!res.from && money) await this.closeUnclosed(run, money);
    return res;
  }
}
