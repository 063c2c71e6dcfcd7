import './count-from.css';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { createBudgetMutation, listOperatorsOptions, listProviderAccountsOptions, listTokensOptions, updateBudgetMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { BudgetDto, CreateBudgetDto } from '../../api/generated/types.gen.js';
import { dollarsToMicroUsd, microUsdToDollars } from '../../lib/money.js';
import { useCan } from '../../lib/session.js';
import { FieldError, hasOnlyFieldErrors, ProblemAlert } from '../../lib/ui.js';
import { type BudgetPeriod, type BudgetScopeType, PERIODS, periodLabel, SCOPES, scopeText } from './budget-labels.js';
import { useBudgetCache } from './budget-cache.js';

interface Draft {
  name: string;
  scopeType: BudgetScopeType;
  scopeId: string;
  period: BudgetPeriod;
  countFrom: BudgetDto['countFrom'];
  cap: string;
  softThresholdPct: string;
  shrink: boolean;
  shrinkMinOutputTokens: string;
}

const FIELDS = ['name', 'scope', 'scope.type', 'scope.id', 'period', 'countFrom', 'capMicroUsd', 'softThresholdPct', 'shrinkToFit', 'shrinkToFit.minOutputTokens'];

function draftOf(budget: BudgetDto | null): Draft {
  return {
    name: budget?.name ?? '',
    scopeType: budget && budget.scope.type !== 'credits' ? budget.scope.type : 'workspace',
    scopeId: budget?.scope.id ?? '',
    period: budget?.period ?? 'month',
    countFrom: budget?.countFrom ?? 'creation',
    cap: budget ? microUsdToDollars(budget.capMicroUsd) : '',
    softThresholdPct: String(budget?.softThresholdPct ?? 80),
    shrink: !!budget?.shrinkToFit,
    shrinkMinOutputTokens: String(budget?.shrinkToFit?.minOutputTokens ?? 256),
  };
}

type Checked = { ok: true; body: CreateBudgetDto } | { ok: false; errors: Partial<Record<string, string>> };

/** The form's own checks (the API repeats them); the body in micro-USD, or a message per field. */
function toBody(d: Draft, editing: boolean): Checked {
  const errors: Partial<Record<string, string>> = {};
  if (!d.name.trim()) errors.name = 'Give the budget a name.';
  const cap = dollarsToMicroUsd(d.cap);
  if (cap === null) errors.capMicroUsd = 'Set the hard cap in dollars, e.g. 50.';
  else if (cap === undefined) errors.capMicroUsd = 'An amount in dollars, e.g. 50 or 0.25 (at most 6 decimals).';
  const soft = Number(d.softThresholdPct);
  if (!Number.isInteger(soft) || soft < 1 || soft > 100) errors.softThresholdPct = 'A whole percentage from 1 to 100.';
  if (!editing && d.scopeType !== 'workspace' && !d.scopeId) errors['scope.id'] = `Choose the ${SCOPES.find((s) => s.value === d.scopeType)?.label.toLowerCase()}.`;
  const floor = Number(d.shrinkMinOutputTokens);
  if (d.shrink && (!/^\d+$/.test(d.shrinkMinOutputTokens.trim()) || floor < 1 || floor > 200_000)) {
    errors['shrinkToFit.minOutputTokens'] = 'A whole number of tokens from 1 to 200,000.';
  }
  if (Object.keys(errors).length || cap === null || cap === undefined) return { ok: false, errors };
  return {
    ok: true,
    body: {
      name: d.name.trim(),
      scope: { type: d.scopeType, id: d.scopeType === 'workspace' ? null : d.scopeId },
      period: d.period,
      ...(editing ? {} : { countFrom: d.countFrom }),
      capMicroUsd: cap,
      softThresholdPct: soft,
      shrinkToFit: d.shrink ? { minOutputTokens: floor } : null,
    },
  };
}

/** Create (budget = null) or edit a budget. Scope and period are fixed once created (the API refuses a change). */
export function BudgetForm({ budget, onSaved, onCancel }: { budget: BudgetDto | null; onSaved: (saved: BudgetDto) => void; onCancel: () => void }) {
  const id = useId();
  const cache = useBudgetCache();
  const [draft, setDraft] = useState<Draft>(() => draftOf(budget));
  const [localErrors, setLocalErrors] = useState<Partial<Record<string, string>>>({});
  const onSuccess = (saved: BudgetDto) => {
    cache.put(saved);
    onSaved(saved);
  };
  const create = useMutation({ ...createBudgetMutation(), onSuccess });
  const update = useMutation({ ...updateBudgetMutation(), onSuccess });
  const save = budget ? update : create;
  const apiError = save.error;

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value, ...(key === 'scopeType' ? { scopeId: '' } : {}) }));
    const field =
      key === 'cap' ? 'capMicroUsd' : key === 'scopeId' || key === 'scopeType' ? 'scope.id' : key === 'shrink' || key === 'shrinkMinOutputTokens' ? 'shrinkToFit.minOutputTokens' : key;
    if (localErrors[field]) setLocalErrors((e) => ({ ...e, [field]: undefined }));
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    const checked = toBody(draft, !!budget);
    if (!checked.ok) {
      setLocalErrors(checked.errors);
      const first = FIELDS.find((f) => checked.errors[f]);
      if (first) document.getElementById(`${id}-${first.replace('.', '-')}`)?.focus();
      return;
    }
    setLocalErrors({});
    if (budget) {
      const { name, capMicroUsd, softThresholdPct, shrinkToFit } = checked.body;
      update.mutate({ path: { budgetId: budget.id }, body: { name, capMicroUsd, softThresholdPct, shrinkToFit } });
    } else {
      create.mutate({ body: checked.body });
    }
  }

  const fieldError = (...fields: string[]) => {
    const local = fields.map((f) => localErrors[f]).find(Boolean);
    if (local) return <p className="field-error">{local}</p>;
    return fields.map((f) => <FieldError key={f} error={apiError} field={f} />);
  };

  return (
    <form className="form budget-form" onSubmit={submit} noValidate aria-label={budget ? `Edit ${budget.name}` : 'New budget'}>
      <div className="form-grid-2">
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} data-testid="budget-name" value={draft.name} maxLength={100} placeholder="e.g. Team monthly" onChange={(e) => set('name', e.target.value)} />
          {fieldError('name')}
        </div>
        {budget ? (
          <div className="field">
            <span className="field-label">Scope and period</span>
            <p className="field-static">
              {scopeText(budget.scope)} · {periodLabel(budget.period)}
            </p>
            <span className="field-hint">Fixed once created: create a new budget to cap something else.</span>
          </div>
        ) : (
          <div className="field">
            <label htmlFor={`${id}-period`}>Period</label>
            <select id={`${id}-period`} data-testid="budget-period" value={draft.period} onChange={(e) => set('period', e.target.value as BudgetPeriod)}>
              {PERIODS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label} — {p.help}
                </option>
              ))}
            </select>
            {fieldError('period')}
          </div>
        )}
      </div>

      {budget ? null : <ScopeFields id={id} draft={draft} set={set} error={fieldError('scope', 'scope.type', 'scope.id')} />}

      {budget ? null : (
        <fieldset className="field count-from" data-testid="budget-count-from">
          <legend className="field-label">What the first period counts</legend>
          <label className="choice">
            <input type="radio" name={`${id}-countFrom`} value="creation" checked={draft.countFrom === 'creation'} onChange={() => set('countFrom', 'creation')} data-testid="budget-count-from-creation" />
            <span>
              <strong>From now on</strong>
              <span className="field-hint"> — only runs from the budget&apos;s creation count in this {draft.period === 'lifetime' ? 'budget' : 'period'}.</span>
            </span>
          </label>
          <label className="choice">
            <input
              type="radio"
              name={`${id}-countFrom`}
              value="period_start"
              checked={draft.countFrom === 'period_start'}
              onChange={() => set('countFrom', 'period_start')}
              data-testid="budget-count-from-period-start"
            />
            <span>
              <strong>{draft.period === 'lifetime' ? 'Everything so far' : `From the start of the ${draft.period === 'day' ? 'day' : draft.period === 'week' ? 'week' : 'month'}`}</strong>
              <span className="field-hint">
                {' '}
                — {draft.period === 'month' ? 'month-to-date: ' : ''}what runs in its scope already cost {draft.period === 'lifetime' ? 'ever' : 'this period (UTC)'} counts
                from the start.
              </span>
            </span>
          </label>
          {fieldError('countFrom')}
        </fieldset>
      )}

      <div className="form-grid-2">
        <div className="field">
          <label htmlFor={`${id}-capMicroUsd`}>Hard cap per period</label>
          <div className="input-prefix">
            <span aria-hidden="true">$</span>
            <input id={`${id}-capMicroUsd`} data-testid="budget-cap" inputMode="decimal" value={draft.cap} placeholder="50.00" onChange={(e) => set('cap', e.target.value)} />
          </div>
          <span className="field-hint">A run whose worst case would pass the cap is refused before the provider is called.</span>
          {fieldError('capMicroUsd')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-softThresholdPct`}>Soft threshold</label>
          <div className="input-suffix">
            <input
              id={`${id}-softThresholdPct`}
              data-testid="budget-soft-threshold"
              type="number"
              min={1}
              max={100}
              step={1}
              value={draft.softThresholdPct}
              onChange={(e) => set('softThresholdPct', e.target.value)}
            />
            <span aria-hidden="true">% of the cap</span>
          </div>
          <span className="field-hint">Once per period: an audit entry, a console banner and the workspace webhook.</span>
          {fieldError('softThresholdPct')}
        </div>
      </div>

      <div className="form-grid-2">
        <div className="field">
          <span className="field-label">When a run does not fit</span>
          <label className="check">
            <input type="checkbox" data-testid="budget-shrink" checked={draft.shrink} onChange={(e) => set('shrink', e.target.checked)} />
            <span>
              Shrink its max output tokens to fit, instead of blocking it
              <span className="check-help">The run says so on its timeline. Only when every budget it does not fit allows it.</span>
            </span>
          </label>
        </div>
        {draft.shrink ? (
          <div className="field">
            <label htmlFor={`${id}-shrinkToFit-minOutputTokens`}>Never below</label>
            <div className="input-suffix">
              <input
                id={`${id}-shrinkToFit-minOutputTokens`}
                data-testid="budget-shrink-floor"
                type="number"
                min={1}
                max={200000}
                step={1}
                value={draft.shrinkMinOutputTokens}
                onChange={(e) => set('shrinkMinOutputTokens', e.target.value)}
              />
              <span aria-hidden="true">output tokens</span>
            </div>
            <span className="field-hint">Below this floor the run is blocked: a reply cut too short is worth nothing.</span>
            {fieldError('shrinkToFit.minOutputTokens', 'shrinkToFit')}
          </div>
        ) : null}
      </div>

      {apiError && !hasOnlyFieldErrors(apiError, FIELDS) ? <ProblemAlert error={apiError} /> : null}
      {Object.values(localErrors).some(Boolean) ? (
        <p className="field-error" role="alert">
          Fix the fields marked above to save.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="budget-save" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : budget ? 'Save changes' : 'Create budget'}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** What the budget caps: the workspace, or one account / operator / API token of it. */
function ScopeFields({
  id,
  draft,
  set,
  error,
}: {
  id: string;
  draft: Draft;
  set: <K extends keyof Draft>(key: K, value: Draft[K]) => void;
  error: ReactNode;
}) {
  const canSeeAccounts = useCan('vault:read');
  const canSeeOperators = useCan('operators:read');
  const canSeeTokens = useCan('tokens:read');
  const accounts = useQuery({ ...listProviderAccountsOptions(), enabled: canSeeAccounts && draft.scopeType === 'account' });
  const operators = useQuery({ ...listOperatorsOptions(), enabled: canSeeOperators && draft.scopeType === 'operator' });
  const tokens = useQuery({ ...listTokensOptions(), enabled: canSeeTokens && draft.scopeType === 'token' });
  const choices =
    draft.scopeType === 'account'
      ? (accounts.data?.items ?? []).map((a) => ({ id: a.id, name: a.name }))
      : draft.scopeType === 'operator'
        ? (operators.data?.items ?? []).map((o) => ({ id: o.id, name: o.name }))
        : draft.scopeType === 'token'
          ? (tokens.data?.items ?? []).filter((t) => t.status === 'active').map((t) => ({ id: t.id, name: `${t.name} (${t.prefix}…)` }))
          : [];
  const loading = accounts.isLoading || operators.isLoading || tokens.isLoading;
  const available = SCOPES.filter((s) => s.value !== 'token' || canSeeTokens);
  return (
    <div className="form-grid-2">
      <div className="field">
        <label htmlFor={`${id}-scope-type`}>Applies to</label>
        <select id={`${id}-scope-type`} data-testid="budget-scope-type" value={draft.scopeType} onChange={(e) => set('scopeType', e.target.value as BudgetScopeType)}>
          {available.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label} — {s.help}
            </option>
          ))}
        </select>
      </div>
      {draft.scopeType === 'workspace' ? (
        <div className="field">
          <span className="field-label">Scope</span>
          <p className="field-static muted">Every run of this workspace, whatever account, operator or token it uses.</p>
          {error}
        </div>
      ) : (
        <div className="field">
          <label htmlFor={`${id}-scope-id`}>{SCOPES.find((s) => s.value === draft.scopeType)?.label}</label>
          <select id={`${id}-scope-id`} data-testid="budget-scope-id" value={draft.scopeId} onChange={(e) => set('scopeId', e.target.value)}>
            <option value="">{loading ? 'Loading…' : choices.length ? 'Choose…' : 'None available'}</option>
            {choices.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
          {error}
        </div>
      )}
    </div>
  );
}
