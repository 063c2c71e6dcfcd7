import type { Run } from '@vaultrun/db';
import { classifyProviderError, formatUsd, validateStructuredOutput } from '@vaultrun/providers';
import { BudgetReserver, costOfCall } from '@vaultrun/money';
import { type Attempt, type ExecuteOutcome, type ExecutorDeps, LEASE_LOST, type Money, type Pricing } from './execution.js';
import { keepLease } from './lease-keeper.js';
import type { RunPromptRequest } from './prompt.js';
import type { RunAccount } from './run-rows.js';
import type { RunOutcomes } from './run-outcomes.js';
import { Sql, transitionRun } from './store.js';

/**
 * One provider attempt of a run that has its account's capacity: claim the run (the lease fences every other
 * worker), hold its worst case against the budgets, call the provider under a renewed lease, and end the attempt
 * with the outcome its answer or error calls for. Also the calls in flight in this process, which cancel and
 * shutdown abort.
 */
export class ProviderCalls {
  /** Provider calls in flight in this process, by run id. */
  private readonly inflight = new Map<string, AbortController>();

  private readonly reserver: BudgetReserver;

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly outcomes: RunOutcomes,
  ) {
    this.reserver = new BudgetReserver(deps.db, deps.holdTtlMs);
  }

  get active(): number {
    return this.inflight.size;
  }

  /** Aborts the provider call of a run running here; true when there was one. */
  abort(runId: string, reason: 'cancelled' | 'shutdown'): boolean {
    const controller = this.inflight.get(runId);
    controller?.abort(reason);
    return !!controller;
  }

  abortAll(reason: 'shutdown'): void {
    for (const c of this.inflight.values()) c.abort(reason);
  }

  /** `release` frees the account slot (with the tokens the call really used, when known) and wakes a waiter. */
  async attempt(
    run: Run,
    account: RunAccount,
    request: RunPromptRequest,
    pricing: Pricing,
    costSync: boolean,
    release: (actualTokens: number | null) => Promise<void>,
  ): Promise<ExecuteOutcome> {
    const { db, workerId, leaseTtlMs } = this.deps;
    const outcomes = this.outcomes;
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
      return outcomes.block(run, reservation.refusal, ['running'], {}, { ownedBy: workerId });
    }
    // Shrink-to-fit: the ledger reduced the run's max output tokens (and recorded it) to fit a budget.
    const maxOutputTokens = reservation.maxOutputTokens ?? run.maxOutputTokens;
    const held = reservation.heldMicroUsd ?? quote.worstCaseMicroUsd;
    // Which holds this attempt closes; none when no budget applies (then no ledger write at all).
    const attempt: Attempt = { number: reservation.attempt, holds: reservation.budgets > 0 };
    await outcomes.publish(run, 'running');

    const controller = new AbortController();
    this.inflight.set(run.id, controller);
    const heartbeat = keepLease(this.deps, run, account.keyAccount ? [account.id, account.keyAccount.id] : [account.id], controller, leaseFrom + leaseTtlMs);
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
      await outcomes.noteAccountHealthy(account, result.rateLimits);

      const cost = costOfCall(result, quote.price?.price ?? null, costSync, run.priceMultiplierPermille);
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
        if (!check.valid) return outcomes.finishFailed(run, check.error, usage, money);
        return outcomes.finish(run, 'succeeded', { ...usage, output_json: JSON.stringify(check.value) }, note?.message ?? '', money, note?.data);
      }
      return outcomes.finish(run, 'succeeded', usage, note?.message ?? '', money, note?.data);
    } catch (err) {
      const error = classifyProviderError(err);
      this.deps.observer?.providerCall?.(account.kind, (Date.now() - started) / 1000, error.code);
      this.deps.observer?.providerError?.(error.code);
      // Nothing to pay when the request never left or the provider answered with an error; a request that left
      // and got no answer (timeout, dropped connection, abort) may have been billed: its worst case stays spent.
      const money: Money = { attempt, closing: error.requestSent && error.httpStatus === null ? { charge: null } : 'release' };
      if (error.code === 'cancelled') {
        await release(0);
        if (controller.signal.reason === 'shutdown') return outcomes.handBack(run, money);
        await outcomes.closeUnclosed(run, money);
        // Lease lost: another worker may hold the run now, so nothing of this attempt is written to it (its holds
        // closed above as this attempt's own). Recovered or taken over, the run ends once, elsewhere.
        if (controller.signal.reason === LEASE_LOST) return { outcome: 'skipped' };
        return { outcome: 'cancelled' };
      }
      // The account's new state (refused key, cooldown) is recorded before its slot frees: whoever takes the slot
      // next must already see it, or it would call the provider again for nothing.
      const outcome = await outcomes.onProviderError(run, account, error, money);
      await release(error.requestSent ? null : 0);
      return outcome;
    } finally {
      heartbeat.stop();
      this.inflight.delete(run.id);
    }
  }
}
