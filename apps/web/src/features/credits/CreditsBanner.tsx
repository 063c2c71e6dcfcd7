import { Link } from 'react-router';
import { useDismissals } from '../../lib/dismissals.js';
import { utcDayString } from '../../lib/format.js';
import { formatUsd, microOf } from '../../lib/money.js';
import { useMe } from '../../lib/session.js';
import { CREDITS_NAME } from './credit-labels.js';

/**
 * Shown above every page while the workspace's Vaultrun credits run low or are used up (`/auth/me` says which: the
 * instance's low-balance alert percentage decides "low"). Links to /credits. A person may dismiss it (in this browser):
 * it stays away for that workspace and that state for the rest of the UTC day, and comes back the next day or when the
 * state changes (low → used up).
 */
export function CreditsBanner() {
  const me = useMe();
  const { isDismissed, dismiss } = useDismissals(me.user.id);
  const credits = me.workspace?.credits;
  if (!me.workspace || !credits || (!credits.exhausted && !credits.lowBalance)) return null;
  const state = credits.exhausted ? 'exhausted' : 'low';
  const key = `credits-${state}:${me.workspace.id}:${utcDayString()}`;
  if (isDismissed(key)) return null;
  return (
    <div className={`alert ${credits.exhausted ? 'alert-error' : 'alert-warning'} budget-banner`} role={credits.exhausted ? 'alert' : 'status'} data-testid="credits-banner" data-state={state}>
      <span className={`budget-banner-icon${credits.exhausted ? ' budget-banner-icon-danger' : ''}`} aria-hidden="true">
        !
      </span>
      <div className="budget-banner-body">
        {credits.exhausted ? (
          <>
            <strong>Your {CREDITS_NAME} are used up:</strong> runs and gateway calls on the accounts they pay for are refused. Ask your instance administrator for credits, or
            switch to your own key.{' '}
          </>
        ) : (
          <>
            <strong>Your {CREDITS_NAME} are running low:</strong> {formatUsd(microOf(credits.balanceMicroUsd))} left.{' '}
          </>
        )}
        <Link to="/credits" data-testid="credits-banner-link">
          Open Credits
        </Link>
      </div>
      <button
        type="button"
        className="icon-button banner-dismiss"
        aria-label="Dismiss the credits notice"
        title="Dismiss (until tomorrow, or until the balance is used up)"
        data-testid="credits-banner-dismiss"
        onClick={() => dismiss([key])}
      >
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M6 6l12 12M18 6L6 18" />
        </svg>
      </button>
    </div>
  );
}
