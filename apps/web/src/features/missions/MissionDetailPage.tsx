import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { cancelMissionMutation, getMissionOptions, getMissionQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import type { MissionDetailDto, MissionRunViewDto, PlanDto } from '../../api/generated/types.gen.js';
import { formatDateTime, formatDuration, formatElapsed, formatRelative, msBetween } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { useCan } from '../../lib/session.js';
import { Fact, ConfirmButton, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { LiveIndicator } from '../runs/LiveIndicator.js';
import { isFinal } from '../runs/run-labels.js';
import { budgetHref, RunStatusChip } from '../runs/RunStatus.js';
import { useNow } from '../runs/use-now.js';
import { MissionChat } from './MissionChat.js';
import { MissionCost } from './MissionCost.js';
import { awaitingAnswers, missionStatusHelp, missionStatusLabel, missionStatusTone } from './mission-labels.js';
import { useMissionLive } from './mission-live.js';
import { PlanCard } from './PlanCard.js';
import './missions.css';

/** While the stream is down, a mission with something in flight is read again this often. */
const FALLBACK_POLL_MS = 5_000;

function inFlight(mission: MissionDetailDto | undefined): boolean {
  return !!mission && (mission.status === 'running' || awaitingAnswers(mission.messages).length > 0);
}

export function MissionDetailPage() {
  const { missionId = '' } = useParams();
  const { state: live, ready } = useMissionLive(missionId);
  // The run stream keeps it current while shown (mission-live.ts): read again on each visit (nothing followed it in
  // between), not on focus; a slow poll only while the stream is down.
  const mission = useQuery({
    ...getMissionOptions({ path: { missionId } }),
    enabled: ready,
    staleTime: Infinity,
    refetchOnMount: 'always',
    refetchOnWindowFocus: false,
    refetchInterval: (query) => (live !== 'open' && inFlight(query.state.data) ? FALLBACK_POLL_MS : false),
  });

  if (mission.isPending) return <Loading />;
  if (mission.isError) {
    return (
      <>
        <PageHeader title="Mission" />
        <ProblemAlert error={mission.error} />
        <p>
          <Link to="/missions">Back to Missions</Link>
        </p>
      </>
    );
  }
  return <MissionDetail mission={mission.data} live={live} />;
}

function MissionDetail({ mission, live }: { mission: MissionDetailDto; live: ReturnType<typeof useMissionLive>['state'] }) {
  const qc = useQueryClient();
  const key = getMissionQueryKey({ path: { missionId: mission.id } });
  const canRun = useCan('runs:create');
  const canUseVault = useCan('vault:use');
  const canAct = canRun && canUseVault;
  const location = useLocation();
  const createdNotice = (location.state as { notice?: string } | null)?.notice ?? null;
  const [planNotice, setPlanNotice] = useState<string | null>(null);
  const planRef = useRef<HTMLDivElement>(null);

  // The plan shown: the latest unless the user picked another; a new plan arriving shows itself.
  const latestId = mission.plans[mission.plans.length - 1]?.id ?? null;
  const [selected, setSelected] = useState<string | null>(null);
  const [seenLatest, setSeenLatest] = useState(latestId);
  if (seenLatest !== latestId) {
    setSeenLatest(latestId);
    setSelected(null);
  }
  const plan = mission.plans.find((p) => p.id === selected) ?? mission.plans[mission.plans.length - 1];

  const cancel = useMutation({
    ...cancelMissionMutation(),
    onSuccess: (detail) => {
      qc.setQueryData(key, detail);
      void qc.invalidateQueries({ queryKey: key, exact: true });
    },
    onError: () => void qc.invalidateQueries({ queryKey: key, exact: true }),
  });

  const onProposed = (created: PlanDto) => {
    qc.setQueryData<MissionDetailDto>(key, (old) =>
      old && !old.plans.some((p) => p.id === created.id)
        ? { ...old, plans: [...old.plans.map((p) => (p.status === 'proposed' ? { ...p, status: 'superseded' as const, estimate: null } : p)), created] }
        : old,
    );
    setSelected(null);
    setPlanNotice(`Your edit is proposed as plan ${mission.plans.length + 1}. Review it, then approve it to run.`);
  };

  const showPlan = (planId: string) => {
    setSelected(planId === latestId ? null : planId);
    planRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  };

  return (
    <>
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to="/missions">Missions</Link>
        <span aria-hidden="true">/</span>
        <span>{mission.title}</span>
      </nav>
      <PageHeader
        title={mission.title}
        description={mission.goal ? <span data-testid="mission-goal">{mission.goal}</span> : <span className="muted">No goal written down.</span>}
        actions={
          <>
            <LiveIndicator state={live} />
            <span className={`badge badge-${missionStatusTone(mission.status)} mission-status mission-status-${mission.status}`} data-testid="mission-status" data-status={mission.status} title={missionStatusHelp(mission.status)}>
              {missionStatusLabel(mission.status)}
            </span>
            {canRun && mission.status === 'running' ? (
              <ConfirmButton
                label="Cancel mission"
                title={`Cancel “${mission.title}”?`}
                message={<p>Every step still queued or running is cancelled (running provider calls are aborted). Steps that already finished keep their results and costs.</p>}
                confirmLabel="Cancel the mission"
                busy={cancel.isPending}
                onConfirm={() => cancel.mutate({ path: { missionId: mission.id } })}
                testId="mission-cancel"
              />
            ) : null}
          </>
        }
      />

      {createdNotice ? (
        <div className="alert alert-info" role="status" data-testid="mission-created-notice">
          {createdNotice}
        </div>
      ) : null}
      <ProblemAlert error={cancel.error} title="Not cancelled." />

      {mission.currentRun ? <MissionRunCard view={mission.currentRun} /> : null}

      <div className="mission-grid">
        <MissionChat mission={mission} canSend={canAct} onShowPlan={showPlan} />
        <div className="mission-plan-column" ref={planRef}>
          {planNotice && plan?.status === 'proposed' ? (
            <div className="alert alert-success alert-dismissible" role="status" data-testid="plan-notice">
              <span>{planNotice}</span>
              <button type="button" className="btn btn-ghost btn-small" onClick={() => setPlanNotice(null)}>
                Dismiss
              </button>
            </div>
          ) : null}
          {plan ? (
            <PlanCard key={plan.id} mission={mission} plan={plan} canAct={canAct} onSelect={setSelected} onProposed={onProposed} />
          ) : (
            <section className="card plan-card plan-card-empty" data-testid="plan-none">
              <h2>Plan</h2>
              <p className="muted">
                No plan yet. Ask the Copilot for one — for example “Make a plan: …”. Its plan appears here as a graph of operator steps, with what it may cost, for
                you to approve or edit.
              </p>
            </section>
          )}
        </div>
      </div>

      <MissionCost mission={mission} />
    </>
  );
}


/** The latest mission run: its status and summary ("2 of 3 steps succeeded; step "x" failed: …"), the budget that blocked it. */
function MissionRunCard({ view }: { view: MissionRunViewDto }) {
  const { run, steps } = view;
  const final = isFinal(run.status);
  const now = useNow(1000, !final);
  const count = (s: string) => steps.filter((x) => x.run.status === s).length;
  const succeeded = count('succeeded');
  const active = count('running') + count('waiting');
  const failedStep = steps.find((s) => s.run.status === 'failed' || s.run.status === 'blocked');
  return (
    <section className={`card run-status-card run-status-card-${run.status} mission-run-card`} aria-label="Mission run" data-testid="mission-run" data-run-id={run.id} data-status={run.status}>
      <div className="run-status-main">
        <RunStatusChip status={run.status} testId="mission-run-status" large />
        <span className="run-status-text" data-testid="mission-run-summary">
          {run.statusReason ?? (final ? '' : 'Running the plan')}
        </span>
      </div>
      {run.blockedBy ? (
        <p className="blocked-by" data-testid="mission-blocked-by" data-budget-id={run.blockedBy.budgetId}>
          Blocked by budget{' '}
          {run.blockedBy.budgetName ? (
            <Link to={budgetHref(run.blockedBy.budgetId)} data-testid="mission-blocked-budget-link">
              {run.blockedBy.budgetName}
            </Link>
          ) : (
            <span className="muted">(deleted since)</span>
          )}
        </p>
      ) : null}
      <dl className="facts mission-run-facts">
        <Fact label="Steps">
          <span data-testid="mission-run-progress">
            {succeeded} of {steps.length} succeeded
          </span>
          <span className="fact-note">{active ? `${active} running` : failedStep ? `step ${failedStep.stepId} ${failedStep.run.status}` : final ? 'all ended' : 'waiting to start'}</span>
        </Fact>
        <Fact label={final ? 'Took' : 'Running for'}>
          <span>{final ? formatDuration(msBetween(run.timings.startedAt ?? run.createdAt, run.timings.finishedAt, now)) : formatElapsed(msBetween(run.timings.startedAt ?? run.createdAt, null, now))}</span>
          <span className="fact-note" title={formatDateTime(run.createdAt)}>
            approved {formatRelative(run.createdAt, '—', now)}
          </span>
        </Fact>
        <Fact label="Steps’ cost">
          <span data-testid="mission-run-cost">{formatUsd(view.cost.costMicroUsd)}</span>
          <span className="fact-note">
            known, over {view.cost.runs} run{view.cost.runs === 1 ? '' : 's'}
          </span>
        </Fact>
        <Fact label="Mission run">
          <Link to={`/runs/${run.id}`} className="mono" data-testid="mission-run-link">
            {run.id.slice(0, 8)}
          </Link>
          <span className="fact-note">its timeline and every step</span>
        </Fact>
      </dl>
    </section>
  );
}
