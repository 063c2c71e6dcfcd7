import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { getMeQueryKey, updateProfileMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { FieldError, ProblemAlert } from '../../lib/ui.js';

/** Your own name, as your teammates see it on the Members page and in the audit log. */
export function ProfileForm({ currentName }: { currentName: string }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(currentName);
  const save = useMutation({
    ...updateProfileMutation(),
    onSuccess: (me) => queryClient.setQueryData(getMeQueryKey(), me),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ body: { name: name.trim() } });
  }

  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Your name</h2>
      <form className="form form-inline" onSubmit={submit} noValidate>
        <div className="field field-grow">
          <label htmlFor="profile-name">Name</label>
          <input id="profile-name" data-testid="profile-name" required maxLength={100} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
          <FieldError error={save.error} field="name" />
        </div>
        <div className="field field-button">
          <button type="submit" className="btn btn-primary" data-testid="profile-save" disabled={save.isPending || !name.trim() || name.trim() === currentName}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
      {save.isSuccess ? (
        <p className="alert alert-success" role="status" data-testid="profile-saved">
          Name saved.
        </p>
      ) : null}
      <ProblemAlert error={save.error} />
    </section>
  );
}
