import { type AccountStatus, preparedQuery, type ProviderAccount, type Run } from '@vaultrun/db';
import {
  type ChatMessage,
  classifyProviderError,
  COPILOT_SCHEMA_NAME,
  estimatePromptTokens,
  estimateRequestPromptTokens,
  formatUsd,
  type PromptRequest,
  PROVIDER_ERRORS,
  type ProviderError,
  type ProviderErrorCode,
  validateStructuredOutput,
} from '@vaultrun/providers';
import type { DataSource } from 'typeorm';
import {
  BudgetReserver,
  closeHolds,
  costCapRefusal,
  costOfCall,
  type HoldClosing,
  overridesOf,
  type PriceOverrideRow,
  quoteRun,
  type Refusal,
  type RunQuote,
} from '@vaultrun/money';
import { type MissionEngine, STEP_PARK_MS } from '../missions/engine.js';
import type { RunBus } from './bus.js';
import type { ProviderCache } from './key-cache.js';
import type { AccountLimiter, Denial } from './limits.js';
import { type RunPatch, Sql, type TransitionGuard, transitionRun } from './store.js';

export type ExecuteOutcome =
  | { outcome: 'succeeded' | 'failed' | 'cancelled' | 'blocked' | 'skipped' }
  /** Not now: try again at `at` (ms since epoch). The job goes back to delayed and holds no worker slot. */
  | { outcome: 'waiting'; at: number };

/** Backoff between retryable failures; how many attempts a run gets is decided when it is created. */
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Hooks for metrics; vault-core stays free of any metrics library. */
export interface ExecutorObserver {
  providerCall?(kind: string, seconds: number, outcome: string): void;
  providerError?(code: string): void;
  accountWait?(reason: string): void;
  runFinished?(status: string): void;
  runBlocked?(code: string): void;
  /** This worker stopped a provider call because it could no longer prove it held the run's lease. */
  leaseLost?(why: LeaseLoss): void;
}

/** Where the executor reports what went wrong around a run without changing its outcome (a log line). */
export interface ExecutorLog {
  warn(details: Record<string, unknown>, message: string): void;
}

/** `taken_over`: the lease is no longer this worker's; `unconfirmed`: it could not be renewed before it ran out. */
export type LeaseLoss = 'taken_over' | 'unconfirmed';

export interface ExecutorDeps {
  db: DataSource;
  limiter: AccountLimiter;
  providers: ProviderCache;
  bus: RunBus;
  /** Identifies this worker process in run leases. */
  workerId: string;
  leaseTtlMs: number;
  /** How long a budget hold lives (longer than the longest provider call); then the sweeper counts it as spent. */
  holdTtlMs: number;
  retry: RetryPolicy;
  observer?: ExecutorObserver;
  log?: ExecutorLog;
  /**
   * Wakes runs that waited for a slot of `accountId` (moves their delayed jobs forward); the limiter keeps the freed
   * slot for them meanwhile. A run whose job is not delayed yet (it is still on its way there) gives that reservation
   * up with `limiter.wait` (it stays first in line); a run whose job is gone leaves the line with `limiter.leave`.
   */
  wake?: (accountId: string, runIds: string[]) => Promise<void>;
  /** Mission steps and copilot runs: the dependency gate and what follows a run's end. */
  missions?: Pick<MissionEngine, 'gate' | 'skip' | 'stepEnded' | 'recordCopilotAnswer'>;
}

const WAIT_REASON: Record<Denial, (account: string) => string> = {
  cooldown: (a) => `Rate limit exceeded — waiting and retrying (${a} is cooling down)`,
  concurrency: (a) => `Waiting for a free slot on ${a} (max concurrency reached)`,
  rpm: (a) => `Waiting for ${a}'s requests-per-minute window`,
  tpm: (a) => `Waiting for ${a}'s tokens-per-minute window`,
};
/**
 * A run waiting for a slot is woken when one is released; the timer is only a safety net for a lost wake-up. It
 * grows with the run's place in line, so a long backlog never wakes all at once (a thundering herd).
 */
