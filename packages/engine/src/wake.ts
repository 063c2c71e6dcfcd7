import type { Redis } from 'ioredis';
import { RUN_JOB_OPTIONS } from './jobs.js';
import { isGatewayWaiter, sendGatewayWake } from './gateway/waiters.js';
import type { AccountLimiter } from './runs/limits.js';

/** What waking needs of a BullMQ job (structurally: engine does not depend on BullMQ). */
export interface WakeableJob {
  data: unknown;
  parentKey?: string;
  getState(): Promise<string>;
  promote(): Promise<void>;
}

/** What waking needs of the `runs` queue. */
export interface WakeableQueue {
  getJob(id: string): Promise<WakeableJob | undefined>;
  remove(id: string): Promise<number>;
  add(name: 'execute-run', data: { runId: string }, opts: Record<string, unknown>): Promise<unknown>;
}

export interface WakeDeps {
  limiter: AccountLimiter;
  queue: WakeableQueue;
  /** For gateway waiters (Redis pub/sub to the process holding the call). */
  redis: Redis;
  prefix: string;
  log?: { warn(details: Record<string, unknown>, message: string): void };
}

/**
 * Wakes the waiters a released slot was reserved for (the ids the limiter's release returned), whoever freed it — a
 * worker or a gateway process. A run must run next, not behind a backlog still being sorted: its delayed job is replaced
 * by one at the head of the wait list (BullMQ's `lifo`). A job already waiting keeps that reservation (it is about to
 * come); one still running (on its way to the delayed set) gives it up and stays first in line for the next release; a
 * run whose job is gone leaves the line, and its reservation passes to the next waiter. A gateway call is told on its
 * process's channel; a call whose process is gone leaves the line the same way.
 */
export function accountWaker(deps: WakeDeps): (accountId: string, ids: string[]) => Promise<void> {
  const { limiter, queue } = deps;
  return async (accountId, ids) => {
    const pending = [...ids];
    for (let id = pending.shift(); id !== undefined; id = pending.shift()) {
      if (isGatewayWaiter(id)) {
        if (!(await sendGatewayWake(deps.redis, deps.prefix, accountId, id))) pending.push(...(await limiter.leave(accountId, id)));
        continue;
      }
      const job = await queue.getJob(id);
      const state = job ? await job.getState() : 'unknown';
      if (!job || state === 'completed' || state === 'failed' || state === 'unknown') {
        pending.push(...(await limiter.leave(accountId, id)));
      } else if (state === 'waiting' || state === 'prioritized' || state === 'waiting-children') {
        continue;
      } else if (state !== 'delayed') {
        await limiter.wait(accountId, id);
      } else if (job.parentKey) {
        // A mission step is a flow child: re-adding it would cut it from its parent, so it is promoted in place.
        await job.promote().catch((err: unknown) => deps.log?.warn({ runId: id, err }, 'could not promote a woken mission step; its timer will'));
      } else if ((await queue.remove(id)) === 1) {
        await queue.add('execute-run', job.data as { runId: string }, { ...RUN_JOB_OPTIONS, jobId: id, lifo: true });
      } else {
        await limiter.wait(accountId, id);
      }
    }
  };
}
