import { Link } from 'react-router';
import type { RunDto } from '../../api/generated/types.gen.js';
import { runStatusHelp, runStatusLabel, runStatusTone, type RunStatus } from './run-labels.js';

/** A colored status chip; `data-status` holds the raw status. A running run's dot pulses. */
export function RunStatusChip({ status, testId = 'run-status', large }: { status: RunStatus; testId?: string; large?: boolean }) {
  return (
    <span
      className={`badge badge-${runStatusTone(status)} run-chip run-chip-${status}${large ? ' run-chip-large' : ''}`}
      data-testid={testId}
      data-status={status}
      title={runStatusHelp(status)}
    >
      {runStatusLabel(status)}
    </span>
  );
}

/** "next try in 4 s" / "trying again now" for a waiting run. */
export function nextTryText(nextAttemptAt: string | null, now: number): string | null {
  if (!nextAttemptAt) return null;
  const seconds = Math.ceil((new Date(nextAttemptAt).getTime() - now) / 1000);
  if (Number.isNaN(seconds)) return null;
  return seconds > 0 ? `next try in ${seconds} s` : 'trying again now';
}

/** Why a run waits (or was blocked), and when it tries again. */
export function StatusReason({ run, now }: { run: Pick<RunDto, 'status' | 'statusReason' | 'nextAttemptAt'>; now: number }) {
  if (run.status !== 'waiting' && run.status !== 'blocked') return null;
  const next = run.status === 'waiting' ? nextTryText(run.nextAttemptAt, now) : null;
  if (!run.statusReason && !next) return null;
  return (
    <span className={`status-reason status-reason-${run.status}`} data-testid="run-status-reason">
      {run.statusReason}
      {run.statusReason && next ? ' · ' : ''}
      {next ? <span className="nowrap">{next}</span> : null}
    </span>
  );
}

/** Where the budget that stopped a blocked run lives: /budgets, scrolled to that budget. */
export function budgetHref(budgetId: string): string {
  return `/budgets#budget-${budgetId}`;
}

/** "Blocked by budget Team monthly" (a link to it), or that the budget was deleted since. Nothing for other runs. */
export function BlockedBy({ run }: { run: Pick<RunDto, 'status' | 'blockedBy'> }) {
  if (run.status !== 'blocked' || !run.blockedBy) return null;
  const { budgetId, budgetName } = run.blockedBy;
  return (
    <span className="blocked-by" data-testid="run-blocked-by" data-budget-id={budgetId}>
      Blocked by budget{' '}
      {budgetName ? (
        <Link to={budgetHref(budgetId)} data-testid="run-blocked-budget-link">
          {budgetName}
        </Link>
      ) : (
        <span className="muted">(deleted since)</span>
      )}
    </span>
  );
}