const slotWaitFallbackMs = (position: number) => Math.min(120_000, 5_000 + position * 100) * (0.9 + Math.random() * 0.2);
const UNUSABLE: Partial<Record<AccountStatus, ProviderErrorCode>> = { invalid_key: 'invalid_api_key', quota_exhausted: 'insufficient_quota' };
/** Account errors that describe a state a successful call proves over. */
const PASSING_ACCOUNT_ERRORS: string[] = ['rate_limited', 'provider_unavailable'];
/** Renews this worker's lease of a running run; says whether it did, and the run's status either way. */
const RENEW_LEASE = `WITH renewed AS (
    UPDATE runs SET lease_expires_at = now() + make_interval(secs => $2) WHERE id = $1 AND lease_owner = $3 AND status = 'running' RETURNING id)
  SELECT (SELECT count(*) FROM renewed)::int AS renewed, status FROM runs WHERE id = $1`;

/** Why a provider call's AbortSignal fired: a cancel, a shutdown, or this worker lost the run's lease. */
const LEASE_LOST = 'lease_lost';

/** The provider call this worker is making for a run, and whether budget holds were taken for it. */
interface Attempt {
  number: number;
  holds: boolean;
}
/** How the attempt's holds close when the run's next transition is written. */
interface Money {
  attempt: Attempt;
  closing: HoldClosing;
  /** After an answer with usage: record the provider's prompt count against this estimate (token_calibrations). */
  calibrate?: { estimatedPromptTokens: number };
}

/** What the budget guardrail priced for this attempt: the quote and the prompt estimate it came from. */
interface Pricing {
  quote: RunQuote;
  estimatedPromptTokens: number;
  /** Only real providers are calibrated: the mock's count is the estimator's own. */
  calibrates: boolean;
}

/** What a run sends: its instructions, the earlier turns of a copilot conversation, its input. */
export const messagesOf = (run: Pick<Run, 'instructions' | 'input'> & { history?: Run['history'] }): ChatMessage[] => [
  ...(run.instructions ? [{ role: 'system' as const, content: run.instructions }] : []),
  ...(run.history ?? []),
  { role: 'user', content: run.input },
];

/** Everything a run's provider request sends besides its parameters — what its budget hold must cover. */
export const promptRequestOf = (
  run: Pick<Run, 'instructions' | 'input' | 'kind' | 'outputSchema'> & { history?: Run['history'] },
): PromptRequest & { messages: ChatMessage[]; jsonSchema: { name: string; schema: Record<string, unknown> } | null } => ({
  messages: messagesOf(run),
  jsonSchema: run.outputSchema ? { name: run.kind === 'copilot' ? COPILOT_SCHEMA_NAME : 'output', schema: run.outputSchema } : null,
});

/**
 * Executes one run, once. Every step is a compare-and-set on the run's status in Postgres, so duplicate jobs,
 * retries and crashed workers can never complete a run twice; capacity comes from the account's global limits.
 */
export class RunExecutor {
  /** Provider calls in flight in this process, by run id: cancel and shutdown abort them. */
  private readonly inflight = new Map<string, AbortController>();

  private readonly reserver: BudgetReserver;

  constructor(private readonly deps: ExecutorDeps) {
    this.reserver = new BudgetReserver(deps.db, deps.holdTtlMs);
  }

  get activeRuns(): number {
    return this.inflight.size;
  }

  /** Aborts the provider call of a run running here (cancel); true when there was one. */
  abort(runId: string, reason: 'cancelled' | 'shutdown'): boolean {
    const controller = this.inflight.get(runId);
    controller?.abort(reason);
    return !!controller;
  }

  abortAll(reason: 'shutdown'): void {
    for (const c of this.inflight.values()) c.abort(reason);
  }

