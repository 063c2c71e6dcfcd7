import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { listProviderAccountsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import { useCan } from '../../lib/session.js';
import { EmptyState, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { AccountCard } from './AccountCard.js';
import { AddAccountFlow, type DoneTone } from './AddAccountFlow.js';

export function VaultPage() {
  const canManage = useCan('vault:manage');
  const accounts = useQuery(listProviderAccountsOptions());
  const [adding, setAdding] = useState(false);
  const [done, setDone] = useState<{ message: string; tone: DoneTone } | null>(null);

  return (
    <>
      <PageHeader
        title="Provider Vault"
        description="Your team's own LLM provider accounts. Keys are encrypted at rest and shared without anyone seeing them again."
        actions={
          canManage && !adding ? (
            <button
              type="button"
              className="btn btn-primary"
              data-testid="vault-add"
              onClick={() => {
                setDone(null);
                setAdding(true);
              }}
            >
              Add provider account
            </button>
          ) : null
        }
      />

      <BillingNote />

      {done ? (
        <div className={`alert alert-${done.tone} alert-dismissible`} role="status">
          <span>{done.message}</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setDone(null)}>
            Dismiss
          </button>
        </div>
      ) : null}

      {adding ? (
        <AddAccountFlow
          onClose={() => setAdding(false)}
          onDone={(message, tone = 'success') => {
            setAdding(false);
            setDone({ message, tone });
          }}
        />
      ) : null}

      <section aria-labelledby="vault-accounts-heading" className="accounts-section">
        <div className="section-heading">
          <h2 id="vault-accounts-heading">Accounts</h2>
          {accounts.data ? <span className="muted small">{accounts.data.items.length} in this workspace</span> : null}
        </div>
        {accounts.isPending ? (
          <Loading />
        ) : accounts.isError ? (
          <ProblemAlert error={accounts.error} />
        ) : accounts.data.items.length === 0 ? (
          <div className="card">
            <EmptyState>{canManage ? 'No provider accounts yet. Add one to run AI work on your own key.' : 'No provider account is shared with you yet.'}</EmptyState>
          </div>
        ) : (
          <div className="account-list">
            {accounts.data.items.map((account) => (
              <AccountCard key={account.id} account={account} canManage={canManage} />
            ))}
          </div>
        )}
      </section>
    </>
  );
}

/** Who pays, said plainly and always visible (SPEC §2: billing responsibility is explicit). */
function BillingNote() {
  return (
    <aside className="billing-note" data-testid="vault-billing-note" aria-label="Billing and key handling">
      <div>
        <h2 className="billing-note-title">Who pays for usage</h2>
        <ul>
          <li>
            Usage is billed by the provider account that owns the key — for example, <strong>OpenAI bills usage on an OpenAI key to your OpenAI organization</strong>. Vaultrun
            itself does not charge for model usage.
          </li>
          <li>Vaultrun&apos;s budgets are guardrails and estimates. Check the provider&apos;s dashboard for final billing.</li>
          <li>
            An API token given access to an account bills every request made with it to that account — for a published app, that is every visitor&apos;s request.
          </li>
        </ul>
      </div>
      <p className="billing-note-key">
        <span className="lock" aria-hidden="true" />
        Your key is encrypted and never shown again — only a hint.
      </p>
    </aside>
  );
}
