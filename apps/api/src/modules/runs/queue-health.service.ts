import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AccountLimiter } from '@vaultrun/engine';
import { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../auth/principal.js';
import { ProviderAccountsService } from '../vault/provider-accounts.service.js';
import { accountViewer, positional, runVisibleSql } from '../vault/visibility.js';
import type { QueueHealthDto } from './runs.dto.js';
import { RUN_LIMITER } from './runs.tokens.js';

/** The workspace's unfinished runs by account and queue state. */
type QueueCountRow = { account_id: string | null; status: string; n: number };

/**
 * Per account the caller may see: runs queued, waiting and running, calls in flight in the limiter; and the
 * workspace's runs by queue state (only those the caller may see). The BullMQ queue is shared by every workspace
 * of the instance, so its own counts are never shown here: they belong to the instance's operator (/metrics).
 */
@Injectable()
export class QueueHealthService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(RUN_LIMITER) private readonly limiter: AccountLimiter,
    private readonly accounts: ProviderAccountsService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(QueueHealthService.name);
  }

  async queueHealth(ctx: RequestContext): Promise<QueueHealthDto> {
    const visible = await this.accounts.list(ctx);
    const params: unknown[] = [ctx.workspaceId];
    const counts: QueueCountRow[] = await this.db.query(
      `SELECT r.account_id, r.status, count(*)::int AS n FROM runs r
        WHERE r.workspace_id = $1 AND r.status IN ('queued', 'waiting', 'running') AND ${runVisibleSql('r', accountViewer(ctx.principal), positional(params))}
        GROUP BY r.account_id, r.status`,
      params,
    );
    const count = (id: string, status: string) => counts.find((c) => c.account_id === id && c.status === status)?.n ?? 0;
    const accounts = await Promise.all(
      visible.map(async (a) => ({
        accountId: a.id,
        name: a.name,
        queued: count(a.id, 'queued'),
        waiting: count(a.id, 'waiting'),
        running: count(a.id, 'running'),
        inFlight: await this.inFlight(a.id),
        maxConcurrency: a.limits.maxConcurrency,
      })),
    );
    const total = (status: string) => counts.filter((c) => c.status === status).reduce((n, c) => n + c.n, 0);
    return { accounts, jobs: { wait: total('queued'), delayed: total('waiting'), active: total('running') } };
  }

  /** Calls in flight on the account (the limiter, in Redis). */
  private async inFlight(accountId: string): Promise<number> {
    try {
      return await this.limiter.inFlight(accountId);
    } catch (err) {
      // Redis unavailable: the page still shows what Postgres knows (the runs by state), with no call in flight;
      // nothing is decided from this number.
      this.logger.warn({ accountId, err }, 'queue health: calls in flight unknown (Redis unavailable); shown as 0');
      return 0;
    }
  }
}