  async execute(runId: string): Promise<ExecuteOutcome> {
    const { db } = this.deps;
    // The run, its account, the workspace's price overrides and whether cost sync is set up: one round trip.
    const { rows } = await preparedQuery<Record<string, unknown>>(
      db,
      `SELECT r.*, to_jsonb(a) AS account_json,
              (SELECT jsonb_agg(jsonb_build_object('model', o.model, 'inputMicroUsdPerM', o.input_micro_usd_per_m,
                         'cachedInputMicroUsdPerM', o.cached_input_micro_usd_per_m, 'outputMicroUsdPerM', o.output_micro_usd_per_m))
                 FROM price_overrides o WHERE o.workspace_id = r.workspace_id) AS price_overrides_json,
              EXISTS (SELECT 1 FROM provider_secrets s WHERE s.account_id = a.id AND s.purpose = 'admin_key') AS cost_sync_json,
              (SELECT c.high_ratio_permille FROM token_calibrations c WHERE c.account_id = r.account_id AND c.model = r.model) AS calibration_json
         FROM runs r LEFT JOIN provider_accounts a ON a.id = r.account_id AND a.workspace_id = r.workspace_id WHERE r.id = $1`,
      [runId],
    );
    if (!rows[0]) return { outcome: 'skipped' };
    const { account_json: accountJson, price_overrides_json: overrides, cost_sync_json: costSync, calibration_json: calibration, ...runRow } = rows[0];
    const run = toRun(runRow);
    // A mission run calls no provider: its flow parent job and the mission engine end it.
    if (run.kind === 'mission' || !['queued', 'waiting', 'running'].includes(run.status)) return { outcome: 'skipped' };
    if (run.status === 'running' && run.leaseExpiresAt && run.leaseExpiresAt.getTime() > Date.now() && run.leaseOwner !== this.deps.workerId) {
      // Another live worker holds it (a duplicate job): leave it alone.
      return { outcome: 'skipped' };
    }
    if (run.parentRunId && run.planStep && run.status === 'queued' && this.deps.missions) {
      // A mission step: its dependencies decide whether it runs now, waits, or is skipped.
      const gate = await this.deps.missions.gate(run);
      if (gate.decision === 'wait') return { outcome: 'waiting', at: Date.now() + STEP_PARK_MS };
      if (gate.decision === 'skip') return this.followUp(run, (await this.deps.missions.skip(run, gate.reason)) ? { outcome: 'cancelled' } : { outcome: 'skipped' });
      if (gate.input !== run.input) {
        await db.query(`UPDATE runs SET input = $2, status_reason = NULL, updated_at = now() WHERE id = $1 AND status = 'queued'`, [run.id, gate.input]);
        run.input = gate.input;
      }
    }
    return this.followUp(run, await this.proceed(run, accountJson, overrides, costSync, typeof calibration === 'number' ? calibration : null));
  }

  /** After a copilot run or a mission step ended: record the answer / move the mission on (the reconciler repeats it). */
  private async followUp(run: Run, result: ExecuteOutcome): Promise<ExecuteOutcome> {
    const missions = this.deps.missions;
    if (!missions || !['succeeded', 'failed', 'cancelled', 'blocked'].includes(result.outcome)) return result;
    try {
      if (run.kind === 'copilot') await missions.recordCopilotAnswer(run.id);
      else if (run.parentRunId) await missions.stepEnded(run.parentRunId);
    } catch {
      // The reconciler records the answer or moves the mission on at its next tick.
    }
    return result;
  }

