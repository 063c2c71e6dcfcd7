import type { SpendSplitDto } from '../../api/generated/types.gen.js';
import { formatCount } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { COST_LABELS } from './cost-labels.js';
import { CostLabelBadge } from './CostLabelBadge.js';

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
