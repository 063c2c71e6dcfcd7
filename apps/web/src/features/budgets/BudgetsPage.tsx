import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useLocation } from 'react-router';
import { listBudgetsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import { useCan } from '../../lib/session.js';
import { EmptyState, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { LiveIndicator } from '../runs/LiveIndicator.js';
import { useRunStream } from '../runs/run-stream.js';
import { useMoneyFollowsRuns } from './budget-cache.js';
import { BudgetCard } from './BudgetCard.js';
import { BudgetForm } from './BudgetForm.js';
import { PriceOverrides } from './PriceOverrides.js';
import { SpendSection } from './SpendSection.js';

export function BudgetsPage() {
  const canManage = useCan('budgets:manage');
  // Holds and spend move as runs start and finish: the run stream refreshes the figures (no polling).
  const { state: live } = useRunStream();
  useMoneyFollowsRuns();
  const budgets = useQuery(listBudgetsOptions());
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  // /budgets#budget-<id> (a blocked run links here): scroll to that budget and mark it.
  const { hash } = useLocation();
  const target = hash.startsWith('#budget-') ? hash.slice('#budget-'.length) : null;
  const loaded = !!budgets.data;
  const targetMissing = !!target && loaded && !budgets.data.items.some((b) => b.id === target);
  useEffect(() => {
    if (!target || !loaded) return;
    const card = document.getElementById(`budget-${target}`);
    card?.scrollIntoView({ block: 'center' });
    card?.focus({ preventScroll: true });
  }, [target, loaded]);

  return (
    <>
      <PageHeader
        title="Budgets"
        description="Guardrails on your own provider bills. Every run holds its worst case against each budget that covers it before the provider is called, and settles to what it really cost."
        actions={
          <>
            <LiveIndicator state={live} />
            {canManage && !creating ? (
              <button
                type="button"
                className="btn btn-primary"
                data-testid="budget-new"
                onClick={() => {
                  setNotice(null);
                  setCreating(true);
                }}
              >
                New budget
              </button>
            ) : null}
          </>
        }
      />

      {notice ? (
        <div className="alert alert-success alert-dismissible" role="status" data-testid="budget-notice">
          <span>{notice}</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      {targetMissing ? (
        <div className="alert alert-info" role="status">
          That budget no longer exists: it was deleted after it blocked the run.
        </div>
      ) : null}

      {creating ? (
        <section className="card add-flow" aria-labelledby="budget-new-heading" data-testid="budget-new-panel">
          <div className="add-flow-header">
            <h2 id="budget-new-heading">New budget</h2>
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
          <BudgetForm
            budget={null}
            onSaved={(saved) => {
              setCreating(false);
              setNotice(`Budget “${saved.name}” created. It counts runs from now on.`);
            }}
            onCancel={() => setCreating(false)}
          />
        </section>
      ) : null}

      <section aria-labelledby="budgets-heading">
        <div className="section-heading">
          <h2 id="budgets-heading">Budgets</h2>
          {budgets.data ? <span className="muted small">{budgets.data.items.length} in this workspace · periods are UTC</span> : null}
        </div>
        {budgets.isPending ? (
          <Loading />
        ) : budgets.isError ? (
          <ProblemAlert error={budgets.error} />
        ) : budgets.data.items.length === 0 ? (
          <div className="card">
            <EmptyState>
              {canManage
                ? 'No budgets yet. Create one to cap what runs may cost per day, week, month or in total — for the workspace, a provider account, an operator or an API token.'
                : 'No budgets in this workspace yet. Owners and admins can create them.'}
            </EmptyState>
          </div>
        ) : (
          <div className="budget-list">
            {budgets.data.items.map((budget) => (
              <BudgetCard key={budget.id} budget={budget} canManage={canManage} highlighted={budget.id === target} />
            ))}
          </div>
        )}
      </section>

      <SpendSection />
      <PriceOverrides canManage={canManage} />
    </>
  );
}
