import { useMutation } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useId, useState } from 'react';
import { useNavigate } from 'react-router';
import { createRunMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { CreateRunDto, OperatorDto, ProviderAccountDto, WorkspaceDto } from '../../api/generated/types.gen.js';
import { useIdempotencyKey } from '../../lib/idempotency.js';
import { FieldError, hasOnlyFieldErrors, ProblemAlert } from '../../lib/ui.js';
import { NoPriceWarning, usePriceKnown } from '../money/price-check.js';
import { AccountSelect, ModelInput, modelHint } from '../vault/AccountPickers.js';
import { rememberRun } from './run-cache.js';

/**
 * Starts a run of an operator: the input, and under Advanced an account or model override for this run only.
 * Each submission carries an Idempotency-Key that changes only when the request does, so a double click (or a
 * retry after a lost answer) cannot start the run twice.
 */
export function StartRunForm({
  operator,
  accounts,
  workspace,
  onCancel,
}: {
  operator: OperatorDto;
  accounts: ProviderAccountDto[];
  workspace: WorkspaceDto | undefined;
  onCancel: () => void;
}) {
  const id = useId();
  const navigate = useNavigate();
  const [input, setInput] = useState('');
  const [accountId, setAccountId] = useState('');
  const [model, setModel] = useState('');
  const idempotency = useIdempotencyKey();
  const start = useMutation({
    ...createRunMutation(),
    onSuccess: (run) => {
      idempotency.used();
      rememberRun(run);
      void navigate(`/runs/${run.id}`);
    },
  });

  const operatorAccountId = operator.accountId ?? workspace?.defaultAccountId ?? null;
  const operatorAccount = accounts.find((a) => a.id === operatorAccountId);
  const account = accountId ? accounts.find((a) => a.id === accountId) : operatorAccount;
  // The API's precedence: run override > operator > the account's default > the workspace's default.
  const inheritedModel = operator.model ?? account?.defaultModel ?? workspace?.defaultModel ?? null;
  const effectiveModel = model.trim() || inheritedModel;
  const hint = modelHint(model, account);
  const priced = usePriceKnown(account, effectiveModel);

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (start.isPending) return;
    const body: CreateRunDto = { operatorId: operator.id, input };
    if (accountId) body.accountId = accountId;
    if (model.trim()) body.model = model.trim();
    start.mutate({ body, headers: { 'Idempotency-Key': idempotency.keyFor(body) } });
  }

  function submitOnCtrlEnter(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) submit();
  }

  return (
    <form className="form panel run-form" onSubmit={submit} noValidate aria-label={`Run ${operator.name}`}>
      <div className="field">
        <label htmlFor={`${id}-input`}>Input</label>
        <textarea
          id={`${id}-input`}
          data-testid="run-input"
          className="textarea"
          rows={5}
          value={input}
          autoFocus
          placeholder="The user message for this run; the operator's instructions are the system prompt."
          onChange={(e) => setInput(e.target.value)}
          onKeyDown={submitOnCtrlEnter}
        />
        <span className="field-hint">
          Runs on {account ? <strong>{account.name}</strong> : 'the workspace default account'}
          {effectiveModel ? (
            <>
              {' '}
              with <code className="mono">{effectiveModel}</code>
            </>
          ) : null}
          . Ctrl+Enter starts the run.
        </span>
        <FieldError error={start.error} field="input" />
      </div>
      <details className="advanced" open={!!(accountId || model) || undefined}>
        <summary data-testid="run-advanced">Advanced: account and model for this run</summary>
        <div className="advanced-body form-grid-2">
          <div className="field">
            <label htmlFor={`${id}-account`}>Provider account</label>
            <AccountSelect
              id={`${id}-account`}
              testId="run-account"
              value={accountId}
              onChange={setAccountId}
              accounts={accounts}
              inheritLabel={`The operator's (${operatorAccount?.name ?? 'workspace default'})`}
            />
            <FieldError error={start.error} field="accountId" />
          </div>
          <div className="field">
            <label htmlFor={`${id}-model`}>Model</label>
            <ModelInput
              id={`${id}-model`}
              testId="run-model"
              value={model}
              onChange={setModel}
              models={account?.models ?? []}
              placeholder={inheritedModel ? `${operator.model ? 'Operator' : 'Account'} default: ${inheritedModel}` : 'Model id'}
            />
            <span className={hint.warn ? 'field-hint field-warning' : 'field-hint'}>{hint.text}</span>
            <FieldError error={start.error} field="model" />
          </div>
        </div>
      </details>
      {account && effectiveModel && priced === false ? <NoPriceWarning account={account} model={effectiveModel} action="run" /> : null}
      {start.error && !hasOnlyFieldErrors(start.error, ['input', 'accountId', 'model']) ? <ProblemAlert error={start.error} /> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="run-submit" disabled={start.isPending}>
          {start.isPending ? 'Starting…' : priced === false ? 'Start run without a price' : 'Start run'}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
