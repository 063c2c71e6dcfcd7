import { useMutation } from '@tanstack/react-query';
import { type FormEvent, lazy, Suspense, useId, useMemo, useState } from 'react';
import { createOperatorMutation, updateOperatorMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { CreateOperatorDto, OperatorDto, ProviderAccountDto, WorkspaceDto } from '../../api/generated/types.gen.js';
import { zCreateOperatorDto } from '../../api/generated/zod.gen.js';
import { type FieldErrors, fieldErrors } from '../../lib/form-rules.js';
import { dollarsToMicroUsd, microUsdToDollars } from '../../lib/money.js';
import { isApiProblem } from '../../lib/problem.js';
import { FieldError, hasOnlyFieldErrors, ProblemAlert } from '../../lib/ui.js';
import { AccountSelect, ModelInput, modelHint } from '../vault/AccountPickers.js';
import { useOperatorCache } from './operator-cache.js';
import { parseSchemaText } from './schema-text.js';

// The code editor (CodeMirror) and its checks load only when a form shows a JSON schema.
const JsonSchemaEditor = lazy(() => import('./JsonSchemaEditor.js'));

type OutputFormat = OperatorDto['outputFormat'];

interface Draft {
  name: string;
  description: string;
  instructions: string;
  accountId: string;
  model: string;
  temperature: string;
  maxOutputTokens: string;
  outputFormat: OutputFormat;
  schemaText: string;
  costCap: string;
}

const FIELDS = ['name', 'description', 'instructions', 'accountId', 'model', 'temperature', 'maxOutputTokens', 'outputFormat', 'outputSchema', 'costCapMicroUsd'];

function draftOf(operator: OperatorDto | null): Draft {
  return {
    name: operator?.name ?? '',
    description: operator?.description ?? '',
    instructions: operator?.instructions ?? '',
    accountId: operator?.accountId ?? '',
    model: operator?.model ?? '',
    temperature: operator?.temperature === null || operator?.temperature === undefined ? '' : String(operator.temperature),
    maxOutputTokens: String(operator?.maxOutputTokens ?? 1024),
    outputFormat: operator?.outputFormat ?? 'text',
    schemaText: operator?.outputSchema ? JSON.stringify(operator.outputSchema, null, 2) : '',
    costCap: operator?.costCapMicroUsd === null || operator?.costCapMicroUsd === undefined ? '' : microUsdToDollars(operator.costCapMicroUsd),
  };
}

type Checked = { ok: true; body: CreateOperatorDto } | { ok: false; errors: FieldErrors };

/**
 * The request body the form would send, checked against the API's rules for it (zod schema generated from the API's
 * OpenAPI document): what is wrong, by field, or the body. Only reading what was typed is done here — text to numbers,
 * dollars to micro-USD, the schema text to JSON.
 */
function toBody(d: Draft): Checked {
  const costCap = dollarsToMicroUsd(d.costCap);
  const schema = d.outputFormat === 'json_schema' ? parseSchemaText(d.schemaText) : null;
  const body: CreateOperatorDto = {
    name: d.name.trim(),
    description: d.description.trim(),
    instructions: d.instructions,
    accountId: d.accountId || null,
    model: d.model.trim() || null,
    temperature: d.temperature.trim() === '' ? null : Number(d.temperature),
    maxOutputTokens: Number(d.maxOutputTokens),
    outputFormat: d.outputFormat,
    outputSchema: schema?.ok ? schema.schema : null,
    costCapMicroUsd: costCap ?? null,
  };
  const errors = fieldErrors(zCreateOperatorDto, body);
  if (costCap === undefined) errors.costCapMicroUsd = 'An amount in dollars, e.g. 0.05 (at most 6 decimals), or empty for no cap.';
  if (schema && !schema.ok) errors.outputSchema = schema.message;
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, body };
}

