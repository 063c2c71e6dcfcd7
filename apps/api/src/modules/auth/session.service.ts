import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Role, Session } from '@vaultrun/db';
import { permissionsForRole, randomSecret, sha256Hex } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import type { UserPrincipal } from './principal.js';

export const SESSION_COOKIE = 'vr_session';

interface SessionRow {
  id: string;
  user_id: string;
  workspace_id: string | null;
  csrf_token: string;
  last_seen_at: Date;
  email: string;
  is_instance_admin: boolean;
  role: Role | null;
}

/** How stale `last_seen_at` may get before a request refreshes it (one write per window, not per request). */
const LAST_SEEN_WINDOW_MS = 5 * 60_000;

@Injectable()
export class SessionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(
    input: { userId: string; workspaceId: string | null; ip: string; userAgent: string },
    manager: EntityManager = this.db.manager,
  ): Promise<{ cookieValue: string; session: Session }> {
    const cookieValue = randomSecret(32);
    const now = new Date();
    const session = await manager.getRepository(Session).save({
      tokenHash: sha256Hex(cookieValue),
      userId: input.userId,
      workspaceId: input.workspaceId,
      csrfToken: randomSecret(24),
      ip: input.ip,
      userAgent: input.userAgent.slice(0, 300),
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.config.sessionTtlMs),
    });
    return { cookieValue, session };
  }

  /** Resolves a cookie to a principal in one query; expired or unknown sessions resolve to null. */
  async resolve(cookieValue: string): Promise<UserPrincipal | null> {
    const rows: SessionRow[] = await this.db.query(
      `SELECT s.id, s.user_id, s.workspace_id, s.csrf_token, s.last_seen_at, u.email, u.is_instance_admin, m.role
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         LEFT JOIN memberships m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now()`,
      [sha256Hex(cookieValue)],
    );
    const row = rows[0];
    if (!row) return null;
    if (Date.now() - new Date(row.last_seen_at).getTime() > LAST_SEEN_WINDOW_MS) {
      await this.db.query(`UPDATE sessions SET last_seen_at = now() WHERE id = $1`, [row.id]);
    }
    const inWorkspace = row.role !== null;
    return {
      kind: 'user',
      userId: row.user_id,
      email: row.email,
      sessionId: row.id,
      csrfToken: row.csrf_token,
      workspaceId: inWorkspace ? row.workspace_id : null,
      role: row.role,
      isInstanceAdmin: row.is_instance_admin === true,
      permissions: inWorkspace ? permissionsForRole(row.role!) : new Set(),
    };
  }

  async switchWorkspace(sessionId: string, workspaceId: string, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.getRepository(Session).update({ id: sessionId }, { workspaceId });
  }

  async revoke(sessionId: string): Promise<void> {
    await this.db.getRepository(Session).delete({ id: sessionId });
  }

  cookieOptions(maxAgeMs = this.config.sessionTtlMs) {
    return {
      path: '/',
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: this.config.secureCookies,
      maxAge: Math.floor(maxAgeMs / 1000),
    };
  }
}
