import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createWorkspaceMutation, getMeQueryKey, listMyWorkspacesQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import { NameForm } from './NameForm.js';

export function CreateWorkspaceForm() {
  const queryClient = useQueryClient();
  const create = useMutation({
    ...createWorkspaceMutation(),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: getMeQueryKey() }),
        queryClient.invalidateQueries({ queryKey: listMyWorkspacesQueryKey() }),
      ]),
  });
  return (
    <NameForm
      id="new-workspace-name"
      heading="Create a workspace"
      description="A new, empty workspace for another team, with you as its owner. Switch to it with the workspace switcher at the top."
      currentName=""
      clearOnSuccess
      placeholder="e.g. Research team"
      submit={{ label: 'Create workspace', pendingLabel: 'Creating…', testId: 'workspace-create' }}
      saving={create}
      onSave={(name) => create.mutateAsync({ body: { name } })}
      success={<>Workspace “{create.data?.name}” created. Choose it in the workspace switcher to start using it.</>}
      successTestId="workspace-created"
    />
  );
}
