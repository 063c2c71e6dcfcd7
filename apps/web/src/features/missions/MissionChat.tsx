import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { getMissionQueryKey, getRunOptions, sendMissionMessageMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { MissionDetailDto, MissionMessageDto } from '../../api/generated/types.gen.js';
import { formatDateTime, formatTime } from '../../lib/format.js';
import { useIdempotencyKey } from '../../lib/idempotency.js';
import { ProblemAlert } from '../../lib/ui.js';
import { runStatusLabel, type RunStatus } from '../runs/run-labels.js';
import { BlockedBy } from '../runs/RunStatus.js';
import { awaitingAnswers, copilotRunFailed } from './mission-labels.js';

/**
 * The conversation with the Copilot: the messages (oldest first), a pending turn while a copilot run is queued or
 * running, and the box to say something. New messages arrive through the run stream (mission-live.ts).
 */
export function MissionChat({ mission, canSend, onShowPlan }: { mission: MissionDetailDto; canSend: boolean; onShowPlan: (planId: string) => void }) {
  const qc = useQueryClient();
  const key = getMissionQueryKey({ path: { missionId: mission.id } });
  const [text, setText] = useState('');
  const inputId = useId();
  const hintId = useId();
  const idempotency = useIdempotencyKey();
  const send = useMutation({
    ...sendMissionMessageMutation(),
    onSuccess: (sent) => {
      idempotency.used();
      setText('');
      // Shown at once; the stream brings the Copilot's answer.
      qc.setQueryData<MissionDetailDto>(key, (old) => (old && !old.messages.some((m) => m.id === sent.message.id) ? { ...old, messages: [...old.messages, sent.message] } : old));
      void qc.invalidateQueries({ queryKey: key, exact: true });
    },
  });
  const pending = awaitingAnswers(mission.messages);
  const plansById = new Map(mission.plans.map((p, i) => [p.id, { plan: p, number: i + 1 }]));

  const logRef = useRef<HTMLDivElement>(null);
  // A new message, or a pending turn replaced by its answer, scrolls to the end (not every refetch: the reader may be scrolled up).
  const turns = `${mission.messages.length}/${pending.length}`;
  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [turns]);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const content = text.trim();
    if (!content || send.isPending) return;
    send.mutate({ path: { missionId: mission.id }, body: { content }, headers: { 'Idempotency-Key': idempotency.keyFor([mission.id, content]) } });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  const copilot = mission.copilot;
  return (
    <section className="card chat-card" aria-labelledby="chat-heading" data-testid="mission-chat">
      <div className="section-heading section-heading-spread chat-head">
        <h2 id="chat-heading">Copilot</h2>
        <span className="muted small" data-testid="mission-copilot">
          {copilot.accountName ? (
            <>
              answers on {copilot.accountName}
              {copilot.model ? (
                <>
                  {' '}
                  · <code className="mono">{copilot.model}</code>
                </>
              ) : null}
            </>
          ) : (
            <>
              no account: set a default in <Link to="/settings">Settings</Link>
            </>
          )}
        </span>
      </div>

      <div className="chat-log" ref={logRef} role="log" aria-live="polite" aria-label="Conversation with the Copilot" data-testid="chat-log">
        {mission.messages.length === 0 ? (
          <p className="chat-empty" data-testid="chat-empty">
            Tell the Copilot what you need. Ask it for a <strong>plan</strong> and it proposes steps over this workspace’s operators; nothing runs until you approve.
          </p>
        ) : null}
        {mission.messages.map((message) => (
          <ChatMessage key={message.id} message={message} plan={message.planId ? plansById.get(message.planId) : undefined} onShowPlan={onShowPlan} />
        ))}
        {pending.map((message) => (
          <PendingAnswer key={`pending-${message.id}`} message={message} />
        ))}
      </div>

      {canSend ? (
        <form className="chat-form" onSubmit={submit} data-testid="chat-form">
          <label htmlFor={inputId} className="visually-hidden">
            Message to the Copilot
          </label>
          <textarea
            id={inputId}
            className="chat-input"
            rows={3}
            maxLength={20_000}
            placeholder="Ask the Copilot — e.g. “Make a plan: summarise this week’s tickets, then draft a note for the team.”"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKeyDown}
            aria-describedby={hintId}
            data-testid="mission-message-input"
          />
          <div className="chat-form-foot">
            <span className="muted small" id={hintId}>
              Enter to send · Shift+Enter for a new line
            </span>
            <button type="submit" className="btn btn-primary" disabled={send.isPending || !text.trim()} data-testid="mission-send">
              {send.isPending ? 'Sending…' : 'Send'}
            </button>
          </div>
          <ProblemAlert error={send.error} title="Not sent." />
        </form>
      ) : (
        <p className="muted small chat-readonly">Talking to the Copilot starts runs on a provider account: it needs a role that may use the vault and start runs.</p>
      )}
    </section>
  );
}

