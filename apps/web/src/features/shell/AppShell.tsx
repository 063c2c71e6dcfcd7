import { Suspense, useEffect, useRef, useState } from 'react';
import { Link, Outlet, useLocation } from 'react-router';
import { COMPACT_LAYOUT_QUERY, useMediaQuery } from '../../lib/media.js';
import { useMe } from '../../lib/session.js';
import { Loading } from '../../lib/ui.js';
import { BudgetAlertBanner } from '../budgets/BudgetAlertBanner.js';
import { CreditsBanner } from '../credits/CreditsBanner.js';
import { Brand, Navigation } from './Navigation.js';
import { NavDrawer } from './NavDrawer.js';
import { useScrollRegionCues } from './scroll-regions.js';
import { ThemeSwitch } from './ThemeSwitch.js';
import { UserMenu } from './UserMenu.js';
import { WorkspaceSwitcher } from './WorkspaceSwitcher.js';

/**
 * The frame of every signed-in page. Wide: a sidebar of sections and a top bar (workspace, colour scheme, user).
 * Compact (phones, narrow windows): one top-bar row — menu button, brand, workspace name — and the sections, the
 * workspace switcher, the colour scheme and the user in a drawer. Each control exists once in the page at a time
 * (the layout is chosen in script, not hidden with CSS), so it has one accessible name and one test id.
 */
export function AppShell() {
  const me = useMe();
  const { pathname } = useLocation();
  const compact = useMediaQuery(COMPACT_LAYOUT_QUERY);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  useScrollRegionCues(mainRef);
  // A navigation (a link in the drawer, or back/forward) closes the drawer.
  useEffect(() => setDrawerOpen(false), [pathname]);
  // Without a workspace only Settings (create a workspace, change password) still makes sense.
  const showPage = !!me.workspace || pathname === '/settings';
  return (
    <div className={`shell${compact ? ' shell-compact' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {compact ? (
        <NavDrawer open={drawerOpen} onClose={() => setDrawerOpen(false)} />
      ) : (
        <aside className="sidebar">
          <Brand />
          <Navigation />
        </aside>
      )}
      <div className="main-column">
        {compact ? (
          <header className="topbar topbar-compact">
            <button
              type="button"
              className="icon-button"
              aria-label="Open navigation"
              aria-expanded={drawerOpen}
              aria-controls="nav-drawer"
              data-testid="nav-open"
              onClick={() => setDrawerOpen(true)}
            >
              <svg viewBox="0 0 24 24" aria-hidden="true">
                <path d="M4 7h16M4 12h16M4 17h16" />
              </svg>
            </button>
            <Link to="/" className="topbar-brand">
              <Brand />
            </Link>
            <span className="topbar-workspace" data-testid="topbar-workspace">
              {me.workspace?.name ?? 'No workspace'}
            </span>
          </header>
        ) : (
          <header className="topbar">
            <WorkspaceSwitcher />
            <div className="topbar-end">
              <ThemeSwitch compact />
              <UserMenu />
            </div>
          </header>
        )}
        <main id="main" className="content" tabIndex={-1} ref={mainRef}>
          {showPage ? (
            <Suspense fallback={<Loading />}>
              {me.workspace?.suspended ? (
                <div className="alert alert-warning" role="alert" data-testid="workspace-suspended-banner">
                  This workspace is suspended by an instance administrator{me.workspace.suspendedReason ? ` (reason: ${me.workspace.suspendedReason})` : ''}: new runs and gateway calls are
                  refused until it is resumed. You can still read everything.
                </div>
              ) : null}
              <CreditsBanner />
              <BudgetAlertBanner />
              <Outlet />
            </Suspense>
          ) : (
            <div className="alert alert-warning" role="alert">
              You are not a member of the selected workspace any more. Choose one of your workspaces in the{' '}
              {compact ? 'menu' : 'switcher above'}, or <Link to="/settings">create a new workspace in Settings</Link>.
            </div>
          )}
        </main>
      </div>
    </div>
  );
}
