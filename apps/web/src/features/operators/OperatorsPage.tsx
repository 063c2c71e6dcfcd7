import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { getOperatorOptions, getWorkspaceOptions, listOperatorsOptions, listProviderAccountsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ListOperatorsData, OperatorDto, ProviderAccountDto, WorkspaceDto } from '../../api/generated/types.gen.js';
import { type Column, DataTable, FilterSelect, RowToggle, SearchBox } from '../../lib/DataTable.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { type SortState, sortParam, useListState, useRowFocus } from '../../lib/list-state.js';
import { formatUsd } from '../../lib/money.js';
import { useCan } from '../../lib/session.js';
import { PageHeader } from '../../lib/ui.js';
import { statusLabel, statusTone } from '../vault/account-labels.js';
import { OperatorCard } from './OperatorCard.js';
import { OperatorForm } from './OperatorForm.js';

type OperatorsQuery = NonNullable<ListOperatorsData['query']>;

const HEALTH_FILTERS = [
  { value: '', label: 'Any' },
  { value: 'unusable', label: "Account can't run" },
  { value: 'usable', label: 'Account can run' },
];
const FORMAT_FILTERS = [
  { value: '', label: 'Any output' },
  { value: 'text', label: 'Text' },
  { value: 'json_schema', label: 'JSON schema' },
];
const UNUSABLE = new Set(['invalid_key', 'quota_exhausted', 'disabled']);
const DEFAULT_SORT: SortState = { key: 'name', direction: 'asc' };

