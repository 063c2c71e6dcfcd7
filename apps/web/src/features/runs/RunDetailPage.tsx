import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { cancelRunMutation, getRunOptions, getRunQueryKey, listMembersOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { RunDetailDto } from '../../api/generated/types.gen.js';
import { formatCount, formatDateTime, formatRelative } from '../../lib/format.js';
import { isApiProblem } from '../../lib/problem.js';
import { useCan, useMe } from '../../lib/session.js';
import { formatUsd } from '../../lib/money.js';
import { Fact, CopyButton, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { paidWithLabel } from '../credits/credit-labels.js';
import { CostWithLabel } from '../money/CostLabelBadge.js';
import { type AccountKind, troubleshootingTip } from '../vault/account-labels.js';
import { LiveIndicator } from './LiveIndicator.js';
import { rememberRun, useLiveRuns } from './run-cache.js';
import type { LiveState } from './run-stream.js';
import { isFinal, KIND_LABELS } from './run-labels.js';
import { type RunLookups, useRunLookups } from './run-lookups.js';
import { RunTimeline } from './RunTimeline.js';
import { RunTimings } from './RunTimings.js';
import { BlockedBy, nextTryText, RunStatusChip } from './RunStatus.js';
import { useNow } from './use-now.js';

export function RunDetailPage() {
  const { runId = '' } = useParams();
  const { state: live, ready } = useLiveRuns();
  const lookups = useRunLookups();
  // The stream keeps it current (run-cache.ts): no refetch on focus or on a timer.
  const run = useQuery({ ...getRunOptions({ path: { runId } }), staleTime: Infinity, refetchOnWindowFocus: false, enabled: ready });

  if (run.isPending) return <Loading />;
  if (run.isError) {
    return (
      <>
        <PageHeader title="Run" />
        <ProblemAlert error={run.error} />
        <p>
          <Link to="/runs">Back to Runs</Link>
        </p>
      </>
    );
  }
  return <RunDetail run={run.data} live={live} lookups={lookups} />;
}

function RunDetail({ run, live, lookups }: { run: RunDetailDto; live: LiveState; lookups: RunLookups }) {
  const canCancel = useCan('runs:create');
  const queryClient = useQueryClient();
  const final = isFinal(run.status);
  const now = useNow(1000, !final);
  const cancel = useMutation({
    ...cancelRunMutation(),
    onSuccess: (cancelled) => rememberRun(cancelled),
    onError: (error) => {
      // Already over (409 run_finished): show what it became.
      if (isApiProblem(error) && error.status === 409) void queryClient.invalidateQueries({ queryKey: getRunQueryKey({ path: { runId: run.id } }) });
    },
  });
  const operatorName = run.operatorId ? lookups.operatorName(run.operatorId) : null;
  const account = lookups.account(run.accountId);
  const startedBy = useStartedBy(run);

  return (
    <>
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to="/runs">Runs</Link>
        <span aria-hidden="true">/</span>
        <span className="mono">{run.id.slice(0, 8)}</span>
      </nav>
      <PageHeader
        title={operatorName ? `${operatorName}` : `${KIND_LABELS[run.kind]} run`}
        description={
          <>
            {KIND_LABELS[run.kind]} run <span className="mono">{run.id}</span> · started by {startedBy} <span title={formatDateTime(run.createdAt)}>{formatRelative(run.createdAt)}</span>
          </>
        }
        actions={
          <>
            <LiveIndicator state={live} />
            {canCancel && !final ? (
              <button
                type="button"
                className="btn btn-danger-ghost"
                data-testid="run-cancel"
                disabled={cancel.isPending}
                onClick={() => cancel.mutate({ path: { runId: run.id } })}
                title="Stop the run; a provider call in progress is aborted"
              >
                {cancel.isPending ? 'Cancelling…' : 'Cancel run'}
              </button>
            ) : null}
          </>
        }
      />

      <section className={`card run-status-card run-status-card-${run.status}`} aria-label="Status">
        <div className="run-status-main">
          <RunStatusChip status={run.status} testId="run-detail-status" large />
          <StatusLine run={run} now={now} />
        </div>
        {run.status === 'failed' || run.status === 'blocked' ? <RunErrorCallout run={run} kind={account?.kind} /> : null}
        <ProblemAlert error={cancel.error} />
        <dl className="facts run-facts">
          <Fact label="Operator">{run.operatorId ? <Link to="/operators">{operatorName}</Link> : <span className="muted">None</span>}</Fact>
          {run.comparisonId || run.missionId ? (
            <Fact label="Part of">
              {run.comparisonId ? (
                <Link to={`/comparisons/${run.comparisonId}`} data-testid="run-part-of">
                  A mock-to-live comparison
                </Link>
              ) : (
                <Link to={`/missions/${run.missionId}`} data-testid="run-part-of">
                  {run.kind === 'copilot' ? 'A mission (Copilot answer)' : run.planStep ? `A mission, step “${run.planStep}”` : 'A mission'}
                </Link>
              )}
            </Fact>
          ) : null}
          <Fact label="Account used">
            {account ? <Link to="/vault">{account.name}</Link> : lookups.accountName(run.accountId)}
          </Fact>
          <Fact label="Paid with">
            <span data-testid="run-detail-paid-with" data-paid-with={run.paidWith}>
              {run.paidWith === 'credits' ? <Link to="/credits">{paidWithLabel(run.paidWith, '')}</Link> : paidWithLabel(run.paidWith, account?.name ?? lookups.accountName(run.accountId))}
            </span>
          </Fact>
          <Fact label="Model used">
            <code className="mono">{run.model}</code>
          </Fact>
          <Fact label="Tokens">
            <RunTokens run={run} />
          </Fact>
          <Fact label="Cost">
            <CostWithLabel costMicroUsd={run.costMicroUsd} costLabel={run.costLabel} none={final ? 'Nothing: the provider was not called' : 'After the provider answers'} testId="run-cost" />
          </Fact>
          <Fact label="Estimate (worst case held)">
            <RunEstimate run={run} />
          </Fact>
          <Fact label="Cost cap per run">
            <span data-testid="run-cost-cap">{run.costCapMicroUsd === null ? <span className="muted">None</span> : formatUsd(run.costCapMicroUsd)}</span>
          </Fact>
          <Fact label="Attempt">
            <span data-testid="run-attempts">{attemptText(run)}</span>
            <span className="fact-note">
              {run.providerCalls} provider call{run.providerCalls === 1 ? '' : 's'}
            </span>
          </Fact>
          <Fact label="Provider request id">
            {run.providerRequestId ? (
              <span className="request-id">
                <code className="mono" data-testid="run-provider-request-id">
                  {run.providerRequestId}
                </code>
                <CopyButton text={run.providerRequestId} />
              </span>
            ) : (
              <span className="muted">{final ? 'None' : 'Not yet'}</span>
            )}
          </Fact>
        </dl>
      </section>

      <RunTimings run={run} now={now} />

      <div className="io-grid">
        <section className="card io-card" aria-labelledby="run-input-heading">
          <div className="io-head">
            <h2 id="run-input-heading">Input</h2>
            <CopyButton text={run.input} />
          </div>
          <pre className="io-text" data-testid="run-input-text">
            {run.input || <span className="muted">(empty)</span>}
          </pre>
        </section>
        <section className="card io-card" aria-labelledby="run-output-heading">
          <div className="io-head">
            <h2 id="run-output-heading">
              Output {run.outputJson !== null ? <span className="badge badge-blue">JSON</span> : null}
            </h2>
            {run.output !== null ? <CopyButton text={run.outputJson !== null ? JSON.stringify(run.outputJson, null, 2) : run.output} /> : null}
          </div>
          <RunOutput run={run} />
        </section>
      </div>

      <RunTimeline run={run} />
    </>
  );
}


/**
 * `attempts` counts the attempts spent (failed calls; rate-limit waits spend none): a run that succeeded
 * first time has 0. People expect "attempt 1 of 3".
 */
function attemptText(run: RunDetailDto): string {
  if (!run.timings.startedAt && run.attempts === 0) return 'Not started';
  const current = run.status === 'failed' || run.status === 'blocked' ? Math.max(1, run.attempts) : Math.min(run.attempts + 1, run.maxAttempts);
  return `${current} of ${run.maxAttempts}`;
}

/** "you", a member's email, or "an API token". */
function useStartedBy(run: RunDetailDto): string {
  const me = useMe();
  const canSeeMembers = useCan('members:read');
  const members = useQuery({ ...listMembersOptions(), enabled: canSeeMembers && run.startedBy.type === 'user' && run.startedBy.id !== me.user.id });
  if (run.startedBy.type === 'token') return 'an API token';
  if (run.startedBy.type === 'system') return 'Vaultrun';
  if (run.startedBy.id === me.user.id) return 'you';
  return members.data?.items.find((m) => m.userId === run.startedBy.id)?.email ?? 'a member';
}

function StatusLine({ run, now }: { run: RunDetailDto; now: number }) {
  let text: ReactNode = null;
  switch (run.status) {
    case 'queued':
      text = 'Accepted and waiting for a worker.';
      break;
    case 'waiting': {
      const next = nextTryText(run.nextAttemptAt, now);
      text = (
        <>
          {run.statusReason ?? 'Waiting.'}
          {next ? <span className="status-next"> · {next}</span> : null}
        </>
      );
      break;
    }
    case 'running':
      text = run.attempts > 0 ? `Calling the provider (attempt ${run.attempts + 1} of ${run.maxAttempts}).` : 'Calling the provider.';
      break;
    case 'succeeded':
      text = 'Finished with an output.';
      break;
    case 'failed':
      text = 'Finished with an error.';
      break;
    case 'cancelled':
      text = run.statusReason ?? 'Cancelled.';
      break;
    case 'blocked':
      text = 'Refused before the provider was called.';
      break;
  }
  return (
    <p className="run-status-text" data-testid="run-status-text">
      {text}
    </p>
  );
}

/** Tips that concern the run rather than the account (the others come from the vault's troubleshooting guide). */
const RUN_TIPS: Record<string, string> = {
  invalid_output: 'The model answered, but not with JSON that matches the operator’s schema. Simplify the schema, or make the instructions ask for exactly that shape.',
  model_not_found: 'Check the model on the operator (or this run’s override): the account may have no access to it. Pick one of the models the account listed when it was verified.',
  context_length_exceeded: 'Shorten the input or the instructions, or run it on a model with a larger context window.',
  budget_exhausted: 'The budget has no headroom for this run’s worst case in its current period — or it is paused after an overage until the runs in flight then have settled. Raise its cap, wait for the next period, lower the operator’s max output tokens (the worst case counts every allowed output token), or let the budget shrink runs to fit.',
  cost_cap_exceeded: 'The worst case of this run is above the operator’s cost cap per run. Raise the cap, or lower the max output tokens or the input.',
  unpriced_model: 'No price is known for this model, so a budget or cost cap cannot be enforced. Add a price override for it on the Budgets page.',
};

/** The mapped provider error in words (SPEC §6), with what to do about it. */
function RunErrorCallout({ run, kind }: { run: RunDetailDto; kind: AccountKind | undefined }) {
  const code = run.error?.code ?? (run.status === 'blocked' ? 'blocked' : 'failed');
  const message = run.error?.message || run.statusReason || 'The run failed.';
  const tip = RUN_TIPS[code] ?? troubleshootingTip(code, kind ?? 'openai-compatible');
  const transient = code === 'rate_limited' || code === 'provider_unavailable';
  return (
    <div className={`alert ${transient ? 'alert-warning' : 'alert-error'} run-error`} role="alert" data-testid="run-error" data-code={code}>
      <p className="run-error-message">
        <code className="mono run-error-code">{code}</code> <span data-testid="run-error-message">{message}</span>
      </p>
      {run.blockedBy ? (
        <p>
          <BlockedBy run={run} />
        </p>
      ) : null}
      {tip ? <p className="run-error-tip">{tip}</p> : null}
    </div>
  );
}

function RunTokens({ run }: { run: RunDetailDto }) {
  if (!run.usage) {
    return (
      <span className="muted" data-testid="run-tokens">
        {isFinal(run.status) ? 'Not reported' : 'After the provider answers'}
      </span>
    );
  }
  const { inputTokens, outputTokens, cachedInputTokens } = run.usage;
  return (
    <>
      <span data-testid="run-tokens">
        <strong>{formatCount(inputTokens + outputTokens)}</strong> total
      </span>
      <span className="fact-note">
        {formatCount(inputTokens)} in{cachedInputTokens ? ` (${formatCount(cachedInputTokens)} cached)` : ''} · {formatCount(outputTokens)} out
      </span>
    </>
  );
}

/** The worst case held against budgets for the provider call (every prompt token and every allowed output token priced). */
function RunEstimate({ run }: { run: RunDetailDto }) {
  if (run.estimateMicroUsd !== null) {
    return (
      <>
        <span data-testid="run-estimate">{formatUsd(run.estimateMicroUsd)}</span>
        <span className="fact-note">
          {run.promptTokensHeld !== null ? `${formatCount(run.promptTokensHeld)} prompt tokens` : 'every prompt token'} and{' '}
          {run.requestedMaxOutputTokens !== null
            ? `${formatCount(run.maxOutputTokens)} output tokens (shrunk from ${formatCount(run.requestedMaxOutputTokens)} to fit a budget)`
            : 'every allowed output token'}
          , priced
        </span>
        {run.overageMicroUsd !== null ? (
          <span className="fact-note text-danger" data-testid="run-overage">
            Charged {formatUsd(run.overageMicroUsd)} more: the provider counted more prompt tokens than were held
          </span>
        ) : null}
      </>
    );
  }
  const note = run.timings.startedAt || isFinal(run.status) ? 'No price known for this model' : 'When a worker picks it up';
  return (
    <span className="muted" data-testid="run-estimate">
      {note}
    </span>
  );
}

function RunOutput({ run }: { run: RunDetailDto }) {
  if (run.outputJson !== null) {
    return (
      <div data-testid="run-output">
        <pre className="io-text io-json" data-testid="run-output-json">
          {JSON.stringify(run.outputJson, null, 2)}
        </pre>
      </div>
    );
  }
  if (run.output !== null) {
    return (
      <pre className="io-text" data-testid="run-output">
        {run.output || <span className="muted">(empty)</span>}
      </pre>
    );
  }
  const note = isFinal(run.status) ? 'No output.' : 'The output appears here when the run finishes.';
  return <p className="io-empty">{note}</p>;
}
