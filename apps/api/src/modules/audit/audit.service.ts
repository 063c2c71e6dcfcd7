import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEvent } from '@vaultrun/db';
import { type AuditEntry, recordAudit } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, nextCursorOf } from '../../common/pagination.js';
import type { AuditEventDto, AuditQueryDto } from './audit.dto.js';

export type { AuditEntry };

@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Pass the transaction's manager so the audit row commits (or rolls back) with the change it records. */
  record(entry: AuditEntry, manager: EntityManager = this.db.manager): Promise<void> {
    return recordAudit(manager, entry);
  }

  async list(workspaceId: string, query: AuditQueryDto): Promise<{ items: AuditEventDto[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const cursor = decodeCursor(query.cursor);
    const qb = this.db
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.workspaceId = :workspaceId', { workspaceId })
      .orderBy('e.createdAt', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(limit);
    if (query.action) qb.andWhere('e.action LIKE :action', { action: `${query.action.replace(/[%_\\]/g, '\\$&')}%` });
    if (query.outcome) qb.andWhere('e.outcome = :outcome', { outcome: query.outcome });
    if (query.actorId) qb.andWhere('e.actorId = :actorId', { actorId: query.actorId });
    if (cursor) qb.andWhere('(e.createdAt, e.id) < (:t, :id)', { t: cursor.createdAt, id: cursor.id });
    const rows = await qb.getMany();
    return { items: rows.map(toDto), nextCursor: nextCursorOf(rows, limit) };
  }
}

function toDto(e: AuditEvent): AuditEventDto {
  return {
    id: e.id,
    action: e.action,
    outcome: e.outcome,
    actor: { type: e.actorType, id: e.actorId, label: e.actorLabel },
    target: e.targetType ? { type: e.targetType, id: e.targetId } : null,
    ip: e.ip,
    metadata: e.metadata,
    createdAt: e.createdAt.toISOString(),
  };
}
