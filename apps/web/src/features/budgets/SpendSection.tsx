import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { getSpendOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { GetSpendData, SpendReportDto } from '../../api/generated/types.gen.js';
import { formatCount, formatUtcDay, utcDayString } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { EmptyState, Loading, ProblemAlert } from '../../lib/ui.js';
import { COST_LABEL_INFO } from '../money/cost-labels.js';
import { SpendChart } from './SpendChart.js';

type GroupBy = Exclude<NonNullable<NonNullable<GetSpendData['query']>['groupBy']>, 'day'>;

const RANGES = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
];

const GROUPINGS: { value: GroupBy; label: string; column: string; none: string }[] = [
  { value: 'account', label: 'Provider account', column: 'Account', none: 'No account' },
  { value: 'operator', label: 'Operator', column: 'Operator', none: 'No operator' },
  { value: 'model', label: 'Model', column: 'Model', none: 'No model' },
  { value: 'token', label: 'API token', column: 'API token', none: 'Not started by a token' },
  { value: 'payer', label: 'Who pays', column: 'Paid with', none: 'Your keys' },
];

/** Spend over a range of UTC days: the chart stacked by label, then the same range grouped by a chosen dimension. */
export function SpendSection() {
  const [days, setDays] = useState(30);
  const [groupBy, setGroupBy] = useState<GroupBy>('account');
  // UTC days, like the API's periods; `to` is today (its runs so far).
  const range = { from: utcDayString(-(days - 1)), to: utcDayString() };
  const byDay = useQuery({ ...getSpendOptions({ query: { ...range, groupBy: 'day' } }), placeholderData: keepPreviousData });
  const grouped = useQuery({ ...getSpendOptions({ query: { ...range, groupBy } }), placeholderData: keepPreviousData });

  return (
    <section className="card spend-card" aria-labelledby="spend-heading" data-testid="spend-section">
      <div className="section-heading section-heading-spread money-head">
        <div>
          <h2 id="spend-heading">Spend</h2>
          <p className="card-description">
            What runs cost, by the UTC day they finished, split by how far each figure can be trusted. Runs refused before a provider call cost nothing and are not
            counted.
          </p>
        </div>
        <label className="filter-select">
          <span className="filter-label">Range</span>
          <select data-testid="spend-range" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {RANGES.map((r) => (
              <option key={r.days} value={r.days}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>

      {byDay.isPending ? <Loading /> : byDay.isError ? <ProblemAlert error={byDay.error} /> : <SpendChart report={byDay.data} />}

      <div className="section-heading section-heading-spread spend-breakdown-head">
        <h3 id="spend-breakdown-heading">Breakdown</h3>
        <label className="filter-select">
          <span className="filter-label">Group by</span>
          <select data-testid="spend-group-by" value={groupBy} onChange={(e) => setGroupBy(e.target.value as GroupBy)}>
            {GROUPINGS.map((g) => (
              <option key={g.value} value={g.value}>
                {g.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {grouped.isPending ? (
        <Loading />
      ) : grouped.isError ? (
        <ProblemAlert error={grouped.error} />
      ) : (
        <SpendBreakdown report={grouped.data} grouping={GROUPINGS.find((g) => g.value === grouped.data.groupBy) ?? GROUPINGS[0]!} />
      )}
    </section>
  );
}

function SpendBreakdown({ report, grouping }: { report: SpendReportDto; grouping: (typeof GROUPINGS)[number] }) {
  if (report.groups.length === 0) {
    return <EmptyState>No runs reached a provider between {formatUtcDay(report.from)} and {formatUtcDay(report.to)}.</EmptyState>;
  }
  return (
    <div className="table-wrap">
      <table className="table spend-table" aria-labelledby="spend-breakdown-heading" data-testid="spend-breakdown" data-group-by={report.groupBy}>
        <thead>
          <tr>
            <th scope="col">{grouping.column}</th>
            <th scope="col" className="num">
              Runs
            </th>
            <th scope="col" className="num">
              Total known
            </th>
            <th scope="col" className="num">
              <abbr title={COST_LABEL_INFO.verified.title}>Verified</abbr>
            </th>
            <th scope="col" className="num">
              <abbr title={COST_LABEL_INFO.estimated.title}>Estimated</abbr>
            </th>
            <th scope="col" className="num">
              <abbr title={COST_LABEL_INFO.pending_sync.title}>Pending sync</abbr>
            </th>
            <th scope="col" className="num">
              <abbr title={COST_LABEL_INFO.unavailable.title}>Unavailable</abbr>
            </th>
          </tr>
        </thead>
        <tbody>
          {report.groups.map((g) => (
            <tr key={g.key ?? 'none'} data-testid="spend-row" data-key={g.key ?? ''} data-micro-usd={g.total.costMicroUsd}>
              <th scope="row">{report.groupBy === 'model' ? <code className="mono">{g.name ?? g.key}</code> : (g.name ?? (g.key ? <span className="muted">(deleted {grouping.column.toLowerCase()})</span> : <span className="muted">{grouping.none}</span>))}</th>
              <td className="num">{formatCount(g.total.runs)}</td>
              <td className="num cell-strong">{formatUsd(g.total.costMicroUsd)}</td>
              <td className="num">{formatUsd(g.total.byLabel.verified.costMicroUsd)}</td>
              <td className="num">{formatUsd(g.total.byLabel.estimated.costMicroUsd)}</td>
              <td className="num">{formatUsd(g.total.byLabel.pending_sync.costMicroUsd)}</td>
              <td className="num">{g.total.byLabel.unavailable.runs ? `${formatCount(g.total.byLabel.unavailable.runs)} runs` : '—'}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td className="num">{formatCount(report.total.runs)}</td>
            <td className="num cell-strong">{formatUsd(report.total.costMicroUsd)}</td>
            <td className="num">{formatUsd(report.total.byLabel.verified.costMicroUsd)}</td>
            <td className="num">{formatUsd(report.total.byLabel.estimated.costMicroUsd)}</td>
            <td className="num">{formatUsd(report.total.byLabel.pending_sync.costMicroUsd)}</td>
            <td className="num">{report.total.byLabel.unavailable.runs ? `${formatCount(report.total.byLabel.unavailable.runs)} runs` : '—'}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
