import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEvent } from '@vaultrun/db';
import { type AuditEntry, recordAudit } from '@vaultrun/vault-core';
import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { type Cursor, decodeCursor, nextCursorOf } from '../../common/pagination.js';
import type { AuditEventDto, AuditFilterDto, AuditQueryDto } from './audit.dto.js';

export type { AuditEntry };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Rows per round trip of the CSV export: memory stays bounded whatever the log's size. */
const EXPORT_PAGE = 1000;

/** How each kind of target is named now: its table, the column people know it by. Fixed SQL, picked by type. */
const TARGET_NAMES: Record<string, { table: string; name: string; scoped: 'workspace_id' | 'membership' | 'self' }> = {
  provider_account: { table: 'provider_accounts', name: 'name', scoped: 'workspace_id' },
  operator: { table: 'operators', name: 'name', scoped: 'workspace_id' },
  api_token: { table: 'api_tokens', name: 'name', scoped: 'workspace_id' },
  budget: { table: 'budgets', name: 'name', scoped: 'workspace_id' },
  invite: { table: 'invites', name: 'email', scoped: 'workspace_id' },
  mission: { table: 'missions', name: 'title', scoped: 'workspace_id' },
  price_override: { table: 'price_overrides', name: 'model', scoped: 'workspace_id' },
  user: { table: 'users', name: 'email', scoped: 'membership' },
  workspace: { table: 'workspaces', name: 'name', scoped: 'self' },
};