  private async proceed(run: Run, accountJson: unknown, overrides: unknown, costSync: unknown, calibration: number | null): Promise<ExecuteOutcome> {
    const account = accountJson ? (toRun(accountJson as Record<string, unknown>) as unknown as ProviderAccount) : null;
    if (!account) return this.fail(run, 'account_missing', 'The provider account of this run was deleted.');
    if (account.status === 'disabled') return this.fail(run, 'account_disabled', `The provider account "${account.name}" is disabled.`);
    const unusable = UNUSABLE[account.status];
    // Fail fast, with the same clear message, once the provider has refused the key or the quota.
    if (unusable) return this.fail(run, unusable, PROVIDER_ERRORS[unusable].message);

    const request = promptRequestOf(run);
    // The hold covers everything the request sends (schema included), counted as the provider may count it.
    const estimate = estimateRequestPromptTokens(account.kind, run.model, request);
    const quote = quoteRun({
      kind: account.kind,
      model: run.model,
      overrides: overridesOf(overrides as PriceOverrideRow[] | null),
      promptTokens: estimate.tokens,
      maxOutputTokens: run.maxOutputTokens,
      calibration,
    });
    const pricing: Pricing = { quote, estimatedPromptTokens: estimate.tokens, calibrates: estimate.counting !== 'mock' };
    const capRefusal = costCapRefusal(run.costCapMicroUsd === null ? null : Number(run.costCapMicroUsd), quote.worstCaseMicroUsd, run.model);
    if (capRefusal) return this.block(run, capRefusal, ['queued', 'waiting', 'running'], { estimate_micro_usd: quote.worstCaseMicroUsd });

    // Capacity is paced with a plain estimate (the limiter corrects it with the reported usage); money uses the quote.
    const estimatedTokens = estimatePromptTokens(request.messages) + run.maxOutputTokens;
    const capacity = await this.deps.limiter.acquire(account.id, run.id, account, estimatedTokens, this.deps.workerId);
    if (!capacity.granted) {
      this.deps.observer?.accountWait?.(capacity.reason);
      const at =
        capacity.reason === 'concurrency'
          ? Date.now() + slotWaitFallbackMs(capacity.position)
          : Date.now() + Math.max(50, (capacity.retryAt ?? capacity.now + 1000) - capacity.now);
      return this.wait(run, WAIT_REASON[capacity.reason](account.name), at, capacity.reason);
    }

    let released = false;
    const release = async (actualTokens: number | null) => {
      if (released) return;
      released = true;
      const woken = await this.deps.limiter.release(account.id, run.id, actualTokens === null ? 0 : actualTokens - estimatedTokens, capacity.bucket, 1, this.deps.workerId);
      if (woken.length) await this.wakeWaiters(account.id, woken);
    };
    try {
      return await this.call(run, account, request, pricing, costSync === true, release);
    } finally {
      await release(null);
    }
  }

