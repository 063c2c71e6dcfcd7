import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiExtension, ApiResponse } from '@nestjs/swagger';
import type { Permission } from '@vaultrun/vault-core';
import type { FastifyRequest } from 'fastify';
import { ProblemDto } from '../../common/problem.dto.js';
import type { RequestContext, UserPrincipal } from './principal.js';

export const AUTH_POLICY = 'vaultrun:auth-policy';
export type AuthPolicy = { kind: 'public' } | { kind: 'signed-in' } | { kind: 'instance-admin' } | { kind: 'permission'; permission: Permission };

const problem = (status: number, description: string) => ApiResponse({ status, description, type: ProblemDto });

/** No credentials needed (sign-in, invite acceptance, health). */
export const Public = () =>
  applyDecorators(SetMetadata(AUTH_POLICY, { kind: 'public' } satisfies AuthPolicy), ApiExtension('x-vaultrun-auth', { kind: 'public' }));

/** A console session is needed, but no particular workspace permission (e.g. "who am I"). */
export const SignedIn = () =>
  applyDecorators(
    SetMetadata(AUTH_POLICY, { kind: 'signed-in' } satisfies AuthPolicy),
    ApiExtension('x-vaultrun-auth', { kind: 'signed-in' }),
    ApiCookieAuth('session'),
    problem(401, 'Not signed in'),
    problem(403, 'Needs a console session (API tokens are refused) or the CSRF token is missing'),
  );

/** A console session of an instance administrator (`/api/v1/instance/...`); API tokens are always refused. */
export const InstanceAdmin = () =>
  applyDecorators(
    SetMetadata(AUTH_POLICY, { kind: 'instance-admin' } satisfies AuthPolicy),
    ApiExtension('x-vaultrun-auth', { kind: 'instance-admin' }),
    ApiCookieAuth('session'),
    problem(401, 'Not signed in'),
    problem(403, 'Needs an instance administrator\'s console session (API tokens are refused) or the CSRF token is missing'),
  );

/** The caller's role (session) or scopes (API token) must grant `permission` in the current workspace. */
export const RequirePermission = (permission: Permission) =>
  applyDecorators(
    SetMetadata(AUTH_POLICY, { kind: 'permission', permission } satisfies AuthPolicy),
    ApiExtension('x-vaultrun-auth', { kind: 'permission', permission }),
    ApiCookieAuth('session'),
    ApiBearerAuth('token'),
    problem(401, 'No valid session or API token'),
    problem(403, `Needs the \`${permission}\` permission`),
  );

/** The workspace-scoped request context; only on routes guarded by `RequirePermission`. */
export const Ctx = createParamDecorator((_: unknown, host: ExecutionContext): RequestContext => {
  const request = host.switchToHttp().getRequest<FastifyRequest>();
  const principal = request.principal;
  if (!principal?.workspaceId) throw new Error('Ctx used on a route without a workspace permission');
  return { workspaceId: principal.workspaceId, principal, ip: request.ip, requestId: String(request.id) };
});

/** The signed-in console user; only on routes guarded by `SignedIn` or `InstanceAdmin`. */
export const CurrentUser = createParamDecorator((_: unknown, host: ExecutionContext): UserPrincipal => {
  const principal = host.switchToHttp().getRequest<FastifyRequest>().principal;
  if (principal?.kind !== 'user') throw new Error('CurrentUser used on a route without SignedIn');
  return principal;
});
