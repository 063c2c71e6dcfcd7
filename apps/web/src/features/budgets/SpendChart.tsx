import { useId } from 'react';
import type { SpendGroupDto, SpendReportDto, SpendSplitDto } from '../../api/generated/types.gen.js';
import { formatCount, formatUtcDay, formatUtcDayShort } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { COST_LABEL_INFO, COST_LABELS, type CostLabel } from '../money/cost-labels.js';
import { CostLabelBadge } from '../money/CostLabelBadge.js';

/** The labels that carry an amount; `unavailable` costs are unknown and only counted as runs. */
const STACKED = ['verified', 'estimated', 'pending_sync'] as const satisfies readonly CostLabel[];

/** Column headings of the figures table (the full title is the abbreviation's expansion). */
const SHORT: Record<CostLabel, string> = { verified: 'Verified', estimated: 'Estimated', pending_sync: 'Pending sync', unavailable: 'Unavailable' };

const HEIGHT = 200;
const TOP = 12;
const BOTTOM = 26;
const LEFT = 70;
const RIGHT = 8;
const SLOT = 26;
const BAR = 18;
/** A segment that holds money is never drawn thinner than this, so a tiny verified amount stays visible. */
const MIN_SEGMENT = 2;

/** A round axis top and step (1, 2 or 5 × 10^n micro-USD) with four steps covering `max`. Integers only. */
export function niceAxis(max: number): { top: number; step: number } {
  const raw = Math.max(1, Math.ceil(max / 4));
  let magnitude = 1;
  while (magnitude * 10 <= raw) magnitude *= 10;
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return { top: Math.max(step * 4, 1), step };
}

function amountOf(split: SpendSplitDto, label: (typeof STACKED)[number]): number {
  return split.byLabel[label].costMicroUsd;
}

function daySummary(group: SpendGroupDto): string {
  const t = group.total;
  const parts = STACKED.filter((l) => t.byLabel[l].runs > 0).map((l) => `${COST_LABEL_INFO[l].title}: ${formatUsd(amountOf(t, l))} (${t.byLabel[l].runs} runs)`);
  if (t.byLabel.unavailable.runs > 0) parts.push(`${COST_LABEL_INFO.unavailable.title}: ${t.byLabel.unavailable.runs} runs`);
  return `${formatUtcDay(group.key)} — ${t.runs ? `${formatUsd(t.costMicroUsd)} known` : 'no runs'}${parts.length ? `. ${parts.join('; ')}` : ''}`;
}

/**
 * Spend per UTC day as bars stacked by cost label (plain SVG: a few dozen rectangles need no chart library).
 * Each day has a tooltip; the same figures are in a table below for screen readers and copying.
 */