export function OperatorsPage() {
  const canManage = useCan('operators:manage');
  const canRun = useCan('runs:create');
  const canSeeAccounts = useCan('vault:read');
  const list = useListState({ filters: ['health', 'format', 'account'], defaultSort: DEFAULT_SORT });
  const focus = useRowFocus('operator');
  const query: OperatorsQuery = { sort: sortParam(list.sort) as OperatorsQuery['sort'], limit: list.pageSize, offset: (list.page - 1) * list.pageSize };
  if (list.query) query.q = list.query;
  if (list.filters.health) query.health = list.filters.health as OperatorsQuery['health'];
  if (list.filters.format) query.outputFormat = list.filters.format as OperatorsQuery['outputFormat'];
  if (list.filters.account) query.accountId = list.filters.account;
  const operators = useQuery({ ...listOperatorsOptions({ query }), placeholderData: keepPreviousData });
  const accounts = useQuery({ ...listProviderAccountsOptions(), enabled: canSeeAccounts });
  const workspace = useQuery(getWorkspaceOptions());
  const items = operators.data?.items ?? [];
  const highlightMissing = !!focus.highlightId && !!operators.data && !items.some((o) => o.id === focus.highlightId);
  const highlighted = useQuery({ ...getOperatorOptions({ path: { operatorId: focus.highlightId ?? '' } }), enabled: highlightMissing });
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const accountList = accounts.data?.items ?? [];
  const accountOf = (id: string | null) => (id ? accountList.find((a) => a.id === id) : undefined);

  const columns: Column<OperatorDto>[] = [
    {
      key: 'name',
      header: 'Operator',
      sortKey: 'name',
      primary: true,
      cell: (o) => (
        <span>
          <span className="cell-strong">{o.name}</span>
          {o.id === focus.highlightId ? <span className="new-badge">New</span> : null}
          {o.description ? <span className="cell-sub">{o.description}</span> : null}
        </span>
      ),
    },
    {
      key: 'account',
      header: 'Account',
      cell: (o) => {
        if (!o.accountId) return <span className="muted">Workspace default</span>;
        const account = accountOf(o.accountId);
        if (!account) return <span className="muted">Not shared with you</span>;
        return (
          <span>
            {account.name}
            {UNUSABLE.has(account.status) ? (
              <span className={`badge badge-${statusTone(account.status)} badge-inline`} data-testid="operator-account-problem">
                {statusLabel(account)}
              </span>
            ) : null}
          </span>
        );
      },
    },
    { key: 'model', header: 'Model', sortKey: 'model', cell: (o) => (o.model ? <code className="mono">{o.model}</code> : <span className="muted">Account default</span>) },
    { key: 'format', header: 'Output', cell: (o) => (o.outputFormat === 'json_schema' ? 'JSON schema' : 'Text') },
    { key: 'cap', header: 'Cost cap', align: 'right', cell: (o) => (o.costCapMicroUsd === null ? <span className="muted">None</span> : formatUsd(o.costCapMicroUsd)) },
    { key: 'updated', header: 'Updated', sortKey: 'updated', cell: (o) => <span title={formatDateTime(o.updatedAt)}>{formatRelative(o.updatedAt)}</span> },
    {
      key: 'open',
      header: <span className="visually-hidden">Details</span>,
      label: '',
      cell: (o) => <RowToggle open={focus.openId === o.id} onToggle={() => focus.toggle(o.id)} name={o.name} testId="operator-list-toggle" />,
    },
  ];

  return (
    <>
      <PageHeader
        title="Operators"
        description="Reusable agents: instructions, a provider account and model, and the output they must produce. Run one to queue the work on your own key."
        actions={
          canManage && !creating ? (
            <button
              type="button"
              className="btn btn-primary"
              data-testid="operator-new"
              onClick={() => {
                setNotice(null);
                setCreating(true);
              }}
            >
              New operator
            </button>
          ) : null
        }
      />

      <WorkspaceDefaults workspace={workspace.data} accounts={accountList} />

      {notice ? (
        <div className="alert alert-success alert-dismissible" role="status">
          <span>{notice}</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      ) : null}

      {creating ? (
        <section className="card add-flow" aria-labelledby="operator-new-heading" data-testid="operator-new-panel">
          <div className="add-flow-header">
            <h2 id="operator-new-heading">New operator</h2>
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
          <OperatorForm
            operator={null}
            accounts={accountList}
            workspace={workspace.data}
            onSaved={(saved) => {
              setCreating(false);
              focus.select(saved.id);
              setNotice(`Operator “${saved.name}” created.${canRun ? ' Use Run to start it.' : ''}`);
            }}
            onCancel={() => setCreating(false)}
          />
        </section>
      ) : null}

      <section aria-labelledby="operators-heading" className="card">
        <div className="section-heading">
          <h2 id="operators-heading">Operators</h2>
        </div>
        <DataTable
          label="Operators"
          columns={columns}
          rows={items}
          rowKey={(o) => o.id}
          rowTestId="operator-list-row"
          rowData={(o) => ({ 'operator-id': o.id, name: o.name })}
          sort={list.sort}
          onSort={list.setSort}
          highlightId={focus.highlightId}
          pinned={highlightMissing && highlighted.data ? [highlighted.data] : []}
          expandedId={focus.openId}
          renderExpanded={(o) => <OperatorCard operator={o} accounts={accountList} workspace={workspace.data} canManage={canManage} canRun={canRun} />}
          loading={operators.isPending}
          error={operators.error}
          summary={operators.data ? `${operators.data.total} ${operators.data.total === 1 ? 'operator' : 'operators'}${list.narrowed ? ' match' : ' in this workspace'}` : null}
          empty={
            list.narrowed ? (
              <>
                No operator matches.{' '}
                <button type="button" className="btn btn-ghost btn-small" onClick={list.clear}>
                  Clear the search and filters
                </button>
              </>
            ) : canManage ? (
              'No operators yet. Create one: give it instructions, and run it on your provider account.'
            ) : (
              'No operators in this workspace yet.'
            )
          }
          toolbar={
            <>
              <SearchBox value={list.search} onChange={list.setSearch} label="Search name, description or model" testId="operator-search" />
              <FilterSelect label="Account health" value={list.filters.health ?? ''} onChange={(v) => list.setFilter('health', v)} options={HEALTH_FILTERS} testId="operator-filter-health" />
              <FilterSelect label="Output" value={list.filters.format ?? ''} onChange={(v) => list.setFilter('format', v)} options={FORMAT_FILTERS} testId="operator-filter-format" />
              {accountList.length > 1 ? (
                <FilterSelect
                  label="Account"
                  value={list.filters.account ?? ''}
                  onChange={(v) => list.setFilter('account', v)}
                  options={[{ value: '', label: 'Any account' }, ...accountList.map((a) => ({ value: a.id, label: a.name }))]}
                  testId="operator-filter-account"
                />
              ) : null}
            </>
          }
          pagination={operators.data ? { page: list.page, pageSize: list.pageSize, total: operators.data.total, onPage: list.setPage } : undefined}
        />
      </section>
    </>
  );
}

export default OperatorsPage;

/** Where operators without an account or model of their own run (PATCH /workspace, Settings). */
function WorkspaceDefaults({ workspace, accounts }: { workspace: WorkspaceDto | undefined; accounts: ProviderAccountDto[] }) {
  const canManageWorkspace = useCan('workspace:manage');
  if (!workspace) return null;
  const account = accounts.find((a) => a.id === workspace.defaultAccountId);
  const accountText = workspace.defaultAccountId ? (account?.name ?? 'an account not shared with you') : null;
  const model = account?.defaultModel ?? workspace.defaultModel;
  return (
    <aside className="defaults-strip" data-testid="workspace-defaults" aria-label="Workspace defaults">
      <span className="defaults-label">Workspace default</span>
      {accountText ? (
        <span>
          Operators without an account of their own run on <strong>{accountText}</strong>
          {model ? (
            <>
              {' '}
              with <code className="mono">{model}</code>
            </>
          ) : null}
          .
        </span>
      ) : (
        <span>No default provider account: operators must name one.</span>
      )}
      {canManageWorkspace ? (
        <Link to="/settings#workspace-defaults" className="defaults-link">
          Change
        </Link>
      ) : null}
    </aside>
  );
}
