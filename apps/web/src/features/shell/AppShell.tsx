import { Suspense } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { Loading } from '../../lib/ui.js';
import { type Permission, useMe } from '../../lib/session.js';
import { BudgetAlertBanner } from '../budgets/BudgetAlertBanner.js';
import { UserMenu } from './UserMenu.js';
import { WorkspaceSwitcher } from './WorkspaceSwitcher.js';

interface NavItem {
  to: string;
  label: string;
  testId: string;
  needs?: Permission;
}

const NAV_SECTIONS: { heading: string; items: NavItem[] }[] = [
  {
    heading: 'Run AI work',
    items: [
      { to: '/', label: 'Overview', testId: 'nav-overview', needs: 'runs:read' },
      { to: '/vault', label: 'Vault', testId: 'nav-vault', needs: 'vault:read' },
      { to: '/operators', label: 'Operators', testId: 'nav-operators', needs: 'operators:read' },
      { to: '/missions', label: 'Missions', testId: 'nav-missions', needs: 'runs:read' },
      { to: '/runs', label: 'Runs', testId: 'nav-runs', needs: 'runs:read' },
      { to: '/comparisons', label: 'Comparisons', testId: 'nav-comparisons', needs: 'runs:read' },
      { to: '/budgets', label: 'Budgets', testId: 'nav-budgets', needs: 'budgets:read' },
    ],
  },
  {
    heading: 'Workspace',
    items: [
      { to: '/members', label: 'Members', testId: 'nav-members', needs: 'members:read' },
      { to: '/tokens', label: 'API tokens', testId: 'nav-tokens', needs: 'tokens:read' },
      { to: '/audit', label: 'Audit log', testId: 'nav-audit', needs: 'audit:read' },
      { to: '/settings', label: 'Settings', testId: 'nav-settings' },
    ],
  },
];

export function AppShell() {
  const me = useMe();
  const { pathname } = useLocation();
  // Without a workspace only Settings (create a workspace, change password) still makes sense.
  const showPage = !!me.workspace || pathname === '/settings';
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            V
          </span>
          <span className="brand-name">Vaultrun</span>
        </div>
        <nav aria-label="Main">
          {NAV_SECTIONS.map((section) => (
            <div className="nav-section" key={section.heading}>
              <p className="nav-heading">{section.heading}</p>
              <ul>
                {section.items
                  .filter((item) => !item.needs || me.permissions.includes(item.needs))
                  .map((item) => (
                    <li key={item.to}>
                      <NavLink to={item.to} end={item.to === '/'} className="nav-link" data-testid={item.testId}>
                        <span>{item.label}</span>
                      </NavLink>
                    </li>
                  ))}
              </ul>
            </div>
          ))}
        </nav>
      </aside>
      <div className="main-column">
        <header className="topbar">
          <WorkspaceSwitcher />
          <UserMenu />
        </header>
        <main id="main" className="content" tabIndex={-1}>
          {showPage ? (
            <Suspense fallback={<Loading />}>
              <BudgetAlertBanner />
              <Outlet />
            </Suspense>
          ) : (
            <div className="alert alert-warning" role="alert">
              You are not a member of the selected workspace any more. Choose one of your workspaces in the switcher above, or{' '}
              <Link to="/settings">create a new workspace in Settings</Link>.
            </div>
          )}
        </main>
      </div>
    </div>
  );
}
