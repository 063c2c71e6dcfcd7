import type { BudgetDto } from '../../api/generated/types.gen.js';
import { formatUsd, percentOf, shareOf } from '../../lib/money.js';

/** Share of `scale` as a CSS percentage (presentation only: the money figures themselves stay integers). */
const pct = (value: number, scale: number) => `${scale > 0 ? Math.min(100, Math.max(0, (value / scale) * 100)) : 0}%`;

/**
 * Spent (solid) and held (hatched) stacked against the cap, with the soft threshold and the projected
 * end-of-period spend as markers. The track is the cap, or spend + held when a cost-sync correction pushed
 * spend past it.
 */
export function BudgetMeter({ budget }: { budget: BudgetDto }) {
  const { spentMicroUsd: spent, heldMicroUsd: held, projectedMicroUsd: projected } = budget.currentPeriod;
  const cap = budget.capMicroUsd;
  const scale = Math.max(cap, spent + held, 1);
  // The threshold as the API computes it, in integers: spent ≥ pct % of the cap.
  const softAt = shareOf(cap, budget.softThresholdPct);
  const used = percentOf(spent + held, cap);
  const projectedOver = projected !== null && projected > cap;
  const summary =
    `${formatUsd(spent)} spent and ${formatUsd(held)} held of a ${formatUsd(cap)} cap (${used}%)` +
    `; soft threshold at ${budget.softThresholdPct}%` +
    (projected !== null ? `; projected ${formatUsd(projected)} by the end of the period` : '');
  return (
    <div className="budget-meter">
      <div className="budget-track" role="img" aria-label={summary} data-testid="budget-bar" title={summary}>
        <span className="budget-fill budget-fill-spent" style={{ width: pct(spent, scale) }} data-testid="budget-bar-spent" />
        <span className="budget-fill budget-fill-held" style={{ width: pct(held, scale) }} data-testid="budget-bar-held" />
        <span className="budget-marker budget-marker-soft" style={{ left: pct(softAt, scale) }} data-testid="budget-soft-marker" />
        {projected !== null ? (
          <span
            className={`budget-marker budget-marker-projected${projectedOver ? ' budget-marker-over' : ''}`}
            style={{ left: projectedOver ? '100%' : pct(projected, scale) }}
            data-testid="budget-projected-marker"
          />
        ) : null}
        {scale > cap ? <span className="budget-marker budget-marker-cap" style={{ left: pct(cap, scale) }} /> : null}
      </div>
      <ul className="budget-legend" aria-hidden="true">
        <li>
          <span className="legend-swatch budget-swatch-spent" /> Spent
        </li>
        <li>
          <span className="legend-swatch budget-swatch-held" /> Held by runs in flight
        </li>
        <li>
          <span className="legend-tick legend-tick-soft" /> Soft threshold {budget.softThresholdPct}%
        </li>
        {projected !== null ? (
          <li>
            <span className="legend-tick legend-tick-projected" /> Projected{projectedOver ? ' (beyond the cap)' : ''}
          </li>
        ) : null}
      </ul>
    </div>
  );
}
