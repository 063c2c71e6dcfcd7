import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Membership, type Role } from '@vaultrun/db';
import { canAssignRole, Conflict, Forbidden, NotFound } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import { containsPattern, sortOf } from '../../common/list-query.js';
import { positional } from '../vault/visibility.js';
import { type ListMembersQueryDto, MEMBER_SORTS, type MemberDto } from './members.dto.js';

/** The role an API token acts with when managing members: admin-scoped tokens act as admins. */
export function actingRole(ctx: RequestContext): Role {
  return ctx.principal.kind === 'user' ? ctx.principal.role! : 'admin';
}

@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Search (email, name), a role filter, sort, a page and the total (one statement: the total rides on every row). */
  async list(workspaceId: string, query: ListMembersQueryDto): Promise<{ items: MemberDto[]; total: number }> {
    const params: unknown[] = [workspaceId];
    const bind = positional(params);
    const where = ['m.workspace_id = $1'];
    if (query.q?.trim()) {
      const q = bind(containsPattern(query.q));
      where.push(`(u.email ILIKE ${q} OR u.name ILIKE ${q})`);
    }
    if (query.role) where.push(`m.role = ${bind(query.role)}`);
    const filter = where.join(' AND ');
    const countParams = [...params];
    const { column, direction } = sortOf(query.sort, 'joined', MEMBER_SORTS);
    const page = query.limit === undefined ? '' : ` LIMIT ${bind(query.limit)} OFFSET ${bind(query.offset ?? 0)}`;
    const [rows, [counted]] = await Promise.all([
      this.db.query(
        `SELECT m.user_id, u.email, u.name, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE ${filter} ORDER BY ${column} ${direction}, lower(u.email) ${direction}, m.user_id${page}`,
        params,
      ) as Promise<{ user_id: string; email: string; name: string; role: Role; created_at: Date }[]>,
      this.db.query(`SELECT count(*)::int AS total FROM memberships m JOIN users u ON u.id = m.user_id WHERE ${filter}`, countParams) as Promise<{ total: number }[]>,
    ]);
    return {
      items: rows.map((r) => ({ userId: r.user_id, email: r.email, name: r.name, role: r.role, joinedAt: new Date(r.created_at).toISOString() })),
      total: counted?.total ?? 0,
    };
  }

  async changeRole(ctx: RequestContext, userId: string, role: Role): Promise<MemberDto> {
    await this.db.transaction(async (m) => {
      const { target, owners } = await this.lockMembers(m, ctx.workspaceId, userId);
      if (target.role === role) return;
      if (!canAssignRole(actingRole(ctx), target.role, role)) {
        throw new Forbidden('Only an owner can grant or take away the owner role.', 'role_not_assignable');
      }
      if (target.role === 'owner' && owners === 1) {
        throw new Conflict('last_owner', 'A workspace needs at least one owner: make someone else owner first.');
      }
      const from = target.role;
      await m.getRepository(Membership).update({ id: target.id }, { role });
      await this.audit.record(
        { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'member.role_change', targetType: 'user', targetId: userId, metadata: { from, to: role } },
        m,
      );
    });
    const member = (await this.list(ctx.workspaceId, {})).items.find((x) => x.userId === userId);
    if (!member) throw new NotFound('Member');
    return member;
  }

  async remove(ctx: RequestContext, userId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const { target, owners } = await this.lockMembers(m, ctx.workspaceId, userId);
      if (target.role === 'owner' && actingRole(ctx) !== 'owner') {
        throw new Forbidden('Only an owner can remove an owner.', 'role_not_assignable');
      }
      if (target.role === 'owner' && owners === 1) {
        throw new Conflict('last_owner', 'The last owner cannot be removed: make someone else owner first.');
      }
      await m.getRepository(Membership).delete({ id: target.id });
      await this.audit.record(
        { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'member.remove', targetType: 'user', targetId: userId, metadata: { role: target.role } },
        m,
      );
    });
  }

  /** Locks the workspace's memberships so two concurrent demotions cannot both pass the last-owner check. */
  private async lockMembers(m: EntityManager, workspaceId: string, userId: string): Promise<{ target: Membership; owners: number }> {
    const all = await m.getRepository(Membership).find({ where: { workspaceId }, lock: { mode: 'pessimistic_write' } });
    const target = all.find((x) => x.userId === userId);
    if (!target) throw new NotFound('Member');
    return { target, owners: all.filter((x) => x.role === 'owner').length };
  }
}
