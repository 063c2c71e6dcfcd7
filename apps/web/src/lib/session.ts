import { queryOptions, useSuspenseQuery } from '@tanstack/react-query';
import { getMeQueryKey } from '../api/generated/@tanstack/react-query.gen.js';
import { getMe } from '../api/generated/sdk.gen.js';
import type { MeDto } from '../api/generated/types.gen.js';
import { setCsrfToken } from './api-client.js';
import { queryClient } from './query-client.js';

export type Permission = MeDto['permissions'][number];
export type Role = MeDto['workspaces'][number]['role'];

export const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

/**
 * The session query (generated key and SDK call), capturing the CSRF token on every fetch.
 * Route loaders pass `authRedirect: false`: they handle a 401 themselves with a redirect.
 */
export function meQueryOptions({ authRedirect = true }: { authRedirect?: boolean } = {}) {
  return queryOptions({
    queryKey: getMeQueryKey(),
    queryFn: async ({ signal }) => {
      const { data } = await getMe({ signal, throwOnError: true, meta: { authRedirect } });
      setCsrfToken(data.csrfToken);
      return data;
    },
    staleTime: 60_000,
  });
}

/** Stores a MeDto the API just returned (login, accept invite, workspace switch). */
export function rememberSession(me: MeDto): void {
  setCsrfToken(me.csrfToken);
  queryClient.setQueryData(getMeQueryKey(), me);
}

/** Forgets everything about the session on the client (after sign-out or a 401). */
export function forgetSession(): void {
  setCsrfToken(undefined);
  queryClient.clear();
}

/** The signed-in session; only used below the shell, whose loader has already loaded it. */
export function useMe(): MeDto {
  return useSuspenseQuery(meQueryOptions()).data;
}

export function can(me: MeDto, permission: Permission): boolean {
  return me.permissions.includes(permission);
}

export function useCan(permission: Permission): boolean {
  return can(useMe(), permission);
}

/** Only same-origin paths are followed after sign-in (no open redirect through ?next=). */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next.startsWith('/login') || next.startsWith('/accept-invite')) return '/';
  return next;
}
