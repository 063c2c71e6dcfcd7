import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  changeMemberRoleMutation,
  getMeQueryKey,
  listMembersOptions,
  listMembersQueryKey,
  removeMemberMutation,
} from '../../api/generated/@tanstack/react-query.gen.js';
import type { MemberDto } from '../../api/generated/types.gen.js';
import { formatDate, roleLabel } from '../../lib/format.js';
import { ROLES, useCan, useMe } from '../../lib/session.js';
import { ConfirmButton, EmptyState, Loading, OneTimeSecret, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { InviteForm, type NewInviteLink } from './InviteForm.js';
import { PendingInvites } from './PendingInvites.js';

export function MembersPage() {
  const canManage = useCan('members:manage');
  const members = useQuery(listMembersOptions());
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
        {members.isPending ? (
          <Loading />
        ) : members.isError ? (
          <ProblemAlert error={members.error} />
        ) : members.data.items.length === 0 ? (
          <EmptyState>No members.</EmptyState>
        ) : (
          <MemberTable members={members.data.items} canManage={canManage} />
        )}
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

function MemberTable({ members, canManage }: { members: MemberDto[]; canManage: boolean }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: listMembersQueryKey() });
    // A change to your own role changes your permissions.
    await queryClient.invalidateQueries({ queryKey: getMeQueryKey() });
  };
  const changeRole = useMutation({ ...changeMemberRoleMutation(), onSettled: refresh });
  const remove = useMutation({ ...removeMemberMutation(), onSettled: refresh });
  const error = changeRole.error ?? remove.error;

  return (
    <>
      <ProblemAlert error={error} />
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              {canManage ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {members.map((m) => {
              const isSelf = m.userId === me.user.id;
              const busy = (changeRole.isPending && changeRole.variables?.path.userId === m.userId) || (remove.isPending && remove.variables?.path.userId === m.userId);
              return (
                <tr key={m.userId} data-testid="member-row" data-member-email={m.email}>
                  <td className="cell-strong">
                    {m.email}
                    {isSelf ? <span className="you">you</span> : null}
                  </td>
                  <td>{m.name || <span className="muted">—</span>}</td>
                  <td>
                    {canManage ? (
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
                    )}
                  </td>
                  <td>{formatDate(m.joinedAt)}</td>
                  {canManage ? (
                    <td className="cell-actions">
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
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
