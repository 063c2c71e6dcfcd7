import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { getWorkspaceOptions, getWorkspaceQueryKey, listProviderAccountsOptions, updateWorkspaceMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { UpdateWorkspaceDto } from '../../api/generated/types.gen.js';
import { FieldError, hasOnlyFieldErrors, Loading, ProblemAlert } from '../../lib/ui.js';
import { AccountSelect, ModelInput, modelHint } from '../vault/AccountPickers.js';

/** The provider account and model that operators and runs use when they name none (needs workspace:manage). */
export function WorkspaceDefaultsForm() {
  const id = useId();
  const queryClient = useQueryClient();
  const workspace = useQuery(getWorkspaceOptions());
  const accounts = useQuery(listProviderAccountsOptions());
  const [accountId, setAccountId] = useState('');
  const [model, setModel] = useState('');
  const save = useMutation({
    ...updateWorkspaceMutation(),
    onSuccess: (saved) => queryClient.setQueryData(getWorkspaceQueryKey(), saved),
  });

  useEffect(() => {
    if (!workspace.data) return;
    setAccountId(workspace.data.defaultAccountId ?? '');
    setModel(workspace.data.defaultModel ?? '');
  }, [workspace.data]);

  const list = accounts.data?.items ?? [];
  const account = list.find((a) => a.id === accountId);
  const hint = modelHint(model, account);
  const dirty = !!workspace.data && ((workspace.data.defaultAccountId ?? '') !== accountId || (workspace.data.defaultModel ?? '') !== model.trim());

  function submit(event: FormEvent) {
    event.preventDefault();
    const body: UpdateWorkspaceDto = { defaultAccountId: accountId || null, defaultModel: model.trim() || null };
    save.mutate({ body });
  }

  return (
    <section className="card" aria-labelledby="workspace-defaults-heading" id="workspace-defaults">
      <h2 id="workspace-defaults-heading">Default provider</h2>
      <p className="card-description">
        Operators and runs that name no provider account use this one. The model is used when neither the run, the operator nor the account names one.
      </p>
      {workspace.isPending ? (
        <Loading />
      ) : workspace.isError ? (
        <ProblemAlert error={workspace.error} />
      ) : (
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
                accounts={list}
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
      )}
    </section>
  );
}
