import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { approveMissionPlanMutation, getMissionQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import type { MissionDetailDto, PlanDto, PlanEstimateDto, RunDto } from '../../api/generated/types.gen.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { isApiProblem } from '../../lib/problem.js';
import { Badge, ProblemAlert } from '../../lib/ui.js';
import { budgetHref } from '../runs/RunStatus.js';
import { FAILURE_POLICY_TEXT, planCreatorText, planStatusHelp, planStatusLabel, planStatusTone } from './mission-labels.js';
import { PlanEditor } from './PlanEditor.js';
import { PlanGraph } from './PlanGraph.js';

/** Problems a 422 invalid_plan lists: `errors` holds plain strings there (field errors elsewhere). */
function problemMessages(error: unknown): string[] {
  if (!isApiProblem(error) || !Array.isArray(error.errors)) return [];
  return (error.errors as unknown[]).map((e) => (typeof e === 'string' ? e : typeof e === 'object' && e && 'message' in e ? String((e as { message: unknown }).message) : '')).filter(Boolean);
}

/**
 * One plan of the mission: its status, the dependency graph (with the step runs' statuses once it runs), the
 * problems of an invalid plan, the estimate of a proposed one with the budgets it may not fit, and the actions:
 * approve, or edit (which proposes a new plan based on this one).
 */
export function PlanCard({
  mission,
  plan,
  canAct,
  onSelect,
  onProposed,
}: {
  mission: MissionDetailDto;
  plan: PlanDto;
  canAct: boolean;
  onSelect: (planId: string | null) => void;
  onProposed: (created: PlanDto) => void;
}) {
  const qc = useQueryClient();
  const key = getMissionQueryKey({ path: { missionId: mission.id } });
  const [editing, setEditing] = useState(false);
  const selectId = useId();
  const approve = useMutation({
    ...approveMissionPlanMutation(),
    onSuccess: (detail) => {
      qc.setQueryData(key, detail);
      // Steps may have moved on before this answer was written: read again.
      void qc.invalidateQueries({ queryKey: key, exact: true });
    },
    onError: () => void qc.invalidateQueries({ queryKey: key, exact: true }),
  });

  const number = mission.plans.findIndex((p) => p.id === plan.id) + 1;
  const runsThisPlan = !!mission.currentRun && plan.missionRunId === mission.currentRun.run.id;
  const runs = useMemo(() => new Map<string, RunDto>(runsThisPlan ? mission.currentRun!.steps.map((s) => [s.stepId, s.run]) : []), [runsThisPlan, mission.currentRun]);
  const running = mission.status === 'running';
  const approveErrors = problemMessages(approve.error);

  return (
    <section className="card plan-card" aria-labelledby="plan-heading" data-testid="plan-card" data-plan-id={plan.id} data-plan-status={plan.status}>
      <div className="section-heading section-heading-spread plan-head">
        <div className="plan-title">
          <h2 id="plan-heading">
            Plan {number}
            {plan.title ? <span className="plan-title-text">: {plan.title}</span> : null}
          </h2>
          <p className="plan-sub">
            <span title={formatDateTime(plan.createdAt)}>
              {planCreatorText(plan, mission.plans)} · {formatRelative(plan.createdAt)}
            </span>{' '}
            · <span title={FAILURE_POLICY_TEXT[plan.failurePolicy].help}>on failure: {plan.failurePolicy === 'stop' ? 'stop the rest' : 'continue independent steps'}</span>
          </p>
        </div>
        <div className="plan-head-side">
          <span title={planStatusHelp(plan.status)}>
            <Badge tone={planStatusTone(plan.status)} testId="plan-status">
              {planStatusLabel(plan.status)}
            </Badge>
          </span>
          {mission.plans.length > 1 ? (
            <label className="filter-select plan-select">
              <span className="visually-hidden" id={selectId}>
                Show plan
              </span>
              <select aria-labelledby={selectId} value={plan.id} onChange={(e) => onSelect(e.target.value === mission.plans[mission.plans.length - 1]!.id ? null : e.target.value)} data-testid="plan-select">
                {mission.plans.map((p, i) => (
                  <option key={p.id} value={p.id}>
                    Plan {i + 1} · {planStatusLabel(p.status).toLowerCase()}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
        </div>
      </div>

      {plan.status === 'invalid' && plan.errors?.length ? (
        <div className="alert alert-error" role="alert" data-testid="plan-errors">
          <strong>This plan cannot run:</strong>
          <ul className="plan-errors">
            {plan.errors.map((e) => (
              <li key={e} data-testid="plan-error">
                {e}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      {editing ? (
        <PlanEditor
          missionId={mission.id}
          plan={plan}
          onCancel={() => setEditing(false)}
          onSaved={(created) => {
            setEditing(false);
            onProposed(created);
          }}
        />
      ) : (
        <>
          <PlanGraph plan={plan} runs={runs} estimate={plan.estimate} />
          <details className="plan-inputs">
            <summary>Step inputs</summary>
            <dl className="plan-input-list">
              {plan.steps.map((s) => (
                <div key={s.id} className="plan-input-item" data-testid="plan-step-input" data-step-id={s.id}>
                  <dt>
                    <code className="mono">{s.id}</code> · {s.operatorName}
                    {s.dependsOn.length ? <span className="muted small"> · after {s.dependsOn.join(', ')}</span> : null}
                  </dt>
                  <dd>
                    <pre className="io-text">{s.input}</pre>
                  </dd>
                </div>
              ))}
            </dl>
          </details>
        </>
      )}

      {!editing && plan.status === 'proposed' && plan.estimate ? <PlanEstimate estimate={plan.estimate} /> : null}

      {!editing && plan.status === 'approved' && plan.missionRunId && !runsThisPlan ? (
        <p className="muted small">
          This plan ran earlier as <Link to={`/runs/${plan.missionRunId}`}>mission run {plan.missionRunId.slice(0, 8)}</Link>.
        </p>
      ) : null}

      {approveErrors.length ? (
        <div className="alert alert-error" role="alert" data-testid="plan-approve-errors">
          <strong>Not approved: the plan cannot run.</strong>
          <ul className="plan-errors">
            {approveErrors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      ) : (
        <ProblemAlert error={approve.error} title="Not approved." />
      )}

      {canAct && !editing ? (
        <div className="plan-actions">
          {plan.status === 'proposed' ? (
            <>
              {running ? <span className="muted small">A plan is running: wait for it to end, or cancel it, to approve this one.</span> : null}
              <button
                type="button"
                className="btn btn-primary"
                disabled={approve.isPending || running}
                onClick={() => {
                  approve.mutate({ path: { missionId: mission.id, planId: plan.id } });
                }}
                data-testid="plan-approve"
              >
                {approve.isPending ? 'Approving…' : 'Approve and run'}
              </button>
            </>
          ) : null}
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => {
              approve.reset();
              setEditing(true);
            }}
            data-testid="plan-edit"
          >
            {plan.status === 'proposed' ? 'Edit' : plan.status === 'invalid' ? 'Fix in the editor' : 'Edit a copy'}
          </button>
        </div>
      ) : null}
    </section>
  );
}

/** The worst case of a proposed plan, and every budget its steps fall under, flagged when it may not fit. */
function PlanEstimate({ estimate }: { estimate: PlanEstimateDto }) {
  const exceeded = estimate.budgets.filter((b) => b.exceeded);
  return (
    <div className="plan-estimate" data-testid="plan-estimate" data-worst-case={estimate.worstCaseMicroUsd ?? ''}>
      <p>
        <span className="plan-estimate-label">Worst case</span>{' '}
        <strong data-testid="plan-worst-case">{estimate.worstCaseMicroUsd === null ? 'unknown — a step’s model has no price' : formatUsd(estimate.worstCaseMicroUsd)}</strong>
        <span className="muted small"> if every step used all its allowed output tokens</span>
      </p>
      {exceeded.length ? (
        <div className="alert alert-warning" role="alert" data-testid="plan-budget-warning">
          This plan may not fit {exceeded.length === 1 ? 'a budget' : `${exceeded.length} budgets`}: steps it covers may end <strong>blocked</strong>. Raise the cap, or edit the plan, before approving.
        </div>
      ) : null}
      {estimate.budgets.length ? (
        <ul className="plan-budgets">
          {estimate.budgets.map((b) => (
            <li key={b.budgetId} className={b.exceeded ? 'plan-budget plan-budget-exceeded' : 'plan-budget'} data-testid="plan-budget" data-budget-id={b.budgetId} data-exceeded={b.exceeded}>
              <span className="plan-budget-text">
                <Link to={budgetHref(b.budgetId)}>{b.name}</Link>
                <span className="muted small">
                  {formatUsd(b.headroomMicroUsd)} headroom of a {formatUsd(b.capMicroUsd)} cap · this plan up to{' '}
                  {b.planWorstCaseMicroUsd === null ? 'an unknown amount' : formatUsd(b.planWorstCaseMicroUsd)}
                </span>
              </span>
              {b.exceeded ? (
                <Badge tone="red" testId="plan-budget-exceeded">
                  May exceed
                </Badge>
              ) : (
                <Badge tone="green">Fits</Badge>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">No budget covers these steps.</p>
      )}
    </div>
  );
}