@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Pass the transaction's manager so the audit row commits (or rolls back) with the change it records. */
  record(entry: AuditEntry, manager: EntityManager = this.db.manager): Promise<void> {
    return recordAudit(manager, entry);
  }

  async list(workspaceId: string, query: AuditQueryDto): Promise<{ items: AuditEventDto[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const rows = await this.page(workspaceId, query, decodeCursor(query.cursor), limit);
    return { items: await this.withNames(workspaceId, rows), nextCursor: nextCursorOf(rows, limit) };
  }

  /**
   * Every event matching the filters, newest first, a page at a time (keyset: stable while new events arrive). The
   * position is kept to the microsecond, as PostgreSQL stores it: events written by one statement share a timestamp,
   * and a millisecond cursor would skip the rest of them.
   */
  async *listAll(workspaceId: string, filters: AuditFilterDto): AsyncGenerator<AuditEventDto> {
    let after: { at: string; id: string } | null = null;
    for (;;) {
      const qb = this.db
        .getRepository(AuditEvent)
        .createQueryBuilder('e')
        .addSelect(`to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, 'cursor_at')
        .where('e.workspaceId = :workspaceId', { workspaceId })
        .orderBy('e.createdAt', 'DESC')
        .addOrderBy('e.id', 'DESC')
        .limit(EXPORT_PAGE);
      applyFilters(qb, filters);
      if (after) qb.andWhere('(e.createdAt, e.id) < (:at::timestamptz, :id)', after);
      const { entities, raw } = await qb.getRawAndEntities<{ cursor_at: string }>();
      for (const event of await this.withNames(workspaceId, entities)) yield event;
      if (entities.length < EXPORT_PAGE) return;
      after = { at: raw[raw.length - 1]!.cursor_at, id: entities[entities.length - 1]!.id };
    }
  }

  /** The actions recorded in this workspace: a skip scan of audit_events_workspace_action_idx (one probe per action). */
  async actions(workspaceId: string): Promise<string[]> {
    const rows: { action: string }[] = await this.db.query(
      `WITH RECURSIVE a AS (
         (SELECT e.action FROM audit_events e WHERE e.workspace_id = $1 ORDER BY e.action LIMIT 1)
         UNION ALL
         SELECT (SELECT e.action FROM audit_events e WHERE e.workspace_id = $1 AND e.action > a.action ORDER BY e.action LIMIT 1) FROM a WHERE a.action IS NOT NULL)
       SELECT action FROM a WHERE action IS NOT NULL`,
      [workspaceId],
    );
    return rows.map((r) => r.action);
  }

  private page(workspaceId: string, filters: AuditFilterDto, cursor: Cursor | null, limit: number): Promise<AuditEvent[]> {
    const qb = this.db
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.workspaceId = :workspaceId', { workspaceId })
      .orderBy('e.createdAt', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(limit);
    applyFilters(qb, filters);
    if (cursor) qb.andWhere('(e.createdAt, e.id) < (:t, :id)', { t: cursor.createdAt, id: cursor.id });
    return qb.getMany();
  }

  /**
   * Names the targets of a page as they are called now — one query per kind of target on the page, by primary key —
   * and, for those deleted since, as the event recorded them (`metadata.name`).
   */
  private async withNames(workspaceId: string, rows: AuditEvent[]): Promise<AuditEventDto[]> {
    const idsByType = new Map<string, Set<string>>();
    for (const e of rows) {
      if (e.targetType && e.targetId && UUID.test(e.targetId) && TARGET_NAMES[e.targetType]) {
        idsByType.set(e.targetType, (idsByType.get(e.targetType) ?? new Set()).add(e.targetId));
      }
    }
    const names = new Map<string, string>();
    await Promise.all(
      [...idsByType].map(async ([type, ids]) => {
        const t = TARGET_NAMES[type]!;
        const scope =
          t.scoped === 'workspace_id'
            ? 'x.workspace_id = $2'
            : t.scoped === 'membership'
              ? 'EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = x.id AND m.workspace_id = $2)'
              : 'x.id = $2';
        const found: { id: string; name: string }[] = await this.db.query(`SELECT x.id, x.${t.name} AS name FROM ${t.table} x WHERE x.id = ANY($1::uuid[]) AND ${scope}`, [
          [...ids],
          workspaceId,
        ]);
        for (const f of found) names.set(`${type}:${f.id}`, f.name);
      }),
    );
    return rows.map((e) => {
      const current = e.targetType && e.targetId ? names.get(`${e.targetType}:${e.targetId.toLowerCase()}`) : undefined;
      const recorded = typeof e.metadata?.name === 'string' ? e.metadata.name : null;
      return {
        id: e.id,
        action: e.action,
        outcome: e.outcome,
        actor: { type: e.actorType, id: e.actorId, label: e.actorLabel },
        target: e.targetType ? { type: e.targetType, id: e.targetId, name: current ?? recorded, exists: current !== undefined } : null,
        ip: e.ip,
        metadata: e.metadata,
        createdAt: e.createdAt.toISOString(),
      };
    });
  }
}

function applyFilters(qb: SelectQueryBuilder<AuditEvent>, f: AuditFilterDto): void {
  if (f.action) {
    const values = f.action.split(',');
    const exact = values.filter((v) => !v.endsWith('.'));
    const prefixes = values.filter((v) => v.endsWith('.')).map((v) => `${v.replace(/[%_\\]/g, '\\$&')}%`);
    const any: string[] = [];
    if (exact.length) any.push('e.action IN (:...exactActions)');
    prefixes.forEach((_, i) => any.push(`e.action LIKE :actionPrefix${i}`));
    qb.andWhere(`(${any.join(' OR ')})`, { exactActions: exact, ...Object.fromEntries(prefixes.map((p, i) => [`actionPrefix${i}`, p])) });
  }
  if (f.outcome) qb.andWhere('e.outcome = :outcome', { outcome: f.outcome });
  if (f.actorId) qb.andWhere('e.actorId = :actorId', { actorId: f.actorId });
  if (f.actorType) qb.andWhere('e.actorType = :actorType', { actorType: f.actorType });
  if (f.targetType) qb.andWhere('e.targetType = :targetType', { targetType: f.targetType });
  if (f.targetId) qb.andWhere('e.targetId = :targetId', { targetId: f.targetId.toLowerCase() });
  if (f.since) qb.andWhere('e.createdAt >= :since', { since: f.since });
  if (f.until) qb.andWhere('e.createdAt < :until', { until: f.until });
}
