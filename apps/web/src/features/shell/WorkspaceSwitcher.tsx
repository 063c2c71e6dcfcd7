import { useMutation } from '@tanstack/react-query';
import { useId } from 'react';
import { switchWorkspaceMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { roleLabel } from '../../lib/format.js';
import { describeError } from '../../lib/problem.js';
import { queryClient } from '../../lib/query-client.js';
import { rememberSession, useMe } from '../../lib/session.js';

export function WorkspaceSwitcher() {
  const me = useMe();
  const id = useId();
  const switchWorkspace = useMutation({
    ...switchWorkspaceMutation(),
    onSuccess: async (next) => {
      rememberSession(next);
      // Every other query belongs to the previous workspace: drop it and refetch what is on screen.
      await queryClient.resetQueries({ predicate: (q) => (q.queryKey[0] as { _id?: string } | undefined)?._id !== 'getMe' });
    },
  });
  const current = me.workspace?.id ?? '';
  return (
    <div className="workspace-switcher">
      <label htmlFor={id} className="switcher-label">
        Workspace
      </label>
      <select
        id={id}
        data-testid="workspace-switcher"
        value={current}
        disabled={switchWorkspace.isPending}
        onChange={(e) => {
          if (e.target.value && e.target.value !== current) switchWorkspace.mutate({ body: { workspaceId: e.target.value } });
        }}
      >
        {current === '' ? <option value="">Choose a workspace…</option> : null}
        {me.workspaces.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name} ({roleLabel(w.role)})
          </option>
        ))}
      </select>
      {switchWorkspace.isError ? (
        <span className="switcher-error" role="alert">
          {describeError(switchWorkspace.error)}
        </span>
      ) : null}
    </div>
  );
}
