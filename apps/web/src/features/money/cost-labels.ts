import type { RunDto } from '../../api/generated/types.gen.js';

/** How far a cost can be trusted (SPEC §5). The generator drops the API's `nullable` on this enum: a run that never reached a provider has none. */
export type CostLabel = NonNullable<RunDto['costLabel']>;

export const COST_LABELS: readonly CostLabel[] = ['verified', 'estimated', 'pending_sync', 'unavailable'];

/**
 * What each label means, word for word as the API documents it. Copied from COST_LABEL_INFO in
 * packages/vault-core/src/money/labels.ts (the console bundle must not import vault-core); a unit test
 * (cost-labels.spec.ts) keeps the two in step.
 */
export const COST_LABEL_INFO: Record<CostLabel, { title: string; description: string }> = {
  verified: {
    title: 'Verified by Provider',
    description: 'The provider reported this amount itself (a per-request cost, or the day was reconciled by provider cost sync).',
  },
  estimated: {
    title: 'Estimated by Vaultrun',
    description: 'Tokens the provider reported × the price table (or this workspace’s price override).',
  },
  pending_sync: {
    title: 'Pending Provider Sync',
    description: 'Estimated; cost sync is configured for this account and the provider has not published this day yet.',
  },
  unavailable: {
    title: 'Provider cost unavailable',
    description: 'No usage was reported or no price is known for the model. Never counted as $0.',
  },
};

/** Badge tone and chart colour class of each label (styles.css: .badge-*, .cost-fill-*). */
export const COST_LABEL_TONE: Record<CostLabel, 'green' | 'blue' | 'amber' | 'grey'> = {
  verified: 'green',
  estimated: 'blue',
  pending_sync: 'amber',
  unavailable: 'grey',
};

export function isCostLabel(value: unknown): value is CostLabel {
  return typeof value === 'string' && (COST_LABELS as readonly string[]).includes(value);
}
