import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { ComparisonDto, ComparisonSideDto } from '../../api/generated/types.gen.js';
import { formatCount, formatDuration } from '../../lib/format.js';
import { Badge, CopyButton } from '../../lib/ui.js';
import { CostWithLabel } from '../money/CostLabelBadge.js';
import { isFinal } from '../runs/run-labels.js';
import { RunStatusChip, StatusReason } from '../runs/RunStatus.js';
import { formatSignedCount, formatSignedDuration, formatSignedUsd, SIDE_TITLES, type SideName } from './comparison-format.js';
import type { DiffSegment } from './output-diff.js';

/**
 * One side of a comparison: its run's status, error in words, schema verdict, tokens, latency and cost, and its
 * output with what the other side does not have highlighted. A figure that differs from the other side is marked,
 * and the live side says by how much.
 */
export function ComparisonSide({
  name,
  comparison,
  segments,
  asJson,
  now,
}: {
  name: SideName;
  comparison: ComparisonDto;
  segments: DiffSegment[] | null;
  asJson: boolean;
  now: number;
}) {
  const side = name === 'mock' ? comparison.mock : comparison.live;
  const other = name === 'mock' ? comparison.live : comparison.mock;
  const d = comparison.differences;
  const both = isFinal(side.status) && isFinal(other.status);
  const tokensDiffer = !!side.usage && !!other.usage && (side.usage.inputTokens !== other.usage.inputTokens || side.usage.outputTokens !== other.usage.outputTokens);
  const costDiffers = side.costMicroUsd !== null && other.costMicroUsd !== null && side.costMicroUsd !== other.costMicroUsd;
  const latencyDiffers = side.latencyMs !== null && other.latencyMs !== null && side.latencyMs !== other.latencyMs;
  const schemaDiffers = side.schemaValid !== null && other.schemaValid !== null && side.schemaValid !== other.schemaValid;
  const headingId = `cmp-${name}-heading`;

  return (
    <section className={`card cmp-side cmp-side-${name}`} aria-labelledby={headingId} data-testid={`side-${name}`} data-status={side.status} data-run-id={side.runId}>
      <div className="cmp-side-head">
        <div className="cmp-side-title">
          <h2 id={headingId}>
            <span className={`cmp-side-tag cmp-side-tag-${name}`}>{SIDE_TITLES[name]}</span>
            <span data-testid={`side-${name}-account`}>{side.accountName ?? <span className="muted">{side.accountId ? 'An account you may not see' : 'Deleted account'}</span>}</span>
          </h2>
          <code className="mono cmp-side-model" data-testid={`side-${name}-model`}>
            {side.model}
          </code>
        </div>
        <div className="cmp-side-status">
          <RunStatusChip status={side.status} testId={`side-${name}-status`} />
          <Link to={`/runs/${side.runId}`} className="small" data-testid={`side-${name}-run-link`}>
            Open run
          </Link>
        </div>
      </div>
      <StatusReason run={side} now={now} />

      {side.error ? (
        <div className={`alert ${side.error.code === 'rate_limited' || side.error.code === 'provider_unavailable' ? 'alert-warning' : 'alert-error'} cmp-error`} role="alert" data-testid={`side-${name}-error`} data-code={side.error.code}>
          <code className="mono run-error-code">{side.error.code}</code> <span data-testid={`side-${name}-error-message`}>{side.error.message}</span>
        </div>
      ) : null}

      <dl className="cmp-facts">
        <Fact label="Schema" differs={schemaDiffers}>
          <SchemaVerdict side={side} outputFormat={comparison.outputFormat} testId={`side-${name}-schema`} />
        </Fact>
        <Fact label="Tokens" differs={tokensDiffer}>
          {side.usage ? (
            <span data-testid={`side-${name}-tokens`} data-input={side.usage.inputTokens} data-output={side.usage.outputTokens}>
              {formatCount(side.usage.inputTokens)} in · {formatCount(side.usage.outputTokens)} out
            </span>
          ) : (
            <span className="muted" data-testid={`side-${name}-tokens`}>
              {isFinal(side.status) ? 'Not reported' : 'After the provider answers'}
            </span>
          )}
          {name === 'live' && tokensDiffer ? (
            <span className="cmp-delta" data-testid="delta-tokens">
              {formatSignedCount(d.inputTokensDelta)} in · {formatSignedCount(d.outputTokensDelta)} out vs mock
            </span>
          ) : null}
        </Fact>
        <Fact label="Latency" differs={latencyDiffers}>
          <span data-testid={`side-${name}-latency`}>{side.latencyMs === null ? <span className="muted">{isFinal(side.status) ? '—' : 'After the provider answers'}</span> : formatDuration(side.latencyMs)}</span>
          {name === 'live' && latencyDiffers ? <span className="cmp-delta">{formatSignedDuration(d.latencyDeltaMs)} vs mock</span> : null}
        </Fact>
        <Fact label="Cost" differs={costDiffers}>
          <CostWithLabel costMicroUsd={side.costMicroUsd} costLabel={side.costLabel} none={isFinal(side.status) ? 'Nothing: no call was charged' : 'After the provider answers'} testId={`side-${name}-cost`} />
          {name === 'live' && costDiffers ? <span className="cmp-delta">{formatSignedUsd(d.costDeltaMicroUsd)} vs mock</span> : null}
        </Fact>
      </dl>

      <div className="cmp-output">
        <div className="io-head">
          <h3>
            Output {asJson ? <span className="badge badge-blue">JSON</span> : null}
          </h3>
          {side.output !== null ? <CopyButton text={asJson ? JSON.stringify(side.outputJson, null, 2) : side.output} /> : null}
        </div>
        <SideOutput side={side} segments={segments} asJson={asJson} both={both} testId={`side-${name}-output`} />
      </div>
    </section>
  );
}

