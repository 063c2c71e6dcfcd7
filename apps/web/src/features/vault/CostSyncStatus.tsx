import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { getProviderCostSyncOptions, getProviderCostSyncQueryKey, listProviderAccountsQueryKey, requestProviderCostSyncMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { CostSyncStatusDto, ProviderAccountDto } from '../../api/generated/types.gen.js';
import { formatDateTime, formatRelative, formatUtcDay } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { Badge, Loading, ProblemAlert } from '../../lib/ui.js';

/** After Sync now, the account is read again this often until the sync has checked a day (or the wait ends). */
const RESULT_POLL_MS = 2_000;
const RESULT_WAIT_MS = 60_000;

/** Whose cost report an account's cost sync reads. */
export function costSyncProvider(kind: ProviderAccountDto['kind']): string {
  return kind === 'anthropic' ? 'Anthropic' : 'OpenAI';
}

/**
 * What a day's drift means. Positive: the provider billed more than Vaultrun recorded — most often the key was also used
 * outside Vaultrun. Negative: Vaultrun recorded more — usually a price (or override) above what the provider charged.
 */
export function driftMeaning(driftMicroUsd: number, provider = 'OpenAI'): string {
  if (driftMicroUsd > 0) return `${provider} billed ${formatUsd(driftMicroUsd)} more than Vaultrun recorded: key used outside Vaultrun (or prices differ).`;
  if (driftMicroUsd < 0) return `Vaultrun recorded ${formatUsd(-driftMicroUsd)} more than ${provider} billed: a price or override is likely above what ${provider} charged.`;
  return 'No difference.';
}

function StatusBadge({ sync }: { sync: CostSyncStatusDto }) {
  if (!sync.enabled) return <Badge tone="grey" testId="cost-sync-status">Off</Badge>;
  if (sync.lastError) return <Badge tone="red" testId="cost-sync-status">Failing</Badge>;
  const status = sync.status as CostSyncStatusDto['status'] | null;
  if (!sync.lastSyncedDay || !status) return <Badge tone="blue" testId="cost-sync-status">Not synced yet</Badge>;
  return status === 'matched' ? (
    <Badge tone="green" testId="cost-sync-status">
      Matched
    </Badge>
  ) : (
    <Badge tone="amber" testId="cost-sync-status">
      Drift
    </Badge>
  );
}

/** What a Sync now request says while it waits and once it is done (a failure speaks through the error line). */
function syncNotice(waiting: boolean, gaveUp: boolean, sync: CostSyncStatusDto | null, provider: string): string | null {
  if (waiting) return `Cost sync queued: comparing ${provider}’s figures for the last closed days…`;
  if (gaveUp) return 'Cost sync is still queued: no worker has picked it up yet.';
  if (sync?.lastError) return null;
  return sync?.lastSyncedDay ? 'Cost sync done: the latest day compared is shown above.' : `Cost sync ran, but ${provider} has published no closed day to compare yet.`;
}

/** What Sync now is waiting for: an attempt newer than the one known when it was queued (server clock only). */
interface SyncRequest {
  attemptBefore: string | null;
  queuedAt: number;
}

/** Cost sync on an OpenAI or Anthropic account: on or off, the last day compared, matched or drifting (and by how much), why it fails, Sync now, and the last days. */
export function CostSyncStatus({ account, canManage }: { account: ProviderAccountDto; canManage: boolean }) {
  const sync = account.costSync;
  const provider = costSyncProvider(account.kind);
  const queryClient = useQueryClient();
  const [showHistory, setShowHistory] = useState(false);
  /** The accepted Sync now; `gaveUp`: no attempt showed up within the wait (is a worker running?). */
  const [requested, setRequested] = useState<SyncRequest | null>(null);
  const [gaveUp, setGaveUp] = useState(false);
  const request = useMutation({
    ...requestProviderCostSyncMutation(),
    onSuccess: () => {
      setGaveUp(false);
      setRequested({ attemptBefore: sync?.lastAttemptAt ?? null, queuedAt: Date.now() });
    },
  });
  const waiting = requested !== null && (sync?.lastAttemptAt ?? null) === requested.attemptBefore && !gaveUp;
  const notice = requested === null ? null : syncNotice(waiting, gaveUp, sync, provider);
  useEffect(() => {
    if (!waiting || requested === null) return;
    // The job runs on a worker: read the account again until it shows a newer attempt.
    const timer = window.setInterval(() => {
      if (Date.now() - requested.queuedAt > RESULT_WAIT_MS) {
        setGaveUp(true);
        return;
      }
      void queryClient.invalidateQueries({ queryKey: listProviderAccountsQueryKey() });
      void queryClient.invalidateQueries({ queryKey: getProviderCostSyncQueryKey({ path: { accountId: account.id } }) });
    }, RESULT_POLL_MS);
    return () => window.clearInterval(timer);
  }, [waiting, requested, queryClient, account.id]);
  if (!sync) return null;
  const drift = sync.driftMicroUsd;
  return (
    <section className="cost-sync" data-testid="cost-sync" data-enabled={sync.enabled} data-status={sync.status ?? ''} aria-label={`Cost sync of ${account.name}`}>
      <div className="cost-sync-head">
        <span className="cost-sync-title">Cost sync</span>
        <StatusBadge sync={sync} />
        {sync.enabled ? (
          <span className="muted small" data-testid="cost-sync-last-day">
            {sync.lastSyncedDay ? (
              <>
                Last synced day <strong>{formatUtcDay(sync.lastSyncedDay)}</strong> (UTC){sync.lastCheckedAt ? <span title={formatDateTime(sync.lastCheckedAt)}> · checked {formatRelative(sync.lastCheckedAt)}</span> : null}
              </>
            ) : (
              `No closed day compared yet: the scheduled sync reads ${provider}’s costs for closed UTC days.`
            )}
          </span>
        ) : (
          <span className="muted small">Add an admin key to compare these costs with {provider}&apos;s bill: until then they stay estimates.</span>
        )}
        {canManage && sync.enabled ? (
          <button
            type="button"
            className="btn btn-secondary btn-small cost-sync-now"
            data-testid="cost-sync-now"
            disabled={request.isPending}
            onClick={() => {
              setRequested(null);
              request.mutate({ path: { accountId: account.id } });
            }}
          >
            {request.isPending ? 'Queuing…' : 'Sync now'}
          </button>
        ) : null}
      </div>
      {sync.enabled && sync.lastError ? (
        <p className="alert alert-error" role="alert" data-testid="cost-sync-error" data-code={sync.lastError.code}>
          Cost sync failed{sync.lastAttemptAt ? <span title={formatDateTime(sync.lastAttemptAt)}> {formatRelative(sync.lastAttemptAt)}</span> : null}: {sync.lastError.message}
        </p>
      ) : null}
      {sync.enabled && sync.lastSyncedDay && drift !== null && sync.providerMicroUsd !== null && sync.vaultrunMicroUsd !== null ? (
        <p className={sync.status === 'drift' ? 'cost-sync-drift' : 'cost-sync-matched'} data-testid="cost-sync-figures" data-drift-micro-usd={drift}>
          {provider} {formatUsd(sync.providerMicroUsd)} · Vaultrun {formatUsd(sync.vaultrunMicroUsd)}
          {sync.status === 'drift' ? (
            <>
              {' '}
              · drift <strong>{drift > 0 ? '+' : ''}{formatUsd(drift)}</strong> — <span data-testid="cost-sync-drift-meaning">{driftMeaning(drift, provider)}</span>
            </>
          ) : (
            ' · within max($0.01, 1%): the day’s runs are Verified by Provider.'
          )}
        </p>
      ) : null}
      {notice ? (
        <p className={`alert ${waiting ? 'alert-info' : 'alert-success'}`} role="status" data-testid="cost-sync-notice">
          {notice}
        </p>
      ) : null}
      <ProblemAlert error={request.error} />
      {sync.enabled ? (
        <details className="cost-sync-history" onToggle={(e) => setShowHistory((e.target as HTMLDetailsElement).open)}>
          <summary>Days compared</summary>
          {showHistory ? <CostSyncHistory accountId={account.id} provider={provider} /> : null}
        </details>
      ) : null}
    </section>
  );
}

function CostSyncHistory({ accountId, provider }: { accountId: string; provider: string }) {
  const days = useQuery(getProviderCostSyncOptions({ path: { accountId } }));
  if (days.isPending) return <Loading />;
  if (days.isError) return <ProblemAlert error={days.error} />;
  if (days.data.items.length === 0) return <p className="muted">No day compared yet.</p>;
  return (
    <div className="table-wrap">
      <table className="table cost-sync-table">
        <thead>
          <tr>
            <th scope="col">Day (UTC)</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              {provider}
            </th>
            <th scope="col" className="num">
              Vaultrun
            </th>
            <th scope="col" className="num">
              Drift
            </th>
            <th scope="col" className="num" title={`The correction applied to budget spend, so spend equals ${provider}'s figure`}>
              Budget correction
            </th>
            <th scope="col" className="num">
              Checks
            </th>
          </tr>
        </thead>
        <tbody>
          {days.data.items.map((d) => (
            <tr key={d.day} data-testid="cost-sync-day" data-status={d.status}>
              <th scope="row">{formatUtcDay(d.day)}</th>
              <td>
                <Badge tone={d.status === 'matched' ? 'green' : 'amber'}>{d.status === 'matched' ? 'Matched' : 'Drift'}</Badge>
              </td>
              <td className="num">{formatUsd(d.providerMicroUsd)}</td>
              <td className="num">{formatUsd(d.vaultrunMicroUsd)}</td>
              <td className="num" title={driftMeaning(d.driftMicroUsd, provider)}>
                {d.driftMicroUsd > 0 ? '+' : ''}
                {formatUsd(d.driftMicroUsd)}
              </td>
              <td className="num">{d.appliedMicroUsd ? formatUsd(d.appliedMicroUsd) : '—'}</td>
              <td className="num">{d.checks}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
