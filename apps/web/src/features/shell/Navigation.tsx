import { NavLink } from 'react-router';
import { type Permission, useMe } from '../../lib/session.js';

interface NavItem {
  to: string;
  label: string;
  testId: string;
  needs?: Permission;
  /** Instance administrators only (`me.isInstanceAdmin`), whatever the workspace role. */
  instanceAdmin?: boolean;
  /** Active on this exact path only (its sub-paths have items of their own). */
  end?: boolean;
}

export const NAV_SECTIONS: { heading: string; items: NavItem[] }[] = [
  {
    heading: 'Run AI work',
    items: [
      { to: '/overview', label: 'Overview', testId: 'nav-overview', needs: 'runs:read' },
      { to: '/vault', label: 'Vault', testId: 'nav-vault', needs: 'vault:read' },
      { to: '/operators', label: 'Operators', testId: 'nav-operators', needs: 'operators:read' },
      { to: '/missions', label: 'Missions', testId: 'nav-missions', needs: 'runs:read' },
      { to: '/runs', label: 'Runs', testId: 'nav-runs', needs: 'runs:read' },
      { to: '/comparisons', label: 'Comparisons', testId: 'nav-comparisons', needs: 'runs:read' },
      { to: '/gateway', label: 'Gateway', testId: 'nav-gateway', needs: 'vault:read' },
      { to: '/budgets', label: 'Budgets', testId: 'nav-budgets', needs: 'budgets:read' },
    ],
  },
  {
    heading: 'Workspace',
    items: [
      { to: '/members', label: 'Members', testId: 'nav-members', needs: 'members:read' },
      { to: '/tokens', label: 'API tokens', testId: 'nav-tokens', needs: 'tokens:read' },
      { to: '/credits', label: 'Credits', testId: 'nav-credits' },
      { to: '/audit', label: 'Audit log', testId: 'nav-audit', needs: 'audit:read' },
      { to: '/settings', label: 'Settings', testId: 'nav-settings' },
    ],
  },
  {
    heading: 'Instance',
    items: [
      { to: '/instance', label: 'Workspaces', testId: 'nav-instance', instanceAdmin: true, end: true },
      { to: '/instance/managed-accounts', label: 'Managed accounts', testId: 'nav-managed-accounts', instanceAdmin: true },
      { to: '/instance/audit', label: 'Instance audit', testId: 'nav-instance-audit', instanceAdmin: true },
    ],
  },
];

export function Brand() {
  return (
    <div className="brand">
      <span className="brand-mark" aria-hidden="true">
        V
      </span>
      <span className="brand-name">Vaultrun</span>
    </div>
  );
}

/** The console's sections, filtered by what the session may read. */
export function Navigation() {
  const me = useMe();
  return (
    <nav aria-label="Main">
      {NAV_SECTIONS.map((section) => ({ ...section, items: section.items.filter((item) => (item.instanceAdmin ? me.isInstanceAdmin : !item.needs || me.permissions.includes(item.needs))) }))
        .filter((section) => section.items.length > 0)
        .map((section) => (
        <div className="nav-section" key={section.heading}>
          <p className="nav-heading">{section.heading}</p>
          <ul>
            {section.items
              .map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} end={item.end} className="nav-link" data-testid={item.testId}>
                    <span>{item.label}</span>
                  </NavLink>
                </li>
              ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}
