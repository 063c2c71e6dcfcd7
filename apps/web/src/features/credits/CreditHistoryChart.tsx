import type { CreditsHistoryDto } from '../../api/generated/types.gen.js';
import { formatUtcDay } from '../../lib/format.js';
import { formatUsd, microOf } from '../../lib/money.js';
import { type ChartSeries, ChartLegend, TimeBarChart } from '../charts/TimeBarChart.js';

const SPENT: ChartSeries[] = [{ key: 'spent', label: 'Credits spent', className: 'chart-credit-spent' }];
const GRANTED: ChartSeries[] = [{ key: 'granted', label: 'Credits added', className: 'chart-credit-granted' }];

/**
 * Credits spent and added per UTC day (the chart library loads with this page only: features/charts). Two charts, not
 * one stacked: a grant and a day's spend do not add up to anything. The figures are in a table below as well.
 */
export function CreditHistoryChart({ days }: { days: CreditsHistoryDto['days'] }) {
  const data = days.map((d) => ({ start: `${d.day}T00:00:00.000Z`, day: d.day, spent: microOf(d.spentMicroUsd) ?? 0, granted: microOf(d.grantedMicroUsd) ?? 0 }));
  const first = days[0]?.day;
  const last = days[days.length - 1]?.day;
  const range = first && last ? ` from ${formatUtcDay(first)} to ${formatUtcDay(last)}` : '';
  return (
    <div className="credit-history" data-testid="credit-history-chart">
      <div className="credit-charts">
        <div>
          <ChartLegend series={SPENT} />
          <TimeBarChart data={data} series={SPENT} unit="day" height={180} formatValue={(v) => formatUsd(v)} title={`Credits spent per day${range}`} segmentTestId="credit-spent-segment" segmentData={(p) => ({ day: String(p.day) })} />
        </div>
        <div>
          <ChartLegend series={GRANTED} />
          <TimeBarChart data={data} series={GRANTED} unit="day" height={180} formatValue={(v) => formatUsd(v)} title={`Credits added per day${range}`} segmentTestId="credit-granted-segment" segmentData={(p) => ({ day: String(p.day) })} />
        </div>
      </div>
      <details className="credit-days-details">
        <summary>Show the figures as a table</summary>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                <th scope="col" className="num">
                  Spent
                </th>
                <th scope="col" className="num">
                  Added
                </th>
              </tr>
            </thead>
            <tbody>
              {days
                .filter((d) => microOf(d.spentMicroUsd) || microOf(d.grantedMicroUsd))
                .map((d) => (
                  <tr key={d.day} data-testid="credit-day-row" data-day={d.day}>
                    <td>{formatUtcDay(d.day)}</td>
                    <td className="num">{formatUsd(microOf(d.spentMicroUsd))}</td>
                    <td className="num">{formatUsd(microOf(d.grantedMicroUsd))}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
