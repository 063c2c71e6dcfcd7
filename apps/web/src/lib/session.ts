import { queryOptions, useSuspenseQuery } from '@tanstack/react-query';
import { getMeQueryKey } from '../api/generated/@tanstack/react-query.gen.js';
import { getMe } from '../api/generated/sdk.gen.js';
import type { MeDto } from '../api/generated/types.gen.js';
import { setCsrfToken } from './api-client.js';
import { ApiProblem, isApiProblem } from './problem.js';
import { queryClient } from './query-client.js';

export type Permission = MeDto['permissions'][number];
export type Role = MeDto['workspaces'][number]['role'];

export const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

/**
 * Whether this browser may hold a session: a flag in localStorage, set whenever the API hands us a session and
 * removed at sign-out and on a 401 from `GET /auth/me`. It holds nothing secret — the session cookie stays httpOnly
 * — and only decides whether to ask: a visitor who never signed in (or signed out) goes to /login without a request
 * that can only answer 401, so a signed-out page logs no failed request. A stale flag (a session that expired while
 * away) costs one 401, which removes it. Storage disabled: always ask.
 */
const SESSION_HINT_KEY = 'vaultrun.signed-in';

const SIGNED_OUT = new ApiProblem({ type: 'about:blank', title: 'Unauthorized', status: 401, code: 'unauthenticated', detail: 'You are signed out.' });

export function mayHaveSession(): boolean {
  try {
    return window.localStorage.getItem(SESSION_HINT_KEY) === '1';
  } catch {
    return true;
  }
}

function setSessionHint(present: boolean): void {
  try {
    if (present) window.localStorage.setItem(SESSION_HINT_KEY, '1');
    else window.localStorage.removeItem(SESSION_HINT_KEY);
  } catch {
    // Storage disabled: mayHaveSession() answers true, every check asks the API.
  }
}

/**
 * The session query (generated key and SDK call), capturing the CSRF token on every fetch.
 * Route loaders pass `authRedirect: false`: they handle a 401 themselves with a redirect.
 */
export function meQueryOptions({ authRedirect = true }: { authRedirect?: boolean } = {}) {
  return queryOptions({
    queryKey: getMeQueryKey(),
    queryFn: async ({ signal }) => {
      // Known to be signed out (see mayHaveSession): answer as the API would, without a request that can only fail.
      if (!mayHaveSession()) throw SIGNED_OUT;
      try {
        const { data } = await getMe({ signal, throwOnError: true, meta: { authRedirect } });
        setCsrfToken(data.csrfToken);
        setSessionHint(true);
        return data;
      } catch (error) {
        if (isApiProblem(error) && error.status === 401) setSessionHint(false);
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

/** Stores a MeDto the API just returned (login, accept invite, workspace switch). */
export function rememberSession(me: MeDto): void {
  setCsrfToken(me.csrfToken);
  setSessionHint(true);
  queryClient.setQueryData(getMeQueryKey(), me);
}

/**
 * Sign-out, step one: from now on the console knows there is no session (no request asks for it). Navigate away
 * from the signed-in pages, then `forgetSession()` — clearing the cache while they are still mounted would make them
 * ask again.
 */
export function markSignedOut(): void {
  setCsrfToken(undefined);
  setSessionHint(false);
}

/** Forgets everything about the session on the client (after sign-out or a 401). */
export function forgetSession(): void {
  setCsrfToken(undefined);
  setSessionHint(false);
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