function Fact({ label, differs, children }: { label: string; differs: boolean; children: ReactNode }) {
  return (
    <div className={differs ? 'cmp-fact cmp-fact-differs' : 'cmp-fact'} data-differs={differs || undefined}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function SchemaVerdict({ side, outputFormat, testId }: { side: ComparisonSideDto; outputFormat: ComparisonDto['outputFormat']; testId: string }) {
  if (outputFormat === 'text') {
    return (
      <span className="muted" data-testid={testId} data-valid="n/a">
        Text output (no schema)
      </span>
    );
  }
  if (side.schemaValid === true) {
    return (
      <span data-testid={testId} data-valid="true">
        <Badge tone="green">Matches the schema</Badge>
      </span>
    );
  }
  if (side.schemaValid === false) {
    return (
      <span data-testid={testId} data-valid="false">
        <Badge tone="red">Does not match the schema</Badge>
      </span>
    );
  }
  return (
    <span className="muted" data-testid={testId} data-valid="unknown">
      {isFinal(side.status) ? 'No output to check' : 'Checked when the output arrives'}
    </span>
  );
}

function SideOutput({ side, segments, asJson, both, testId }: { side: ComparisonSideDto; segments: DiffSegment[] | null; asJson: boolean; both: boolean; testId: string }) {
  if (side.output === null) {
    return <p className="io-empty">{isFinal(side.status) ? 'No output.' : 'The output appears here when the run finishes.'}</p>;
  }
  const text = asJson ? JSON.stringify(side.outputJson, null, 2) : side.output;
  return (
    <pre className={asJson ? 'io-text cmp-output-text cmp-output-json' : 'io-text cmp-output-text'} data-testid={testId} data-complete={both || undefined}>
      {segments
        ? segments.map((s, i) =>
            s.changed ? (
              <mark key={i} className="cmp-mark" data-testid="diff-mark">
                {s.text}
              </mark>
            ) : (
              <span key={i}>{s.text}</span>
            ),
          )
        : text || <span className="muted">(empty)</span>}
    </pre>
  );
}
