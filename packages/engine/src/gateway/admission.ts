import { type GatewayCallInfo, preparedQuery } from '@vaultrun/db';
import { type Reservation, type ReservationRequest, reservationsFrom, reserveArrays, type ReserveRow } from '@vaultrun/money';
import type { DataSource } from 'typeorm';

/** One attempt of a gateway call, as its record is written and its budgets are held (`vaultrun_gateway_begin`). */
export interface GatewayAttempt extends ReservationRequest {
  workspaceId: string;
  tokenId: string;
  accountId: string;
  /** What the record keeps as the call's input (the request body, or '' under the metadata-only retention). */
  input: string;
  maxOutputTokens: number;
  gateway: GatewayCallInfo;
  requestId: string;
  /** When the request arrived (the record's queued and started time). */
  arrivedAt: Date;
  /** The process making the call: the record's lease owner, so only it finishes the record. */
  leaseOwner: string;
  /** Until the lease runs out (the call's timeout and a margin): then the worker's reconciler finishes the record. */
  leaseMs: number;
  promptTokensHeld: number;
  message: string;
  eventData: Record<string, unknown>;
  /** A fallback: how the previous attempt's holds close (the provider answered with an error, or the outcome is unknown). */
  previousClosing: 'release' | 'keep' | null;
}

/** The attempt was not written: its record is no longer this process's (a fallback after the lease ran out). */
export type Admission = Reservation | { ok: false; lost: true };

/**
 * A gateway call's one round trip before the provider: the record and the budget holds, in one statement. Concurrent
 * calls in this process go together (while one batch is in flight the next gathers, up to `maxBatch`), so a busy
 * budget's period row is locked and committed once per batch, as `BudgetReserver` does for runs.
 */
export class GatewayAdmissions {
  private queue: { attempt: GatewayAttempt; resolve: (a: Admission) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    private readonly db: DataSource,
    /** How long holds live: the call's timeout plus a margin; then the sweeper counts them as spent. */
    private readonly holdTtlMs: number,
    private readonly maxBatch = 200,
  ) {}

  admit(attempt: GatewayAttempt): Promise<Admission> {
    return new Promise((resolve, reject) => {
      this.queue.push({ attempt, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const attempts = batch.map((b) => b.attempt);
          const results = await this.begin(attempts);
          for (const b of batch) b.resolve(results.get(b.attempt.runId) ?? { ok: false, lost: true });
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async begin(attempts: GatewayAttempt[]): Promise<Map<string, Reservation>> {
    const calls = attempts.map((a) => ({
      id: a.runId,
      workspace_id: a.workspaceId,
      token_id: a.tokenId,
      account_id: a.accountId,
      model: a.model,
      input: a.input,
      max_output_tokens: a.maxOutputTokens,
      gateway: a.gateway,
      request_id: a.requestId,
      queued_at: a.arrivedAt.toISOString(),
      lease_owner: a.leaseOwner,
      lease_seconds: a.leaseMs / 1000,
      estimate_micro_usd: a.worstCase,
      prompt_tokens_held: a.promptTokensHeld,
      message: a.message,
      event_data: a.eventData,
      previous_closing: a.previousClosing,
    }));
    const { rows } = await preparedQuery<ReserveRow>(
      this.db,
      `SELECT * FROM vaultrun_gateway_begin($1::jsonb, $2::bigint[], $3, $4::bigint[], $5::bigint[], $6::int[])`,
      [JSON.stringify(calls), attempts.map((a) => a.worstCase), new Date(Date.now() + this.holdTtlMs), ...reserveArrays(attempts)],
    );
    return reservationsFrom(attempts, rows);
  }
}
