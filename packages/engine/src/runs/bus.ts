import type { Redis } from 'ioredis';

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

/** Publishes run changes on Redis pub/sub, so every API process can push them to its SSE clients. */
export class RunBus {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async changed(change: Omit<RunChange, 'at'>): Promise<void> {
    try {
      await this.redis.publish(runChannel(this.prefix), JSON.stringify({ ...change, at: new Date().toISOString() }));
    } catch {
      // Live updates are best effort: the run's state is in Postgres either way.
    }
  }

  /** Asks whichever worker is running it to abort the provider call. */
  async cancel(runId: string): Promise<void> {
    await this.redis.publish(cancelChannel(this.prefix), runId).catch(() => undefined);
  }
}
