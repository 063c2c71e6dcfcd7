import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { constantTimeEqual, Forbidden, Unauthenticated } from '@vaultrun/vault-core';
import type { FastifyRequest } from 'fastify';
import { TokensService } from '../tokens/tokens.service.js';
import { AUTH_POLICY, type AuthPolicy } from './decorators.js';
import type { Principal } from './principal.js';
import { SESSION_COOKIE, SessionService } from './session.service.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Global guard. Every route must declare a policy (Public, SignedIn or RequirePermission);
 * a route without one is refused, so forgetting the decorator fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
    private readonly tokens: TokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [context.getHandler(), context.getClass()]);
    if (!policy) throw new Forbidden('This route declares no access policy.', 'no_access_policy');
    if (policy.kind === 'public') return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticate(request);
    request.principal = principal;

    if (principal.kind === 'user' && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !constantTimeEqual(sent, principal.csrfToken)) {
        throw new Forbidden('Missing or wrong x-csrf-token header for a cookie-authenticated write.', 'csrf_failed');
      }
    }

    if (policy.kind === 'signed-in') {
      if (principal.kind !== 'user') throw new Forbidden('This action needs a console session; API tokens cannot use it.', 'session_required');
      return true;
    }
    if (policy.kind === 'instance-admin') {
      if (principal.kind !== 'user') throw new Forbidden('Instance administration needs a console session; API tokens cannot use it.', 'session_required');
      if (!principal.isInstanceAdmin) throw new Forbidden('This needs an instance administrator.', 'instance_admin_required');
      return true;
    }
    if (!principal.workspaceId) {
      throw new Forbidden('You are not a member of the selected workspace. Switch to one of your workspaces.', 'no_workspace');
    }
    if (!principal.permissions.has(policy.permission)) {
      throw new Forbidden(
        principal.kind === 'user'
          ? `Your role (${principal.role}) does not allow this action (needs ${policy.permission}).`
          : `This API token's scopes (${principal.scopes.join(', ')}) do not allow this action (needs ${policy.permission}).`,
        'forbidden',
        { permission: policy.permission },
      );
    }
    return true;
  }

  private async authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new Unauthenticated('The Authorization header must be "Bearer <token>".', 'invalid_authorization');
      return this.tokens.resolveBearer(match[1]!);
    }
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (cookie) {
      const principal = await this.sessions.resolve(cookie);
      if (principal) return principal;
      throw new Unauthenticated('Your session has expired. Sign in again.', 'session_expired');
    }
    throw new Unauthenticated();
  }
}
