import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { clearAlertWebhookMutation, getWorkspaceOptions, getWorkspaceQueryKey, setAlertWebhookMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { WorkspaceDto } from '../../api/generated/types.gen.js';
import { ConfirmButton, FieldError, Loading, OneTimeSecret, ProblemAlert } from '../../lib/ui.js';

/**
 * Where budget alerts (a soft threshold crossed) are POSTed, signed. Setting the URL answers the signing secret once:
 * it goes straight into this component's state and out of every cache, and is gone when dismissed.
 */
export function AlertWebhookForm() {
  const id = useId();
  const queryClient = useQueryClient();
  const workspace = useQuery(getWorkspaceOptions());
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const current = workspace.data?.alertWebhook ?? null;

  const patchWorkspace = (alertWebhook: WorkspaceDto['alertWebhook']) =>
    queryClient.setQueryData<WorkspaceDto>(getWorkspaceQueryKey(), (old) => (old ? { ...old, alertWebhook } : old));
  const requestSet = setAlertWebhookMutation().mutationFn!;
  const set = useMutation({
    // The secret is handed to component state and stripped from the result, so no cache ever holds it.
    mutationFn: async (...args: Parameters<typeof requestSet>) => {
      const { secret: issued, ...rest } = await requestSet(...args);
      setSecret(issued);
      return rest;
    },
    onSuccess: (saved) => {
      setUrl('');
      patchWorkspace({ url: saved.url, secretHint: saved.secretHint });
      void queryClient.invalidateQueries({ queryKey: getWorkspaceQueryKey() });
    },
  });
  const clear = useMutation({
    ...clearAlertWebhookMutation(),
    onSuccess: () => {
      setSecret(null);
      patchWorkspace(null);
      void queryClient.invalidateQueries({ queryKey: getWorkspaceQueryKey() });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    clear.reset();
    set.mutate({ body: { url: url.trim() } });
  }

  return (
    <section className="card" aria-labelledby="alert-webhook-heading" id="alert-webhook" data-testid="alert-webhook">
      <h2 id="alert-webhook-heading">Budget alert webhook</h2>
      <p className="card-description">
        When a budget passes its soft threshold (once per period), Vaultrun POSTs a JSON alert here, signed with the header{' '}
        <code className="mono">Vaultrun-Signature: t=…,v1=…</code> (HMAC-SHA256 of <code className="mono">&quot;&lt;t&gt;.&lt;body&gt;&quot;</code> with the
        signing secret). Verify it and reject old timestamps.
      </p>
      {secret ? (
        <OneTimeSecret
          title="Webhook signing secret"
          secret={secret}
          warning="Copy it now into the receiver's configuration (a secret manager): Vaultrun shows it only this once. Setting the webhook again issues a new secret."
          onDismiss={() => setSecret(null)}
          secretTestId="alert-webhook-secret"
          dismissTestId="alert-webhook-secret-dismiss"
          copyTestId="alert-webhook-secret-copy"
        />
      ) : null}
      {workspace.isPending ? (
        <Loading />
      ) : workspace.isError ? (
        <ProblemAlert error={workspace.error} />
      ) : (
        <>
          {current ? (
            <div className="webhook-current" data-testid="alert-webhook-current">
              <span>
                Alerts go to <code className="mono">{current.url}</code> <span className="muted">· signing secret <code className="mono">{current.secretHint}</code></span>
              </span>
              <ConfirmButton
                label="Remove"
                title="Stop sending budget alerts?"
                message={<p>The webhook and its signing secret are deleted. Alerts still appear in the audit log and as a banner in the console.</p>}
                confirmLabel="Remove webhook"
                busy={clear.isPending}
                onConfirm={() => clear.mutate({})}
                testId="alert-webhook-remove"
              />
            </div>
          ) : (
            <p className="muted" data-testid="alert-webhook-none">
              No webhook: alerts appear in the audit log and as a banner in the console only.
            </p>
          )}
          <form className="form form-inline" onSubmit={submit} noValidate>
            <div className="field field-grow">
              <label htmlFor={`${id}-url`}>{current ? 'Replace with a new URL' : 'Webhook URL'}</label>
              <input
                id={`${id}-url`}
                data-testid="alert-webhook-url"
                type="url"
                inputMode="url"
                autoComplete="off"
                placeholder="https://hooks.example.com/vaultrun"
                value={url}
                onChange={(e) => {
                  set.reset();
                  setUrl(e.target.value);
                }}
              />
              <FieldError error={set.error} field="url" />
            </div>
            <div className="field field-button">
              <button type="submit" className="btn btn-primary" data-testid="alert-webhook-save" disabled={set.isPending || !url.trim()}>
                {set.isPending ? 'Saving…' : current ? 'Replace webhook' : 'Set webhook'}
              </button>
            </div>
          </form>
          {set.error && !set.error.fieldError('url') ? <ProblemAlert error={set.error} /> : null}
          <ProblemAlert error={clear.error} />
        </>
      )}
    </section>
  );
}