/** Create (operator = null) or edit an operator. */
export function OperatorForm({
  operator,
  accounts,
  workspace,
  onSaved,
  onCancel,
}: {
  operator: OperatorDto | null;
  accounts: ProviderAccountDto[];
  workspace: WorkspaceDto | undefined;
  onSaved: (saved: OperatorDto) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const cache = useOperatorCache();
  const [draft, setDraft] = useState<Draft>(() => draftOf(operator));
  // After a first save attempt the form's checks follow every change: a message leaves as soon as its field is fixed.
  const [attempted, setAttempted] = useState(false);
  const checked = useMemo(() => toBody(draft), [draft]);
  const localErrors: FieldErrors = attempted && !checked.ok ? checked.errors : {};
  /** The schema text of the last save attempt: the API's verdict on it is shown until the text changes. */
  const [submittedSchema, setSubmittedSchema] = useState<string | null>(null);

  const onSuccess = (saved: OperatorDto) => {
    cache.put(saved);
    onSaved(saved);
  };
  const create = useMutation({ ...createOperatorMutation(), onSuccess });
  const update = useMutation({ ...updateOperatorMutation(), onSuccess });
  const save = operator ? update : create;
  const apiError = save.error;

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const defaultAccount = accounts.find((a) => a.id === workspace?.defaultAccountId);
  const account = draft.accountId ? accounts.find((a) => a.id === draft.accountId) : defaultAccount;
  const inheritedModel = account?.defaultModel ?? workspace?.defaultModel ?? null;
  const hint = modelHint(draft.model, account);

  function submit(event: FormEvent) {
    event.preventDefault();
    setAttempted(true);
    if (!checked.ok) {
      const first = FIELDS.find((f) => checked.errors[f]);
      document.getElementById(`${id}-${first === 'outputSchema' ? 'schema' : first}`)?.focus();
      return;
    }
    setSubmittedSchema(draft.schemaText);
    if (operator) update.mutate({ path: { operatorId: operator.id }, body: checked.body });
    else create.mutate({ body: checked.body });
  }

  const fieldError = (field: string) =>
    localErrors[field] ? (
      <p className="field-error">{localErrors[field]}</p>
    ) : (
      <FieldError error={apiError} field={field} />
    );
  const apiSchemaError = isApiProblem(apiError) && submittedSchema === draft.schemaText ? apiError.fieldError('outputSchema') : undefined;

  return (
    <form className="form operator-form" onSubmit={submit} noValidate aria-label={operator ? `Edit ${operator.name}` : 'New operator'}>
      <div className="form-grid-2">
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} data-testid="operator-name" value={draft.name} maxLength={100} placeholder="e.g. Ticket summariser" onChange={(e) => set('name', e.target.value)} />
          {fieldError('name')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-description`}>
            Description <span className="optional">optional</span>
          </label>
          <input id={`${id}-description`} data-testid="operator-description" value={draft.description} maxLength={1000} placeholder="What it is for, in one line" onChange={(e) => set('description', e.target.value)} />
          {fieldError('description')}
        </div>
      </div>

      <div className="field">
        <label htmlFor={`${id}-instructions`}>Instructions</label>
        <textarea
          id={`${id}-instructions`}
          data-testid="operator-instructions"
          className="textarea"
          rows={8}
          value={draft.instructions}
          maxLength={100_000}
          placeholder="The system prompt: who the operator is, what it does with the input, and how to answer."
          onChange={(e) => set('instructions', e.target.value)}
        />
        <span className="field-hint">Sent as the system prompt of every run; the run&apos;s input is the user message.</span>
        {fieldError('instructions')}
      </div>

      <fieldset className="fieldset form-section">
        <legend>Provider and model</legend>
        <div className="form-grid-2">
          <div className="field">
            <label htmlFor={`${id}-accountId`}>Provider account</label>
            <AccountSelect
              id={`${id}-accountId`}
              testId="operator-account"
              value={draft.accountId}
              onChange={(v) => set('accountId', v)}
              accounts={accounts}
              inheritLabel={`Workspace default (${defaultAccount?.name ?? 'not set'})`}
            />
            <span className="field-hint">The workspace default follows the workspace setting when it changes.</span>
            {fieldError('accountId')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-model`}>Model</label>
            <ModelInput
              id={`${id}-model`}
              testId="operator-model"
              value={draft.model}
              onChange={(v) => set('model', v)}
              models={account?.models ?? []}
              placeholder={inheritedModel ? `Account default: ${inheritedModel}` : 'Model id, e.g. gpt-4.1-mini'}
            />
            <span className={hint.warn ? 'field-hint field-warning' : 'field-hint'}>{hint.text}</span>
            {fieldError('model')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-temperature`}>
              Temperature <span className="optional">0–2</span>
            </label>
            <input id={`${id}-temperature`} data-testid="operator-temperature" type="number" min={0} max={2} step={0.1} value={draft.temperature} placeholder="Provider default" onChange={(e) => set('temperature', e.target.value)} />
            {fieldError('temperature')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-maxOutputTokens`}>Max output tokens</label>
            <input id={`${id}-maxOutputTokens`} data-testid="operator-max-tokens" type="number" min={1} max={200000} step={1} value={draft.maxOutputTokens} onChange={(e) => set('maxOutputTokens', e.target.value)} />
            {fieldError('maxOutputTokens')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-costCapMicroUsd`}>
              Cost cap per run <span className="optional">optional</span>
            </label>
            <div className="input-prefix">
              <span aria-hidden="true">$</span>
              <input
                id={`${id}-costCapMicroUsd`}
                data-testid="operator-cost-cap"
                inputMode="decimal"
                value={draft.costCap}
                placeholder="No cap"
                onChange={(e) => set('costCap', e.target.value)}
              />
            </div>
            <span className="field-hint">Budgets refuse a run whose worst-case cost exceeds it.</span>
            {fieldError('costCapMicroUsd')}
          </div>
        </div>
      </fieldset>

      <fieldset className="fieldset form-section">
        <legend>Output format</legend>
        <div className="format-choices" role="group" aria-label="Output format">
          <FormatChoice value="text" current={draft.outputFormat} onSelect={(v) => set('outputFormat', v)} title="Text" help="The answer as the model writes it." testId="operator-format-text" />
          <FormatChoice
            value="json_schema"
            current={draft.outputFormat}
            onSelect={(v) => set('outputFormat', v)}
            title="JSON (schema)"
            help="Structured output, validated against a JSON Schema."
            testId="operator-format-json"
          />
        </div>
        {draft.outputFormat === 'json_schema' ? (
          <Suspense fallback={<p className="loading-inline muted">Loading the schema editor…</p>}>
            <JsonSchemaEditor id={`${id}-schema`} value={draft.schemaText} onChange={(v) => set('schemaText', v)} apiError={apiSchemaError} showEmptyError={!!localErrors.outputSchema} />
          </Suspense>
        ) : null}
      </fieldset>

      {apiError && !hasOnlyFieldErrors(apiError, FIELDS) ? <ProblemAlert error={apiError} /> : null}
      {Object.values(localErrors).some(Boolean) ? (
        <p className="field-error" role="alert">
          Fix the fields marked above to save.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="operator-save" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : operator ? 'Save changes' : 'Create operator'}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function FormatChoice({
  value,
  current,
  onSelect,
  title,
  help,
  testId,
}: {
  value: OutputFormat;
  current: OutputFormat;
  onSelect: (v: OutputFormat) => void;
  title: string;
  help: string;
  testId: string;
}) {
  const selected = value === current;
  return (
    <button type="button" className={`format-choice${selected ? ' format-choice-selected' : ''}`} aria-pressed={selected} data-testid={testId} onClick={() => onSelect(value)}>
      <span className={`format-mark format-mark-${value}`} aria-hidden="true" />
      <span className="format-title">{title}</span>
      <span className="format-help">{help}</span>
    </button>
  );
}
