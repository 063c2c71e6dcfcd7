import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { listInstanceWorkspacesOptions, listInstanceWorkspacesQueryKey, resumeWorkspaceMutation, suspendWorkspaceMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { InstanceWorkspaceDto, ListInstanceWorkspacesData } from '../../api/generated/types.gen.js';
import { type Column, DataTable, FilterSelect, SearchBox } from '../../lib/DataTable.js';
import { formatCount, formatDateTime } from '../../lib/format.js';
import { type SortState, useListState } from '../../lib/list-state.js';
import { formatUsd, microOf } from '../../lib/money.js';
import { meQueryOptions } from '../../lib/session.js';
import { Badge, FieldError, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { GrantCreditsButton } from './GrantCreditsButton.js';
import './instance.css';

type Query = NonNullable<ListInstanceWorkspacesData['query']>;
const STATUS_FILTERS = [
  { value: '', label: 'Any status' },
  { value: 'active', label: 'Active' },
  { value: 'suspended', label: 'Suspended' },
];
const DEFAULT_SORT: SortState = { key: 'name', direction: 'asc' };

/** Instance administrators only (docs/managed.md): every workspace, its usage, credits and status; grant credits, suspend and resume. */
export function InstancePage() {
  const list = useListState({ filters: ['status'], defaultSort: DEFAULT_SORT });
  const query: Query = { limit: list.pageSize, offset: (list.page - 1) * list.pageSize };
  if (list.query) query.q = list.query;
  if (list.filters.status) query.status = list.filters.status as Query['status'];
  const workspaces = useQuery({ ...listInstanceWorkspacesOptions({ query }), placeholderData: keepPreviousData });
  const queryClient = useQueryClient();
  const refresh = () => Promise.all([queryClient.invalidateQueries({ queryKey: listInstanceWorkspacesQueryKey() }), queryClient.invalidateQueries({ queryKey: meQueryOptions().queryKey })]);
  const resume = useMutation({ ...resumeWorkspaceMutation(), onSettled: refresh });

  const columns: Column<InstanceWorkspaceDto>[] = [
    { key: 'name', header: 'Workspace', primary: true, cell: (w) => <span className="cell-strong">{w.name}</span> },
    { key: 'members', header: 'Members', align: 'right', cell: (w) => formatCount(w.members) },
    { key: 'runs', header: 'Runs (30 days)', align: 'right', cell: (w) => formatCount(w.runs30d) },
    { key: 'spend', header: 'Spend (30 days)', align: 'right', cell: (w) => formatUsd(Number(w.spend30dMicroUsd)) },
    {
      key: 'credits',
      header: 'Credit balance',
      align: 'right',
      cell: (w) => (
        <span data-testid="instance-workspace-credits" data-micro-usd={w.creditBalanceMicroUsd ?? ''}>
          {formatUsd(microOf(w.creditBalanceMicroUsd))}
        </span>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      cell: (w) => (
        <span>
          <Badge tone={w.status === 'active' ? 'green' : 'red'} testId="instance-workspace-status">
            {w.status}
          </Badge>
          {w.suspendedReason ? <span className="muted small"> {w.suspendedReason} (since {formatDateTime(w.suspendedAt)})</span> : null}
        </span>
      ),
    },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      label: '',
      cell: (w) => (
        <span className="row-actions">
          <GrantCreditsButton workspace={w} onDone={refresh} />
          {w.status === 'active' ? (
            <SuspendButton workspace={w} onDone={refresh} />
          ) : (
            <button type="button" className="btn btn-secondary btn-small" data-testid="instance-resume" disabled={resume.isPending} onClick={() => resume.mutate({ path: { id: w.id } })}>
              Resume
            </button>
          )}
        </span>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Instance"
        description={
          <>
            Every workspace of this instance. Suspending one refuses its new runs and gateway calls until you resume it; its members can still sign in and read.{' '}
            <Link to="/instance/managed-accounts">Managed accounts</Link> · <Link to="/instance/audit">Instance audit log</Link>
          </>
        }
      />
      {resume.error ? <ProblemAlert error={resume.error} title="Could not resume the workspace" /> : null}
      <DataTable
        label="Workspaces"
        columns={columns}
        rows={workspaces.data?.items ?? []}
        rowKey={(w) => w.id}
        rowTestId="instance-workspace-row"
        rowData={(w) => ({ name: w.name, status: w.status })}
        loading={workspaces.isPending}
        error={workspaces.error}
        empty="No workspace matches."
        toolbar={
          <>
            <SearchBox value={list.search} onChange={list.setSearch} label="Search workspaces" testId="instance-search" />
            <FilterSelect label="Status" value={list.filters.status ?? ''} options={STATUS_FILTERS} onChange={(v) => list.setFilter('status', v)} testId="instance-status-filter" />
          </>
        }
        pagination={{ page: list.page, pageSize: list.pageSize, total: workspaces.data?.total ?? 0, onPage: list.setPage }}
      />
    </>
  );
}

function SuspendButton({ workspace, onDone }: { workspace: InstanceWorkspaceDto; onDone: () => Promise<unknown> }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const reasonId = useId();
  const [reason, setReason] = useState('');
  const suspend = useMutation({
    ...suspendWorkspaceMutation(),
    onSuccess: async () => {
      dialogRef.current?.close();
      setReason('');
      await onDone();
    },
  });
  return (
    <>
      <button type="button" className="btn btn-danger-ghost btn-small" data-testid="instance-suspend" onClick={() => dialogRef.current?.showModal()}>
        Suspend
      </button>
      <dialog ref={dialogRef} className="dialog" aria-labelledby={headingId}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            suspend.mutate({ path: { id: workspace.id }, body: { reason } });
          }}
        >
          <h2 id={headingId}>Suspend “{workspace.name}”?</h2>
          <div className="dialog-body">
            <p>Its new runs and gateway calls are refused and its queued runs do not start until you resume it. Its members see the reason.</p>
            <label className="field" htmlFor={reasonId}>
              <span className="field-label">Reason</span>
              <textarea id={reasonId} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} rows={3} data-testid="instance-suspend-reason" />
            </label>
            <FieldError error={suspend.error} field="reason" />
            {suspend.error ? <ProblemAlert error={suspend.error} title="Could not suspend the workspace" /> : null}
          </div>
          <div className="dialog-actions">
            <button type="button" className="btn btn-secondary" onClick={() => dialogRef.current?.close()}>
              Cancel
            </button>
            <button type="submit" className="btn btn-danger" disabled={suspend.isPending} data-testid="instance-suspend-confirm">
              Suspend
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
