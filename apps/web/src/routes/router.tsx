import { createBrowserRouter, type LoaderFunctionArgs, redirect } from 'react-router';
import { AcceptInvitePage } from '../features/auth/AcceptInvitePage.js';
import { LoginPage } from '../features/auth/LoginPage.js';
import { AuditPage } from '../features/audit/AuditPage.js';
import { MembersPage } from '../features/members/MembersPage.js';
import { NotFoundPage } from '../features/shell/NotFoundPage.js';
import { SettingsPage } from '../features/settings/SettingsPage.js';
import { AppShell } from '../features/shell/AppShell.js';
import { RouteErrorPage } from '../features/shell/RouteErrorPage.js';
import { FullPageLoading } from '../features/shell/FullPageLoading.js';
import { TokensPage } from '../features/tokens/TokensPage.js';
import { VaultPage } from '../features/vault/VaultPage.js';
import { isApiProblem } from '../lib/problem.js';
import { queryClient } from '../lib/query-client.js';
import { forgetSession, meQueryOptions, safeNextPath } from '../lib/session.js';

function loginRedirect(url: URL): Response {
  const next = url.pathname + url.search;
  return redirect(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
}

/** Everything under the shell needs a session: load it once, or send the user to /login. */
async function requireSession({ request }: LoaderFunctionArgs) {
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
    { path: '/login', element: <LoginPage />, loader: skipLoginWhenSignedIn, hydrateFallbackElement: <FullPageLoading />, errorElement: <RouteErrorPage /> },
    { path: '/accept-invite', element: <AcceptInvitePage />, errorElement: <RouteErrorPage /> },
    {
      path: '/',
      element: <AppShell />,
      loader: requireSession,
      hydrateFallbackElement: <FullPageLoading />,
      errorElement: <RouteErrorPage />,
      // The session lives in the query cache; navigating between pages must not refetch it.
      shouldRevalidate: () => false,
      children: [
        { index: true, lazy: { Component: async () => (await import('../features/overview/OverviewPage.js')).OverviewPage } },
        { path: 'vault', element: <VaultPage /> },
        // Loaded on first visit (their own chunks), before the navigation renders.
        { path: 'operators', lazy: { Component: async () => (await import('../features/operators/OperatorsPage.js')).OperatorsPage } },
        { path: 'runs', lazy: { Component: async () => (await import('../features/runs/RunsPage.js')).RunsPage } },
        { path: 'runs/:runId', lazy: { Component: async () => (await import('../features/runs/RunDetailPage.js')).RunDetailPage } },
        { path: 'comparisons', lazy: { Component: async () => (await import('../features/comparisons/ComparisonsPage.js')).ComparisonsPage } },
        { path: 'comparisons/:comparisonId', lazy: { Component: async () => (await import('../features/comparisons/ComparisonDetailPage.js')).ComparisonDetailPage } },
        { path: 'budgets', lazy: { Component: async () => (await import('../features/budgets/BudgetsPage.js')).BudgetsPage } },
        { path: 'missions', lazy: { Component: async () => (await import('../features/missions/MissionsPage.js')).MissionsPage } },
        { path: 'missions/:missionId', lazy: { Component: async () => (await import('../features/missions/MissionDetailPage.js')).MissionDetailPage } },
        { path: 'members', element: <MembersPage /> },
        { path: 'tokens', element: <TokensPage /> },
        { path: 'audit', element: <AuditPage /> },
        { path: 'settings', element: <SettingsPage /> },
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
