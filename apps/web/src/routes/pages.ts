import type { ComponentType } from 'react';
import type { ConsolePath } from './console-paths.js';

/**
 * The page of each console path, each its own chunk loaded on first visit: the entry chunk holds the shell only,
 * and no page downloads another page's libraries (the operator form's editor, the plan graph's layout, the
 * comparison diff). A `Record` over every path, so a path without a page (or a page without a path) does not compile.
 */
export const PAGES: Record<ConsolePath, () => Promise<ComponentType>> = {
  overview: async () => (await import('../features/overview/OverviewPage.js')).OverviewPage,
  vault: async () => (await import('../features/vault/VaultPage.js')).VaultPage,
  operators: async () => (await import('../features/operators/OperatorsPage.js')).OperatorsPage,
  missions: async () => (await import('../features/missions/MissionsPage.js')).MissionsPage,
  'missions/:missionId': async () => (await import('../features/missions/MissionDetailPage.js')).MissionDetailPage,
  runs: async () => (await import('../features/runs/RunsPage.js')).RunsPage,
  'runs/:runId': async () => (await import('../features/runs/RunDetailPage.js')).RunDetailPage,
  comparisons: async () => (await import('../features/comparisons/ComparisonsPage.js')).ComparisonsPage,
  'comparisons/:comparisonId': async () => (await import('../features/comparisons/ComparisonDetailPage.js')).ComparisonDetailPage,
  gateway: async () => (await import('../features/gateway/GatewayPage.js')).GatewayPage,
  budgets: async () => (await import('../features/budgets/BudgetsPage.js')).BudgetsPage,
  members: async () => (await import('../features/members/MembersPage.js')).MembersPage,
  tokens: async () => (await import('../features/tokens/TokensPage.js')).TokensPage,
  credits: async () => (await import('../features/credits/CreditsPage.js')).CreditsPage,
  audit: async () => (await import('../features/audit/AuditPage.js')).AuditPage,
  instance: async () => (await import('../features/instance/InstancePage.js')).InstancePage,
  'instance/managed-accounts': async () => (await import('../features/instance/ManagedAccountsPage.js')).ManagedAccountsPage,
  'instance/audit': async () => (await import('../features/instance/InstanceAuditPage.js')).InstanceAuditPage,
  settings: async () => (await import('../features/settings/SettingsPage.js')).SettingsPage,
};
