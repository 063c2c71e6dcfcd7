import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Invite, Membership, User, Workspace } from '@vaultrun/db';
import { canAssignRole, Conflict, DomainError, Forbidden, NotFound, randomSecret, sha256Hex } from '@vaultrun/vault-core';
import { type DataSource, type EntityManager, IsNull } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../auth/auth.service.js';
import { PasswordService } from '../auth/password.service.js';
import { actorOf, type RequestContext, type UserPrincipal } from '../auth/principal.js';
import { SessionService } from '../auth/session.service.js';
import type { AcceptInviteDto, CreatedInviteDto, CreateInviteDto, InviteDto, InvitePreviewDto } from './members.dto.js';
import { actingRole } from './members.service.js';

const invalidInvite = () =>
  new DomainError('invite_invalid', 'not_found', 'This invite link is not valid any more (used, revoked or expired). Ask for a new one.');

@Injectable()
export class InvitesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
  ) {}

  async list(workspaceId: string): Promise<InviteDto[]> {
    const rows = await this.db.getRepository(Invite).find({ where: { workspaceId }, order: { createdAt: 'DESC' }, take: 200 });
    return rows.map(toDto);
  }

  async create(ctx: RequestContext, input: CreateInviteDto): Promise<CreatedInviteDto> {
    if (!canAssignRole(actingRole(ctx), null, input.role)) {
      throw new Forbidden('Only an owner can invite another owner.', 'role_not_assignable');
    }
    const email = input.email.trim().toLowerCase();
    const token = randomSecret(32);
    return this.db.transaction(async (m) => {
      const already = await m.query(
        `SELECT 1 FROM memberships ms JOIN users u ON u.id = ms.user_id WHERE ms.workspace_id = $1 AND u.email = $2`,
        [ctx.workspaceId, email],
      );
      if (already.length) throw new Conflict('already_member', `${email} is already a member of this workspace.`);
      // A new invite replaces any pending one for the same email: only the newest link works.
      await m.getRepository(Invite).update({ workspaceId: ctx.workspaceId, email, acceptedAt: IsNull(), revokedAt: IsNull() }, { revokedAt: new Date() });
      const invite = await m.getRepository(Invite).save({
        workspaceId: ctx.workspaceId,
        email,
        role: input.role,
        tokenHash: sha256Hex(token),
        invitedById: ctx.principal.kind === 'user' ? ctx.principal.userId : null,
        expiresAt: new Date(Date.now() + this.config.inviteTtlMs),
        acceptedAt: null,
        revokedAt: null,
      });
      await this.audit.record(
        { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'member.invite', targetType: 'invite', targetId: invite.id, metadata: { email, role: input.role } },
        m,
      );
      // The token rides in the fragment, so it never reaches a server log.
      return { ...toDto(invite), url: `${this.config.consoleOrigin}/accept-invite#token=${token}` };
    });
  }

  async revoke(ctx: RequestContext, inviteId: string): Promise<InviteDto> {
    return this.db.transaction(async (m) => {
      const repo = m.getRepository(Invite);
      const invite = await repo.findOne({ where: { id: inviteId, workspaceId: ctx.workspaceId }, lock: { mode: 'pessimistic_write' } });
      if (!invite) throw new NotFound('Invite');
      if (!invite.acceptedAt && !invite.revokedAt) {
        invite.revokedAt = new Date();
        await repo.save(invite);
        await this.audit.record(
          { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'member.invite_revoke', targetType: 'invite', targetId: invite.id, metadata: { email: invite.email } },
          m,
        );
      }
      return toDto(invite);
    });
  }

  /**
   * What a link is for. Deliberately silent on whether the email already has an account: the page offers both
   * "create an account" and "sign in to join", so the preview is no oracle for who uses Vaultrun.
   */
  async preview(token: string): Promise<InvitePreviewDto> {
    const invite = await this.pendingInvite(this.db.manager, token);
    const workspace = await this.db.getRepository(Workspace).findOneByOrFail({ id: invite.workspaceId });
    return { workspaceName: workspace.name, email: invite.email, role: invite.role, expiresAt: invite.expiresAt.toISOString() };
  }

  /**
   * Accepting with a new account: created with the given password, joined, signed in. No password is ever
   * checked here: an email that already has an account joins while signed in as it (`join`), so this endpoint
   * cannot be used to guess passwords around the sign-in throttle.
   */
  async accept(input: AcceptInviteDto, client: ClientInfo): Promise<{ cookieValue: string }> {
    return this.db.transaction(async (m) => {
      const invite = await this.pendingInvite(m, input.token, true);
      if (await m.getRepository(User).exists({ where: { email: invite.email } })) {
        throw new Conflict('invite_sign_in_required', `${invite.email} already has a Vaultrun account: sign in with it, then open the invite link again to join.`);
      }
      const passwordHash = await this.passwords.hash(input.password);
      const user = await m.getRepository(User).save({ email: invite.email, name: input.name?.trim() ?? '', passwordHash });
      await this.consume(m, invite, user, client);
      const { cookieValue } = await this.sessions.create({ userId: user.id, workspaceId: invite.workspaceId, ...client }, m);
      return { cookieValue };
    });
  }

  /**
   * Accepting as the signed-in user (an existing account): the invite's email must be theirs. Their session moves
   * to the workspace they joined.
   */
  async join(principal: UserPrincipal, token: string, client: ClientInfo): Promise<void> {
    await this.db.transaction(async (m) => {
      const invite = await this.pendingInvite(m, token, true);
      if (invite.email !== principal.email.toLowerCase()) {
        throw new Forbidden(`This invite is for ${invite.email}, and you are signed in as ${principal.email}. Sign out, then sign in as ${invite.email} to join.`, 'invite_other_account');
      }
      const user = await m.getRepository(User).findOneByOrFail({ id: principal.userId });
      await this.consume(m, invite, user, client);
      await this.sessions.switchWorkspace(principal.sessionId, invite.workspaceId, m);
    });
  }

  private async pendingInvite(m: EntityManager, token: string, lock = false): Promise<Invite> {
    const invite = await m.getRepository(Invite).findOne({ where: { tokenHash: sha256Hex(token) }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!invite || statusOf(invite) !== 'pending') throw invalidInvite();
    return invite;
  }

  /** Joins `user` to the invite's workspace and uses the invite up. */
  private async consume(m: EntityManager, invite: Invite, user: User, client: ClientInfo): Promise<void> {
    const member = await m.getRepository(Membership).findOne({ where: { workspaceId: invite.workspaceId, userId: user.id } });
    if (member) throw new Conflict('already_member', 'You are already a member of this workspace.');
    await m.getRepository(Membership).insert({ workspaceId: invite.workspaceId, userId: user.id, role: invite.role });
    invite.acceptedAt = new Date();
    await m.getRepository(Invite).save(invite);
    await this.audit.record(
      {
        workspaceId: invite.workspaceId,
        actor: { actorType: 'user', actorId: user.id, actorLabel: user.email, ip: client.ip },
        action: 'member.join',
        targetType: 'user',
        targetId: user.id,
        metadata: { role: invite.role, inviteId: invite.id },
      },
      m,
    );
  }
}

function statusOf(i: Invite): InviteDto['status'] {
  if (i.acceptedAt) return 'accepted';
  if (i.revokedAt) return 'revoked';
  if (i.expiresAt.getTime() <= Date.now()) return 'expired';
  return 'pending';
}

function toDto(i: Invite): InviteDto {
  return { id: i.id, email: i.email, role: i.role, status: statusOf(i), createdAt: i.createdAt.toISOString(), expiresAt: i.expiresAt.toISOString() };
}