export function SpendChart({ report }: { report: SpendReportDto }) {
  const titleId = useId();
  const descId = useId();
  const days = report.groups;
  const max = days.reduce((m, d) => Math.max(m, d.total.costMicroUsd), 0);
  const axis = niceAxis(max);
  const plot = HEIGHT - TOP - BOTTOM;
  const width = LEFT + days.length * SLOT + RIGHT;
  const y = (micro: number) => (micro / axis.top) * plot;
  const labelEvery = days.length <= 10 ? 1 : days.length <= 31 ? 5 : 15;
  const ticks = Array.from({ length: 5 }, (_, i) => i * axis.step);

  return (
    <div className="spend-chart" data-testid="spend-chart">
      <SpendLegend total={report.total} />
      <div className="spend-chart-frame">
        <svg viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-labelledby={`${titleId} ${descId}`} className="spend-svg" preserveAspectRatio="xMinYMin meet">
          <title id={titleId}>Spend per day, stacked by cost label</title>
          <desc id={descId}>
            {`${formatUtcDay(report.from)} to ${formatUtcDay(report.to)}: ${formatUsd(report.total.costMicroUsd)} known over ${report.total.runs} runs. ` +
              STACKED.map((l) => `${COST_LABEL_INFO[l].title} ${formatUsd(amountOf(report.total, l))}`).join(', ') +
              `; ${COST_LABEL_INFO.unavailable.title}: ${report.total.byLabel.unavailable.runs} runs.`}
          </desc>
          {ticks.map((t) => (
            <g key={t} className="spend-tick">
              <line x1={LEFT} x2={width - RIGHT} y1={TOP + plot - y(t)} y2={TOP + plot - y(t)} />
              <text x={LEFT - 6} y={TOP + plot - y(t) + 4} textAnchor="end">
                {formatUsd(t)}
              </text>
            </g>
          ))}
          {days.map((day, i) => {
            const x = LEFT + i * SLOT + (SLOT - BAR) / 2;
            let stacked = 0;
            return (
              <g key={day.key ?? i} data-testid="spend-day" data-day={day.key ?? ''} data-micro-usd={day.total.costMicroUsd} className="spend-day">
                <title>{daySummary(day)}</title>
                <rect className="spend-hit" x={LEFT + i * SLOT} y={TOP} width={SLOT} height={plot} />
                {STACKED.map((label) => {
                  const amount = amountOf(day.total, label);
                  if (amount <= 0) return null;
                  const h = Math.max(MIN_SEGMENT, y(amount));
                  const top = TOP + plot - stacked - h;
                  stacked += h;
                  return (
                    <rect
                      key={label}
                      className={`spend-segment cost-fill-${label}`}
                      data-testid="spend-segment"
                      data-label={label}
                      data-day={day.key ?? ''}
                      data-micro-usd={amount}
                      data-runs={day.total.byLabel[label].runs}
                      x={x}
                      y={top}
                      width={BAR}
                      height={h}
                      rx={2}
                    />
                  );
                })}
                {day.total.byLabel.unavailable.runs > 0 ? (
                  <circle className="spend-unavailable-dot" data-testid="spend-unavailable" cx={x + BAR / 2} cy={TOP + plot + 5} r={2.5} />
                ) : null}
                {i % labelEvery === 0 || i === days.length - 1 ? (
                  <text className="spend-day-label" x={x + BAR / 2} y={HEIGHT - 6} textAnchor="middle">
                    {day.key ? formatUtcDayShort(day.key) : ''}
                  </text>
                ) : null}
              </g>
            );
          })}
          <line className="spend-baseline" x1={LEFT} x2={width - RIGHT} y1={TOP + plot} y2={TOP + plot} />
        </svg>
      </div>
      <details className="spend-table-details">
        <summary>Show the figures as a table</summary>
        <SpendDayTable days={days} />
      </details>
    </div>
  );
}

/** Totals split by label: the chart's legend, each label with its explanation. */
export function SpendLegend({ total }: { total: SpendSplitDto }) {
  return (
    <ul className="spend-legend" aria-label="Totals by cost label">
      {COST_LABELS.map((label) => {
        const part = total.byLabel[label];
        return (
          <li key={label} className="spend-legend-item" data-testid="spend-legend-item" data-label={label} data-micro-usd={part.costMicroUsd ?? ''} data-runs={part.runs}>
            <span className={`legend-swatch cost-fill-${label}`} aria-hidden="true" />
            <CostLabelBadge label={label} testId="spend-legend-label" />
            <strong className="spend-legend-amount">{label === 'unavailable' ? 'not counted' : formatUsd(part.costMicroUsd)}</strong>
            <span className="muted small">
              {formatCount(part.runs)} run{part.runs === 1 ? '' : 's'}
            </span>
          </li>
        );
      })}
      <li className="spend-legend-total" data-testid="spend-total" data-micro-usd={total.costMicroUsd} data-runs={total.runs}>
        Total known <strong>{formatUsd(total.costMicroUsd)}</strong>
        <span className="muted small">
          {' '}
          · {formatCount(total.runs)} run{total.runs === 1 ? '' : 's'}
        </span>
      </li>
    </ul>
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
