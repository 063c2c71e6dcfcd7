import type { Role, TokenBilling, TokenScope } from '@vaultrun/db';
import type { AuditActor, Permission } from '@vaultrun/vault-core';

export interface UserPrincipal {
  kind: 'user';
  userId: string;
  email: string;
  sessionId: string;
  csrfToken: string;
  /** Null when the session's workspace is gone or the user was removed from it. */
  workspaceId: string | null;
  role: Role | null;
  /** Instance administrator (users.is_instance_admin): the only way into `/api/v1/instance`; tokens never have it. */
  isInstanceAdmin: boolean;
  permissions: ReadonlySet<Permission>;
}

export interface TokenPrincipal {
  kind: 'token';
  tokenId: string;
  tokenName: string;
  workspaceId: string;
  scopes: TokenScope[];
  permissions: ReadonlySet<Permission>;
  /** Gateway: the model names this token may call (null: any its accounts allow). */
  allowedModels: string[] | null;
  /** Which accounts it may use (docs/managed.md): any, only managed connectors, or only the workspace's own keys. */
  billing: TokenBilling;
}

export type Principal = UserPrincipal | TokenPrincipal;

/** What a workspace-scoped handler gets: the workspace every query is scoped by, and who is asking. */
export interface RequestContext {
  workspaceId: string;
  principal: Principal;
  ip: string;
  requestId: string;
}

export type { AuditActor } from '@vaultrun/vault-core';

/** Who is asking, as stored beside runs, missions and account access lists: `['user', id]` or `['token', id]`. */
export function principalKey(p: Principal): ['user' | 'token', string] {
  return p.kind === 'user' ? ['user', p.userId] : ['token', p.tokenId];
}

export function actorOf(ctx: { principal: Principal; ip: string }): AuditActor {
  const p = ctx.principal;
  return p.kind === 'user'
    ? { actorType: 'user', actorId: p.userId, actorLabel: p.email, ip: ctx.ip }
    : { actorType: 'token', actorId: p.tokenId, actorLabel: `token ${p.tokenName}`, ip: ctx.ip };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
