import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { getWorkspaceOptions, getWorkspaceQueryKey, listProviderAccountsOptions, updateWorkspaceMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ProviderAccountDto, UpdateWorkspaceDto, WorkspaceDto } from '../../api/generated/types.gen.js';
import { FieldError, hasOnlyFieldErrors, Loading, ProblemAlert } from '../../lib/ui.js';
import { AccountSelect, ModelInput, modelHint } from '../vault/AccountPickers.js';

/** The provider account and model that operators and runs use when they name none (needs workspace:manage). */
export function WorkspaceDefaultsForm() {
  const workspace = useQuery(getWorkspaceOptions());
  const accounts = useQuery(listProviderAccountsOptions());
  const error = workspace.error ?? accounts.error;
  return (
    <section className="card" aria-labelledby="workspace-defaults-heading" id="workspace-defaults">
      <h2 id="workspace-defaults-heading">Default provider</h2>
      <p className="card-description">
        Operators and runs that name no provider account use this one. The model is used when neither the run, the operator nor the account names one.
      </p>
      {error ? <ProblemAlert error={error} /> : workspace.data && accounts.data ? <DefaultsFields workspace={workspace.data} accounts={accounts.data.items} /> : <Loading />}
    </section>
  );
}

/**
 * The form itself, shown once the workspace and its accounts are loaded, so its fields start from the saved values
 * (never blank for a moment) and a background refetch never overwrites what the user is typing.
 */
function DefaultsFields({ workspace, accounts }: { workspace: WorkspaceDto; accounts: ProviderAccountDto[] }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [accountId, setAccountId] = useState(workspace.defaultAccountId ?? '');
  const [model, setModel] = useState(workspace.defaultModel ?? '');
  const save = useMutation({
    ...updateWorkspaceMutation(),
    onSuccess: (saved) => queryClient.setQueryData(getWorkspaceQueryKey(), saved),
  });

  const account = accounts.find((a) => a.id === accountId);
  const hint = modelHint(model, account);
  const dirty = (workspace.defaultAccountId ?? '') !== accountId || (workspace.defaultModel ?? '') !== model.trim();

  function submit(event: FormEvent) {
    event.preventDefault();
    const body: UpdateWorkspaceDto = { defaultAccountId: accountId || null, defaultModel: model.trim() || null };
    save.mutate({ body });
  }

  return (
    <form className="form" onSubmit={submit} noValidate>
      <div className="form-grid-2 form-grid">
        <div className="field">
          <label htmlFor={`${id}-account`}>Default provider account</label>
          <AccountSelect
            id={`${id}-account`}
            testId="workspace-default-account"
            value={accountId}
            onChange={(v) => {
              save.reset();
              setAccountId(v);
            }}
            accounts={accounts}
            inheritLabel="None — operators must name an account"
          />
          <FieldError error={save.error} field="defaultAccountId" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-model`}>Default model</label>
          <ModelInput
            id={`${id}-model`}
            testId="workspace-default-model"
            value={model}
            onChange={(v) => {
              save.reset();
              setModel(v);
            }}
            models={account?.models ?? []}
            placeholder={account?.defaultModel ? `The account's: ${account.defaultModel}` : 'Model id'}
          />
          <span className={hint.warn ? 'field-hint field-warning' : 'field-hint'}>{hint.text}</span>
          <FieldError error={save.error} field="defaultModel" />
        </div>
      </div>
      {save.error && !hasOnlyFieldErrors(save.error, ['defaultAccountId', 'defaultModel']) ? <ProblemAlert error={save.error} /> : null}
      {save.isSuccess && !dirty ? (
        <p className="alert alert-success" role="status">
          Defaults saved.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="workspace-defaults-save" disabled={save.isPending || !dirty}>
          {save.isPending ? 'Saving…' : 'Save defaults'}
        </button>
      </div>
    </form>
  );
}
