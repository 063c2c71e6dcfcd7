import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getMeQueryKey, updateWorkspaceMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { NameForm } from './NameForm.js';

export function RenameWorkspaceForm({ currentName }: { currentName: string }) {
  const queryClient = useQueryClient();
  const rename = useMutation({
    ...updateWorkspaceMutation(),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: getMeQueryKey() }),
  });
  return (
    <NameForm
      id="workspace-name"
      heading="Workspace name"
      currentName={currentName}
      submit={{ label: 'Rename', pendingLabel: 'Saving…', testId: 'workspace-rename' }}
      saving={rename}
      onSave={(name) => rename.mutateAsync({ body: { name } })}
      success="Workspace renamed."
    />
  );
}
