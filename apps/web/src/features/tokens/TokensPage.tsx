import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { listTokensOptions, listTokensQueryKey, revokeTokenMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ApiTokenDto, ListTokensData } from '../../api/generated/types.gen.js';
import { type Column, DataTable, FilterSelect, SearchBox } from '../../lib/DataTable.js';
import { formatDate, formatDateTime } from '../../lib/format.js';
import { type SortState, sortParam, useListState, useRowFocus } from '../../lib/list-state.js';
import { useCan } from '../../lib/session.js';
import { Badge, type BadgeTone, ConfirmButton, OneTimeSecret, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { BILLING_CHOICES, CreateTokenForm, type NewTokenSecret } from './CreateTokenForm.js';

const STATUS_TONE: Record<ApiTokenDto['status'], BadgeTone> = { active: 'green', expired: 'amber', revoked: 'grey' };

type TokensQuery = NonNullable<ListTokensData['query']>;

const STATUS_FILTERS = [
  { value: '', label: 'Any status' },
  { value: 'active', label: 'Active' },
  { value: 'expired', label: 'Expired' },
  { value: 'revoked', label: 'Revoked' },
];
const SCOPE_FILTERS = [
  { value: '', label: 'Any scope' },
  { value: 'read', label: 'read' },
  { value: 'run', label: 'run' },
  { value: 'admin', label: 'admin' },
  { value: 'inference', label: 'inference' },
];
const DEFAULT_SORT: SortState = { key: 'created', direction: 'desc' };

export function TokensPage() {
  const canManage = useCan('tokens:manage');
  const list = useListState({ filters: ['status', 'scope'], defaultSort: DEFAULT_SORT });
  const focus = useRowFocus('token');
  const query: TokensQuery = { sort: sortParam(list.sort) as TokensQuery['sort'], limit: list.pageSize, offset: (list.page - 1) * list.pageSize };
  if (list.query) query.q = list.query;
  if (list.filters.status) query.status = list.filters.status as TokensQuery['status'];
  if (list.filters.scope) query.scope = list.filters.scope as TokensQuery['scope'];
  const tokens = useQuery({ ...listTokensOptions({ query }), placeholderData: keepPreviousData });
  // The full token lives only here, in component state, until the user dismisses it.
  const [secret, setSecret] = useState<NewTokenSecret | null>(null);
  // A new token is shown first and highlighted whatever the page's sort (the unpaged list has it: there is no token by id).
  const allTokens = useQuery({ ...listTokensOptions(), enabled: !!focus.highlightId });
  const pinnedToken = allTokens.data?.items.find((t) => t.id === focus.highlightId) ?? null;
  const queryClient = useQueryClient();
  const revoke = useMutation({
    ...revokeTokenMutation(),
    onSettled: () => queryClient.invalidateQueries({ queryKey: listTokensQueryKey() }),
  });

  const columns: Column<ApiTokenDto>[] = [
    {
      key: 'name',
      header: 'Name',
      sortKey: 'name',
      primary: true,
      cell: (t) => (
        <span>
          <span className="cell-strong">{t.name}</span>
          {t.id === focus.highlightId ? <span className="new-badge">New</span> : null}
        </span>
      ),
    },
    {
      key: 'prefix',
      header: 'Token',
      cell: (t) => (
        <>
          <code className="mono" data-testid="token-prefix">
            {t.prefix}
          </code>
          <span className="mono muted" aria-hidden="true">
            …
          </span>
        </>
      ),
    },
    {
      key: 'scopes',
      header: 'Scopes',
      cell: (t) => (
        <span className="chips">
          {t.scopes.map((s) => (
            <span className="chip" key={s}>
              {s}
            </span>
          ))}
          {t.allowedModels?.length ? (
            <span className="muted small" data-testid="token-allowed-models-list">
              models: {t.allowedModels.join(', ')}
            </span>
          ) : null}
        </span>
      ),
    },
    {
      key: 'billing',
      header: 'Pays with',
      cell: (t) => (
        <span data-testid="token-billing-value" data-billing={t.billing}>
          {BILLING_CHOICES.find((b) => b.value === t.billing)?.label ?? t.billing}
        </span>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      cell: (t) => (
        <Badge tone={STATUS_TONE[t.status]} testId="token-status">
          {t.status}
        </Badge>
      ),
    },
    { key: 'created', header: 'Created', sortKey: 'created', cell: (t) => formatDate(t.createdAt) },
    { key: 'expires', header: 'Expires', sortKey: 'expires', cell: (t) => formatDate(t.expiresAt, 'Never') },
    { key: 'used', header: 'Last used', sortKey: 'lastUsed', cell: (t) => formatDateTime(t.lastUsedAt, 'Never') },
    ...(canManage
      ? [
          {
            key: 'actions',
            header: <span className="visually-hidden">Actions</span>,
            label: '',
            cell: (t: ApiTokenDto) =>
              t.status === 'active' ? (
                <ConfirmButton
                  label="Revoke"
                  title={`Revoke “${t.name}”?`}
                  message={
                    <p>
                      Programs using the token <code className="mono">{t.prefix}…</code> stop working at once. This cannot be undone.
                    </p>
                  }
                  confirmLabel="Revoke token"
                  busy={revoke.isPending && revoke.variables?.path.tokenId === t.id}
                  onConfirm={() => revoke.mutate({ path: { tokenId: t.id } })}
                  testId="token-revoke"
                />
              ) : null,
          },
        ]
      : []),
  ];

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let programs and published apps call Vaultrun. Only a token's prefix is kept visible; the full token is shown once, when it is created."
      />
      <div className="alert alert-info" data-testid="token-billing-note">
        <strong>Billing:</strong> Requests made with a token are billed to the provider accounts it can use. For a published app, that means every
        visitor&apos;s request is billed to those accounts — give it a budget.
      </div>

      {secret ? (
        <OneTimeSecret
          title={`Token “${secret.name}” created`}
          secret={secret.token}
          warning="Copy this token now and store it in a secret manager. Vaultrun keeps only a hash of it and cannot show it again."
          onDismiss={() => setSecret(null)}
          secretTestId="token-secret"
          dismissTestId="token-secret-dismiss"
          copyTestId="token-secret-copy"
        />
      ) : null}

      {canManage ? (
        <CreateTokenForm
          onCreated={(next) => {
            setSecret(next);
            focus.select(next.id);
          }}
        />
      ) : null}

      <section className="card" aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Tokens in this workspace</h2>
        <ProblemAlert error={revoke.error} title="Could not revoke the token:" />
        <DataTable
          label="API tokens"
          columns={columns}
          rows={tokens.data?.items ?? []}
          rowKey={(t) => t.id}
          rowTestId="token-row"
          rowData={(t) => ({ 'token-id': t.id })}
          rowClassName={(t) => (t.status === 'active' ? undefined : 'row-muted')}
          sort={list.sort}
          onSort={list.setSort}
          highlightId={focus.highlightId}
          pinned={pinnedToken ? [pinnedToken] : []}
          loading={tokens.isPending}
          error={tokens.error}
          summary={tokens.data ? `${tokens.data.total} ${tokens.data.total === 1 ? 'token' : 'tokens'}${list.narrowed ? ' match' : ''}` : null}
          empty={
            list.narrowed ? (
              <>
                No token matches.{' '}
                <button type="button" className="btn btn-ghost btn-small" onClick={list.clear}>
                  Clear the search and filters
                </button>
              </>
            ) : (
              'No API tokens yet.'
            )
          }
          toolbar={
            <>
              <SearchBox value={list.search} onChange={list.setSearch} label="Search name or prefix" testId="token-search" />
              <FilterSelect label="Status" value={list.filters.status ?? ''} onChange={(v) => list.setFilter('status', v)} options={STATUS_FILTERS} testId="token-filter-status" />
              <FilterSelect label="Scope" value={list.filters.scope ?? ''} onChange={(v) => list.setFilter('scope', v)} options={SCOPE_FILTERS} testId="token-filter-scope" />
            </>
          }
          pagination={tokens.data ? { page: list.page, pageSize: list.pageSize, total: tokens.data.total, onPage: list.setPage } : undefined}
        />
      </section>
    </>
  );
}

export default TokensPage;
