import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getMeQueryKey, updateProfileMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { NameForm } from './NameForm.js';

/** Your own name, as your teammates see it on the Members page and in the audit log. */
export function ProfileForm({ currentName }: { currentName: string }) {
  const queryClient = useQueryClient();
  const save = useMutation({
    ...updateProfileMutation(),
    onSuccess: (me) => queryClient.setQueryData(getMeQueryKey(), me),
  });
  return (
    <NameForm
      id="profile-name"
      heading="Your name"
      currentName={currentName}
      autoComplete="name"
      submit={{ label: 'Save', pendingLabel: 'Saving…', testId: 'profile-save' }}
      saving={save}
      onSave={(name) => save.mutateAsync({ body: { name } })}
      success="Name saved."
      successTestId="profile-saved"
    />
  );
}
