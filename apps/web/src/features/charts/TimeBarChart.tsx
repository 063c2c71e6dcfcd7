import { Bar, BarChart, type BarShapeProps, CartesianGrid, ResponsiveContainer, Tooltip, type TooltipContentProps, XAxis, YAxis } from 'recharts';
import './charts.css';
import { niceTicks } from './ticks.js';

/**
 * Stacked bars over time (Recharts): the Overview's runs and spend, the Budgets page's spend per day. Colours come from
 * CSS classes (so the light and dark themes apply), every drawn segment carries data attributes (tests and tools read
 * the figures from the DOM), and empty segments are not drawn. Import this only from pages that show a chart: the
 * chart library then loads with those pages and no other.
 */
export interface ChartSeries {
  key: string;
  label: string;
  /** CSS class that fills the segment and its legend swatch. */
  className: string;
}

export interface TimePoint {
  /** ISO start of the hour or day. */
  start: string;
  [series: string]: number | string | null;
}

export function TimeBarChart({
  data,
  series,
  unit,
  formatValue,
  integerValues,
  title,
  height = 220,
  segmentTestId,
  segmentData,
}: {
  data: TimePoint[];
  series: ChartSeries[];
  /** How the x axis names a bucket. */
  unit: 'hour' | 'day';
  formatValue: (value: number) => string;
  /** Counts: no fractional ticks. */
  integerValues?: boolean;
  /** The chart's accessible name (the figures are also in a table next to it). */
  title: string;
  height?: number;
  segmentTestId?: string;
  /** Extra data-* attributes of a segment. */
  segmentData?: (point: TimePoint, series: ChartSeries) => Record<string, string | number>;
}) {
  const max = data.reduce((m, point) => Math.max(m, series.reduce((sum, s) => sum + Number(point[s.key] ?? 0), 0)), 0);
  const ticks = niceTicks(max, integerValues);
  return (
    <figure className="time-chart" aria-label={title} style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} barCategoryGap="18%" accessibilityLayer>
          <CartesianGrid vertical={false} className="chart-grid" />
          <XAxis dataKey="start" tickFormatter={(v: string) => formatBucket(v, unit)} minTickGap={18} tickLine={false} className="chart-axis" interval="preserveStartEnd" />
          <YAxis
            tickFormatter={(v: number) => formatValue(v)}
            ticks={ticks}
            domain={[0, ticks[ticks.length - 1]!]}
            allowDecimals={!integerValues}
            width={64}
            tickLine={false}
            axisLine={false}
            className="chart-axis"
          />
          <Tooltip cursor={{ className: 'chart-cursor' }} content={(props) => <ChartTooltip {...props} series={series} unit={unit} formatValue={formatValue} />} />
          {series.map((s) => (
            <Bar
              key={s.key}
              dataKey={s.key}
              name={s.label}
              stackId="stack"
              isAnimationActive={false}
              shape={(props: BarShapeProps) => <Segment {...props} series={s} testId={segmentTestId} extra={segmentData} />}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

function Segment({ x, y, width, height, payload, value, series, testId, extra }: BarShapeProps & { series: ChartSeries; testId?: string; extra?: (p: TimePoint, s: ChartSeries) => Record<string, string | number> }) {
  const amount = Array.isArray(value) ? value[1] - value[0] : value;
  if (!amount || !height || height <= 0) return <g />;
  const point = payload as TimePoint;
  const data = Object.fromEntries(Object.entries(extra?.(point, series) ?? {}).map(([k, v]) => [`data-${k}`, v]));
  return <rect x={x} y={y} width={width} height={height} rx={2} className={`chart-segment ${series.className}`} data-testid={testId} data-series={series.key} data-value={amount} {...data} />;
}

function ChartTooltip({ active, payload, label, series, unit, formatValue }: TooltipContentProps & { series: ChartSeries[]; unit: 'hour' | 'day'; formatValue: (v: number) => string }) {
  if (!active || !payload?.length) return null;
  const point = payload[0]!.payload as TimePoint;
  return (
    <div className="chart-tooltip">
      <strong>{formatBucketLong(String(label ?? point.start), unit)}</strong>
      <ul>
        {series.map((s) => (
          <li key={s.key}>
            <span className={`legend-swatch ${s.className}`} aria-hidden="true" /> {s.label}: <strong>{formatValue(Number(point[s.key] ?? 0))}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The legend of a chart's series (the same colours as its segments). */
export function ChartLegend({ series }: { series: ChartSeries[] }) {
  return (
    <ul className="chart-legend">
      {series.map((s) => (
        <li key={s.key}>
          <span className={`legend-swatch ${s.className}`} aria-hidden="true" /> {s.label}
        </li>
      ))}
    </ul>
  );
}

const HOUR = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: 'UTC', hour12: false });
const DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const DAY_HOUR = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', hour12: false });

/** Axis tick: "14:00" for hours (and the date at midnight), "Dec 3" for days — UTC, like the buckets. */
export function formatBucket(iso: string, unit: 'hour' | 'day'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  if (unit === 'day') return DAY.format(d);
  return d.getUTCHours() === 0 ? DAY.format(d) : HOUR.format(d);
}

function formatBucketLong(iso: string, unit: 'hour' | 'day'): string {
  const d = new Date(iso);
  return unit === 'day' ? `${DAY.format(d)} (UTC)` : `${DAY_HOUR.format(d)} UTC`;
}
