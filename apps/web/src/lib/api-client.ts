import { client } from '../api/generated/client.gen.js';
import type { ClientMeta } from '../api/generated/core/types.gen.js';
import { toApiProblem } from './problem.js';

declare module '../api/generated/core/types.gen.js' {
  interface ClientMeta {
    /** false: a 401 from this call is handled by the caller, not by redirecting to /login. */
    authRedirect?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Requests whose 401 means "wrong password" or that belong to signed-out pages:
 * they must show their error instead of bouncing the user to /login.
 */
const NO_REDIRECT_ON_401 = ['/api/v1/auth/login', '/api/v1/auth/password', '/api/v1/invites/preview', '/api/v1/invites/accept', '/api/v1/invites/join'];

let csrfToken: string | undefined;
let onUnauthenticated: (() => void) | undefined;
let onForbidden: (() => void) | undefined;

/** Remembers the CSRF token of the current session (from /auth/me, login, accept, switch). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when a signed-in request answers 401 (session expired or revoked). */
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

/** Called when a request answers 403 `forbidden`: the role may have changed since the session was read. */
export function setForbiddenHandler(handler: () => void): void {
  onForbidden = handler;
}

let configured = false;

/** Configures the generated client once: same origin, cookies, CSRF header, typed errors. */
export function configureApiClient(): void {
  if (configured) return;
  configured = true;
  client.setConfig({ baseUrl: '', credentials: 'include', throwOnError: true });

  client.interceptors.request.use((request) => {
    if (!SAFE_METHODS.has(request.method.toUpperCase()) && csrfToken) {
      request.headers.set('x-csrf-token', csrfToken);
    }
    return request;
  });

  client.interceptors.error.use((error, response, request, options) => {
    const problem = toApiProblem(error, response);
    // The SDK passes its options (with `meta`) through to the interceptors untyped.
    const meta = (options as { meta?: ClientMeta }).meta;
    if (problem.status === 401 && request && meta?.authRedirect !== false) {
      const path = new URL(request.url, window.location.origin).pathname;
      if (!NO_REDIRECT_ON_401.includes(path)) onUnauthenticated?.();
    }
    if (problem.status === 403 && problem.code === 'forbidden') onForbidden?.();
    return problem;
  });
}
