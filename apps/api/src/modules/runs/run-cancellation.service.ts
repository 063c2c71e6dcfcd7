import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isFinal, RunBus, transitionRun } from '@vaultrun/engine';
import { Conflict } from '@vaultrun/vault-core';
import type { Queue } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { within } from '../../common/bounded.js';
import type { RequestContext } from '../auth/principal.js';
import type { RunDetailDto } from './runs.dto.js';
import { RunsService } from './runs.service.js';
import { RUN_BUS, RUNS_QUEUE } from './runs.tokens.js';

/** Cancelling a run, in any non-final state. */
@Injectable()
export class RunCancellationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RUNS_QUEUE) private readonly queue: Queue,
    @Inject(RUN_BUS) private readonly bus: RunBus,
    private readonly runs: RunsService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(RunCancellationService.name);
  }

  /** Cancel works in every non-final state; a running provider call is aborted by the worker that holds it. */
  async cancel(ctx: RequestContext, runId: string): Promise<RunDetailDto> {
    const current = await this.runs.get(ctx, runId);
    if (isFinal(current.status)) throw new Conflict('run_finished', `The run already ended (${current.status}).`, { runStatus: current.status });
    const who = ctx.principal.kind === 'user' ? ctx.principal.email : `token ${ctx.principal.tokenName}`;
    const res = await transitionRun(
      this.db,
      runId,
      ['queued', 'waiting', 'running'],
      'cancelled',
      { error_code: 'cancelled', error_message: 'Cancelled', finished_at: new Date(), status_reason: `Cancelled by ${who}` },
      { message: `Cancelled by ${who}` },
    );
    if (!res.from) return this.cancel(ctx, runId);
    // Postgres holds the cancel. Telling the worker and dropping the job are best effort, and bounded like enqueueing:
    // a worker that misses the message sees the cancel when it next renews the run's lease, and a job left behind
    // finds the run final and does nothing.
    const told = await within<unknown>(this.config.enqueueTimeoutMs, res.from === 'running' ? this.bus.cancel(runId) : this.queue.remove(runId));
    if (told.outcome !== 'done') this.logger.warn({ runId, from: res.from, outcome: told.outcome, err: told.outcome === 'failed' ? told.error : undefined }, 'run cancelled; Redis did not take the follow-up');
    else await this.bus.changed({ id: runId, workspaceId: ctx.workspaceId, status: 'cancelled', kind: current.kind, operatorId: current.operatorId, accountId: current.accountId });
    return this.runs.get(ctx, runId);
  }
}
