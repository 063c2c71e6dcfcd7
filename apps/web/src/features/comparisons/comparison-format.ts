import type { ComparisonSideDto } from '../../api/generated/types.gen.js';
import { formatCount, formatDuration } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';

export type SideName = 'mock' | 'live';

export const SIDE_TITLES: Record<SideName, string> = { mock: 'Mock', live: 'Live' };

const MINUS = '−';

/** "+$0.0012", "−$0.000336", "$0.00" — a difference in micro-USD, signed. */
export function formatSignedUsd(micro: number | null | undefined, empty = '—'): string {
  if (micro === null || micro === undefined) return empty;
  if (micro === 0) return formatUsd(0);
  return micro > 0 ? `+${formatUsd(micro)}` : `${MINUS}${formatUsd(-micro)}`;
}

export function formatSignedCount(n: number | null | undefined, empty = '—'): string {
  if (n === null || n === undefined) return empty;
  return n > 0 ? `+${formatCount(n)}` : n < 0 ? `${MINUS}${formatCount(-n)}` : '±0';
}

export function formatSignedDuration(ms: number | null | undefined, empty = '—'): string {
  if (ms === null || ms === undefined) return empty;
  return ms > 0 ? `+${formatDuration(ms)}` : ms < 0 ? `${MINUS}${formatDuration(-ms)}` : '±0 ms';
}

/** 0.4213 → "42%", 0.0421 → "4.2%", 0.0004 → "0.04%". */
export function formatShare(share: number | null | undefined, empty = '—'): string {
  if (share === null || share === undefined) return empty;
  const pct = share * 100;
  if (pct >= 10) return `${Math.round(pct)}%`;
  if (pct >= 1) return `${pct.toFixed(1)}%`;
  return `${Number(pct.toPrecision(2))}%`;
}

/** Account and model of a side: "Team OpenAI · gpt-4.1-mini". */
export function sideTarget(side: ComparisonSideDto): string {
  return `${side.accountName ?? (side.accountId ? `Account ${side.accountId.slice(0, 8)}` : 'Deleted account')} · ${side.model}`;
}

export function schemaText(valid: boolean | null, hasSchema: boolean): string {
  if (valid === true) return 'Matches the schema';
  if (valid === false) return 'Does not match the schema';
  return hasSchema ? 'No verdict yet' : 'Text output (no schema)';
}
