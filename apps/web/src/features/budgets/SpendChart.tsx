import type { SpendGroupDto, SpendReportDto, SpendSplitDto } from '../../api/generated/types.gen.js';
import { formatUtcDay } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { TimeBarChart } from '../charts/TimeBarChart.js';
import { COST_LABEL_INFO, type CostLabel } from '../money/cost-labels.js';
import { SpendLegend } from '../money/SpendLegend.js';
import { SPEND_SERIES } from '../money/spend-series.js';

/** The labels that carry an amount; `unavailable` costs are unknown and only counted as runs. */
const STACKED = ['verified', 'estimated', 'pending_sync'] as const satisfies readonly CostLabel[];

/** Column headings of the figures table (the full title is the abbreviation's expansion). */
const SHORT: Record<CostLabel, string> = { verified: 'Verified', estimated: 'Estimated', pending_sync: 'Pending sync', unavailable: 'Unavailable' };

function amountOf(split: SpendSplitDto, label: (typeof STACKED)[number]): number {
  return split.byLabel[label].costMicroUsd;
}

/**
 * Spend per UTC day as bars stacked by cost label (the chart library: features/charts). The same figures are in a
 * table below for screen readers and copying.
 */
export function SpendChart({ report }: { report: SpendReportDto }) {
  const data = report.groups.map((g) => ({ start: `${g.key}T00:00:00.000Z`, day: g.key, ...Object.fromEntries(STACKED.map((l) => [l, amountOf(g.total, l)])) }));
  const runsOf = new Map(report.groups.map((g) => [g.key, g.total]));
  return (
    <div className="spend-chart" data-testid="spend-chart">
      <SpendLegend total={report.total} />
      <TimeBarChart
        data={data}
        series={SPEND_SERIES}
        unit="day"
        formatValue={(v) => formatUsd(v)}
        title={`Spend per day from ${formatUtcDay(report.from)} to ${formatUtcDay(report.to)}, stacked by cost label: ${formatUsd(report.total.costMicroUsd)} known over ${report.total.runs} runs`}
        segmentTestId="spend-segment"
        segmentData={(point, series) => ({
          label: series.key,
          day: String(point.day),
          'micro-usd': Number(point[series.key] ?? 0),
          runs: runsOf.get(String(point.day))?.byLabel[series.key as (typeof STACKED)[number]].runs ?? 0,
        })}
      />
      <details className="spend-table-details">
        <summary>Show the figures as a table</summary>
        <SpendDayTable days={report.groups} />
      </details>
    </div>
  );
}


function SpendDayTable({ days }: { days: SpendGroupDto[] }) {
  return (
    <div className="table-wrap">
      <table className="table spend-table">
        <thead>
          <tr>
            <th scope="col">Day (UTC)</th>
            {STACKED.map((l) => (
              <th scope="col" className="num" key={l}>
                <abbr title={COST_LABEL_INFO[l].title}>{SHORT[l]}</abbr>
              </th>
            ))}
            <th scope="col" className="num">
              <abbr title={COST_LABEL_INFO.unavailable.title}>{SHORT.unavailable}</abbr>
            </th>
            <th scope="col" className="num">
              Total known
            </th>
          </tr>
        </thead>
        <tbody>
          {days
            .filter((d) => d.total.runs > 0)
            .map((d) => (
              <tr key={d.key ?? ''}>
                <th scope="row">{formatUtcDay(d.key)}</th>
                {STACKED.map((l) => (
                  <td className="num" key={l}>
                    {formatUsd(amountOf(d.total, l))} <span className="muted small">({d.total.byLabel[l].runs})</span>
                  </td>
                ))}
                <td className="num">{d.total.byLabel.unavailable.runs} runs</td>
                <td className="num">{formatUsd(d.total.costMicroUsd)}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
