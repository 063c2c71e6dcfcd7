import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { getMeQueryKey, updateWorkspaceMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { FieldError, ProblemAlert } from '../../lib/ui.js';

export function RenameWorkspaceForm({ currentName }: { currentName: string }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(currentName);
  const rename = useMutation({
    ...updateWorkspaceMutation(),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: getMeQueryKey() }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    rename.mutate({ body: { name: name.trim() } });
  }

  return (
    <section className="card" aria-labelledby="rename-heading">
      <h2 id="rename-heading">Workspace name</h2>
      <form className="form form-inline" onSubmit={submit} noValidate>
        <div className="field field-grow">
          <label htmlFor="workspace-name">Name</label>
          <input id="workspace-name" data-testid="workspace-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
          <FieldError error={rename.error} field="name" />
        </div>
        <div className="field field-button">
          <button type="submit" className="btn btn-primary" data-testid="workspace-rename" disabled={rename.isPending || !name.trim() || name.trim() === currentName}>
            {rename.isPending ? 'Saving…' : 'Rename'}
          </button>
        </div>
      </form>
      {rename.isSuccess ? (
        <p className="alert alert-success" role="status">
          Workspace renamed.
        </p>
      ) : null}
      <ProblemAlert error={rename.error} />
    </section>
  );
}
