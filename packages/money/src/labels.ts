// Cost confidence labels (SPEC §5): every cost Vaultrun shows says how far it can be trusted.
import { type ModelPrice, type TokenUsage, usageCostMicroUsd } from '@vaultrun/providers';

export const COST_LABELS = ['verified', 'estimated', 'pending_sync', 'unavailable'] as const;
export type CostLabel = (typeof COST_LABELS)[number];

/** What each label means, in the words the console and the API docs use. */
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

export interface CallCost {
  /** Micro-USD; null when unknown (never a made-up zero). */
  costMicroUsd: number | null;
  label: CostLabel;
}

/**
 * What one provider call cost and how sure we are: the provider's own figure wins; then reported tokens × price
 * (pending provider sync when the account has cost sync); otherwise unavailable.
 */
export function costOfCall(
  result: { usage: TokenUsage | null; reportedCostMicroUsd: number | null },
  price: ModelPrice | null,
  costSync: boolean,
  /** Managed usage: the instance's multiplier (the price passed in already carries it; a reported cost gets it here). */
  multiplierPermille: number | null = null,
): CallCost {
  if (result.reportedCostMicroUsd !== null) {
    const m = multiplierPermille ?? 1000;
    return { costMicroUsd: m === 1000 ? result.reportedCostMicroUsd : Number((BigInt(result.reportedCostMicroUsd) * BigInt(m) + 500n) / 1000n), label: 'verified' };
  }
  if (result.usage && price) return { costMicroUsd: usageCostMicroUsd(price, result.usage), label: costSync ? 'pending_sync' : 'estimated' };
  return { costMicroUsd: null, label: 'unavailable' };
}
