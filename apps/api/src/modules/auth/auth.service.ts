import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Membership, User } from '@vaultrun/db';
import { permissionsForRole, Unauthenticated } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { WorkspacesService } from '../workspaces/workspaces.service.js';
import type { MeDto } from './dto/auth.dto.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordService } from './password.service.js';
import type { UserPrincipal } from './principal.js';
import { SessionService } from './session.service.js';

export interface ClientInfo {
  ip: string;
  userAgent: string;
}

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly throttle: LoginThrottleService,
    private readonly workspaces: WorkspacesService,
    private readonly audit: AuditService,
  ) {}

  async login(emailInput: string, password: string, client: ClientInfo): Promise<{ cookieValue: string; me: MeDto }> {
    const email = emailInput.trim().toLowerCase();
    await this.throttle.spendAttempt(email, client.ip);

    const user = await this.db.getRepository(User).findOne({ where: { email } });
    const ok = await this.passwords.verify(user?.passwordHash ?? null, password);
    if (!user || !ok) {
      await this.recordFailedSignIn(email, user, client);
      throw new Unauthenticated('Email or password is incorrect.', 'invalid_credentials');
    }
    await this.throttle.attemptSucceeded(email, client.ip);

    const first = await this.db.getRepository(Membership).findOne({ where: { userId: user.id }, order: { createdAt: 'ASC' } });
    const { cookieValue, session } = await this.sessions.create({ userId: user.id, workspaceId: first?.workspaceId ?? null, ...client });
    await this.audit.record({
      workspaceId: first?.workspaceId ?? null,
      actor: { actorType: 'user', actorId: user.id, actorLabel: user.email, ip: client.ip },
      action: 'auth.login',
      targetType: 'user',
      targetId: user.id,
      metadata: { userAgent: client.userAgent.slice(0, 200) },
    });
    const principal = await this.sessions.resolve(cookieValue);
    if (!principal) throw new Error(`session ${session.id} vanished right after creation`);
    return { cookieValue, me: await this.me(principal) };
  }

  /** A failed sign-in is recorded in every workspace of the targeted user, so their admins see it. */
  private async recordFailedSignIn(email: string, user: User | null, client: ClientInfo): Promise<void> {
    const actor = { actorType: 'anonymous' as const, actorId: null, actorLabel: email.slice(0, 320), ip: client.ip };
    const workspaceIds = user
      ? (await this.db.getRepository(Membership).find({ where: { userId: user.id }, select: { workspaceId: true } })).map((m) => m.workspaceId)
      : [];
    for (const workspaceId of workspaceIds.length ? workspaceIds : [null]) {
      await this.audit.record({
        workspaceId,
        actor,
        action: 'auth.login',
        outcome: 'failure',
        targetType: user ? 'user' : undefined,
        targetId: user?.id,
        metadata: { reason: user ? 'wrong_password' : 'unknown_email' },
      });
    }
  }

  async logout(principal: UserPrincipal, ip: string): Promise<void> {
    await this.sessions.revoke(principal.sessionId);
    await this.audit.record({
      workspaceId: principal.workspaceId,
      actor: { actorType: 'user', actorId: principal.userId, actorLabel: principal.email, ip },
      action: 'auth.logout',
      targetType: 'user',
      targetId: principal.userId,
    });
  }

  async switchWorkspace(principal: UserPrincipal, workspaceId: string): Promise<MeDto> {
    const role = await this.workspaces.roleOf(principal.userId, workspaceId);
    await this.sessions.switchWorkspace(principal.sessionId, workspaceId);
    return this.me({ ...principal, workspaceId, role, permissions: permissionsForRole(role) });
  }

  async changePassword(principal: UserPrincipal, current: string, next: string, ip: string): Promise<void> {
    const user = await this.db.getRepository(User).findOneByOrFail({ id: principal.userId });
    // The same throttle as sign-in: a stolen session must not become a way to guess the password.
    await this.throttle.spendAttempt(user.email, ip);
    if (!(await this.passwords.verify(user.passwordHash, current))) {
      await this.audit.record({
        workspaceId: principal.workspaceId,
        actor: { actorType: 'user', actorId: user.id, actorLabel: user.email, ip },
        action: 'auth.password_change',
        outcome: 'failure',
        targetType: 'user',
        targetId: user.id,
        metadata: { reason: 'wrong_password' },
      });
      throw new Unauthenticated('The current password is incorrect.', 'invalid_credentials');
    }
    await this.throttle.attemptSucceeded(user.email, ip);
    const passwordHash = await this.passwords.hash(next, 'newPassword');
    await this.db.transaction(async (m) => {
      await m.getRepository(User).update({ id: user.id }, { passwordHash });
      // Every other session of this user ends; this one stays.
      await m.query(`DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, [user.id, principal.sessionId]);
      await this.audit.record(
        {
          workspaceId: principal.workspaceId,
          actor: { actorType: 'user', actorId: user.id, actorLabel: user.email, ip },
          action: 'auth.password_change',
          targetType: 'user',
          targetId: user.id,
        },
        m,
      );
    });
  }

  async updateProfile(principal: UserPrincipal, name: string): Promise<MeDto> {
    await this.db.getRepository(User).update({ id: principal.userId }, { name: name.trim() });
    return this.me(principal);
  }

  async me(principal: UserPrincipal): Promise<MeDto> {
    const [user, workspaces] = await Promise.all([
      this.db.getRepository(User).findOneByOrFail({ id: principal.userId }),
      this.workspaces.listForUser(principal.userId),
    ]);
    return {
      user: { id: user.id, email: user.email, name: user.name },
      workspace: workspaces.find((w) => w.id === principal.workspaceId) ?? null,
      permissions: [...principal.permissions].sort(),
      workspaces,
      isInstanceAdmin: user.isInstanceAdmin,
      csrfToken: principal.csrfToken,
    };
  }
}
