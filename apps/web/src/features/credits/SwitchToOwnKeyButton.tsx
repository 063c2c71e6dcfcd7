import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { listProviderAccountsOptions, switchToOwnKeyMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { CreditsDto } from '../../api/generated/types.gen.js';
import { formatCount } from '../../lib/format.js';
import { FieldError, hasOnlyFieldErrors, ProblemAlert } from '../../lib/ui.js';
import { CREDITS_NAME } from './credit-labels.js';

type Connector = CreditsDto['accounts'][number];

/**
 * "Switch to your own key": in one step (one transaction on the API) every operator and gateway route target on the
 * connector accounts moves to one of the workspace's own accounts. Afterwards the counts that moved are shown.
 */
export function SwitchToOwnKeyButton({ connectors }: { connectors: Connector[] }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const [toAccountId, setToAccountId] = useState('');
  const [fromAccountId, setFromAccountId] = useState('');
  const [moved, setMoved] = useState<{ operators: number; routeTargets: number; defaults?: number; to: string } | null>(null);
  const accounts = useQuery({ ...listProviderAccountsOptions({ query: { limit: 100 } }) });
  const own = (accounts.data?.items ?? []).filter((a) => !a.managed && a.status !== 'disabled');
  const queryClient = useQueryClient();
  const switchKey = useMutation({
    ...switchToOwnKeyMutation(),
    onSuccess: async (result, variables) => {
      dialogRef.current?.close();
      setMoved({ ...result, to: own.find((a) => a.id === variables.body.toAccountId)?.name ?? 'your account' });
      // Operators, routes, runs and credits all changed hands: read them again.
      await queryClient.invalidateQueries();
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    switchKey.mutate({ body: { toAccountId, ...(fromAccountId ? { fromAccountId } : {}) } });
  }

  return (
    <div className="switch-own-key">
      <button
        type="button"
        className="btn btn-secondary"
        data-testid="credits-switch-open"
        onClick={() => {
          setMoved(null);
          switchKey.reset();
          dialogRef.current?.showModal();
        }}
      >
        Switch to your own key
      </button>
      {moved ? (
        <p className="alert alert-success switch-counts" role="status" data-testid="credits-switch-result" data-operators={moved.operators} data-route-targets={moved.routeTargets}>
          Moved {formatCount(moved.operators)} {moved.operators === 1 ? 'operator' : 'operators'} and {formatCount(moved.routeTargets)} gateway{' '}
          {moved.routeTargets === 1 ? 'route target' : 'route targets'}
          {moved.defaults ? ` (and the workspace's ${moved.defaults === 1 ? 'default' : 'defaults'})` : ''} to “{moved.to}”.
        </p>
      ) : null}
      <dialog ref={dialogRef} className="dialog" aria-labelledby={headingId} data-testid="credits-switch-dialog">
        <form className="form" onSubmit={submit} noValidate>
          <h2 id={headingId}>Switch to your own key</h2>
          <div className="dialog-body">
            <p>
              Every operator and gateway route that uses {connectors.length === 1 ? `“${connectors[0]!.name}”` : `an account paid with ${CREDITS_NAME}`} moves to the account you choose,
              all at once. From then on their runs are billed by your provider to your key. Runs already started finish on credits.
            </p>
            {connectors.length > 1 ? (
              <div className="field">
                <label htmlFor={`${headingId}-from`}>Move from</label>
                <select id={`${headingId}-from`} data-testid="credits-switch-from" value={fromAccountId} onChange={(e) => setFromAccountId(e.target.value)}>
                  <option value="">Every account paid with credits</option>
                  {connectors.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
                </select>
                <FieldError error={switchKey.error} field="fromAccountId" />
              </div>
            ) : null}
            <div className="field">
              <label htmlFor={`${headingId}-to`}>Your account</label>
              {own.length === 0 && !accounts.isPending ? (
                <p className="muted small" data-testid="credits-switch-none">
                  The workspace has no provider account of its own yet. <Link to="/vault">Add one in the Vault</Link> first.
                </p>
              ) : (
                <select id={`${headingId}-to`} data-testid="credits-switch-to" value={toAccountId} onChange={(e) => setToAccountId(e.target.value)} required>
                  <option value="">Choose an account…</option>
                  {own.map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.name}
                    </option>
                  ))}
                </select>
              )}
              <FieldError error={switchKey.error} field="toAccountId" />
            </div>
            <ProblemAlert error={accounts.error} title="Could not list your accounts:" />
            {switchKey.error && !hasOnlyFieldErrors(switchKey.error, ['toAccountId', 'fromAccountId']) ? (
              <ProblemAlert error={switchKey.error} title="Could not switch:" />
            ) : null}
          </div>
          <div className="dialog-actions">
            <button type="button" className="btn btn-secondary" onClick={() => dialogRef.current?.close()}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" data-testid="credits-switch-confirm" disabled={!toAccountId || switchKey.isPending}>
              {switchKey.isPending ? 'Switching…' : 'Switch'}
            </button>
          </div>
        </form>
      </dialog>
    </div>
  );
}
