import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation } from 'react-router';
import { listBudgetsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { BudgetDto } from '../../api/generated/types.gen.js';
import { type Column, DataTable, FilterSelect, RowToggle, SearchBox } from '../../lib/DataTable.js';
import { compareBy, type SortState, useListState, useRowFocus } from '../../lib/list-state.js';
import { formatUsd, percentOf } from '../../lib/money.js';
import { useCan } from '../../lib/session.js';
import { Badge, PageHeader } from '../../lib/ui.js';
import { LiveIndicator } from '../runs/LiveIndicator.js';
import { useRunStream } from '../runs/run-stream.js';
import { useMoneyFollowsRuns } from './budget-cache.js';
import { BudgetCard } from './BudgetCard.js';
import { PERIODS, periodLabel, scopeText } from './budget-labels.js';
import { BudgetForm } from './BudgetForm.js';
import { PriceOverrides } from './PriceOverrides.js';
import { SpendSection } from './SpendSection.js';

const STATUS_FILTERS = [
  { value: '', label: 'Any state' },
  { value: 'attention', label: 'Needs attention' },
  { value: 'soft', label: 'Soft threshold reached' },
  { value: 'exhausted', label: 'No headroom or paused' },
  { value: 'ok', label: 'Within budget' },
];
const DEFAULT_SORT: SortState = { key: 'name', direction: 'asc' };

const isExhausted = (b: BudgetDto) => b.currentPeriod.exhausted || b.currentPeriod.remainingMicroUsd === 0;
const matchesState: Record<string, (b: BudgetDto) => boolean> = {
  attention: (b) => isExhausted(b) || b.currentPeriod.softThresholdReached || b.currentPeriod.overageMicroUsd > 0,
  soft: (b) => b.currentPeriod.softThresholdReached,
  exhausted: isExhausted,
  ok: (b) => !isExhausted(b) && !b.currentPeriod.softThresholdReached,
};
const SORT_VALUES: Record<string, (b: BudgetDto) => string | number> = {
  name: (b) => b.name,
  used: (b) => (b.capMicroUsd ? b.currentPeriod.spentMicroUsd / b.capMicroUsd : Infinity),
  spent: (b) => b.currentPeriod.spentMicroUsd,
  cap: (b) => b.capMicroUsd,
};

export function BudgetsPage() {
  const canManage = useCan('budgets:manage');
  // Holds and spend move as runs start and finish: the run stream refreshes the figures (no polling).
  const { state: live } = useRunStream();
  useMoneyFollowsRuns();
  const budgets = useQuery(listBudgetsOptions());
  const list = useListState({ filters: ['state', 'period'], defaultSort: DEFAULT_SORT, pageSize: 50 });
  // /budgets#budget-<id> (a blocked run, the audit trail link here): that budget opens and is marked.
  const focus = useRowFocus('budget');
  // A budget reached through a link is marked, not announced as new.
  const { hash } = useLocation();
  const targetFromLink = (id: string) => hash === `#budget-${id}`;
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const all = budgets.data?.items ?? [];
  const targetMissing = !!focus.highlightId && !!budgets.data && !all.some((b) => b.id === focus.highlightId);
  // A workspace has a handful of budgets: they are searched, filtered and sorted here, with the same controls as the server lists.
  const needle = list.query.toLowerCase();
  const shown = all
    .filter((b) => !needle || b.name.toLowerCase().includes(needle) || (b.scope.label ?? '').toLowerCase().includes(needle))
    .filter((b) => !list.filters.state || (matchesState[list.filters.state]?.(b) ?? true))
    .filter((b) => !list.filters.period || b.period === list.filters.period)
    .sort(compareBy(SORT_VALUES[list.sort.key] ?? SORT_VALUES.name!, list.sort.direction));
  const pageItems = shown.slice((list.page - 1) * list.pageSize, list.page * list.pageSize);

  const columns: Column<BudgetDto>[] = [
    {
      key: 'name',
      header: 'Budget',
      sortKey: 'name',
      primary: true,
      cell: (b) => (
        <span>
          <span className="cell-strong">{b.name}</span>
          {b.id === focus.highlightId && !targetFromLink(b.id) ? <span className="new-badge">New</span> : null}
          <span className="cell-sub">{scopeText(b.scope)}</span>
        </span>
      ),
    },
    { key: 'period', header: 'Period', cell: (b) => periodLabel(b.period) },
    {
      key: 'used',
      header: 'Used',
      sortKey: 'used',
      cell: (b) => (
        <span className="budget-used">
          <span className="mini-meter" aria-hidden="true">
            <span style={{ width: `${Math.min(100, percentOf(b.currentPeriod.spentMicroUsd, b.capMicroUsd))}%` }} className={isExhausted(b) ? 'mini-meter-full' : b.currentPeriod.softThresholdReached ? 'mini-meter-warn' : undefined} />
          </span>
          {percentOf(b.currentPeriod.spentMicroUsd, b.capMicroUsd)}%
        </span>
      ),
    },
    { key: 'spent', header: 'Spent', sortKey: 'spent', align: 'right', cell: (b) => formatUsd(b.currentPeriod.spentMicroUsd) },
    { key: 'cap', header: 'Cap', sortKey: 'cap', align: 'right', cell: (b) => formatUsd(b.capMicroUsd) },
    {
      key: 'state',
      header: 'State',
      cell: (b) =>
        b.currentPeriod.exhausted ? (
          <Badge tone="red">Paused</Badge>
        ) : b.currentPeriod.remainingMicroUsd === 0 ? (
          <Badge tone="red">No headroom</Badge>
        ) : b.currentPeriod.softThresholdReached ? (
          <Badge tone="amber">Soft threshold</Badge>
        ) : (
          <Badge tone="green">OK</Badge>
        ),
    },
    {
      key: 'open',
      header: <span className="visually-hidden">Details</span>,
      label: '',
      cell: (b) => <RowToggle open={focus.openId === b.id} onToggle={() => focus.toggle(b.id)} name={b.name} testId="budget-row-toggle" />,
    },
  ];

  return (
    <>
      <PageHeader
        title="Budgets"
        description="Guardrails on your own provider bills. Every run holds its worst case against each budget that covers it before the provider is called, and settles to what it really cost."
        actions={
          <>
            <LiveIndicator state={live} />
            {canManage && !creating ? (
              <button
                type="button"
                className="btn btn-primary"
                data-testid="budget-new"
                onClick={() => {
                  setNotice(null);
                  setCreating(true);
                }}
              >
                New budget
              </button>
            ) : null}
          </>
        }
      />

      {notice ? (
        <div className="alert alert-success alert-dismissible" role="status" data-testid="budget-notice">
          <span>{notice}</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      {targetMissing ? (
        <div className="alert alert-info" role="status">
          That budget no longer exists: it was deleted after it blocked the run.
        </div>
      ) : null}

      {creating ? (
        <section className="card add-flow" aria-labelledby="budget-new-heading" data-testid="budget-new-panel">
          <div className="add-flow-header">
            <h2 id="budget-new-heading">New budget</h2>
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
          <BudgetForm
            budget={null}
            onSaved={(saved) => {
              setCreating(false);
              focus.select(saved.id);
              setNotice(
                saved.countFrom === 'period_start'
                  ? `Budget “${saved.name}” created. It counts this period from its start: ${formatUsd(saved.currentPeriod.openingMicroUsd)} was already spent.`
                  : `Budget “${saved.name}” created. It counts runs from now on.`,
              );
            }}
            onCancel={() => setCreating(false)}
          />
        </section>
      ) : null}

      <section aria-labelledby="budgets-heading" className="card">
        <div className="section-heading">
          <h2 id="budgets-heading">Budgets</h2>
          <span className="muted small">periods are UTC</span>
        </div>
        <DataTable
          label="Budgets"
          columns={columns}
          rows={pageItems}
          rowKey={(b) => b.id}
          rowTestId="budget-row"
          rowData={(b) => ({ 'budget-id': b.id, name: b.name })}
          sort={list.sort}
          onSort={list.setSort}
          highlightId={focus.highlightId}
          pinned={focus.highlightId && !pageItems.some((b) => b.id === focus.highlightId) ? all.filter((b) => b.id === focus.highlightId) : []}
          expandedId={focus.openId}
          renderExpanded={(b) => <BudgetCard budget={b} canManage={canManage} highlighted={b.id === focus.highlightId} />}
          loading={budgets.isPending}
          error={budgets.error}
          summary={budgets.data ? `${shown.length === all.length ? all.length : `${shown.length} of ${all.length}`} ${all.length === 1 ? 'budget' : 'budgets'}` : null}
          empty={
            list.narrowed ? (
              <>
                No budget matches.{' '}
                <button type="button" className="btn btn-ghost btn-small" onClick={list.clear}>
                  Clear the search and filters
                </button>
              </>
            ) : canManage ? (
              'No budgets yet. Create one to cap what runs may cost per day, week, month or in total — for the workspace, a provider account, an operator or an API token.'
            ) : (
              'No budgets in this workspace yet. Owners and admins can create them.'
            )
          }
          toolbar={
            <>
              <SearchBox value={list.search} onChange={list.setSearch} label="Search name or scope" testId="budget-search" />
              <FilterSelect label="State" value={list.filters.state ?? ''} onChange={(v) => list.setFilter('state', v)} options={STATUS_FILTERS} testId="budget-filter-state" />
              <FilterSelect
                label="Period"
                value={list.filters.period ?? ''}
                onChange={(v) => list.setFilter('period', v)}
                options={[{ value: '', label: 'Any period' }, ...PERIODS.map((p) => ({ value: p.value, label: p.label }))]}
                testId="budget-filter-period"
              />
            </>
          }
          pagination={{ page: list.page, pageSize: list.pageSize, total: shown.length, onPage: list.setPage }}
        />
      </section>

      <SpendSection />
      <PriceOverrides canManage={canManage} />
    </>
  );
}

export default BudgetsPage;
