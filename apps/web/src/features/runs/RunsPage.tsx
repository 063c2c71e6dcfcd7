import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { listRunsInfiniteOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ListRunsData, RunDto } from '../../api/generated/types.gen.js';
import { formatCount, formatDateTime, formatDuration, formatElapsed, formatRelative, msBetween } from '../../lib/format.js';
import { EmptyState, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { paidWithLabel } from '../credits/credit-labels.js';
import { CostWithLabel } from '../money/CostLabelBadge.js';
import { LiveIndicator } from './LiveIndicator.js';
import { QueueHealthPanel } from './QueueHealthPanel.js';
import { useLiveRuns } from './run-cache.js';
import { isFinal, RUN_STATUSES, runStatusLabel, type RunStatus } from './run-labels.js';
import { type RunLookups, useRunLookups } from './run-lookups.js';
import { BlockedBy, RunStatusChip, StatusReason } from './RunStatus.js';
import { useNow } from './use-now.js';

const PAGE_SIZE = 25;

type RunQuery = NonNullable<ListRunsData['query']>;

/** The filters live in the address (?status=failed,blocked&operator=…&account=…), so a filtered view can be shared. */
function useRunFilters() {
  const [params, setParams] = useSearchParams();
  const statuses = (params.get('status') ?? '').split(',').filter((s): s is RunStatus => (RUN_STATUSES as readonly string[]).includes(s));
  const operatorId = params.get('operator') ?? '';
  const accountId = params.get('account') ?? '';
  const update = (next: { statuses?: RunStatus[]; operatorId?: string; accountId?: string }) => {
    const out = new URLSearchParams(params);
    const set = (key: string, value: string) => (value ? out.set(key, value) : out.delete(key));
    if (next.statuses) set('status', RUN_STATUSES.filter((s) => next.statuses!.includes(s)).join(','));
    if (next.operatorId !== undefined) set('operator', next.operatorId);
    if (next.accountId !== undefined) set('account', next.accountId);
    setParams(out, { replace: true });
  };
  return { statuses, operatorId, accountId, update, active: statuses.length > 0 || !!operatorId || !!accountId };
}

export function RunsPage() {
  const { state: live, ready } = useLiveRuns();
  const lookups = useRunLookups();
  const filters = useRunFilters();

  const query: RunQuery = { limit: PAGE_SIZE };
  if (filters.statuses.length) query.status = filters.statuses;
  if (filters.operatorId) query.operatorId = filters.operatorId;
  if (filters.accountId) query.accountId = filters.accountId;

  const runs = useInfiniteQuery({
    // The API takes several statuses comma-separated (status=failed,blocked).
    ...listRunsInfiniteOptions({ query, querySerializer: { array: { explode: false, style: 'form' } } }),
    initialPageParam: {},
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // The stream keeps the loaded pages current; a refetch is only needed after a gap in it (run-cache.ts).
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    enabled: ready,
  });
  const items = useMemo(() => runs.data?.pages.flatMap((p) => p.items) ?? [], [runs.data]);

  return (
    <>
      <PageHeader
        title="Runs"
        description="Every operator run in this workspace, newest first. Statuses update live as workers pick runs up, wait for capacity and finish."
        actions={<LiveIndicator state={live} />}
      />
      <QueueHealthPanel ready={ready} />
      <section className="card runs-card" aria-label="Runs">
        <RunFilters filters={filters} lookups={lookups} />
        {runs.isPending ? (
          <Loading />
        ) : runs.isError && items.length === 0 ? (
          <ProblemAlert error={runs.error} />
        ) : items.length === 0 ? (
          <EmptyState>
            {filters.active ? (
              'No runs match these filters.'
            ) : (
              <>
                No runs yet. Start one from an <Link to="/operators">operator</Link>.
              </>
            )}
          </EmptyState>
        ) : (
          <>
            <RunsTable items={items} lookups={lookups} />
            {runs.isFetchNextPageError ? <ProblemAlert error={runs.error} /> : null}
            <div className="table-footer">
              <span className="muted">
                {items.length} run{items.length === 1 ? '' : 's'} shown
              </span>
              {runs.hasNextPage ? (
                <button type="button" className="btn btn-secondary" data-testid="runs-load-more" disabled={runs.isFetchingNextPage} onClick={() => void runs.fetchNextPage()}>
                  {runs.isFetchingNextPage ? 'Loading…' : 'Load more'}
                </button>
              ) : (
                <span className="muted">No older runs</span>
              )}
            </div>
          </>
        )}
      </section>
    </>
  );
}

function RunFilters({ filters, lookups }: { filters: ReturnType<typeof useRunFilters>; lookups: RunLookups }) {
  const toggle = (status: RunStatus) =>
    filters.update({ statuses: filters.statuses.includes(status) ? filters.statuses.filter((s) => s !== status) : [...filters.statuses, status] });
  return (
    <div className="run-filters" role="search" aria-label="Filter runs">
      <fieldset className="status-filter">
        <legend className="filter-label">Status</legend>
        <div className="toggle-chips">
          <button type="button" className={`toggle-chip${filters.statuses.length === 0 ? ' toggle-chip-on' : ''}`} aria-pressed={filters.statuses.length === 0} onClick={() => filters.update({ statuses: [] })}>
            Any
          </button>
          {RUN_STATUSES.map((s) => (
            <button
              key={s}
              type="button"
              className={`toggle-chip toggle-chip-${s}${filters.statuses.includes(s) ? ' toggle-chip-on' : ''}`}
              aria-pressed={filters.statuses.includes(s)}
              data-testid={`runs-filter-status-${s}`}
              onClick={() => toggle(s)}
            >
              {runStatusLabel(s)}
            </button>
          ))}
        </div>
      </fieldset>
      <div className="filter-selects">
        <label className="filter-select">
          <span className="filter-label">Operator</span>
          <select data-testid="runs-filter-operator" value={filters.operatorId} onChange={(e) => filters.update({ operatorId: e.target.value })}>
            <option value="">All operators</option>
            {lookups.operators.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
        <label className="filter-select">
          <span className="filter-label">Account</span>
          <select data-testid="runs-filter-account" value={filters.accountId} onChange={(e) => filters.update({ accountId: e.target.value })}>
            <option value="">All accounts</option>
            {lookups.accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        {filters.active ? (
          <button type="button" className="btn btn-ghost btn-small" onClick={() => filters.update({ statuses: [], operatorId: '', accountId: '' })}>
            Clear filters
          </button>
        ) : null}
      </div>
    </div>
  );
}

function RunsTable({ items, lookups }: { items: RunDto[]; lookups: RunLookups }) {
  const navigate = useNavigate();
  const now = useNow(1000);
  return (
    <div className="table-wrap">
      <table className="table runs-table">
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Operator</th>
            <th scope="col">Account · model</th>
            <th scope="col">Created</th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col" className="num">
              Tokens
            </th>
            <th scope="col" className="num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((run) => (
            <tr
              key={run.id}
              className="row-link"
              data-testid="run-row"
              data-run-id={run.id}
              data-status={run.status}
              onClick={(e) => {
                // Let the link (and text selection) behave natively; elsewhere, the whole row opens the run.
                if ((e.target as HTMLElement).closest('a') || window.getSelection()?.toString()) return;
                void navigate(`/runs/${run.id}`);
              }}
            >
              <td className="cell-status">
                <RunStatusChip status={run.status} />
                <StatusReason run={run} now={now} />
                <BlockedBy run={run} />
              </td>
              <td>
                <Link to={`/runs/${run.id}`} className="run-link">
                  {run.operatorId ? lookups.operatorName(run.operatorId) : `${run.kind} run`}
                </Link>
                <span className="run-id mono">{run.id.slice(0, 8)}</span>
              </td>
              <td>
                <span className="cell-account">{lookups.accountName(run.accountId)}</span>
                <code className="mono cell-model">{run.model}</code>
                <span className="cell-paid" data-testid="run-paid-with" data-paid-with={run.paidWith}>
                  {paidWithLabel(run.paidWith, lookups.accountName(run.accountId))}
                </span>
              </td>
              <td className="nowrap" title={formatDateTime(run.createdAt)}>
                {formatRelative(run.createdAt, '—', now)}
              </td>
              <td className="num nowrap">
                <RunDuration run={run} now={now} />
              </td>
              <td className="num nowrap">
                <RunTokens run={run} />
              </td>
              <td className="num cell-cost">
                <RunCost run={run} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Run time (started → finished, ticking while it runs); before it starts, how long it has waited. */
function RunDuration({ run, now }: { run: RunDto; now: number }) {
  const { startedAt, finishedAt, queuedAt } = run.timings;
  if (startedAt) {
    if (isFinal(run.status)) return <span>{formatDuration(msBetween(startedAt, finishedAt, now))}</span>;
    return <span className="ticking">{formatElapsed(msBetween(startedAt, null, now))}</span>;
  }
  if (isFinal(run.status)) return <span className="muted">—</span>;
  return <span className="muted">in queue {formatElapsed(msBetween(queuedAt, null, now))}</span>;
}

/** The cost with its label once the run reached a provider; before that nothing was spent. */
function RunCost({ run }: { run: RunDto }) {
  if (!run.costLabel) return <span className="muted" data-testid="run-cost" data-label="none">{isFinal(run.status) ? '—' : ''}</span>;
  return <CostWithLabel costMicroUsd={run.costMicroUsd} costLabel={run.costLabel} testId="run-cost" />;
}

function RunTokens({ run }: { run: RunDto }) {
  if (!run.usage) return <span className="muted">—</span>;
  const { inputTokens, outputTokens, cachedInputTokens } = run.usage;
  return (
    <span title={`${formatCount(inputTokens)} input (${formatCount(cachedInputTokens)} cached) · ${formatCount(outputTokens)} output`}>
      {formatCount(inputTokens + outputTokens)}
      <span className="muted small"> ({formatCount(inputTokens)} in · {formatCount(outputTokens)} out)</span>
    </span>
  );
}
