import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { getProviderAccountOptions, listProviderAccountsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ListProviderAccountsData, ProviderAccountDto } from '../../api/generated/types.gen.js';
import { type Column, DataTable, FilterSelect, RowToggle, SearchBox } from '../../lib/DataTable.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { type SortState, sortParam, useListState, useRowFocus } from '../../lib/list-state.js';
import { useCan } from '../../lib/session.js';
import { PageHeader } from '../../lib/ui.js';
import { AccountCard, ManagedBadge } from './AccountCard.js';
import { hostOf, KIND_LABELS, statusLabel, statusTone } from './account-labels.js';
import { AddAccountFlow, type DoneTone } from './AddAccountFlow.js';

type AccountsQuery = NonNullable<ListProviderAccountsData['query']>;

const STATUS_FILTERS = [
  { value: '', label: 'Any status' },
  { value: 'active', label: 'Active' },
  { value: 'unverified', label: 'Unverified' },
  { value: 'invalid_key', label: 'Invalid key' },
  { value: 'quota_exhausted', label: 'Quota exhausted' },
  { value: 'rate_limited', label: 'Rate limited' },
  { value: 'disabled', label: 'Disabled' },
];
const KIND_FILTERS = [{ value: '', label: 'Any kind' }, ...Object.entries(KIND_LABELS).map(([value, label]) => ({ value, label }))];
const DEFAULT_SORT: SortState = { key: 'created', direction: 'asc' };

