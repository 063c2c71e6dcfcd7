import { useEffect, useId, useState } from 'react';
import { formatUsd } from '../../lib/money.js';
import { COST_LABEL_INFO, COST_LABEL_TONE, type CostLabel } from './cost-labels.js';

/**
 * A cost's confidence label as a badge, with a tooltip that says what it means. The tooltip is the badge's
 * accessible description (aria-describedby); it opens on hover, keyboard focus or a click (touch), stays open
 * while the pointer is over it, and Escape closes it.
 */
export function CostLabelBadge({ label, testId = 'cost-label' }: { label: CostLabel; testId?: string }) {
  const tipId = useId();
  const [open, setOpen] = useState(false);
  const info = COST_LABEL_INFO[label];
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);
  return (
    <span className="cost-badge-wrap" onMouseEnter={() => setOpen(true)} onMouseLeave={() => setOpen(false)}>
      <button
        type="button"
        className={`badge badge-${COST_LABEL_TONE[label]} cost-badge`}
        data-testid={testId}
        data-label={label}
        aria-describedby={tipId}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onClick={(event) => {
          // Inside a clickable table row: explain the label, do not open the row.
          event.stopPropagation();
          setOpen((o) => !o);
        }}
      >
        {info.title}
      </button>
      <span role="tooltip" id={tipId} className="cost-tooltip" data-testid="cost-label-tooltip" hidden={!open}>
        {info.description}
      </span>
    </span>
  );
}

/**
 * An amount with its label: "$0.0164 [Estimated by Vaultrun]". An unknown amount is never shown as $0: it reads
 * "—" with the "Provider cost unavailable" badge. Without a label (the run never reached a provider) only `none`.
 */
export function CostWithLabel({
  costMicroUsd,
  costLabel,
  none = 'No cost',
  testId = 'cost',
}: {
  costMicroUsd: number | null;
  costLabel: CostLabel | null | undefined;
  none?: string;
  testId?: string;
}) {
  if (!costLabel) {
    return (
      <span className="muted" data-testid={testId} data-label="none">
        {none}
      </span>
    );
  }
  return (
    <span className="cost-with-label" data-testid={testId} data-label={costLabel} data-micro-usd={costMicroUsd ?? ''}>
      <span className="cost-amount">{formatUsd(costMicroUsd)}</span>
      <CostLabelBadge label={costLabel} />
    </span>
  );
}
