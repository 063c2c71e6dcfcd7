import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { getOverviewOptions, listOperatorsOptions, listProviderAccountsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { OverviewDto, OverviewTopItemDto } from '../../api/generated/types.gen.js';
import { FilterSelect } from '../../lib/DataTable.js';
import { formatCount, formatDuration } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { useCan } from '../../lib/session.js';
import { EmptyState, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { type ChartSeries, ChartLegend, formatBucket, TimeBarChart } from '../charts/TimeBarChart.js';
import { SpendLegend } from '../money/SpendLegend.js';
import { SPEND_SERIES } from '../money/spend-series.js';
import './overview.css';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const PERIODS = [
  { value: '24h', label: 'Last 24 hours', ms: DAY_MS, bucket: 'hour' },
  { value: '7d', label: 'Last 7 days', ms: 7 * DAY_MS, bucket: 'hour' },
  { value: '30d', label: 'Last 30 days', ms: 30 * DAY_MS, bucket: 'day' },
  { value: '90d', label: 'Last 90 days', ms: 90 * DAY_MS, bucket: 'day' },
] as const;

const RUN_SERIES: ChartSeries[] = [
  { key: 'succeeded', label: 'Succeeded', className: 'chart-succeeded' },
  { key: 'failed', label: 'Failed', className: 'chart-failed' },
  { key: 'other', label: 'Cancelled, blocked or in progress', className: 'chart-other' },
];

/**
 * The range of a period, ending at the end of the current hour (or UTC day): whole buckets, and the same query — so
 * the same cache entry — for everyone who opens the page within that hour.
 */
function rangeOf(period: (typeof PERIODS)[number], now = Date.now()) {
  const step = period.bucket === 'hour' ? HOUR_MS : DAY_MS;
  const until = Math.floor(now / step) * step + step;
  return { since: new Date(until - period.ms).toISOString(), until: new Date(until).toISOString(), bucket: period.bucket };
}

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(rate > 0 && rate < 0.001 ? 2 : 1)}%`);

export function OverviewPage() {
  const [params, setParams] = useSearchParams();
  const period = PERIODS.find((p) => p.value === params.get('period')) ?? PERIODS[0];
  const accountId = params.get('account') ?? '';
  const operatorId = params.get('operator') ?? '';
  const canSeeAccounts = useCan('vault:read');
  const range = rangeOf(period);
  const overview = useQuery({
    ...getOverviewOptions({ query: { ...range, ...(accountId ? { accountId } : {}), ...(operatorId ? { operatorId } : {}) } }),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  const accounts = useQuery({ ...listProviderAccountsOptions(), enabled: canSeeAccounts });
  const operators = useQuery(listOperatorsOptions());

  const set = (key: string, value: string) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );

  return (
    <>
      <PageHeader title="Overview" description="How the workspace's AI work is going: runs, errors, latency and what it costs — of the runs you may see." />
      <form className="overview-filters" aria-label="Overview period and filters" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect label="Period" value={period.value} onChange={(v) => set('period', v === '24h' ? '' : v)} options={PERIODS.map((p) => ({ value: p.value, label: p.label }))} testId="overview-period" />
        {canSeeAccounts ? (
          <FilterSelect
            label="Provider account"
            value={accountId}
            onChange={(v) => set('account', v)}
            options={[{ value: '', label: 'All accounts' }, ...(accounts.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }))]}
            testId="overview-account"
          />
        ) : null}
        <FilterSelect
          label="Operator"
          value={operatorId}
          onChange={(v) => set('operator', v)}
          options={[{ value: '', label: 'All operators' }, ...(operators.data?.items ?? []).map((o) => ({ value: o.id, label: o.name }))]}
          testId="overview-operator"
        />
      </form>

      {overview.isPending ? (
        <Loading />
      ) : overview.isError ? (
        <ProblemAlert error={overview.error} />
      ) : (
        <OverviewBody data={overview.data} />
      )}
    </>
  );
}

export default OverviewPage;

function OverviewBody({ data }: { data: OverviewDto }) {
  const t = data.totals;
  const canSeeTokens = useCan('tokens:read');
  const unit = data.bucket;
  const runPoints = data.series.map((p) => ({ start: p.start, succeeded: p.succeeded, failed: p.failed, other: p.other }));
  const spendPoints = data.series.map((p) => ({ start: p.start, verified: p.cost.verified, estimated: p.cost.estimated, pending_sync: p.cost.pending_sync }));
  return (
    <div className="overview" data-testid="overview" data-since={data.since} data-until={data.until}>
      <ul className="kpis" aria-label="Key figures">
        <Kpi label="Runs" value={formatCount(t.runs)} raw={t.runs} testId="kpi-runs" note={t.active ? `${formatCount(t.active)} still in progress` : 'created in this period'} />
        <Kpi
          label="Success rate"
          value={percent(t.successRate)}
          raw={t.successRate ?? ''}
          testId="kpi-success"
          note={`${formatCount(t.succeeded)} succeeded · ${formatCount(t.failed)} failed`}
        />
        <Kpi label="Error rate" value={percent(t.errorRate)} raw={t.errorRate ?? ''} testId="kpi-errors" note={`${formatCount(t.cancelled)} cancelled · ${formatCount(t.blocked)} blocked`} tone={t.errorRate !== null && t.errorRate >= 0.05 ? 'bad' : undefined} />
        <Kpi
          label="Provider latency"
          value={`${formatDuration(t.latencyMs.p50)} / ${formatDuration(t.latencyMs.p95)}`}
          raw={`${t.latencyMs.p50 ?? ''}/${t.latencyMs.p95 ?? ''}`}
          testId="kpi-latency"
          note="p50 / p95 of succeeded runs"
        />
        <Kpi
          label="End to end"
          value={`${formatDuration(t.durationMs.p50)} / ${formatDuration(t.durationMs.p95)}`}
          raw={`${t.durationMs.p50 ?? ''}/${t.durationMs.p95 ?? ''}`}
          testId="kpi-duration"
          note="p50 / p95, queued → finished"
        />
        <Kpi label="Spend" value={formatUsd(t.spend.costMicroUsd)} raw={t.spend.costMicroUsd} testId="kpi-spend" note={`${formatUsd(t.spend.byLabel.verified.costMicroUsd)} verified by the provider`} />
      </ul>

      {t.runs === 0 ? (
        <div className="card">
          <EmptyState>
            No runs in this period. Start one from <Link to="/operators">Operators</Link>, or choose a longer period.
          </EmptyState>
        </div>
      ) : null}

      <div className="overview-charts">
        <section className="card" aria-labelledby="overview-runs-heading" data-testid="overview-runs">
          <h2 id="overview-runs-heading">Runs per {unit}</h2>
          <ChartLegend series={RUN_SERIES} />
          <TimeBarChart data={runPoints} series={RUN_SERIES} unit={unit} integerValues formatValue={(v) => formatCount(v)} title={`Runs per ${unit}, by outcome`} segmentTestId="overview-run-segment" segmentData={(p) => ({ start: p.start })} />
          <SeriesTable data={data} />
        </section>
        <section className="card" aria-labelledby="overview-spend-heading" data-testid="overview-spend">
          <h2 id="overview-spend-heading">Spend by confidence label</h2>
          <SpendLegend total={t.spend} />
          <TimeBarChart data={spendPoints} series={SPEND_SERIES} unit={unit} formatValue={(v) => formatUsd(v)} title={`Spend per ${unit}, stacked by cost label`} segmentTestId="overview-spend-segment" segmentData={(p) => ({ start: p.start })} />
        </section>
      </div>

      <div className="overview-tops">
        <TopList title="Top operators" items={data.top.operators} href={(id) => `/operators#operator-${id}`} testId="top-operators" />
        <TopList title="Top provider accounts" items={data.top.accounts} href={(id) => `/vault#account-${id}`} testId="top-accounts" />
        <TopList title="Top API tokens" items={data.top.tokens} href={canSeeTokens ? (id) => `/tokens#token-${id}` : null} testId="top-tokens" empty="No run was started with an API token." />
      </div>
    </div>
  );
}