  private async call(
    run: Run,
    account: ProviderAccount,
    request: ReturnType<typeof promptRequestOf>,
    pricing: Pricing,
    costSync: boolean,
    release: (actualTokens: number | null) => Promise<void>,
  ): Promise<ExecuteOutcome> {
    const { db, workerId, leaseTtlMs } = this.deps;
    const { quote } = pricing;
    // Claim first: the lease fences every other worker, so the holds taken next belong to this attempt alone.
    const leaseFrom = Date.now();
    const claimed = await transitionRun(
      db,
      run.id,
      ['queued', 'waiting', 'running'],
      'running',
      {
        lease_owner: workerId,
        // Postgres's clock, like the renewals and the reconciler that compare with it.
        lease_expires_at: new Sql(`now() + make_interval(secs => ${leaseTtlMs / 1000})`),
        status_reason: null,
        next_attempt_at: null,
        estimate_micro_usd: quote.worstCaseMicroUsd,
        prompt_tokens_held: quote.promptTokensHeld,
        started_at: new Sql('COALESCE(r.started_at, now())'),
        provider_started_at: new Sql('now()'),
        provider_calls: new Sql('r.provider_calls + 1'),
      },
      {
        type: 'running',
        message: `Starting on ${account.name} (${run.model})`,
        data: { attempt: run.attempts + 1, worker: workerId, promptTokensEstimated: pricing.estimatedPromptTokens, promptTokensHeld: quote.promptTokensHeld },
      },
      { claimableBy: workerId },
    );
    if (!claimed.from) return { outcome: 'skipped' };
    const reservation = await this.reserver.reserve({ runId: run.id, worstCase: quote.worstCaseMicroUsd, model: run.model, shrink: quote.shrink });
    if (!reservation.ok) {
      await release(0);
      return this.block(run, reservation.refusal, ['running'], {}, { ownedBy: workerId });
    }
    // Shrink-to-fit: the ledger reduced the run's max output tokens (and recorded it) to fit a budget.
    const maxOutputTokens = reservation.maxOutputTokens ?? run.maxOutputTokens;
    const held = reservation.heldMicroUsd ?? quote.worstCaseMicroUsd;
    // Which holds this attempt closes; none when no budget applies (then no ledger write at all).
    const attempt: Attempt = { number: reservation.attempt, holds: reservation.budgets > 0 };
    await this.publish(run, 'running');

    const controller = new AbortController();
    this.inflight.set(run.id, controller);
    const heartbeat = this.keepLease(run, account, controller, leaseFrom + leaseTtlMs);
    const started = Date.now();
    try {
      const provider = await this.deps.providers.get(account);
      const result = await provider.complete({
        model: run.model,
        messages: request.messages,
        maxOutputTokens,
        temperature: run.temperature ?? undefined,
        jsonSchema: request.jsonSchema,
        signal: controller.signal,
      });
      this.deps.observer?.providerCall?.(account.kind, result.latencyMs / 1000, 'ok');
      await release(result.usage ? result.usage.inputTokens + result.usage.outputTokens : null);
      await this.noteAccountHealthy(account, result.rateLimits);

      const cost = costOfCall(result, quote.price?.price ?? null, costSync);
      // A provider that counted more than the hold allowed: charged in full, and said so on the run (the ledger
      // records it on the budgets and exhausts them in the same statement).
      const overage = held !== null && cost.costMicroUsd !== null && cost.costMicroUsd > held ? cost.costMicroUsd - held : null;
      const usage = {
        input_tokens: result.usage?.inputTokens ?? null,
        output_tokens: result.usage?.outputTokens ?? null,
        cached_input_tokens: result.usage?.cachedInputTokens ?? null,
        cost_micro_usd: cost.costMicroUsd,
        cost_label: cost.label,
        provider_request_id: result.providerRequestId,
        provider_latency_ms: Math.round(result.latencyMs),
        first_byte_at: result.firstByteMs === null ? null : new Date(started + result.firstByteMs),
        output: result.text,
        overage_micro_usd: overage,
        finished_at: new Date(),
        lease_owner: null,
      };
      // The call is paid for whatever its output: its cost settles the holds (unknown cost: the worst case stays).
      const money: Money = {
        attempt,
        closing: { charge: cost.costMicroUsd },
        ...(pricing.calibrates && result.usage ? { calibrate: { estimatedPromptTokens: pricing.estimatedPromptTokens } } : {}),
      };
      const note =
        overage === null
          ? undefined
          : {
              message:
                `Charged ${formatUsd(cost.costMicroUsd!)}, ${formatUsd(overage)} more than the ${formatUsd(held!)} held: the provider counted ` +
                `${result.usage?.inputTokens ?? '?'} prompt tokens where ${quote.promptTokensHeld} were held`,
              data: { overageMicroUsd: overage, heldMicroUsd: held, promptTokensHeld: quote.promptTokensHeld, promptTokensReported: result.usage?.inputTokens ?? null },
            };
      if (run.outputSchema) {
        const check = validateStructuredOutput(result.text, run.outputSchema);
        if (!check.valid) return this.finishFailed(run, check.error, usage, money);
        return this.finish(run, 'succeeded', { ...usage, output_json: JSON.stringify(check.value) }, note?.message ?? '', money, note?.data);
      }
      return this.finish(run, 'succeeded', usage, note?.message ?? '', money, note?.data);
    } catch (err) {
      const error = classifyProviderError(err);
      this.deps.observer?.providerCall?.(account.kind, (Date.now() - started) / 1000, error.code);
      this.deps.observer?.providerError?.(error.code);
      // Nothing to pay when the request never left or the provider answered with an error; a request that left
      // and got no answer (timeout, dropped connection, abort) may have been billed: its worst case stays spent.
      const money: Money = { attempt, closing: error.requestSent && error.httpStatus === null ? { charge: null } : 'release' };
      if (error.code === 'cancelled') {
        await release(0);
        if (controller.signal.reason === 'shutdown') return this.handBack(run, money);
        await this.closeUnclosed(run, money);
        // Lease lost: another worker may hold the run now, so nothing of this attempt is written to it (its holds
        // closed above as this attempt's own). Recovered or taken over, the run ends once, elsewhere.
        if (controller.signal.reason === LEASE_LOST) return { outcome: 'skipped' };
        return { outcome: 'cancelled' };
      }
      // The account's new state (refused key, cooldown) is recorded before its slot frees: whoever takes the slot
      // next must already see it, or it would call the provider again for nothing.
      const outcome = await this.onProviderError(run, account, error, money);
      await release(error.requestSent ? null : 0);
      return outcome;
    } finally {
      heartbeat.stop();
      this.inflight.delete(run.id);
    }
  }

