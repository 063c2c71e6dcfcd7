import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { getComparisonOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ComparisonDto } from '../../api/generated/types.gen.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { CopyButton, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { LiveIndicator } from '../runs/LiveIndicator.js';
import type { LiveState } from '../runs/run-stream.js';
import { useNow } from '../runs/use-now.js';
import { useComparisonsFollowRuns } from './comparison-cache.js';
import { formatSignedCount, formatSignedDuration, formatSignedUsd } from './comparison-format.js';
import { diffOf } from './output-diff.js';
import { ComparisonSide } from './ComparisonSide.js';
import { EstimateCheck } from './EstimateCheck.js';
import './comparisons.css';

export function ComparisonDetailPage() {
  const { comparisonId = '' } = useParams();
  const { state: live, ready } = useComparisonsFollowRuns();
  // The run stream keeps it current (comparison-cache.ts): no refetch on focus or on a timer.
  const comparison = useQuery({ ...getComparisonOptions({ path: { comparisonId } }), staleTime: Infinity, refetchOnWindowFocus: false, enabled: ready });

  if (comparison.isPending) return <Loading />;
  if (comparison.isError) {
    return (
      <>
        <PageHeader title="Comparison" />
        <ProblemAlert error={comparison.error} />
        <p>
          <Link to="/comparisons">Back to Comparisons</Link>
        </p>
      </>
    );
  }
  return <ComparisonDetail comparison={comparison.data} live={live} />;
}

function ComparisonDetail({ comparison, live }: { comparison: ComparisonDto; live: LiveState }) {
  const finished = comparison.differences.bothFinished;
  const now = useNow(1000, !finished);
  const { diff, asJson } = useMemo(() => diffOf(comparison), [comparison]);

  return (
    <>
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to="/comparisons">Comparisons</Link>
        <span aria-hidden="true">/</span>
        <span className="mono">{comparison.id.slice(0, 8)}</span>
      </nav>
      <PageHeader
        title={comparison.operator.name ?? 'Deleted operator'}
        description={
          <>
            The same input on the mock and on a live account · started <span title={formatDateTime(comparison.createdAt)}>{formatRelative(comparison.createdAt, '—', now)}</span>
          </>
        }
        actions={<LiveIndicator state={live} />}
      />

      <Differences comparison={comparison} outputsCompared={diff?.unit ?? null} />
      <EstimateCheck comparison={comparison} />

      <section className="card cmp-input" aria-labelledby="cmp-input-heading">
        <div className="io-head">
          <h2 id="cmp-input-heading">Input</h2>
          <CopyButton text={comparison.input} />
        </div>
        <pre className="io-text" data-testid="comparison-input-text">
          {comparison.input}
        </pre>
      </section>

      <div className="cmp-grid" data-testid="comparison-sides">
        <ComparisonSide name="mock" comparison={comparison} segments={diff?.left ?? null} asJson={asJson} now={now} />
        <ComparisonSide name="live" comparison={comparison} segments={diff?.right ?? null} asJson={asJson} now={now} />
      </div>
      {diff && !diff.same ? (
        <p className="muted small cmp-legend">
          <mark className="cmp-mark">Highlighted</mark> {diff.unit === 'line' ? 'lines' : diff.unit === 'word' ? 'words' : 'text'} appear on one side only
          {diff.unit === 'whole' ? ' (too long to compare word by word)' : ''}.
        </p>
      ) : null}
    </>
  );
}

/** What differs, at a glance: outputs, schema verdicts, tokens, cost and latency (live − mock). */
function Differences({ comparison, outputsCompared }: { comparison: ComparisonDto; outputsCompared: string | null }) {
  const d = comparison.differences;
  const outputs =
    d.outputsEqual === null
      ? { text: comparison.differences.bothFinished ? 'Not both answered' : 'Waiting for both outputs', tone: 'pending' }
      : d.outputsEqual
        ? { text: 'Identical', tone: 'same' }
        : { text: 'Different', tone: 'differs' };
  const schema =
    comparison.outputFormat === 'text'
      ? { text: 'Text output', tone: 'pending' }
      : d.schemaValidityEqual === null
        ? { text: 'Waiting for both verdicts', tone: 'pending' }
        : d.schemaValidityEqual
          ? { text: comparison.mock.schemaValid ? 'Both match' : 'Neither matches', tone: comparison.mock.schemaValid ? 'same' : 'differs' }
          : { text: `Only the ${comparison.mock.schemaValid ? 'mock' : 'live'} side matches`, tone: 'differs' };
  const tone = (n: number | null) => (n === null ? 'pending' : n === 0 ? 'same' : 'differs');
  return (
    <section className="card cmp-summary" aria-label="What differs" data-testid="comparison-differences" data-finished={d.bothFinished}>
      <Item label="Outputs" tone={outputs.tone} testId="diff-outputs" value={String(d.outputsEqual)}>
        {outputs.text}
        {outputsCompared && d.outputsEqual === false ? <span className="muted small"> · highlighted below</span> : null}
      </Item>
      <Item label="Schema" tone={schema.tone} testId="diff-schema" value={String(d.schemaValidityEqual)}>
        {schema.text}
      </Item>
      <Item label="Tokens (live − mock)" tone={d.inputTokensDelta === null ? 'pending' : d.inputTokensDelta === 0 && d.outputTokensDelta === 0 ? 'same' : 'differs'} testId="diff-tokens">
        {d.inputTokensDelta === null ? '—' : `${formatSignedCount(d.inputTokensDelta)} in · ${formatSignedCount(d.outputTokensDelta)} out`}
      </Item>
      <Item label="Cost (live − mock)" tone={tone(d.costDeltaMicroUsd)} testId="diff-cost" value={d.costDeltaMicroUsd === null ? '' : String(d.costDeltaMicroUsd)}>
        {formatSignedUsd(d.costDeltaMicroUsd)}
      </Item>
      <Item label="Latency (live − mock)" tone={tone(d.latencyDeltaMs)} testId="diff-latency">
        {formatSignedDuration(d.latencyDeltaMs)}
      </Item>
    </section>
  );
}

function Item({ label, tone, testId, value, children }: { label: string; tone: string; testId: string; value?: string; children: ReactNode }) {
  return (
    <div className={`cmp-summary-item cmp-summary-${tone}`} data-testid={testId} data-tone={tone} data-value={value}>
      <span className="cmp-summary-label">{label}</span>
      <span className="cmp-summary-value">{children}</span>
    </div>
  );
}