export function VaultPage() {
  const canManage = useCan('vault:manage');
  const list = useListState({ filters: ['status', 'kind'], defaultSort: DEFAULT_SORT });
  const focus = useRowFocus('account');
  const query: AccountsQuery = { sort: sortParam(list.sort) as AccountsQuery['sort'], limit: list.pageSize, offset: (list.page - 1) * list.pageSize };
  if (list.query) query.q = list.query;
  if (list.filters.status) query.status = [list.filters.status];
  if (list.filters.kind) query.kind = list.filters.kind as AccountsQuery['kind'];
  const accounts = useQuery({ ...listProviderAccountsOptions({ query }), placeholderData: keepPreviousData });
  const items = accounts.data?.items ?? [];
  // The highlighted account (just created, or linked to) is shown even when it sorts onto another page.
  const highlightMissing = !!focus.highlightId && !!accounts.data && !items.some((a) => a.id === focus.highlightId);
  const highlighted = useQuery({ ...getProviderAccountOptions({ path: { accountId: focus.highlightId ?? '' } }), enabled: highlightMissing });
  const [adding, setAdding] = useState(false);
  const [done, setDone] = useState<{ message: string; tone: DoneTone } | null>(null);

  const columns: Column<ProviderAccountDto>[] = [
    {
      key: 'name',
      header: 'Account',
      sortKey: 'name',
      primary: true,
      cell: (a) => (
        <span className="name-cell">
          <span className={`kind-mark kind-mark-${a.kind}`} aria-hidden="true" />
          <span>
            <span className="cell-strong">{a.name}</span>
            {a.id === focus.highlightId ? <span className="new-badge">New</span> : null}
            {a.managed ? <ManagedBadge /> : null}
            <span className="cell-sub">
              {KIND_LABELS[a.kind]}
              {a.baseUrl ? ` · ${hostOf(a.baseUrl)}` : ''}
            </span>
          </span>
        </span>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      sortKey: 'status',
      cell: (a) => (
        <span className={`badge badge-${statusTone(a.status)}`} data-testid="vault-row-status" data-status={a.status}>
          {statusLabel(a)}
        </span>
      ),
    },
    { key: 'model', header: 'Default model', cell: (a) => (a.defaultModel ? <code className="mono">{a.defaultModel}</code> : <span className="muted">Not set</span>) },
    { key: 'sharing', header: 'Sharing', cell: (a) => (a.visibility === 'workspace' ? 'Everyone' : <span title="Listed members and tokens only">Restricted</span>) },
    { key: 'limits', header: 'Concurrency', align: 'right', cell: (a) => a.limits.maxConcurrency },
    {
      key: 'verified',
      header: 'Last verified',
      sortKey: 'lastVerified',
      cell: (a) => <span title={a.lastVerifiedAt ? formatDateTime(a.lastVerifiedAt) : undefined}>{a.lastVerifiedAt ? formatRelative(a.lastVerifiedAt) : 'never'}</span>,
    },
    {
      key: 'open',
      header: <span className="visually-hidden">Details</span>,
      label: '',
      cell: (a) => <RowToggle open={focus.openId === a.id} onToggle={() => focus.toggle(a.id)} name={a.name} testId="vault-row-toggle" />,
    },
  ];

  return (
    <>
      <PageHeader
        title="Provider Vault"
        description="Your team's own LLM provider accounts. Keys are encrypted at rest and shared without anyone seeing them again."
        actions={
          canManage && !adding ? (
            <button
              type="button"
              className="btn btn-primary"
              data-testid="vault-add"
              onClick={() => {
                setDone(null);
                setAdding(true);
              }}
            >
              Add provider account
            </button>
          ) : null
        }
      />

      <BillingNote />

      {done ? (
        <div className={`alert alert-${done.tone} alert-dismissible`} role="status">
          <span>{done.message}</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setDone(null)}>
            Dismiss
          </button>
        </div>
      ) : null}

      {adding ? (
        <AddAccountFlow
          onClose={() => setAdding(false)}
          onCreated={(account) => focus.select(account.id)}
          onDone={(message, tone = 'success') => {
            setAdding(false);
            setDone({ message, tone });
          }}
        />
      ) : null}

      <section aria-labelledby="vault-accounts-heading" className="accounts-section card">
        <div className="section-heading">
          <h2 id="vault-accounts-heading">Accounts</h2>
        </div>
        <DataTable
          label="Provider accounts"
          columns={columns}
          rows={items}
          rowKey={(a) => a.id}
          rowTestId="vault-row"
          rowData={(a) => ({ 'account-id': a.id, name: a.name, status: a.status })}
          sort={list.sort}
          onSort={list.setSort}
          highlightId={focus.highlightId}
          pinned={highlightMissing && highlighted.data ? [highlighted.data] : []}
          expandedId={focus.openId}
          renderExpanded={(a) => <AccountCard account={a} canManage={canManage} />}
          loading={accounts.isPending}
          error={accounts.error}
          summary={accounts.data ? `${accounts.data.total} ${accounts.data.total === 1 ? 'account' : 'accounts'}${list.narrowed ? ' match' : ' in this workspace'}` : null}
          empty={
            list.narrowed ? (
              <>
                No account matches.{' '}
                <button type="button" className="btn btn-ghost btn-small" onClick={list.clear}>
                  Clear the search and filters
                </button>
              </>
            ) : canManage ? (
              'No provider accounts yet. Add one to run AI work on your own key.'
            ) : (
              'No provider account is shared with you yet.'
            )
          }
          toolbar={
            <>
              <SearchBox value={list.search} onChange={list.setSearch} label="Search name, model or base URL" testId="vault-search" />
              <FilterSelect label="Status" value={list.filters.status ?? ''} onChange={(v) => list.setFilter('status', v)} options={STATUS_FILTERS} testId="vault-filter-status" />
              <FilterSelect label="Kind" value={list.filters.kind ?? ''} onChange={(v) => list.setFilter('kind', v)} options={KIND_FILTERS} testId="vault-filter-kind" />
            </>
          }
          pagination={accounts.data ? { page: list.page, pageSize: list.pageSize, total: accounts.data.total, onPage: list.setPage } : undefined}
        />
      </section>
    </>
  );
}

/** Who pays, said plainly and always visible (SPEC §2: billing responsibility is explicit). */
function BillingNote() {
  return (
    <aside className="billing-note" data-testid="vault-billing-note" aria-label="Billing and key handling">
      <div>
        <h2 className="billing-note-title">Who pays for usage</h2>
        <ul>
          <li>
            Usage is billed by the provider account that owns the key — for example, <strong>OpenAI bills usage on an OpenAI key to your OpenAI organization</strong>. Vaultrun
            itself does not charge for model usage.
          </li>
          <li>Vaultrun&apos;s budgets are guardrails and estimates. Check the provider&apos;s dashboard for final billing.</li>
          <li>
            Accounts marked <strong>Vaultrun credits</strong> are connected by your instance administrator: their usage is paid with the workspace&apos;s{' '}
            <Link to="/credits">credits</Link>, not billed to a key of yours.
          </li>
          <li>
            An API token given access to an account bills every request made with it to that account — for a published app, that is every visitor&apos;s request.
          </li>
        </ul>
      </div>
      <p className="billing-note-key">
        <span className="lock" aria-hidden="true" />
        Your key is encrypted and never shown again — only a hint.
      </p>
    </aside>
  );
}
export default VaultPage;
