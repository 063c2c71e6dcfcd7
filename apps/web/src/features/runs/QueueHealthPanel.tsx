import './queue-health.css';
import { useQuery } from '@tanstack/react-query';
import { getQueueHealthOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { AccountQueueDto } from '../../api/generated/types.gen.js';
import { formatCount } from '../../lib/format.js';
import { Loading, ProblemAlert } from '../../lib/ui.js';

const JOB_LABELS: Record<string, string> = { wait: 'queued', active: 'running', delayed: 'waiting' };

/**
 * Per account: runs queued, waiting and running, and provider calls in flight against the account's
 * concurrency limit. Refetched when run events arrive (debounced, see run-cache.ts), never on a timer.
 */
export function QueueHealthPanel({ ready }: { ready: boolean }) {
  const health = useQuery({ ...getQueueHealthOptions(), staleTime: 60_000, refetchOnWindowFocus: false, enabled: ready });
  const jobs = health.data ? Object.entries(health.data.jobs).filter(([name, n]) => typeof n === 'number' && name in JOB_LABELS) : [];
  return (
    <section className="card queue-health" data-testid="queue-health" aria-labelledby="queue-health-heading">
      <div className="section-heading">
        <h2 id="queue-health-heading">Queue health</h2>
        <span className="muted small">Runs held per provider account, and provider calls in flight against each account&apos;s concurrency limit</span>
      </div>
      {health.isPending ? (
        <Loading />
      ) : health.isError ? (
        <ProblemAlert error={health.error} />
      ) : health.data.accounts.length === 0 ? (
        <p className="muted">No provider account is visible to you.</p>
      ) : (
        <QueueAccounts accounts={health.data.accounts} />
      )}
      {jobs.length ? (
        <p className="queue-jobs small" data-testid="queue-jobs" title="Unfinished runs of this workspace that you may see, by state">
          <span className="muted">Unfinished runs in this workspace:</span>{' '}
          {jobs.map(([name, n], i) => (
            <span key={name} className="nowrap">
              {i ? ' · ' : ''}
              <strong>{formatCount(n)}</strong> {JOB_LABELS[name] ?? name}
            </span>
          ))}
        </p>
      ) : null}
    </section>
  );
}

const isBusy = (a: AccountQueueDto) => a.queued + a.waiting + a.running + a.inFlight > 0;

/**
 * Busy accounts (anything queued, waiting, running or in flight) first and always shown; idle ones folded away, so a
 * workspace with many accounts does not push the runs below the fold.
 */
function QueueAccounts({ accounts }: { accounts: AccountQueueDto[] }) {
  const busy = accounts.filter(isBusy);
  const idle = accounts.filter((a) => !isBusy(a));
  return (
    <>
      {busy.length ? (
        <ul className="queue-accounts" data-testid="queue-busy">
          {busy.map((a) => (
            <QueueAccount key={a.accountId} account={a} />
          ))}
        </ul>
      ) : (
        <p className="muted small" data-testid="queue-all-idle">
          Nothing is queued, waiting or running on any account.
        </p>
      )}
      {idle.length ? (
        <details className="queue-idle" data-testid="queue-idle">
          <summary>
            {idle.length} idle {idle.length === 1 ? 'account' : 'accounts'}
          </summary>
          <ul className="queue-accounts">
            {idle.map((a) => (
              <QueueAccount key={a.accountId} account={a} />
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}

function QueueAccount({ account }: { account: AccountQueueDto }) {
  const max = Math.max(1, account.maxConcurrency);
  const share = Math.min(1, account.inFlight / max);
  const full = account.inFlight >= account.maxConcurrency && account.maxConcurrency > 0;
  const idle = account.queued + account.waiting + account.running === 0;
  return (
    <li className={`queue-account${idle ? ' queue-account-idle' : ''}`} data-testid="queue-account" data-account-id={account.accountId}>
      <div className="queue-account-head">
        <span className="queue-account-name">{account.name}</span>
        <span className="queue-counts">
          <Count n={account.running} label="running" tone="blue" />
          <Count n={account.waiting} label="waiting" tone="amber" />
          <Count n={account.queued} label="queued" tone="grey" />
        </span>
      </div>
      <div className="capacity" title={`${account.inFlight} of ${account.maxConcurrency} concurrent provider calls in use`}>
        <div
          className={`capacity-bar${full ? ' capacity-bar-full' : ''}`}
          role="meter"
          aria-label={`In flight on ${account.name}`}
          aria-valuemin={0}
          aria-valuemax={account.maxConcurrency}
          aria-valuenow={account.inFlight}
        >
          <span style={{ width: `${share * 100}%` }} />
        </div>
        <span className="capacity-text">
          <strong>{account.inFlight}</strong> / {account.maxConcurrency} in flight
        </span>
      </div>
    </li>
  );
}

function Count({ n, label, tone }: { n: number; label: string; tone: 'blue' | 'amber' | 'grey' }) {
  return (
    <span className={`queue-count${n > 0 ? ` queue-count-${tone}` : ''}`}>
      <strong>{formatCount(n)}</strong> {label}
    </span>
  );
}