  /**
   * While the call runs: renews the run's lease (Postgres) and its account slot (Redis) every third of the lease,
   * and aborts the call as soon as this worker can no longer prove the lease is its own — a renewal that matched
   * nothing (another worker took the run over, or the reconciler recovered it), or renewals that kept failing until
   * the lease could run out. Past that point another worker may take the run, so this one must stop calling.
   * `confirmedUntil` (this process's clock) is measured from before the lease was written: never later than the
   * expiry Postgres holds.
   */
  private keepLease(run: Run, account: ProviderAccount, controller: AbortController, confirmedUntil: number): { stop(): void } {
    const { db, limiter, workerId, leaseTtlMs, log } = this.deps;
    const every = Math.max(250, Math.floor(leaseTtlMs / 3));
    // Abort this long before the lease would run out, so no other worker can have taken it while this one calls.
    const margin = Math.min(2_000, Math.floor(leaseTtlMs / 10));
    const stopCalling = (reason: typeof LEASE_LOST | 'cancelled', why: LeaseLoss | null) => {
      if (controller.signal.aborted) return;
      if (why) {
        this.deps.observer?.leaseLost?.(why);
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
        const { rows } = await preparedQuery<{ renewed: number; status: string }>(db, RENEW_LEASE, [run.id, leaseTtlMs / 1000, workerId]);
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
      limiter.refresh(account.id, run.id, workerId).catch((err: unknown) => {
        // The slot expires on its own if it cannot be renewed: the account may briefly admit one call more.
        if (!warned.slot) log?.warn({ runId: run.id, accountId: account.id, err }, 'could not renew the account slot');
        warned.slot = true;
      });
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

  private async onProviderError(run: Run, account: ProviderAccount, error: ProviderError, money: Money): Promise<ExecuteOutcome> {
    const { db } = this.deps;
    if (error.code === 'rate_limited') {
      // The whole account cools down; the run waits without spending an attempt.
      const until = await this.deps.limiter.cooldown(account.id, error.retryAfterMs ?? 5_000);
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

  private async finishFailed(run: Run, error: ProviderError, patch: RunPatch, money: Money): Promise<ExecuteOutcome> {
    return this.finish(run, 'failed', { ...patch, error_code: error.code, error_message: error.message }, error.message, money);
  }

  private async finish(run: Run, status: 'succeeded' | 'failed', patch: RunPatch, message: string, money: Money, data?: Record<string, unknown>): Promise<ExecuteOutcome> {
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
  private async block(run: Run, refusal: Refusal, from: Run['status'][], patch: RunPatch = {}, guard: TransitionGuard = { claimableBy: this.deps.workerId }): Promise<ExecuteOutcome> {
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

  private async fail(run: Run, code: string, message: string): Promise<ExecuteOutcome> {
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

  private async wait(run: Run, reason: string, at: number, why: string, data: Record<string, unknown> = {}, attempts?: number, money?: Money): Promise<ExecuteOutcome> {
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

  private async closeUnclosed(run: Run, money: Money): Promise<void> {
    if (money.attempt.holds) await closeHolds(this.deps.db, run.id, money.attempt.number, money.closing);
  }

  /** Shutdown: the call was aborted before it finished; the run goes back to the queue for another worker. */
  private async handBack(run: Run, money: Money): Promise<ExecuteOutcome> {
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

  /**
   * After a success: a cooled-down account is active again, an error that described a passing state (a rate limit,
   * an unreachable provider) is cleared — the call just proved it over —, and the provider's limit headers are kept.
   */
  private async noteAccountHealthy(account: ProviderAccount, rateLimits: unknown): Promise<void> {
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
  private async wakeWaiters(accountId: string, runIds: string[]): Promise<void> {
    try {
      await this.deps.wake?.(accountId, runIds);
    } catch (err) {
      this.deps.log?.warn({ accountId, runs: runIds.length, err }, 'could not wake waiting runs; their fallback timers will');
    }
  }

  private publish(run: Run, status: string, extra: Record<string, unknown> = {}): Promise<void> {
    return this.deps.bus.changed({ id: run.id, workspaceId: run.workspaceId, status, kind: run.kind, operatorId: run.operatorId, accountId: run.accountId, missionId: run.missionId, ...extra });
  }
}

/** Maps a raw `runs` row (snake_case columns, or `to_jsonb` keys) to the entity's camelCase shape. */
export function toRun(row: Record<string, unknown>): Run {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  return out as unknown as Run;
}
