import { createBrowserRouter, type LoaderFunctionArgs, redirect } from 'react-router';
import { AppShell } from '../features/shell/AppShell.js';
import { FullPageLoading } from '../features/shell/FullPageLoading.js';
import { NotFoundPage } from '../features/shell/NotFoundPage.js';
import { RouteErrorPage } from '../features/shell/RouteErrorPage.js';
import { isApiProblem } from '../lib/problem.js';
import { queryClient } from '../lib/query-client.js';
import { forgetSession, mayHaveSession, meQueryOptions, safeNextPath } from '../lib/session.js';
import { CONSOLE_PATHS, HOME_PATH } from './console-paths.js';
import { PAGES } from './pages.js';

function loginRedirect(url: URL): Response {
  const next = url.pathname + url.search;
  return redirect(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
}

/** Everything under the shell needs a session: load it once, or send the user to /login. */
async function requireSession({ request }: LoaderFunctionArgs) {
  if (!mayHaveSession()) throw loginRedirect(new URL(request.url));
  try {
    await queryClient.ensureQueryData(meQueryOptions({ authRedirect: false }));
  } catch (error) {
    if (isApiProblem(error) && error.status === 401) throw loginRedirect(new URL(request.url));
    throw error;
  }
  return null;
}

/** A signed-in user who opens /login goes straight on. */
async function skipLoginWhenSignedIn({ request }: LoaderFunctionArgs) {
  if (!mayHaveSession()) return null;
  try {
    await queryClient.ensureQueryData(meQueryOptions({ authRedirect: false }));
  } catch {
    return null;
  }
  throw redirect(safeNextPath(new URL(request.url).searchParams.get('next')));
}

/** Created after the API client is configured: creating the router starts the first navigation's loaders. */
export function createAppRouter() {
  return createBrowserRouter([
    {
      path: '/login',
      lazy: { Component: async () => (await import('../features/auth/LoginPage.js')).LoginPage },
      loader: skipLoginWhenSignedIn,
      hydrateFallbackElement: <FullPageLoading />,
      errorElement: <RouteErrorPage />,
    },
    {
      path: '/accept-invite',
      lazy: { Component: async () => (await import('../features/auth/AcceptInvitePage.js')).AcceptInvitePage },
      hydrateFallbackElement: <FullPageLoading />,
      errorElement: <RouteErrorPage />,
    },
    {
      path: '/',
      element: <AppShell />,
      loader: requireSession,
      hydrateFallbackElement: <FullPageLoading />,
      errorElement: <RouteErrorPage />,
      // The session lives in the query cache; navigating between pages must not refetch it.
      shouldRevalidate: () => false,
      children: [
        { index: true, loader: () => redirect(HOME_PATH) },
        // Every page: console-paths.ts lists them (the quality suite visits each), pages.ts loads each on first visit.
        ...CONSOLE_PATHS.map((path) => ({ path, lazy: { Component: PAGES[path] } })),
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ]);
}

export type AppRouter = ReturnType<typeof createAppRouter>;

/** After a 401 on a signed-in request: drop the session and go to /login, coming back here afterwards. */
export function redirectToLogin(router: AppRouter): void {
  const { pathname, search } = window.location;
  if (pathname === '/login' || pathname === '/accept-invite') return;
  // Forget first: the /login loader must not find the dead session in the cache.
  forgetSession();
  void router.navigate(pathname === '/' ? '/login' : `/login?next=${encodeURIComponent(pathname + search)}`, { replace: true });
}
