import type { BudgetDto } from '../../api/generated/types.gen.js';
import { formatUtcDay } from '../../lib/format.js';

export type BudgetPeriod = BudgetDto['period'];
/** The scopes a budget can be created with (the credits balance is the instance's, never created here). */
export type BudgetScopeType = Exclude<BudgetDto['scope']['type'], 'credits'>;

export const PERIODS: { value: BudgetPeriod; label: string; help: string }[] = [
  { value: 'day', label: 'Daily', help: 'Each UTC calendar day' },
  { value: 'week', label: 'Weekly', help: 'Each ISO week, from Monday 00:00 UTC' },
  { value: 'month', label: 'Monthly', help: 'Each UTC calendar month' },
  { value: 'lifetime', label: 'Lifetime', help: 'One period that never resets' },
];

export const SCOPES: { value: BudgetScopeType; label: string; help: string }[] = [
  { value: 'workspace', label: 'Whole workspace', help: 'Every run of this workspace' },
  { value: 'account', label: 'Provider account', help: 'Runs billed to one provider account' },
  { value: 'operator', label: 'Operator', help: 'Runs of one operator' },
  { value: 'token', label: 'API token', help: 'Runs started with one API token (e.g. a published app)' },
];

export function periodLabel(period: BudgetPeriod): string {
  return PERIODS.find((p) => p.value === period)?.label ?? period;
}

/** "Workspace: Research team", "Operator: Ticket summariser", "API token: (deleted)". */
export function scopeText(scope: BudgetDto['scope']): string {
  if (scope.type === 'credits') return 'Vaultrun credits (given by the instance administrators)';
  const kind = { workspace: 'Workspace', account: 'Provider account', operator: 'Operator', token: 'API token' }[scope.type];
  return `${kind}: ${scope.label ?? '(deleted)'}`;
}

/** "Nov 1 – Nov 30, 2026 (UTC)"; lifetime budgets have no end. The API's periodEnd is exclusive. */
export function periodRangeText(budget: BudgetDto): string {
  const { periodStart, periodEnd } = budget.currentPeriod;
  if (budget.period === 'lifetime' || !periodEnd) return 'No reset';
  const lastDay = new Date(new Date(periodEnd).getTime() - 86_400_000).toISOString();
  if (budget.period === 'day') return `${formatUtcDay(periodStart)} (UTC)`;
  return `${formatUtcDay(periodStart)} – ${formatUtcDay(lastDay)} (UTC)`;
}
