import { useId, useMemo } from 'react';
import { Link } from 'react-router';
import type { PlanDto, PlanEstimateDto, RunDto } from '../../api/generated/types.gen.js';
import { formatUsd } from '../../lib/money.js';
import { isFinal } from '../runs/run-labels.js';
import { RunStatusChip } from '../runs/RunStatus.js';
import { BOX_HEIGHT, BOX_WIDTH, layoutPlan } from './plan-layout.js';

type EdgeState = 'idle' | 'done' | 'active' | 'broken';

/** How an edge looks: its dependency done (green), feeding a running step (blue), failed (red), or not yet. */
function edgeState(from: RunDto | undefined, to: RunDto | undefined): EdgeState {
  if (!from) return 'idle';
  if (from.status === 'succeeded') return to && (to.status === 'running' || to.status === 'waiting') ? 'active' : 'done';
  if (isFinal(from.status)) return 'broken';
  return 'idle';
}

/**
 * The plan as a dependency graph: one box per step (id, operator, and once it runs the step run's status, linking
 * to the run), one arrow per dependency. Layered by dependency depth: steps in one row can run in parallel.
 */
export function PlanGraph({ plan, runs, estimate }: { plan: PlanDto; runs: Map<string, RunDto>; estimate: PlanEstimateDto | null }) {
  const layout = useMemo(() => layoutPlan(plan.steps), [plan.steps]);
  // useId can hold characters that do not belong in url(#…).
  const markerBase = `plan-arrow-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const stepById = new Map(plan.steps.map((s) => [s.id, s]));
  const worstCase = new Map((estimate?.steps ?? []).map((s) => [s.stepId, s.worstCaseMicroUsd]));

  if (plan.steps.length === 0) return <p className="muted">This plan has no steps.</p>;
  return (
    <div className="plan-graph-frame" data-testid="plan-graph" data-plan-id={plan.id}>
      <div className="plan-graph" style={{ width: layout.width, height: layout.height }} role="group" aria-label={`Plan steps as a dependency graph, ${layout.layers} level${layout.layers === 1 ? '' : 's'} deep`}>
        <svg className="plan-edges" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} aria-hidden="true">
          <defs>
            {(['idle', 'done', 'active', 'broken'] as const).map((state) => (
              <marker key={state} id={`${markerBase}-${state}`} viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                <path d="M 0 0 L 10 5 L 0 10 z" className={`plan-arrow plan-arrow-${state}`} />
              </marker>
            ))}
          </defs>
          {layout.edges.map((edge) => {
            const state = edgeState(runs.get(edge.from), runs.get(edge.to));
            return (
              <path
                key={`${edge.from}->${edge.to}`}
                d={edge.d}
                className={`plan-edge plan-edge-${state}${edge.back ? ' plan-edge-back' : ''}`}
                markerEnd={`url(#${markerBase}-${state})`}
                data-testid="plan-edge"
                data-from={edge.from}
                data-to={edge.to}
                data-state={state}
              />
            );
          })}
        </svg>
        {layout.boxes.map((box) => {
          const step = stepById.get(box.id)!;
          const run = runs.get(step.id);
          const style = { left: box.x, top: box.y, width: BOX_WIDTH, height: BOX_HEIGHT };
          const deps = step.dependsOn.length ? `depends on ${step.dependsOn.join(', ')}` : 'no dependencies';
          const body = (
            <>
              <span className="plan-step-id mono">{step.id}</span>
              <span className={`plan-step-operator${step.operatorId ? '' : ' plan-step-operator-unknown'}`} data-testid="plan-step-operator">
                {step.operatorName}
                {step.operatorId ? null : <span className="visually-hidden"> (not an operator of this workspace)</span>}
              </span>
              <span className="plan-step-foot">
                {run ? <RunStatusChip status={run.status} testId="plan-step-status" /> : null}
                <span className="plan-step-meta">
                  <StepMeta run={run} worstCase={worstCase.get(step.id)} unknownOperator={!step.operatorId} />
                </span>
              </span>
              <span className="visually-hidden">, {deps}</span>
            </>
          );
          const common = {
            className: `plan-step plan-step-${run?.status ?? 'planned'}${step.operatorId ? '' : ' plan-step-invalid'}`,
            style,
            title: `${step.id} · ${step.operatorName}\n${deps}\n\n${step.input}`,
            'data-testid': 'plan-step',
            'data-step-id': step.id,
            'data-status': run?.status ?? 'planned',
            'data-run-id': run?.id ?? '',
          };
          return run ? (
            <Link key={step.id} to={`/runs/${run.id}`} {...common}>
              {body}
            </Link>
          ) : (
            <div key={step.id} {...common}>
              {body}
            </div>
          );
        })}
      </div>
    </div>
  );
}

function StepMeta({ run, worstCase, unknownOperator }: { run: RunDto | undefined; worstCase: number | null | undefined; unknownOperator: boolean }) {
  if (unknownOperator) return <span className="text-danger">Unknown operator</span>;
  if (!run) {
    if (worstCase === undefined) return null;
    return worstCase === null ? <span>No price for its model</span> : <span title="The most this step may cost">up to {formatUsd(worstCase)}</span>;
  }
  if (run.status === 'succeeded' || (isFinal(run.status) && run.costLabel)) return <span>{run.costLabel ? formatUsd(run.costMicroUsd, 'cost unknown') : 'no cost'}</span>;
  if (run.statusReason) return <span className="plan-step-reason" title={run.statusReason}>{run.statusReason}</span>;
  return null;
}
