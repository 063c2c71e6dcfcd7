import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RunEvent } from '@vaultrun/db';
import { NotFound } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { decodeCursor, nextCursorOf } from '../../common/pagination.js';
import type { RequestContext } from '../auth/principal.js';
import { accountViewer, positional, runVisibleSql } from '../vault/visibility.js';
import { RUN_SELECT, runViewFromRow, type RunViewRow, toDto } from './run-view.js';
import type { ListRunsQueryDto, RunDetailDto, RunPageDto } from './runs.dto.js';

// The missions service reads runs through these (until it moves to ./run-view.js).

/** Reading runs: the caller's runs page and one run with its timeline, only runs the caller may see. */
@Injectable()
export class RunsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The caller's runs page: only runs they may see (./vault/visibility.ts), whatever the filters ask for. */
  async list(ctx: RequestContext, q: ListRunsQueryDto): Promise<RunPageDto> {
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor);
    const params: unknown[] = [ctx.workspaceId];
    const bind = positional(params);
    const where = ['r.workspace_id = $1', runVisibleSql('r', accountViewer(ctx.principal), bind)];
    if (q.status?.length) where.push(`r.status = ANY(${bind(q.status)}::text[])`);
    if (q.kind) where.push(`r.kind = ${bind(q.kind)}`);
    if (q.operatorId) where.push(`r.operator_id = ${bind(q.operatorId)}`);
    if (q.accountId) where.push(`r.account_id = ${bind(q.accountId)}`);
    if (q.tokenId) where.push(`r.started_by_type = 'token' AND r.started_by_id = ${bind(q.tokenId)}`);
    if (q.since) where.push(`r.created_at >= ${bind(q.since)}`);
    if (q.until) where.push(`r.created_at < ${bind(q.until)}`);
    if (cursor) where.push(`(r.created_at, r.id) < (${bind(cursor.createdAt)}, ${bind(cursor.id)})`);
    const rows: RunViewRow[] = await this.db.query(`${RUN_SELECT} WHERE ${where.join(' AND ')} ORDER BY r.created_at DESC, r.id DESC LIMIT ${bind(limit)}`, params);
    const runs = rows.map(runViewFromRow);
    return { items: runs.map(toDto), nextCursor: nextCursorOf(runs, limit) };
  }

  /** One run with its timeline; a run the caller may not see answers exactly as one that does not exist. */
  async get(ctx: RequestContext, runId: string): Promise<RunDetailDto> {
    const viewer = accountViewer(ctx.principal);
    const params: unknown[] = [runId, ctx.workspaceId];
    const rows: RunViewRow[] = await this.db.query(`${RUN_SELECT} WHERE r.id = $1 AND r.workspace_id = $2 AND ${runVisibleSql('r', viewer, positional(params))}`, params);
    if (!rows[0]) throw new NotFound('Run');
    const events = await this.db.getRepository(RunEvent).find({ where: { runId }, order: { createdAt: 'ASC' } });
    const run = toDto(runViewFromRow(rows[0]));
    let comparisonId: string | null = null;
    if (run.kind === 'comparison') {
      // Linked only when the comparison itself is visible, i.e. its other run too.
      const cParams: unknown[] = [ctx.workspaceId, runId];
      const [comparison]: { id: string }[] = await this.db.query(
        `SELECT c.id FROM comparisons c JOIN runs other ON other.id = CASE WHEN c.mock_run_id = $2 THEN c.live_run_id ELSE c.mock_run_id END
          WHERE c.workspace_id = $1 AND (c.mock_run_id = $2 OR c.live_run_id = $2) AND ${runVisibleSql('other', viewer, positional(cParams))}`,
        cParams,
      );
      comparisonId = comparison?.id ?? null;
    }
    return {
      ...run,
      events: events.map((e) => ({ type: e.type, message: e.message, data: e.data, at: e.createdAt.toISOString() })),
      comparisonId,
    };
  }
}
