import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { grantCreditsMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { GrantCreditsDto, InstanceWorkspaceDto } from '../../api/generated/types.gen.js';
import { dollarsToMicroUsdString, formatUsd, microOf } from '../../lib/money.js';
import { FieldError, hasOnlyFieldErrors, ProblemAlert } from '../../lib/ui.js';
import { CREDITS_NAME } from '../credits/credit-labels.js';

type Kind = GrantCreditsDto['kind'];
const FIELDS = ['kind', 'amountMicroUsd', 'expiresAt', 'reference', 'note'];

/** Local date (yyyy-mm-dd) of tomorrow, the earliest expiry offered. */
function tomorrow(): string {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * Adds credits to a workspace: a grant (a gift, e.g. a trial) or a top-up (paid: its reference, an invoice or payment
 * id, is required). The amount is typed in dollars and sent as an integer micro-USD string, converted digit by digit.
 */
export function GrantCreditsButton({ workspace, onDone }: { workspace: InstanceWorkspaceDto; onDone: () => Promise<unknown> }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [kind, setKind] = useState<Kind>('grant');
  const [amount, setAmount] = useState('');
  const [expiry, setExpiry] = useState('');
  const [reference, setReference] = useState('');
  const [note, setNote] = useState('');
  const [attempted, setAttempted] = useState(false);
  const grant = useMutation({
    ...grantCreditsMutation(),
    onSuccess: async () => {
      dialogRef.current?.close();
      setAmount('');
      setExpiry('');
      setReference('');
      setNote('');
      setAttempted(false);
      await onDone();
    },
  });
  const micro = dollarsToMicroUsdString(amount);
  const amountError = attempted && !micro ? (micro === null ? 'Required.' : 'Enter a dollar amount above zero, with up to six decimals (e.g. 25 or 12.50).') : null;
  const referenceError = attempted && kind === 'top_up' && !reference.trim() ? 'Required for a top-up: the invoice or payment it records.' : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    setAttempted(true);
    if (!micro || (kind === 'top_up' && !reference.trim())) return;
    const body: GrantCreditsDto = {
      kind,
      amountMicroUsd: micro,
      // Credits expire at the end of the chosen day, local time.
      ...(expiry ? { expiresAt: new Date(`${expiry}T23:59:59`).toISOString() } : {}),
      ...(reference.trim() ? { reference: reference.trim() } : {}),
      ...(note.trim() ? { note: note.trim() } : {}),
    };
    grant.mutate({ path: { id: workspace.id }, body });
  }

  return (
    <>
      <button
        type="button"
        className="btn btn-secondary btn-small"
        data-testid="instance-grant-credits"
        onClick={() => {
          grant.reset();
          setAttempted(false);
          dialogRef.current?.showModal();
        }}
      >
        Grant credits
      </button>
      <dialog ref={dialogRef} className="dialog" aria-labelledby={`${id}-heading`} data-testid="instance-grant-dialog">
        <form className="form" onSubmit={submit} noValidate>
          <h2 id={`${id}-heading`}>Add credits to “{workspace.name}”</h2>
          <div className="dialog-body">
            <p>
              {CREDITS_NAME} pay for the workspace&apos;s runs on managed accounts. Balance now:{' '}
              <strong>{formatUsd(microOf(workspace.creditBalanceMicroUsd), 'none yet')}</strong>.
            </p>
            <fieldset className="field fieldset">
              <legend>Kind</legend>
              <div className="check-cards">
                <label className="check check-card">
                  <input type="radio" name={`${id}-kind`} data-testid="grant-kind-grant" checked={kind === 'grant'} onChange={() => setKind('grant')} />
                  <span>
                    <span className="check-label">Grant</span>
                    <span className="check-help">Credits you give: a trial, a goodwill gesture.</span>
                  </span>
                </label>
                <label className="check check-card">
                  <input type="radio" name={`${id}-kind`} data-testid="grant-kind-top-up" checked={kind === 'top_up'} onChange={() => setKind('top_up')} />
                  <span>
                    <span className="check-label">Top-up</span>
                    <span className="check-help">Credits paid for: name the invoice or payment.</span>
                  </span>
                </label>
              </div>
              <FieldError error={grant.error} field="kind" />
            </fieldset>
            <div className="form-row">
              <div className="field">
                <label htmlFor={`${id}-amount`}>Amount (USD)</label>
                <div className="input-prefixed">
                  <span aria-hidden="true">$</span>
                  <input
                    id={`${id}-amount`}
                    data-testid="grant-amount"
                    inputMode="decimal"
                    value={amount}
                    placeholder="25.00"
                    aria-invalid={amountError ? true : undefined}
                    onChange={(e) => setAmount(e.target.value)}
                  />
                </div>
                {amountError ? <p className="field-error">{amountError}</p> : <FieldError error={grant.error} field="amountMicroUsd" />}
              </div>
              <div className="field field-date">
                <label htmlFor={`${id}-expiry`}>Expires (optional)</label>
                <input id={`${id}-expiry`} data-testid="grant-expiry" type="date" min={tomorrow()} value={expiry} onChange={(e) => setExpiry(e.target.value)} />
                <FieldError error={grant.error} field="expiresAt" />
              </div>
            </div>
            <div className="field">
              <label htmlFor={`${id}-reference`}>Reference{kind === 'top_up' ? '' : ' (optional)'}</label>
              <input id={`${id}-reference`} data-testid="grant-reference" value={reference} maxLength={200} placeholder="e.g. INV-2026-0042" onChange={(e) => setReference(e.target.value)} />
              {referenceError ? <p className="field-error">{referenceError}</p> : <FieldError error={grant.error} field="reference" />}
            </div>
            <div className="field">
              <label htmlFor={`${id}-note`}>Note (optional)</label>
              <textarea id={`${id}-note`} data-testid="grant-note" rows={2} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
              <FieldError error={grant.error} field="note" />
            </div>
            {grant.error && !hasOnlyFieldErrors(grant.error, FIELDS) ? <ProblemAlert error={grant.error} title="Could not add the credits:" /> : null}
          </div>
          <div className="dialog-actions">
            <button type="button" className="btn btn-secondary" onClick={() => dialogRef.current?.close()}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" data-testid="grant-submit" disabled={grant.isPending}>
              {grant.isPending ? 'Adding…' : kind === 'grant' ? 'Grant credits' : 'Record top-up'}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
