import type { ComparisonDto, ComparisonSideDto } from '../../api/generated/types.gen.js';
import { formatCount } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { CostLabelBadge } from '../money/CostLabelBadge.js';
import { isFinal } from '../runs/run-labels.js';
import { formatShare, formatSignedUsd, SIDE_TITLES, type SideName, sideTarget } from './comparison-format.js';

/**
 * The point of a comparison: before each call Vaultrun holds a worst case (every prompt token it counts, plus a
 * margin on a live provider, and every output token the operator allows, priced); after the call it is charged
 * what the provider's usage cost. This shows, per side, how much of the worst case the call really cost.
 */
export function EstimateCheck({ comparison }: { comparison: ComparisonDto }) {
  return (
    <section className="card cmp-estimate" aria-labelledby="cmp-estimate-heading" data-testid="estimate-check">
      <div className="section-heading section-heading-spread">
        <h2 id="cmp-estimate-heading">Estimate check</h2>
        <span className="muted small">worst case held before the call → what the call was charged</span>
      </div>
      <div className="cmp-estimate-rows">
        <EstimateRow name="mock" side={comparison.mock} />
        <EstimateRow name="live" side={comparison.live} />
      </div>
      <p className="cmp-estimate-note">
        The worst case is what budgets hold while the call runs: the prompt tokens Vaultrun counts (on a live provider plus 10% and 16 tokens, since its
        tokenizer may differ) at the input price, plus every output token the operator allows at the output price. The charge is what the provider’s
        reported usage cost — or the amount it reported itself. A small share means the guardrail held far more than the call needed.
      </p>
    </section>
  );
}

function EstimateRow({ name, side }: { name: SideName; side: ComparisonSideDto }) {
  const e = side.estimate;
  const share = e.chargedShareOfWorstCase;
  const width = share === null ? 0 : Math.max(share > 0 ? 1 : 0, Math.min(100, share * 100));
  const over = share !== null && share > 1;
  return (
    <div
      className="cmp-estimate-row"
      data-testid={`estimate-${name}`}
      data-worst-case={e.worstCaseMicroUsd ?? ''}
      data-charged={e.chargedMicroUsd ?? ''}
      data-difference={e.differenceMicroUsd ?? ''}
      data-share={share ?? ''}
      data-label={e.chargedLabel ?? 'none'}
    >
      <div className="cmp-estimate-who">
        <span className={`cmp-side-tag cmp-side-tag-${name}`}>{SIDE_TITLES[name]}</span>
        <span className="cmp-estimate-target">{sideTarget(side)}</span>
      </div>
      <div className="cmp-estimate-figure">
        <strong className={over ? 'cmp-share cmp-share-over' : 'cmp-share'} data-testid={`estimate-${name}-share`}>
          {share === null ? '—' : formatShare(share)}
        </strong>
        <span className="muted small">{share === null ? pendingText(side) : over ? 'of the worst case — more than was held' : 'of the worst case was charged'}</span>
      </div>
      <div className="cmp-estimate-bar" aria-hidden="true">
        <span className={`cmp-estimate-fill cmp-estimate-fill-${e.chargedLabel ?? 'none'}`} style={{ width: `${width}%` }} />
      </div>
      <dl className="cmp-estimate-facts">
        <div>
          <dt>Worst case held</dt>
          <dd data-testid={`estimate-${name}-worst-case`}>{e.worstCaseMicroUsd === null ? <span className="muted">{worstCasePending(side)}</span> : formatUsd(e.worstCaseMicroUsd)}</dd>
        </div>
        <div>
          <dt>Charged</dt>
          <dd>
            <span data-testid={`estimate-${name}-charged`}>{e.chargedMicroUsd === null ? <span className="muted">{chargedPending(side)}</span> : formatUsd(e.chargedMicroUsd)}</span>
            {e.chargedLabel ? <CostLabelBadge label={e.chargedLabel} testId={`estimate-${name}-label`} /> : null}
          </dd>
        </div>
        <div>
          <dt>Difference</dt>
          <dd data-testid={`estimate-${name}-difference`}>{formatSignedUsd(e.differenceMicroUsd)}</dd>
        </div>
        <div>
          <dt>Prompt tokens</dt>
          <dd>
            {formatCount(e.promptTokensEstimated)} counted
            {e.promptTokensHeld !== null && e.promptTokensHeld !== e.promptTokensEstimated ? ` · ${formatCount(e.promptTokensHeld)} held` : ''}
            {' · '}
            {e.promptTokensReported === null ? <span className="muted">reported after the call</span> : `${formatCount(e.promptTokensReported)} reported`}
          </dd>
        </div>
        <div>
          <dt>Output tokens</dt>
          <dd>
            up to {formatCount(e.maxOutputTokens)} allowed · {side.usage ? `${formatCount(side.usage.outputTokens)} used` : <span className="muted">used after the call</span>}
          </dd>
        </div>
      </dl>
    </div>
  );
}

function pendingText(side: ComparisonSideDto): string {
  if (!isFinal(side.status)) return 'known when the call ends';
  return 'cannot be computed for this run';
}

function worstCasePending(side: ComparisonSideDto): string {
  return isFinal(side.status) || side.status === 'running' ? 'No price known for this model' : 'When a worker picks it up';
}

function chargedPending(side: ComparisonSideDto): string {
  if (!isFinal(side.status)) return 'After the provider answers';
  if (side.costLabel === 'unavailable') return 'Unknown';
  return 'Nothing: the provider charged no call';
}
