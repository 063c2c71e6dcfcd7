import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useId, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { createComparisonMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { CreateComparisonDto, OperatorDto, ProviderAccountDto } from '../../api/generated/types.gen.js';
import { useIdempotencyKey } from '../../lib/idempotency.js';
import { FieldError, hasOnlyFieldErrors, ProblemAlert } from '../../lib/ui.js';
import { NoPriceWarning, usePriceKnown } from '../money/price-check.js';
import { AccountSelect, canRun, ModelInput, modelHint } from '../vault/AccountPickers.js';
import { rememberComparison } from './comparison-cache.js';

const FIELDS = ['operatorId', 'input', 'liveAccountId', 'mockAccountId', 'liveModel'];

/**
 * Starts a comparison: an operator, a live account and an input; under Advanced, the mock account and the live
 * model. The API runs the input on both and answers at once (202); the page of the comparison follows the runs.
 */
export function StartComparisonForm({ operators, accounts }: { operators: OperatorDto[]; accounts: ProviderAccountDto[] }) {
  const id = useId();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const mockAccounts = accounts.filter((a) => a.kind === 'mock');
  // Live accounts first; another mock account may stand in for one (to try comparisons without a key).
  const liveAccounts = [...accounts.filter((a) => a.kind !== 'mock'), ...mockAccounts.slice(1)];
  const [operatorId, setOperatorId] = useState(operators[0]?.id ?? '');
  const [liveAccountId, setLiveAccountId] = useState(liveAccounts.find((a) => a.status === 'active')?.id ?? liveAccounts.find(canRun)?.id ?? '');
  const [mockAccountId, setMockAccountId] = useState('');
  const [liveModel, setLiveModel] = useState('');
  const [input, setInput] = useState('');
  const idempotency = useIdempotencyKey();
  const start = useMutation({
    ...createComparisonMutation(),
    onSuccess: (comparison) => {
      idempotency.used();
      rememberComparison(qc, comparison);
      void navigate(`/comparisons/${comparison.id}`);
    },
  });

  const operator = operators.find((o) => o.id === operatorId);
  const live = liveAccounts.find((a) => a.id === liveAccountId);
  const defaultMock = mockAccounts.find((a) => a.status !== 'disabled');
  const mock = mockAccountId ? mockAccounts.find((a) => a.id === mockAccountId) : defaultMock;
  // The API's precedence for the live side: this form's model > the operator's > the live account's default.
  const inheritedLiveModel = operator?.model ?? live?.defaultModel ?? null;
  const effectiveLiveModel = liveModel.trim() || inheritedLiveModel;
  const hint = modelHint(liveModel, live);
  const priced = usePriceKnown(live, effectiveLiveModel);

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (start.isPending) return;
    const body: CreateComparisonDto = { operatorId, input, liveAccountId };
    if (mockAccountId) body.mockAccountId = mockAccountId;
    if (liveModel.trim()) body.liveModel = liveModel.trim();
    start.mutate({ body, headers: { 'Idempotency-Key': idempotency.keyFor(body) } });
  }

  function submitOnCtrlEnter(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) submit();
  }

  if (operators.length === 0) {
    return (
      <p className="empty" data-testid="comparison-needs-operator">
        Create an <Link to="/operators">operator</Link> first: a comparison runs its instructions on both sides.
      </p>
    );
  }
  if (liveAccounts.length === 0) {
    return (
      <p className="empty" data-testid="comparison-needs-live-account">
        Add a live account (OpenAI, Anthropic, Gemini, Azure OpenAI or OpenAI-compatible) in the <Link to="/vault">Vault</Link> first: a comparison runs the same input on the mock and on a live account. (To try it
        without a key, add a second mock account — for instance one that reports its own cost — as a stand-in.)
      </p>
    );
  }

  return (
    <form className="form cmp-form" onSubmit={submit} noValidate aria-label="Start a comparison">
      <div className="form-grid-2">
        <div className="field">
          <label htmlFor={`${id}-operator`}>Operator</label>
          <select id={`${id}-operator`} data-testid="comparison-operator" value={operatorId} onChange={(e) => setOperatorId(e.target.value)}>
            {operators.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
                {o.outputFormat === 'json_schema' ? ' (JSON Schema)' : ''}
              </option>
            ))}
          </select>
          <FieldError error={start.error} field="operatorId" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-live`}>Live account</label>
          <AccountSelect
            id={`${id}-live`}
            testId="comparison-live-account"
            value={liveAccountId}
            onChange={setLiveAccountId}
            accounts={liveAccounts}
            describe={(a) => (a.kind === 'mock' ? ' (mock stand-in)' : '')}
          />
          <FieldError error={start.error} field="liveAccountId" />
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${id}-input`}>Input</label>
        <textarea
          id={`${id}-input`}
          data-testid="comparison-input"
          className="textarea"
          rows={4}
          value={input}
          placeholder="The user message, sent unchanged to both sides; the operator's instructions are the system prompt."
          onChange={(e) => setInput(e.target.value)}
          onKeyDown={submitOnCtrlEnter}
        />
        <span className="field-hint" data-testid="comparison-plan">
          Mock: <strong>{mock?.name ?? 'no mock account'}</strong>
          {mock?.defaultModel ? (
            <>
              {' '}
              (<code className="mono">{mock.defaultModel}</code>)
            </>
          ) : null}{' '}
          · Live: <strong>{live?.name ?? '—'}</strong>
          {effectiveLiveModel ? (
            <>
              {' '}
              (<code className="mono">{effectiveLiveModel}</code>)
            </>
          ) : null}
          . The live run is billed by your provider and counts against your budgets. Ctrl+Enter starts it.
        </span>
        <FieldError error={start.error} field="input" />
      </div>
      <details className="advanced" open={!!(mockAccountId || liveModel) || undefined}>
        <summary data-testid="comparison-advanced">Advanced: mock account and live model</summary>
        <div className="advanced-body form-grid-2">
          <div className="field">
            <label htmlFor={`${id}-mock`}>Mock account</label>
            <AccountSelect
              id={`${id}-mock`}
              testId="comparison-mock-account"
              value={mockAccountId}
              onChange={setMockAccountId}
              accounts={mockAccounts}
              inheritLabel={`Default (${defaultMock?.name ?? 'the oldest mock account'})`}
            />
            <FieldError error={start.error} field="mockAccountId" />
          </div>
          <div className="field">
            <label htmlFor={`${id}-model`}>Live model</label>
            <ModelInput
              id={`${id}-model`}
              testId="comparison-live-model"
              value={liveModel}
              onChange={setLiveModel}
              models={live?.models ?? []}
              placeholder={inheritedLiveModel ? `${operator?.model ? 'Operator' : 'Account'} default: ${inheritedLiveModel}` : 'Model id'}
            />
            <span className={hint.warn ? 'field-hint field-warning' : 'field-hint'}>{hint.text}</span>
            <FieldError error={start.error} field="liveModel" />
          </div>
        </div>
      </details>
      {live && effectiveLiveModel && priced === false ? <NoPriceWarning account={live} model={effectiveLiveModel} action="comparison" /> : null}
      {start.error && !hasOnlyFieldErrors(start.error, FIELDS) ? <ProblemAlert error={start.error} /> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="comparison-submit" disabled={start.isPending}>
          {start.isPending ? 'Starting…' : priced === false ? 'Compare without a price' : 'Compare'}
        </button>
      </div>
    </form>
  );
}