function Kpi({ label, value, raw, note, testId, tone }: { label: string; value: string; raw: string | number; note: string; testId: string; tone?: 'bad' }) {
  return (
    <li className={`kpi${tone ? ` kpi-${tone}` : ''}`} data-testid={testId} data-value={raw}>
      <span className="kpi-label">{label}</span>
      <strong className="kpi-value">{value}</strong>
      <span className="kpi-note">{note}</span>
    </li>
  );
}

function TopList({ title, items, href, testId, empty = 'No runs.' }: { title: string; items: OverviewTopItemDto[]; href: ((id: string) => string) | null; testId: string; empty?: string }) {
  return (
    <section className="card top-list" aria-label={title} data-testid={testId}>
      <h2>{title}</h2>
      {items.length === 0 ? (
        <p className="muted small">{empty}</p>
      ) : (
        <table className="table top-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="num">
                Runs
              </th>
              <th scope="col" className="num">
                Failed
              </th>
              <th scope="col" className="num">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id} data-testid="top-item" data-id={i.id} data-runs={i.runs} data-micro-usd={i.costMicroUsd}>
                <th scope="row">{i.name === null ? <span className="muted">(deleted)</span> : href ? <Link to={href(i.id)}>{i.name}</Link> : i.name}</th>
                <td className="num">{formatCount(i.runs)}</td>
                <td className="num">{formatCount(i.failed)}</td>
                <td className="num">{formatUsd(i.costMicroUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The runs chart's figures as a table (screen readers, copying): only the buckets with runs. */
function SeriesTable({ data }: { data: OverviewDto }) {
  const rows = data.series.filter((p) => p.runs > 0);
  if (!rows.length) return null;
  return (
    <details className="spend-table-details">
      <summary>Show the figures as a table</summary>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{data.bucket === 'hour' ? 'Hour (UTC)' : 'Day (UTC)'}</th>
              <th scope="col" className="num">
                Runs
              </th>
              <th scope="col" className="num">
                Succeeded
              </th>
              <th scope="col" className="num">
                Failed
              </th>
              <th scope="col" className="num">
                p95 latency
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.start} data-testid="overview-bucket" data-start={p.start} data-runs={p.runs}>
                <th scope="row">{formatBucket(p.start, data.bucket)}</th>
                <td className="num">{formatCount(p.runs)}</td>
                <td className="num">{formatCount(p.succeeded)}</td>
                <td className="num">{formatCount(p.failed)}</td>
                <td className="num">{formatDuration(p.p95LatencyMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
