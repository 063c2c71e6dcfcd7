import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEvent, Workspace } from '@vaultrun/db';
import { type AuditActor, Conflict, NotFound, recordAudit } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { containsPattern } from '../../common/list-query.js';
import { decodeCursor, nextCursorOf } from '../../common/pagination.js';
import type { PageQueryDto } from '../../common/pagination.js';
import type { AuditEventDto } from '../audit/audit.dto.js';
import { positional } from '../vault/visibility.js';
import type { InstanceWorkspaceDto, InstanceWorkspacesQueryDto } from './instance.dto.js';

interface WorkspaceRow {
  id: string;
  name: string;
  members: number;
  runs: number;
  spend: string;
  /** Null: never given credits. */
  credits: string | null;
  suspended_at: Date | null;
  suspended_reason: string | null;
  created_at: Date;
}

/**
 * Instance administration: every workspace of the instance (this is the one place that reads across workspaces,
 * behind the instance-admin policy), their suspension, and the instance audit log (`instance.*` events, workspace null).
 */
@Injectable()
export class InstanceService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async listWorkspaces(query: InstanceWorkspacesQueryDto): Promise<{ items: InstanceWorkspaceDto[]; total: number }> {
    const params: unknown[] = [];
    const bind = positional(params);
    // The instance workspace (it holds the managed accounts) is not one of the instance's workspaces.
    const where = ['NOT w.is_instance'];
    if (query.q?.trim()) where.push(`w.name ILIKE ${bind(containsPattern(query.q))}`);
    if (query.status) where.push(query.status === 'suspended' ? 'w.suspended_at IS NOT NULL' : 'w.suspended_at IS NULL');
    const filter = where.join(' AND ');
    const countParams = [...params];
    const page = query.limit === undefined ? '' : ` LIMIT ${bind(query.limit)} OFFSET ${bind(query.offset ?? 0)}`;
    const [rows, [counted]] = await Promise.all([
      this.db.query(
        `SELECT w.id, w.name, w.suspended_at, w.suspended_reason, w.created_at,
                (SELECT count(*)::int FROM memberships m WHERE m.workspace_id = w.id) AS members,
                (SELECT (b.cap_micro_usd - COALESCE(bb.spent_micro_usd, 0))::text FROM budgets b
                  LEFT JOIN budget_balances bb ON bb.budget_id = b.id AND bb.period_start = vaultrun_period_start('lifetime', now())
                 WHERE b.workspace_id = w.id AND b.scope_type = 'credits' AND EXISTS (SELECT 1 FROM credit_grants g WHERE g.workspace_id = w.id)) AS credits,
                u.runs, u.spend
           FROM workspaces w
           CROSS JOIN LATERAL (
             SELECT count(*)::int AS runs, coalesce(sum(r.cost_micro_usd), 0)::text AS spend
               FROM runs r WHERE r.workspace_id = w.id AND r.created_at >= now() - interval '30 days'
           ) u
          WHERE ${filter} ORDER BY lower(w.name), w.id${page}`,
        params,
      ) as Promise<WorkspaceRow[]>,
      this.db.query(`SELECT count(*)::int AS total FROM workspaces w WHERE ${filter}`, countParams) as Promise<{ total: number }[]>,
    ]);
    return { items: rows.map(toDto), total: counted?.total ?? 0 };
  }

  async getWorkspace(id: string): Promise<InstanceWorkspaceDto> {
    const rows: WorkspaceRow[] = await this.db.query(
      `SELECT w.id, w.name, w.suspended_at, w.suspended_reason, w.created_at,
              (SELECT count(*)::int FROM memberships m WHERE m.workspace_id = w.id) AS members,
              (SELECT (b.cap_micro_usd - COALESCE(bb.spent_micro_usd, 0))::text FROM budgets b
                  LEFT JOIN budget_balances bb ON bb.budget_id = b.id AND bb.period_start = vaultrun_period_start('lifetime', now())
                 WHERE b.workspace_id = w.id AND b.scope_type = 'credits' AND EXISTS (SELECT 1 FROM credit_grants g WHERE g.workspace_id = w.id)) AS credits,
              (SELECT count(*)::int FROM runs r WHERE r.workspace_id = w.id AND r.created_at >= now() - interval '30 days') AS runs,
              (SELECT coalesce(sum(r.cost_micro_usd), 0)::text FROM runs r WHERE r.workspace_id = w.id AND r.created_at >= now() - interval '30 days') AS spend
         FROM workspaces w WHERE w.id = $1 AND NOT w.is_instance`,
      [id],
    );
    if (!rows[0]) throw new NotFound('Workspace');
    return toDto(rows[0]);
  }

  /** Suspends a workspace (its new runs and gateway calls are refused, queued runs do not start); audited twice. */
  async suspend(id: string, reason: string, actor: AuditActor): Promise<InstanceWorkspaceDto> {
    await this.db.transaction(async (m) => {
      const ws = await m.getRepository(Workspace).findOne({ where: { id, isInstance: false }, lock: { mode: 'pessimistic_write' } });
      if (!ws) throw new NotFound('Workspace');
      if (ws.suspendedAt) throw new Conflict('already_suspended', `Workspace ${ws.name} is already suspended.`);
      await m.getRepository(Workspace).update({ id }, { suspendedAt: new Date(), suspendedReason: reason.trim() });
      const entry = { actor, targetType: 'workspace', targetId: id, metadata: { name: ws.name, reason: reason.trim() } };
      await recordAudit(m, { ...entry, workspaceId: null, action: 'instance.workspace.suspend' });
      await recordAudit(m, { ...entry, workspaceId: id, action: 'workspace.suspend' });
    });
    return this.getWorkspace(id);
  }

  async resume(id: string, actor: AuditActor): Promise<InstanceWorkspaceDto> {
    await this.db.transaction(async (m) => {
      const ws = await m.getRepository(Workspace).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!ws) throw new NotFound('Workspace');
      if (!ws.suspendedAt) throw new Conflict('not_suspended', `Workspace ${ws.name} is not suspended.`);
      await m.getRepository(Workspace).update({ id }, { suspendedAt: null, suspendedReason: null });
      const entry = { actor, targetType: 'workspace', targetId: id, metadata: { name: ws.name, reason: ws.suspendedReason } };
      await recordAudit(m, { ...entry, workspaceId: null, action: 'instance.workspace.resume' });
      await recordAudit(m, { ...entry, workspaceId: id, action: 'workspace.resume' });
    });
    return this.getWorkspace(id);
  }

  /** Instance-level events (grants, revokes, suspensions), newest first, keyset-paged. */
  async audit(query: PageQueryDto): Promise<{ items: AuditEventDto[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const cursor = decodeCursor(query.cursor);
    const qb = this.db
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.workspaceId IS NULL')
      .andWhere(`e.action LIKE 'instance.%'`)
      .orderBy('e.createdAt', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(limit);
    if (cursor) qb.andWhere('(e.createdAt, e.id) < (:at, :id)', { at: cursor.createdAt, id: cursor.id });
    const rows = await qb.getMany();
    return {
      items: rows.map((e) => ({
        id: e.id,
        action: e.action,
        outcome: e.outcome,
        actor: { type: e.actorType, id: e.actorId, label: e.actorLabel },
        target: e.targetType
          ? { type: e.targetType, id: e.targetId, name: typeof e.metadata?.name === 'string' ? e.metadata.name : typeof e.metadata?.email === 'string' ? e.metadata.email : null, exists: true }
          : null,
        ip: e.ip,
        metadata: e.metadata,
        createdAt: e.createdAt.toISOString(),
      })),
      nextCursor: nextCursorOf(rows, limit),
    };
  }
}

function toDto(r: WorkspaceRow): InstanceWorkspaceDto {
  return {
    id: r.id,
    name: r.name,
    members: r.members,
    runs30d: r.runs,
    spend30dMicroUsd: r.spend,
    creditBalanceMicroUsd: r.credits,
    status: r.suspended_at ? 'suspended' : 'active',
    suspendedAt: r.suspended_at ? new Date(r.suspended_at).toISOString() : null,
    suspendedReason: r.suspended_reason,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
