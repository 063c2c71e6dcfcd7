import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useNavigate } from 'react-router';
import { listComparisonsInfiniteOptions, listOperatorsOptions, listProviderAccountsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ComparisonDto, ComparisonSideDto } from '../../api/generated/types.gen.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { EmptyState, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { CostWithLabel } from '../money/CostLabelBadge.js';
import { LiveIndicator } from '../runs/LiveIndicator.js';
import { RunStatusChip } from '../runs/RunStatus.js';
import { useNow } from '../runs/use-now.js';
import { useComparisonsFollowRuns } from './comparison-cache.js';
import { formatShare } from './comparison-format.js';
import { StartComparisonForm } from './StartComparisonForm.js';
import './comparisons.css';

const PAGE_SIZE = 25;

export function ComparisonsPage() {
  const canCreateRuns = useCan('runs:create');
  const canUseVault = useCan('vault:use');
  const canStart = canCreateRuns && canUseVault;
  const canSeeAccounts = useCan('vault:read');
  const { state: live, ready } = useComparisonsFollowRuns();
  const operators = useQuery({ ...listOperatorsOptions(), enabled: canStart });
  const accounts = useQuery({ ...listProviderAccountsOptions(), enabled: canStart && canSeeAccounts });
  const comparisons = useInfiniteQuery({
    ...listComparisonsInfiniteOptions({ query: { limit: PAGE_SIZE } }),
    initialPageParam: {},
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    enabled: ready,
  });
  const items = useMemo(() => comparisons.data?.pages.flatMap((p) => p.items) ?? [], [comparisons.data]);

  return (
    <>
      <PageHeader
        title="Comparisons"
        description="Run one input on the mock provider and on a live account, side by side: outputs, schema validity, tokens, latency, and how far the worst-case estimate held before the call was from what the call was charged."
        actions={<LiveIndicator state={live} />}
      />
      {canStart ? (
        <section className="card" aria-labelledby="cmp-new-heading" data-testid="comparison-new">
          <h2 id="cmp-new-heading">New comparison</h2>
          {operators.isPending || accounts.isPending ? (
            <Loading />
          ) : operators.isError || accounts.isError ? (
            <ProblemAlert error={operators.error ?? accounts.error} />
          ) : (
            <StartComparisonForm operators={operators.data.items} accounts={accounts.data.items} />
          )}
        </section>
      ) : null}

      <section className="card runs-card" aria-labelledby="cmp-list-heading">
        <div className="section-heading">
          <h2 id="cmp-list-heading">Past comparisons</h2>
        </div>
        {comparisons.isPending ? (
          <Loading />
        ) : comparisons.isError && items.length === 0 ? (
          <ProblemAlert error={comparisons.error} />
        ) : items.length === 0 ? (
          <EmptyState>No comparisons yet.{canStart ? ' Start one above.' : ''}</EmptyState>
        ) : (
          <>
            <ComparisonsTable items={items} />
            {comparisons.isFetchNextPageError ? <ProblemAlert error={comparisons.error} /> : null}
            <div className="table-footer">
              <span className="muted">
                {items.length} comparison{items.length === 1 ? '' : 's'} shown
              </span>
              {comparisons.hasNextPage ? (
                <button type="button" className="btn btn-secondary" data-testid="comparisons-load-more" disabled={comparisons.isFetchingNextPage} onClick={() => void comparisons.fetchNextPage()}>
                  {comparisons.isFetchingNextPage ? 'Loading…' : 'Load more'}
                </button>
              ) : (
                <span className="muted">No older comparisons</span>
              )}
            </div>
          </>
        )}
      </section>
    </>
  );
}

function ComparisonsTable({ items }: { items: ComparisonDto[] }) {
  const navigate = useNavigate();
  const now = useNow(15_000);
  return (
    <div className="table-wrap">
      <table className="table runs-table cmp-table">
        <thead>
          <tr>
            <th scope="col">Operator · input · started</th>
            <th scope="col">Mock</th>
            <th scope="col">Live</th>
            <th scope="col">Outputs</th>
            <th scope="col" className="num" title="What the live call was charged, as a share of the worst case held before it">
              Estimate check
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr
              key={c.id}
              className="row-link"
              data-testid="comparison-row"
              data-comparison-id={c.id}
              onClick={(e) => {
                if ((e.target as HTMLElement).closest('a, button') || window.getSelection()?.toString()) return;
                void navigate(`/comparisons/${c.id}`);
              }}
            >
              <td className="cmp-cell-what">
                <Link to={`/comparisons/${c.id}`} className="run-link">
                  {c.operator.name ?? 'Deleted operator'}
                </Link>
                <span className="cmp-input-excerpt" title={c.input}>
                  {c.input}
                </span>
                <span className="muted small" title={formatDateTime(c.createdAt)}>
                  {formatRelative(c.createdAt, '—', now)}
                </span>
              </td>
              <td>
                <SideCell side={c.mock} testId="row-mock" />
              </td>
              <td>
                <SideCell side={c.live} testId="row-live" />
              </td>
              <td>
                <OutputsCell comparison={c} />
              </td>
              <td className="num nowrap">
                <strong data-testid="row-live-share">{formatShare(c.live.estimate.chargedShareOfWorstCase)}</strong>
                <span className="muted small cmp-share-note">of the live worst case</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SideCell({ side, testId }: { side: ComparisonSideDto; testId: string }) {
  return (
    <div className="cmp-side-cell" data-testid={testId} data-status={side.status}>
      <span className="cmp-side-cell-top">
        <RunStatusChip status={side.status} testId={`${testId}-status`} />
        {side.costLabel ? <CostWithLabel costMicroUsd={side.costMicroUsd} costLabel={side.costLabel} testId={`${testId}-cost`} /> : null}
      </span>
      <span className="muted small">
        {side.accountName ?? 'Account'} · <code className="mono">{side.model}</code>
      </span>
    </div>
  );
}

function OutputsCell({ comparison }: { comparison: ComparisonDto }) {
  const d = comparison.differences;
  if (d.outputsEqual === null) return <span className="muted">{d.bothFinished ? 'Not both answered' : '…'}</span>;
  return d.outputsEqual ? <span className="badge badge-green">Identical</span> : <span className="badge badge-amber">Different</span>;
}
