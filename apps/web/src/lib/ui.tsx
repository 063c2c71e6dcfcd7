import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { describeError, isApiProblem } from './problem.js';

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Vaultrun`;
  }, [title]);
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description ? <p className="page-description">{description}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

/** One labelled figure of a card's fact list (`<dl className="facts">`). */
export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/**
 * Shows an API problem's `detail` (and its request id, for support) in an alert box. A budget's refusal links to
 * that budget, wherever it was refused (a run, a comparison, a Copilot message).
 */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  // A reference is only useful to quote to an operator when the server failed.
  const requestId = isApiProblem(error) && error.status >= 500 ? (error.errorId ?? error.requestId) : undefined;
  const budgetId = isApiProblem(error) ? error.budgetId : undefined;
  return (
    <div className="alert alert-error" role="alert">
      {title ? <strong>{title} </strong> : null}
      {describeError(error)}
      {requestId ? <span className="alert-ref"> (reference {requestId})</span> : null}
      {budgetId ? (
        <>
          {' '}
          <Link to={`/budgets#budget-${budgetId}`} data-testid="problem-budget-link" data-budget-id={budgetId}>
            Open the budget{isApiProblem(error) && error.budgetName ? ` “${error.budgetName}”` : ''}
          </Link>
        </>
      ) : null}
    </div>
  );
}

/** The API's message for one form field, shown under the input it concerns. */
export function FieldError({ error, field, id }: { error: unknown; field: string; id?: string }) {
  const message = isApiProblem(error) ? error.fieldError(field) : undefined;
  if (!message) return null;
  return (
    <p className="field-error" id={id}>
      {message}
    </p>
  );
}

/** Only the problem's field errors: the top-level alert is left out when every field error is shown inline. */
export function hasOnlyFieldErrors(error: unknown, fields: string[]): boolean {
  return isApiProblem(error) && !!error.errors?.length && error.errors.every((e) => fields.includes(e.field));
}

export type BadgeTone = 'green' | 'red' | 'amber' | 'grey' | 'blue';

export function Badge({ tone, children, testId }: { tone: BadgeTone; children: ReactNode; testId?: string }) {
  return (
    <span className={`badge badge-${tone}`} data-testid={testId}>
      {children}
    </span>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Copies text to the clipboard, falling back to a hidden textarea where the Clipboard API is unavailable (plain HTTP). */
async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the legacy path
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  let ok: boolean;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.value = '';
  area.remove();
  return ok;
}

export function CopyButton({ text, label = 'Copy', testId }: { text: string; label?: string; testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = window.setTimeout(() => setState('idle'), 2000);
    return () => window.clearTimeout(timer);
  }, [state]);
  return (
    <button type="button" className="btn btn-secondary btn-small" data-testid={testId} onClick={() => void copyText(text).then((ok) => setState(ok ? 'copied' : 'failed'))}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed — select and copy' : label}
    </button>
  );
}

/**
 * A panel that shows a secret exactly once. The parent owns the secret in component state
 * and drops it in `onDismiss`, so nothing of it remains in the DOM or in any cache afterwards.
 */
export function OneTimeSecret({
  title,
  secret,
  warning,
  onDismiss,
  secretTestId,
  dismissTestId,
  copyTestId,
}: {
  title: string;
  secret: string;
  warning: ReactNode;
  onDismiss: () => void;
  secretTestId: string;
  dismissTestId: string;
  copyTestId: string;
}) {
  const headingId = useId();
  const panelRef = useRef<HTMLElement>(null);
  useEffect(() => {
    panelRef.current?.focus();
  }, []);
  return (
    <section className="secret-panel" aria-labelledby={headingId} tabIndex={-1} ref={panelRef}>
      <h2 id={headingId}>{title}</h2>
      <p className="secret-warning">
        <strong>Shown once.</strong> {warning}
      </p>
      <div className="secret-row">
        <code className="secret-value" data-testid={secretTestId}>
          {secret}
        </code>
        <CopyButton text={secret} testId={copyTestId} />
      </div>
      <div className="secret-actions">
        <button type="button" className="btn btn-primary" onClick={onDismiss} data-testid={dismissTestId}>
          I have stored it — dismiss
        </button>
      </div>
    </section>
  );
}

/**
 * A button that asks for confirmation in a modal <dialog> before running a destructive action.
 */
export function ConfirmButton({
  label,
  title,
  message,
  confirmLabel,
  onConfirm,
  disabled,
  testId,
  busy,
}: {
  label: string;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
  testId?: string;
  busy?: boolean;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  return (
    <>
      <button type="button" className="btn btn-danger-ghost btn-small" disabled={disabled || busy} onClick={() => dialogRef.current?.showModal()} data-testid={testId}>
        {busy ? 'Working…' : label}
      </button>
      <dialog ref={dialogRef} className="dialog" aria-labelledby={headingId}>
        <h2 id={headingId}>{title}</h2>
        <div className="dialog-body">{message}</div>
        <div className="dialog-actions">
          <button type="button" className="btn btn-secondary" onClick={() => dialogRef.current?.close()} data-testid="confirm-cancel">
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-danger"
            data-testid="confirm-accept"
            onClick={() => {
              dialogRef.current?.close();
              onConfirm();
            }}
          >
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
