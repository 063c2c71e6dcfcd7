import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  changeMemberRoleMutation,
  getMeQueryKey,
  listMembersOptions,
  listMembersQueryKey,
  removeMemberMutation,
} from '../../api/generated/@tanstack/react-query.gen.js';
import type { ListMembersData, MemberDto } from '../../api/generated/types.gen.js';
import { type Column, DataTable, FilterSelect, SearchBox } from '../../lib/DataTable.js';
import { formatDate, roleLabel } from '../../lib/format.js';
import { type ListState, type SortState, sortParam, useListState, useRowFocus } from '../../lib/list-state.js';
import { ROLES, useCan, useMe } from '../../lib/session.js';
import { ConfirmButton, OneTimeSecret, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { InviteForm, type NewInviteLink } from './InviteForm.js';
import { PendingInvites } from './PendingInvites.js';

type MembersQuery = NonNullable<ListMembersData['query']>;

const ROLE_FILTERS = [{ value: '', label: 'Any role' }, ...ROLES.map((r) => ({ value: r, label: roleLabel(r) }))];
const DEFAULT_SORT: SortState = { key: 'joined', direction: 'asc' };

export function MembersPage() {
  const canManage = useCan('members:manage');
  const list = useListState({ filters: ['role'], defaultSort: DEFAULT_SORT });
  const focus = useRowFocus('member');
  const query: MembersQuery = { sort: sortParam(list.sort) as MembersQuery['sort'], limit: list.pageSize, offset: (list.page - 1) * list.pageSize };
  if (list.query) query.q = list.query;
  if (list.filters.role) query.role = list.filters.role as MembersQuery['role'];
  const members = useQuery({ ...listMembersOptions({ query }), placeholderData: keepPreviousData });
  // The invite link carries a single-use token: it lives only in this state until dismissed.
  const [inviteLink, setInviteLink] = useState<NewInviteLink | null>(null);

  return (
    <>
      <PageHeader title="Members" description="People in this workspace and what their role lets them do." />

      {inviteLink ? (
        <OneTimeSecret
          title={`Invite link for ${inviteLink.email}`}
          secret={inviteLink.url}
          warning={`Send this link to ${inviteLink.email} yourself (Vaultrun sends no email). It works once, and it cannot be shown again: if it gets lost, create a new invite.`}
          onDismiss={() => setInviteLink(null)}
          secretTestId="invite-link"
          dismissTestId="invite-link-dismiss"
          copyTestId="invite-link-copy"
        />
      ) : null}

      <section className="card" aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        <MemberTable
          members={members.data?.items ?? []}
          total={members.data?.total}
          loading={members.isPending}
          error={members.error}
          canManage={canManage}
          list={list}
          highlightId={focus.highlightId}
        />
      </section>

      {canManage ? (
        <>
          <InviteForm onCreated={setInviteLink} />
          <PendingInvites />
        </>
      ) : null}
    </>
  );
}

function MemberTable({
  members,
  total,
  loading,
  error,
  canManage,
  list,
  highlightId,
}: {
  members: MemberDto[];
  total: number | undefined;
  loading: boolean;
  error: unknown;
  canManage: boolean;
  list: ListState;
  highlightId: string | null;
}) {
  const me = useMe();
  const queryClient = useQueryClient();
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: listMembersQueryKey() });
    // A change to your own role changes your permissions.
    await queryClient.invalidateQueries({ queryKey: getMeQueryKey() });
  };
  const changeRole = useMutation({ ...changeMemberRoleMutation(), onSettled: refresh });
  const remove = useMutation({ ...removeMemberMutation(), onSettled: refresh });
  const actionError = changeRole.error ?? remove.error;

  const columns: Column<MemberDto>[] = [
    {
      key: 'email',
      header: 'Email',
      sortKey: 'email',
      primary: true,
      cell: (m) => (
        <span className="cell-strong">
          {m.email}
          {m.userId === me.user.id ? <span className="you">you</span> : null}
        </span>
      ),
    },
    { key: 'name', header: 'Name', sortKey: 'name', cell: (m) => m.name || <span className="muted">—</span> },
    {
      key: 'role',
      header: 'Role',
      sortKey: 'role',
      cell: (m) => {
        const busy = (changeRole.isPending && changeRole.variables?.path.userId === m.userId) || (remove.isPending && remove.variables?.path.userId === m.userId);
        return canManage ? (
          <>
            <label className="visually-hidden" htmlFor={`role-${m.userId}`}>
              Role of {m.email}
            </label>
            <select
              id={`role-${m.userId}`}
              data-testid="member-role"
              value={m.role}
              disabled={busy}
              onChange={(e) => {
                changeRole.reset();
                remove.reset();
                changeRole.mutate({ path: { userId: m.userId }, body: { role: e.target.value as MemberDto['role'] } });
              }}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
          </>
        ) : (
          roleLabel(m.role)
        );
      },
    },
    { key: 'joined', header: 'Joined', sortKey: 'joined', cell: (m) => formatDate(m.joinedAt) },
    ...(canManage
      ? [
          {
            key: 'actions',
            header: <span className="visually-hidden">Actions</span>,
            label: '',
            cell: (m: MemberDto) => {
              const isSelf = m.userId === me.user.id;
              return (
                <ConfirmButton
                  label={isSelf ? 'Leave' : 'Remove'}
                  title={isSelf ? 'Leave this workspace?' : `Remove ${m.email}?`}
                  message={
                    <p>
                      {isSelf
                        ? 'You will lose access to this workspace until someone invites you again.'
                        : `${m.email} loses access to this workspace at once. Their API tokens and runs stay in the workspace.`}
                    </p>
                  }
                  confirmLabel={isSelf ? 'Leave workspace' : 'Remove member'}
                  busy={remove.isPending && remove.variables?.path.userId === m.userId}
                  onConfirm={() => {
                    changeRole.reset();
                    remove.mutate({ path: { userId: m.userId } });
                  }}
                  testId="member-remove"
                />
              );
            },
          },
        ]
      : []),
  ];

  return (
    <>
      <ProblemAlert error={actionError} />
      <DataTable
        label="Members"
        columns={columns}
        rows={members}
        rowKey={(m) => m.userId}
        rowTestId="member-row"
        rowData={(m) => ({ 'member-email': m.email, role: m.role })}
        sort={list.sort}
        onSort={list.setSort}
        highlightId={highlightId}
        loading={loading}
        error={error}
        summary={total !== undefined ? `${total} ${total === 1 ? 'member' : 'members'}${list.narrowed ? ' match' : ''}` : null}
        empty={
          list.narrowed ? (
            <>
              No member matches.{' '}
              <button type="button" className="btn btn-ghost btn-small" onClick={list.clear}>
                Clear the search and filters
              </button>
            </>
          ) : (
            'No members.'
          )
        }
        toolbar={
          <>
            <SearchBox value={list.search} onChange={list.setSearch} label="Search email or name" testId="member-search" />
            <FilterSelect label="Role" value={list.filters.role ?? ''} onChange={(v) => list.setFilter('role', v)} options={ROLE_FILTERS} testId="member-filter-role" />
          </>
        }
        pagination={total !== undefined ? { page: list.page, pageSize: list.pageSize, total, onPage: list.setPage } : undefined}
      />
    </>
  );
}

export default MembersPage;
