import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Membership, type Role } from '@vaultrun/db';
import { canAssignRole, Conflict, Forbidden, NotFound } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import type { MemberDto } from './members.dto.js';

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

  async list(workspaceId: string): Promise<MemberDto[]> {
    const rows: { user_id: string; email: string; name: string; role: Role; created_at: Date }[] = await this.db.query(
      `SELECT m.user_id, u.email, u.name, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.workspace_id = $1 ORDER BY m.created_at, u.email`,
      [workspaceId],
    );
    return rows.map((r) => ({ userId: r.user_id, email: r.email, name: r.name, role: r.role, joinedAt: new Date(r.created_at).toISOString() }));
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
    const member = (await this.list(ctx.workspaceId)).find((x) => x.userId === userId);
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