function ChatMessage({ message, plan, onShowPlan }: { message: MissionMessageDto; plan: { plan: MissionDetailDto['plans'][number]; number: number } | undefined; onShowPlan: (planId: string) => void }) {
  const failed = message.role === 'assistant' && copilotRunFailed(message.copilotRun?.status);
  return (
    <article
      className={`chat-message chat-message-${message.role}${failed ? ' chat-message-failed' : ''}`}
      data-testid="chat-message"
      data-role={message.role}
      data-message-id={message.id}
      data-run-status={message.copilotRun?.status ?? ''}
      data-plan-id={message.planId ?? ''}
    >
      <header className="chat-meta">
        <span className="chat-author">{message.role === 'user' ? 'You' : 'Copilot'}</span>
        <time dateTime={message.createdAt} title={formatDateTime(message.createdAt)}>
          {formatTime(message.createdAt)}
        </time>
        {failed && message.copilotRun ? (
          <Link to={`/runs/${message.copilotRun.id}`} className="chat-run-link" data-testid="chat-failed-run">
            {runStatusLabel(message.copilotRun.status as RunStatus)} run
          </Link>
        ) : null}
      </header>
      <div className="chat-bubble" data-testid="chat-message-text">
        <MessageText content={message.content} />
      </div>
      {plan ? (
        <button type="button" className="chat-plan-link" onClick={() => onShowPlan(plan.plan.id)} data-testid="chat-plan-link">
          <span className="chat-plan-icon" aria-hidden="true">
            ⤳
          </span>
          Plan {plan.number}
          {plan.plan.title ? `: ${plan.plan.title}` : ''} · {plan.plan.steps.length} step{plan.plan.steps.length === 1 ? '' : 's'}
        </button>
      ) : null}
    </article>
  );
}

/**
 * A refused Copilot message names the budget that refused it, with a link to it. The message's run summary carries
 * no budget, so the run is read once (its `blockedBy`); only blocked messages ask.
 */
function RefusingBudget({ runId }: { runId: string }) {
  const run = useQuery({ ...getRunOptions({ path: { runId } }), staleTime: Infinity });
  if (!run.data?.blockedBy) return null;
  return (
    <span className="chat-blocked-by" data-testid="chat-blocked-by">
      <BlockedBy run={run.data} />
    </span>
  );
}

const FENCE = /```([\w-]*)[^\S\n]*\n?([\s\S]*?)```/g;

/** A message's text; fenced blocks (a scripted ```plan, code) fold away behind a summary line. */
function MessageText({ content }: { content: string }) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of content.matchAll(FENCE)) {
    const before = content.slice(last, match.index).replace(/\n+$/, '');
    if (before.trim()) parts.push(<span key={`t${last}`}>{before}</span>);
    const lang = match[1] ?? '';
    const body = (match[2] ?? '').replace(/\n$/, '');
    const lines = body.split('\n').length;
    parts.push(
      <details key={`c${match.index}`} className="chat-code" data-testid="chat-code">
        <summary>
          {lang === 'plan' ? 'Scripted plan' : lang ? `${lang} block` : 'Code block'} · {lines} line{lines === 1 ? '' : 's'}
        </summary>
        <pre>{body}</pre>
      </details>,
    );
    last = match.index + match[0].length;
  }
  const rest = content.slice(last).replace(/^\n+/, '');
  if (rest.trim() || parts.length === 0) parts.push(<span key={`t${last}`}>{parts.length ? rest : content}</span>);
  return <>{parts}</>;
}

/** The Copilot's turn while its run is queued or running; a run that ended without an answer yet says so. */
function PendingAnswer({ message }: { message: MissionMessageDto }) {
  const run = message.copilotRun!;
  const failed = copilotRunFailed(run.status);
  return (
    <article className={`chat-message chat-message-assistant chat-message-pending${failed ? ' chat-message-failed' : ''}`} data-testid={failed ? 'chat-failed' : 'chat-pending'} data-run-status={run.status}>
      <header className="chat-meta">
        <span className="chat-author">Copilot</span>
        <Link to={`/runs/${run.id}`} className="chat-run-link">
          {runStatusLabel(run.status as RunStatus)} run
        </Link>
      </header>
      <div className="chat-bubble" role="status">
        {failed ? (
          <>
            The Copilot’s run {runStatusLabel(run.status as RunStatus).toLowerCase()}
            {run.statusReason ? `: ${run.statusReason}` : '.'}
            {run.status === 'blocked' ? <RefusingBudget runId={run.id} /> : null}
          </>
        ) : (
          <span className="chat-typing">
            <span className="chat-dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            {run.status === 'queued' ? 'Waiting for a worker…' : run.status === 'waiting' ? (run.statusReason ?? 'Waiting for capacity…') : run.status === 'succeeded' ? 'Writing the answer…' : 'Thinking…'}
          </span>
        )}
      </div>
    </article>
  );
}
