import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { deleteBudgetMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { BudgetDto } from '../../api/generated/types.gen.js';
import { formatDateTime } from '../../lib/format.js';
import { formatUsd, percentOf, shareOf } from '../../lib/money.js';
import { Fact, Badge, ConfirmButton, ProblemAlert } from '../../lib/ui.js';
import { periodLabel, periodRangeText, scopeText } from './budget-labels.js';
import { useBudgetCache } from './budget-cache.js';
import { BudgetForm } from './BudgetForm.js';
import { BudgetMeter } from './BudgetMeter.js';


export function BudgetCard({ budget, canManage: mayManage, highlighted }: { budget: BudgetDto; canManage: boolean; highlighted: boolean }) {
  // The credits budget is the workspace's Vaultrun credits balance: the instance administrator's, never edited here.
  const credits = budget.scope.type === 'credits';
  const canManage = mayManage && !credits;
  const cache = useBudgetCache();
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useMutation({ ...deleteBudgetMutation(), onSuccess: () => cache.remove(budget.id) });
  const p = budget.currentPeriod;
  const lifetime = budget.period === 'lifetime';

  return (
    <article
      className={`budget-card${highlighted ? ' budget-card-highlighted' : ''}`}
      id={`budget-${budget.id}`}
      data-testid="budget-card"
      data-budget-id={budget.id}
      data-soft-reached={p.softThresholdReached}
      aria-labelledby={`budget-name-${budget.id}`}
      tabIndex={-1}
    >
      <header className="budget-head">
        <div className="budget-title">
          <h3 id={`budget-name-${budget.id}`}>{budget.name}</h3>
          <p className="budget-sub">
            {scopeText(budget.scope)} · {periodLabel(budget.period)} · <span data-testid="budget-period">{periodRangeText(budget)}</span>
          </p>
        </div>
        {p.softThresholdReached ? (
          <Badge tone="amber" testId="budget-soft-reached">
            Soft threshold reached
          </Badge>
        ) : null}
        {p.overageMicroUsd > 0 ? (
          <Badge tone="red" testId="budget-overage-badge">
            Overage {formatUsd(p.overageMicroUsd)}
          </Badge>
        ) : null}
        {p.exhausted ? (
          <Badge tone="red" testId="budget-paused">
            Paused
          </Badge>
        ) : p.remainingMicroUsd === 0 ? (
          <Badge tone="red" testId="budget-exhausted">
            No headroom
          </Badge>
        ) : null}
      </header>

      <BudgetMeter budget={budget} />

      {p.overageMicroUsd > 0 ? (
        <div className={`alert ${p.exhausted ? 'alert-error' : 'alert-warning'}`} role="status" data-testid="budget-overage">
          <strong>
            A provider charged {formatUsd(p.overageMicroUsd)} more than Vaultrun held
            {p.overageAt ? ` (last on ${formatDateTime(p.overageAt)})` : ''}.
          </strong>{' '}
          It counted more prompt tokens than estimated; the full amount is charged and included in spent.{' '}
          {p.exhausted
            ? 'New runs are paused until the runs that were in flight then have settled (or an admin changes the cap), so the overshoot stays within what was already in flight.'
            : 'Holds for that account and model now allow for what the provider counts.'}
        </div>
      ) : null}

      <dl className="facts budget-facts">
        <Fact label="Spent">
          <strong data-testid="budget-spent" data-micro-usd={p.spentMicroUsd}>
            {formatUsd(p.spentMicroUsd)}
          </strong>
          <span className="fact-note">{percentOf(p.spentMicroUsd, budget.capMicroUsd)}% of the cap, settled</span>
          {p.openingMicroUsd > 0 ? (
            <span className="fact-note" data-testid="budget-opening" data-micro-usd={p.openingMicroUsd}>
              includes {formatUsd(p.openingMicroUsd)} spent before the budget was created
            </span>
          ) : p.countingFrom !== p.periodStart ? (
            <span className="fact-note" data-testid="budget-counting-from">
              counted from its creation, {formatDateTime(p.countingFrom)}
            </span>
          ) : null}
        </Fact>
        <Fact label="Held">
          <span data-testid="budget-held" data-micro-usd={p.heldMicroUsd}>
            {formatUsd(p.heldMicroUsd)}
          </span>
          <span className="fact-note">worst cases of runs in flight</span>
        </Fact>
        <Fact label="Cap">
          <span data-testid="budget-cap-value" data-micro-usd={budget.capMicroUsd}>
            {formatUsd(budget.capMicroUsd)}
          </span>
          <span className="fact-note">
            {formatUsd(p.remainingMicroUsd)} remaining
          </span>
        </Fact>
        <Fact label={lifetime ? 'Projected' : 'Projected by period end'}>
          {p.projectedMicroUsd === null ? (
            <span className="muted" data-testid="budget-projected">
              {lifetime ? 'No period end' : '—'}
            </span>
          ) : (
            <>
              <span data-testid="budget-projected" className={p.projectedMicroUsd > budget.capMicroUsd ? 'text-danger' : undefined}>
                {formatUsd(p.projectedMicroUsd)}
              </span>
              <span className="fact-note">{p.projectedMicroUsd > budget.capMicroUsd ? 'above the cap at this pace' : 'at this pace (linear)'}</span>
            </>
          )}
        </Fact>
        <Fact label="Shrink to fit">
          {budget.shrinkToFit ? (
            <>
              <span data-testid="budget-shrink-value">On</span>
              <span className="fact-note">never below {budget.shrinkToFit.minOutputTokens} output tokens</span>
            </>
          ) : (
            <>
              <span data-testid="budget-shrink-value">Off</span>
              <span className="fact-note">a run that does not fit is blocked</span>
            </>
          )}
        </Fact>
        <Fact label="Soft threshold">
          <span data-testid="budget-soft-threshold-value">{budget.softThresholdPct}%</span>
          <span className="fact-note">{p.alertedAt ? `alerted ${formatDateTime(p.alertedAt)}` : `alert at ${formatUsd(shareOf(budget.capMicroUsd, budget.softThresholdPct))}`}</span>
        </Fact>
      </dl>

      {notice ? (
        <div className="alert alert-success" role="status">
          {notice}
        </div>
      ) : null}
      <ProblemAlert error={remove.error} />
      {credits ? (
        <p className="muted small" data-testid="budget-credits-note">
          The workspace&apos;s Vaultrun credits: its cap is what your instance administrator granted. See <Link to="/credits">Credits</Link>.
        </p>
      ) : null}

      {canManage ? (
        <div className="budget-actions">
          <button
            type="button"
            className={`btn btn-small ${editing ? 'btn-toggled' : 'btn-ghost'}`}
            aria-expanded={editing}
            data-testid="budget-edit"
            onClick={() => {
              setNotice(null);
              setEditing((e) => !e);
            }}
          >
            Edit
          </button>
          <ConfirmButton
            label="Delete"
            title={`Delete “${budget.name}”?`}
            message={
              <p>
                Runs are no longer capped by “{budget.name}”; its spend history in this budget is dropped (runs keep their costs). Runs it blocked keep saying
                so. This cannot be undone.
              </p>
            }
            confirmLabel="Delete budget"
            busy={remove.isPending}
            onConfirm={() => remove.mutate({ path: { budgetId: budget.id } })}
            testId="budget-delete"
          />
        </div>
      ) : null}

      {editing ? (
        <div className="panel">
          <BudgetForm
            budget={budget}
            onSaved={() => {
              setEditing(false);
              setNotice('Budget saved.');
            }}
            onCancel={() => setEditing(false)}
          />
        </div>
      ) : null}
    </article>
  );
}
