import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { AccountLimiter, QUEUES, RUN_JOB_OPTIONS } from '@vaultrun/engine';
import type { Queue } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { LIMITER } from './runs.tokens.js';

/**
 * Wakes runs that waited for a slot of an account the moment one is released (the executor's `wake`). A woken run
 * must run next, not behind a backlog still being sorted: its delayed job is replaced by one at the head of the wait
 * list (BullMQ's `lifo`). The limiter keeps the freed slot for it meanwhile. A job already waiting keeps that
 * reservation (it is about to come); one still running (on its way to the delayed set) gives it up and stays first
 * in line for the next release; a run whose job is gone leaves the line, and its reservation passes to the next
 * waiter.
 */
@Injectable()
export class RunWaker {
  constructor(
    @Inject(getQueueToken(QUEUES.runs)) private readonly queue: Queue,
    @Inject(LIMITER) private readonly limiter: AccountLimiter,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(RunWaker.name);
  }

  async wake(accountId: string, ids: string[]): Promise<void> {
    const pending = [...ids];
    for (let id = pending.shift(); id !== undefined; id = pending.shift()) {
      const job = await this.queue.getJob(id);
      const state = job ? await job.getState() : 'unknown';
      if (!job || state === 'completed' || state === 'failed' || state === 'unknown') {
        pending.push(...(await this.limiter.leave(accountId, id)));
      } else if (state === 'waiting' || state === 'prioritized' || state === 'waiting-children') {
        continue;
      } else if (state !== 'delayed') {
        await this.limiter.wait(accountId, id);
      } else if (job.parentKey) {
        // A mission step is a flow child: re-adding it would cut it from its parent, so it is promoted in place.
        await job.promote().catch((err: unknown) => this.logger.warn({ runId: id, err }, 'could not promote a woken mission step; its timer will'));
      } else if ((await this.queue.remove(id)) === 1) {
        await this.queue.add('execute-run', job.data, { ...RUN_JOB_OPTIONS, jobId: id, lifo: true });
      } else {
        await this.limiter.wait(accountId, id);
      }
    }
  }
}
