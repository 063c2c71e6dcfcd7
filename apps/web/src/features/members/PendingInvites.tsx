import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { listInvitesOptions, listInvitesQueryKey, revokeInviteMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { formatDateTime, roleLabel } from '../../lib/format.js';
import { ConfirmButton, EmptyState, Loading, ProblemAlert } from '../../lib/ui.js';

export function PendingInvites() {
  const queryClient = useQueryClient();
  const invites = useQuery(listInvitesOptions());
  const revoke = useMutation({
    ...revokeInviteMutation(),
    onSettled: () => queryClient.invalidateQueries({ queryKey: listInvitesQueryKey() }),
  });
  const pending = invites.data?.items.filter((i) => i.status === 'pending') ?? [];

  return (
    <section className="card" aria-labelledby="pending-heading">
      <h2 id="pending-heading">Pending invites</h2>
      <ProblemAlert error={revoke.error} title="Could not revoke the invite:" />
      {invites.isPending ? (
        <Loading />
      ) : invites.isError ? (
        <ProblemAlert error={invites.error} />
      ) : pending.length === 0 ? (
        <EmptyState>No pending invites.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Invited</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {pending.map((invite) => (
                <tr key={invite.id} data-testid="invite-row" data-invite-email={invite.email}>
                  <td className="cell-strong">{invite.email}</td>
                  <td>{roleLabel(invite.role)}</td>
                  <td>{formatDateTime(invite.createdAt)}</td>
                  <td>{formatDateTime(invite.expiresAt)}</td>
                  <td className="cell-actions">
                    <ConfirmButton
                      label="Revoke"
                      title={`Revoke the invite for ${invite.email}?`}
                      message={<p>The link stops working at once. You can invite them again later.</p>}
                      confirmLabel="Revoke invite"
                      busy={revoke.isPending && revoke.variables?.path.inviteId === invite.id}
                      onConfirm={() => revoke.mutate({ path: { inviteId: invite.id } })}
                      testId="invite-revoke"
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
