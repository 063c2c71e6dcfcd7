import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { listBudgetsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import { formatUsd } from '../../lib/money.js';
import { can, useMe } from '../../lib/session.js';
import { useMoneyFollowsRuns } from './budget-cache.js';

/** The budget list is small and cheap; this keeps the banner honest on pages that show no runs. */
const BANNER_REFRESH_MS = 60_000;

/**
 * Shown above every page of the console while a budget's current period has reached its soft threshold: names
 * each such budget and links to it. Reads the same query as the Budgets page, so both always agree.
 */
export function BudgetAlertBanner() {
  const me = useMe();
  const enabled = !!me.workspace && can(me, 'budgets:read');
  const budgets = useQuery({ ...listBudgetsOptions(), enabled, refetchInterval: BANNER_REFRESH_MS });
  useMoneyFollowsRuns();
  const reached = (budgets.data?.items ?? []).filter((b) => b.currentPeriod.softThresholdReached);
  if (!enabled || reached.length === 0) return null;
  return (
    <div className="alert alert-warning budget-banner" role="status" data-testid="budget-banner">
      <span className="budget-banner-icon" aria-hidden="true">
        !
      </span>
      <div className="budget-banner-body">
        <strong>{reached.length === 1 ? 'A budget passed its soft threshold' : `${reached.length} budgets passed their soft threshold`}:</strong>{' '}
        {reached.map((b, i) => (
          <span key={b.id} data-testid="budget-banner-item" data-budget-id={b.id}>
            {i > 0 ? '; ' : ''}
            <Link to={`/budgets#budget-${b.id}`}>{b.name}</Link> ({formatUsd(b.currentPeriod.spentMicroUsd)} of {formatUsd(b.capMicroUsd)} spent, alert at {b.softThresholdPct}%)
          </span>
        ))}
        .{' '}
        <Link to="/budgets" data-testid="budget-banner-link">
          Review budgets
        </Link>
      </div>
    </div>
  );
}
