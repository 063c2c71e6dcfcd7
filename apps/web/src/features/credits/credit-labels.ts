import type { CreditGrantDto, CreditsHistoryDto } from '../../api/generated/types.gen.js';
import type { BadgeTone } from '../../lib/ui.js';

/** One place for the words of credits: the Credits page, the Instance pages and the banner say the same. */
export const CREDITS_NAME = 'Vaultrun credits';

export const GRANT_KIND_LABELS: Record<CreditGrantDto['kind'], string> = { grant: 'Grant', top_up: 'Top-up' };

export const GRANT_STATUS: Record<CreditGrantDto['status'], { label: string; tone: BadgeTone }> = {
  active: { label: 'Active', tone: 'green' },
  used: { label: 'Used up', tone: 'grey' },
  expired: { label: 'Expired', tone: 'amber' },
};

export const CONSUMER_TYPE_LABELS: Record<CreditsHistoryDto['consumers'][number]['type'], string> = {
  operator: 'Operator',
  token: 'API token',
  person: 'Person',
  gateway: 'Gateway',
};

/** The instance's price multiplier in permille (1000 = ×1.00) as people read it: "×1.25". Integer arithmetic only. */
export function formatMultiplier(permille: number): string {
  const whole = Math.floor(permille / 1000);
  const fraction = String(permille % 1000).padStart(3, '0').replace(/0$/, '');
  return `×${whole}.${fraction.length < 2 ? fraction.padEnd(2, '0') : fraction}`;
}

/** "1.25" typed in a multiplier field → 1250 permille; anything else (more than 3 decimals, text) → undefined. */
export function parseMultiplier(input: string): number | undefined {
  const match = /^\s*×?\s*(\d{1,3})(?:\.(\d{0,3}))?\s*$/.exec(input);
  if (!match) return undefined;
  return Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0'));
}

/** What a run was paid with, for the runs list and the run detail. */
export function paidWithLabel(paidWith: 'credits' | 'own_key' | null | undefined, accountName: string): string {
  if (paidWith === 'credits') return CREDITS_NAME;
  return `Your key (${accountName})`;
}
