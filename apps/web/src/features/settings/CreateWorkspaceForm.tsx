import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { createWorkspaceMutation, getMeQueryKey, listMyWorkspacesQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import { FieldError, ProblemAlert } from '../../lib/ui.js';

export function CreateWorkspaceForm() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    ...createWorkspaceMutation(),
    onSuccess: async () => {
      setName('');
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: getMeQueryKey() }),
        queryClient.invalidateQueries({ queryKey: listMyWorkspacesQueryKey() }),
      ]);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ body: { name: name.trim() } });
  }

  return (
    <section className="card" aria-labelledby="create-ws-heading">
      <h2 id="create-ws-heading">Create a workspace</h2>
      <p className="card-description">A new, empty workspace for another team, with you as its owner. Switch to it with the workspace switcher at the top.</p>
      <form className="form form-inline" onSubmit={submit} noValidate>
        <div className="field field-grow">
          <label htmlFor="new-workspace-name">Name</label>
          <input id="new-workspace-name" data-testid="new-workspace-name" required maxLength={100} placeholder="e.g. Research team" value={name} onChange={(e) => setName(e.target.value)} />
          <FieldError error={create.error} field="name" />
        </div>
        <div className="field field-button">
          <button type="submit" className="btn btn-primary" data-testid="workspace-create" disabled={create.isPending || !name.trim()}>
            {create.isPending ? 'Creating…' : 'Create workspace'}
          </button>
        </div>
      </form>
      {create.isSuccess ? (
        <p className="alert alert-success" role="status" data-testid="workspace-created">
          Workspace “{create.data.name}” created. Choose it in the workspace switcher to start using it.
        </p>
      ) : null}
      <ProblemAlert error={create.error} />
    </section>
  );
}
