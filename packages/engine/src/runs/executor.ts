import type { AccountStatus, Run } from '@vaultrun/db';
import { estimatePromptTokens, estimateRequestPromptTokens, PROVIDER_ERRORS, type ProviderErrorCode } from '@vaultrun/providers';
import { costCapRefusal, overridesOf, quoteRun } from '@vaultrun/money';
import { workspaceSuspendedMessage } from '@vaultrun/vault-core';
import { STEP_PARK_MS } from '../missions/engine.js';
import type { ExecuteOutcome, ExecutorDeps, Pricing } from './execution.js';
import type { Denial } from './limits.js';
import { promptRequestOf } from './prompt.js';
import { ProviderCalls } from './provider-calls.js';
import { loadRunForExecution, type RunForExecution } from './run-rows.js';
import { RunOutcomes } from './run-outcomes.js';

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

/**
 * Executes one run, once. Every step is a compare-and-set on the run's status in Postgres, so duplicate jobs,
 * retries and crashed workers can never complete a run twice; capacity comes from the account's global limits.
 *
 * Here: loading the run and gating it (state, lease, mission dependencies, account state), pricing it against the
 * per-run cost cap, and the account's capacity. The claim, budget hold and provider call are `ProviderCalls`'s; how
 * each outcome is written (and its money closed) is `RunOutcomes`'s.
 */
export class RunExecutor {
  private readonly outcomes: RunOutcomes;
  private readonly calls: ProviderCalls;

  constructor(private readonly deps: ExecutorDeps) {
    this.outcomes = new RunOutcomes(deps);
    this.calls = new ProviderCalls(deps, this.outcomes);
  }

  /** Provider calls in flight in this process. */
  get activeRuns(): number {
    return this.calls.active;
  }

  /** Aborts the provider call of a run running here (cancel); true when there was one. */
  abort(runId: string, reason: 'cancelled' | 'shutdown'): boolean {
    return this.calls.abort(runId, reason);
  }

  abortAll(reason: 'shutdown'): void {
    this.calls.abortAll(reason);
  }

  async execute(runId: string): Promise<ExecuteOutcome> {
    const { db } = this.deps;
    const loaded = await loadRunForExecution(db, runId);
    if (!loaded) return { outcome: 'skipped' };
    const { run } = loaded;
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
    return this.followUp(run, await this.proceed(loaded));
  }

  /** After a copilot run or a mission step ended: record the answer / move the mission on (the reconciler repeats it). */
  private async followUp(run: Run, result: ExecuteOutcome): Promise<ExecuteOutcome> {
    const missions = this.deps.missions;
    if (!missions || !['succeeded', 'failed', 'cancelled', 'blocked'].includes(result.outcome)) return result;
    try {
      if (run.kind === 'copilot') await missions.recordCopilotAnswer(run.id);
      else if (run.parentRunId) await missions.stepEnded(run.parentRunId);
    } catch (err) {
      // The run's own outcome is written; the mission engine's reconciler records the answer or moves the mission
      // on at its next tick, so this job need not fail.
      this.deps.log?.warn({ runId: run.id, missionId: run.missionId, err }, 'could not follow up on a mission run; the reconciler will');
    }
    return result;
  }

  private async proceed({ run, account, priceOverrides, costSync, calibration, suspension }: RunForExecution): Promise<ExecuteOutcome> {
    const outcomes = this.outcomes;
    // Suspended by an instance administrator (docs/managed.md): a queued run does not start; it ends blocked, saying why.
    if (suspension) {
      return outcomes.block(run, { code: 'workspace_suspended', message: workspaceSuspendedMessage(suspension.reason), budgetId: null, details: {} }, ['queued', 'waiting', 'running']);
    }
    if (!account) return outcomes.fail(run, 'account_missing', 'The provider account of this run was deleted.');
    if (account.status === 'disabled') return outcomes.fail(run, 'account_disabled', `The provider account "${account.name}" is disabled.`);
    const unusable = UNUSABLE[account.status];
    // Fail fast, with the same clear message, once the provider has refused the key or the quota.
    if (unusable) return outcomes.fail(run, unusable, PROVIDER_ERRORS[unusable].message);

    const request = promptRequestOf(run);
    // The hold covers everything the request sends (schema included), counted as the provider may count it.
    const estimate = estimateRequestPromptTokens(account.kind, run.model, request);
    const quote = quoteRun({
      kind: account.kind,
      baseUrl: account.baseUrl,
      model: run.model,
      overrides: overridesOf(priceOverrides),
      promptTokens: estimate.tokens,
      maxOutputTokens: run.maxOutputTokens,
      calibration,
      multiplierPermille: run.priceMultiplierPermille,
    });
    const pricing: Pricing = { quote, estimatedPromptTokens: estimate.tokens, calibrates: estimate.counting !== 'mock' };
    const capRefusal = costCapRefusal(run.costCapMicroUsd === null ? null : Number(run.costCapMicroUsd), quote.worstCaseMicroUsd, run.model);
    if (capRefusal) return outcomes.block(run, capRefusal, ['queued', 'waiting', 'running'], { estimate_micro_usd: quote.worstCaseMicroUsd });

    // Capacity is paced with a plain estimate (the limiter corrects it with the reported usage); money uses the quote.
    const estimatedTokens = estimatePromptTokens(request.messages) + run.maxOutputTokens;
    const capacity = await this.deps.limiter.acquire(account.id, run.id, account, estimatedTokens, this.deps.workerId);
    if (!capacity.granted) {
      this.deps.observer?.accountWait?.(capacity.reason);
      const at =
        capacity.reason === 'concurrency'
          ? Date.now() + slotWaitFallbackMs(capacity.position)
          : Date.now() + Math.max(50, (capacity.retryAt ?? capacity.now + 1000) - capacity.now);
      return outcomes.wait(run, WAIT_REASON[capacity.reason](account.name), at, capacity.reason);
    }

    let released = false;
    let shared: { accountId: string; bucket: number } | null = null;
    const release = async (actualTokens: number | null) => {
      if (released) return;
      released = true;
      const correction = actualTokens === null ? 0 : actualTokens - estimatedTokens;
      if (shared) {
        const wokenShared = await this.deps.limiter.release(shared.accountId, run.id, correction, shared.bucket, 1, this.deps.workerId);
        if (wokenShared.length) await outcomes.wakeWaiters(shared.accountId, wokenShared);
      }
      const woken = await this.deps.limiter.release(account.id, run.id, correction, capacity.bucket, 1, this.deps.workerId);
      if (woken.length) await outcomes.wakeWaiters(account.id, woken);
    };
    // A managed connector (docs/managed.md): the workspace's share is taken, now the managed account's own limits,
    // which every workspace's calls on it share. Without a slot there, the share's slot goes back and the run waits.
    const key = account.keyAccount;
    if (key?.limits) {
      const total = await this.deps.limiter.acquire(key.id, run.id, key.limits, estimatedTokens, this.deps.workerId);
      if (!total.granted) {
        await release(null);
        this.deps.observer?.accountWait?.(total.reason);
        const at =
          total.reason === 'concurrency' ? Date.now() + slotWaitFallbackMs(total.position) : Date.now() + Math.max(50, (total.retryAt ?? total.now + 1000) - total.now);
        return outcomes.wait(run, WAIT_REASON[total.reason](`${account.name} (shared by every workspace)`), at, total.reason);
      }
      shared = { accountId: key.id, bucket: total.bucket };
    }
    try {
      return await this.calls.attempt(run, account, request, pricing, costSync, release);
    } finally {
      await release(null);
    }
  }
}
