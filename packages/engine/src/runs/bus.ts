import type { Redis } from 'ioredis';
import type { EngineLog } from './log.js';

/** What the console's live view receives: enough to update a row, nothing secret, no inputs or outputs. */
export interface RunChange {
  id: string;
  workspaceId: string;
  status: string;
  kind?: string;
  operatorId?: string | null;
  accountId?: string | null;
  /** The mission of a copilot run, a mission run or a step. */
  missionId?: string | null;
  statusReason?: string | null;
  nextAttemptAt?: string | null;
  errorCode?: string | null;
  at: string;
}

export const runChannel = (prefix: string) => `${prefix}:run-changes`;
export const cancelChannel = (prefix: string) => `${prefix}:run-cancel`;

/**
 * Publishes run changes on Redis pub/sub, so every API process can push them to its SSE clients, and cancel requests,
 * so the worker running a run aborts its call. Both are best effort, so a publish that fails is logged, not thrown:
 * a run's state is in Postgres either way (the console reads it again), and a worker that misses a cancel sees it
 * when it next renews the run's lease. One line per outage, not one per run: the next publish that gets through
 * re-arms it.
 */
export class RunBus {
  private failing = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log?: EngineLog,
  ) {}

  async changed(change: Omit<RunChange, 'at'>): Promise<void> {
    await this.publish(runChannel(this.prefix), JSON.stringify({ ...change, at: new Date().toISOString() }), { runId: change.id, status: change.status });
  }

  /** Asks whichever worker is running it to abort the provider call. */
  async cancel(runId: string): Promise<void> {
    await this.publish(cancelChannel(this.prefix), runId, { runId, cancel: true });
  }

  private async publish(channel: string, message: string, context: Record<string, unknown>): Promise<void> {
    try {
      await this.redis.publish(channel, message);
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log?.warn({ ...context, err }, 'could not publish on Redis (live updates and cancels are best effort); Postgres has the run');
      this.failing = true;
    }
  }
}
