/**
 * Every page of the signed-in console, as react-router paths relative to `/`: one list that the router builds its
 * routes from (`pages.ts` gives each path its page, and TypeScript refuses a path without one) and that the browser
 * quality suite (`apps/web/test/console-quality.browser-spec.ts`) visits — axe in both colour schemes, screenshots,
 * page width, console errors and failed requests at desktop and phone sizes. A page added here is covered without
 * touching the tests; a `:param` needs a seeded id in that suite, which fails naming the parameter until it has one.
 *
 * Plain data, no imports: the Node test suite reads this file.
 */
export const CONSOLE_PATHS = [
  'overview',
  'vault',
  'operators',
  'missions',
  'missions/:missionId',
  'runs',
  'runs/:runId',
  'comparisons',
  'comparisons/:comparisonId',
  'gateway',
  'budgets',
  'members',
  'tokens',
  'credits',
  'audit',
  'settings',
  'instance',
  'instance/managed-accounts',
  'instance/audit',
] as const;

export type ConsolePath = (typeof CONSOLE_PATHS)[number];

/** Where `/` sends a signed-in user. */
export const HOME_PATH = '/overview';

/** Pages outside the shell, for signed-out visitors. */
export const PUBLIC_PATHS = ['/login', '/accept-invite'] as const;
