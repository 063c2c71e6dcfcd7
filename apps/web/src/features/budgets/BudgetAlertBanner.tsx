import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { listBudgetsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { BudgetDto } from '../../api/generated/types.gen.js';
import { useDismissals } from '../../lib/dismissals.js';
import { formatUsd } from '../../lib/money.js';
import { can, useMe } from '../../lib/session.js';
import { useMoneyFollowsRuns } from './budget-cache.js';

/** The budget list is small and cheap; this keeps the banner honest on pages that show no runs. */
const BANNER_REFRESH_MS = 60_000;

/** What a dismissal of a budget's notice covers: that budget, in its current period (the next period's is new). */
const softKey = (b: BudgetDto) => `budget-soft:${b.id}:${b.currentPeriod.periodStart}`;
const overageKey = (b: BudgetDto) => `budget-overage:${b.id}:${b.currentPeriod.periodStart}`;

/**
 * Shown above every page of the console while a budget's current period has reached its soft threshold: names
 * each such budget and links to it. Reads the same query as the Budgets page, so both always agree. Each banner can
 * be dismissed (per user, in this browser): it stays away for the budgets it named, in their current period, and
 * comes back for another budget or the next period.
 */
export function BudgetAlertBanner() {
  const me = useMe();
  const enabled = !!me.workspace && can(me, 'budgets:read');
  const budgets = useQuery({ ...listBudgetsOptions(), enabled, refetchInterval: BANNER_REFRESH_MS });
  const { isDismissed, dismiss } = useDismissals(me.user.id);
  useMoneyFollowsRuns();
  const items = budgets.data?.items ?? [];
  // The credits budget's threshold is the low-credits alert: the credits banner says it (features/credits/CreditsBanner.tsx).
  const reached = items.filter((b) => b.currentPeriod.softThresholdReached && b.scope.type !== 'credits' && !isDismissed(softKey(b)));
  const over = items.filter((b) => b.currentPeriod.overageMicroUsd > 0 && !isDismissed(overageKey(b)));
  if (!enabled || (reached.length === 0 && over.length === 0)) return null;
  return (
    <>
      {over.length ? <OverageBanner over={over} onDismiss={() => dismiss(over.map(overageKey))} /> : null}
      {reached.length ? <SoftThresholdBanner reached={reached} onDismiss={() => dismiss(reached.map(softKey))} /> : null}
    </>
  );
}

function DismissButton({ onDismiss, what, testId }: { onDismiss: () => void; what: string; testId: string }) {
  return (
    <button type="button" className="icon-button banner-dismiss" aria-label={`Dismiss ${what}`} title="Dismiss (until another budget or the next period)" data-testid={testId} onClick={onDismiss}>
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <path d="M6 6l12 12M18 6L6 18" />
      </svg>
    </button>
  );
}

/** A provider charged more than was held: names each budget, its overage, and whether new runs are paused. */
function OverageBanner({ over, onDismiss }: { over: BudgetDto[]; onDismiss: () => void }) {
  return (
    <div className="alert alert-error budget-banner" role="alert" data-testid="budget-overage-banner">
      <span className="budget-banner-icon budget-banner-icon-danger" aria-hidden="true">
        !
      </span>
      <div className="budget-banner-body">
        <strong>{over.length === 1 ? 'A provider charged more than a budget held' : `Providers charged more than ${over.length} budgets held`}:</strong>{' '}
        {over.map((b, i) => (
          <span key={b.id} data-testid="budget-overage-banner-item" data-budget-id={b.id}>
            {i > 0 ? '; ' : ''}
            <Link to={`/budgets#budget-${b.id}`}>{b.name}</Link> ({formatUsd(b.currentPeriod.overageMicroUsd)} above its holds
            {b.currentPeriod.exhausted ? ', new runs paused' : ''})
          </span>
        ))}
        .{' '}
        <Link to="/budgets">Review budgets</Link>
      </div>
      <DismissButton onDismiss={onDismiss} what="the overage notice" testId="budget-overage-banner-dismiss" />
    </div>
  );
}

function SoftThresholdBanner({ reached, onDismiss }: { reached: BudgetDto[]; onDismiss: () => void }) {
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
      <DismissButton onDismiss={onDismiss} what="the budget notice" testId="budget-banner-dismiss" />
    </div>
  );
}
