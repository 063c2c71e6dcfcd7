import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { createMissionMutation, listMissionsInfiniteOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import { sendMissionMessage } from '../../api/generated/sdk.gen.js';
import type { MissionDto } from '../../api/generated/types.gen.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { describeError } from '../../lib/problem.js';
import { useCan } from '../../lib/session.js';
import { EmptyState, FieldError, hasOnlyFieldErrors, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { LiveIndicator } from '../runs/LiveIndicator.js';
import { missionStatusHelp, missionStatusLabel, missionStatusTone } from './mission-labels.js';
import { isMissionQuery, useMissionLive } from './mission-live.js';
import './missions.css';

/** Missions per page of the list (the API's default); more load on demand. */
const PAGE_SIZE = 50;

export function MissionsPage() {
  const canCreate = useCan('runs:create');
  const canTalk = useCan('vault:use');
  const { state: live, ready } = useMissionLive(null);
  // Nothing follows the list while another page is shown: read it again on every visit (the stream keeps it current after).
  const missions = useInfiniteQuery({
    ...listMissionsInfiniteOptions({ query: { limit: PAGE_SIZE } }),
    initialPageParam: {},
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled: ready,
    refetchOnMount: 'always',
    refetchOnWindowFocus: false,
  });
  const items = missions.data?.pages.flatMap((p) => p.items) ?? [];
  const [creating, setCreating] = useState(false);

  return (
    <>
      <PageHeader
        title="Missions"
        description="A goal and a conversation with the Mission Copilot, which proposes a plan of operator steps. You approve the plan; its steps run on your provider accounts, respecting the dependencies between them."
        actions={
          <>
            <LiveIndicator state={live} />
            {canCreate && !creating ? (
              <button type="button" className="btn btn-primary" data-testid="mission-new" onClick={() => setCreating(true)}>
                New mission
              </button>
            ) : null}
          </>
        }
      />

      {creating ? (
        <section className="card add-flow" aria-labelledby="mission-new-heading" data-testid="mission-new-panel">
          <div className="add-flow-header">
            <h2 id="mission-new-heading">New mission</h2>
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
          <NewMissionForm canTalk={canTalk} onCancel={() => setCreating(false)} />
        </section>
      ) : null}

      <section aria-labelledby="missions-heading">
        <div className="section-heading">
          <h2 id="missions-heading">Missions</h2>
          {missions.data ? <span className="muted small">newest first</span> : null}
        </div>
        {missions.isPending ? (
          <Loading />
        ) : missions.isError ? (
          <ProblemAlert error={missions.error} />
        ) : items.length === 0 ? (
          <div className="card">
            <EmptyState>
              {canCreate ? 'No missions yet. Start one: write down a goal, then ask the Copilot for a plan.' : 'No missions in this workspace yet. Members can start them.'}
            </EmptyState>
          </div>
        ) : (
          <div className="card mission-list-card">
            <MissionTable items={items} />
            {missions.hasNextPage ? (
              <div className="table-footer">
                <span className="muted">{items.length} shown</span>
                <button type="button" className="btn btn-secondary" data-testid="missions-load-more" disabled={missions.isFetchingNextPage} onClick={() => void missions.fetchNextPage()}>
                  {missions.isFetchingNextPage ? 'Loading…' : 'Load more'}
                </button>
              </div>
            ) : null}
          </div>
        )}
      </section>
    </>
  );
}

function MissionTable({ items }: { items: MissionDto[] }) {
  const navigate = useNavigate();
  return (
    <div className="table-wrap">
      <table className="table mission-table">
        <thead>
          <tr>
            <th scope="col">Mission</th>
            <th scope="col">Status</th>
            <th scope="col">Last activity</th>
            <th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <tr
              key={m.id}
              className="row-link"
              data-testid="mission-row"
              data-mission-id={m.id}
              data-status={m.status}
              onClick={(e) => {
                if ((e.target as HTMLElement).closest('a') || window.getSelection()?.toString()) return;
                void navigate(`/missions/${m.id}`);
              }}
            >
              <td className="mission-cell-title">
                <Link to={`/missions/${m.id}`} className="run-link" data-testid="mission-link">
                  {m.title}
                </Link>
                {m.goal ? <span className="mission-goal-preview muted small">{m.goal}</span> : null}
              </td>
              <td>
                <span className={`badge badge-${missionStatusTone(m.status)} mission-status mission-status-${m.status}`} data-testid="mission-row-status" title={missionStatusHelp(m.status)}>
                  {missionStatusLabel(m.status)}
                </span>
              </td>
              <td className="nowrap" title={formatDateTime(m.updatedAt)}>
                {formatRelative(m.updatedAt)}
              </td>
              <td className="nowrap">{formatDateTime(m.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const FIELDS = ['title', 'goal'];

function NewMissionForm({ canTalk, onCancel }: { canTalk: boolean; onCancel: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [title, setTitle] = useState('');
  const [goal, setGoal] = useState('');
  const [sendGoal, setSendGoal] = useState(false);
  const titleId = useId();
  const goalId = useId();
  const create = useMutation({
    ...createMissionMutation(),
    onSuccess: async (mission) => {
      void qc.invalidateQueries({ predicate: isMissionQuery });
      let notice: string | undefined;
      if (sendGoal && mission.goal) {
        // The goal as the first message: the Copilot starts on it at once.
        try {
          await sendMissionMessage({ path: { missionId: mission.id }, body: { content: mission.goal }, throwOnError: true });
        } catch (error) {
          notice = `The mission was created, but the goal was not sent to the Copilot: ${describeError(error)}`;
        }
      }
      await navigate(`/missions/${mission.id}`, { state: notice ? { notice } : null });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ body: { title: title.trim(), goal: goal.trim() || undefined } });
  };

  return (
    <form className="form form-grid" onSubmit={submit} data-testid="mission-form">
      <div className="field">
        <label htmlFor={titleId}>Title</label>
        <input id={titleId} type="text" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Weekly support digest" data-testid="mission-title" />
        <FieldError error={create.error} field="title" />
      </div>
      <div className="field">
        <label htmlFor={goalId}>
          Goal <span className="optional">optional</span>
        </label>
        <textarea id={goalId} rows={3} maxLength={4000} value={goal} onChange={(e) => setGoal(e.target.value)} placeholder="Summarise this week’s tickets and draft a note for the team" data-testid="mission-goal-input" />
        <span className="field-hint">The Copilot reads the goal with every message.</span>
        <FieldError error={create.error} field="goal" />
      </div>
      {canTalk ? (
        <label className="check">
          <input type="checkbox" checked={sendGoal} disabled={!goal.trim()} onChange={(e) => setSendGoal(e.target.checked)} data-testid="mission-send-goal" />
          <span>
            Send the goal to the Copilot as the first message
            <span className="check-help">It answers right away — with a plan if the goal asks for one.</span>
          </span>
        </label>
      ) : null}
      {hasOnlyFieldErrors(create.error, FIELDS) ? null : <ProblemAlert error={create.error} />}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !title.trim()} data-testid="mission-create">
          {create.isPending ? 'Creating…' : 'Create mission'}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
