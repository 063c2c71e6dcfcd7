import type { MissionDetailDto } from '../../api/generated/types.gen.js';
import { formatCount } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { SpendLegend } from '../money/SpendLegend.js';

/** What the mission cost, split by cost label (the Budgets page's legend): everything, then the latest run's steps. */
export function MissionCost({ mission }: { mission: MissionDetailDto }) {
  const steps = mission.currentRun?.cost;
  const rest = steps ? mission.cost.costMicroUsd - steps.costMicroUsd : null;
  return (
    <section className="card mission-cost" aria-labelledby="mission-cost-heading" data-testid="mission-cost" data-micro-usd={mission.cost.costMicroUsd} data-runs={mission.cost.runs}>
      <div>
        <h2 id="mission-cost-heading">Cost</h2>
        <p className="card-description">
          Everything this mission cost on your provider accounts — the Copilot’s answers and every step run — split by how far each figure can be trusted.
        </p>
      </div>
      {mission.cost.runs === 0 ? (
        <p className="muted" data-testid="mission-cost-none">
          Nothing yet: no run of this mission has reached a provider.
        </p>
      ) : (
        <div data-testid="mission-cost-total">
          <SpendLegend total={mission.cost} />
        </div>
      )}
      {steps ? (
        <p className="mission-cost-split small" data-testid="mission-cost-steps" data-micro-usd={steps.costMicroUsd} data-runs={steps.runs}>
          <span>
            Steps of the latest run: <strong>{formatUsd(steps.costMicroUsd)}</strong> known over {formatCount(steps.runs)} run{steps.runs === 1 ? '' : 's'}
            {steps.byLabel.unavailable.runs ? ` (${steps.byLabel.unavailable.runs} without a known cost)` : ''}
          </span>
          {rest !== null ? (
            <span className="muted">
              {' '}
              · the Copilot and earlier runs: {formatUsd(rest)}
            </span>
          ) : null}
        </p>
      ) : null}
    </section>
  );
}
