/**
 * Money crosses the API as integer micro-USD (JSON integers, 50000 = $0.05), never as dollars in a float.
 * These conversions work on the decimal digits with BigInt, so no binary rounding can creep in.
 */

const MICRO = 6;
const MILLION = 1_000_000n;

/**
 * What a person typed in dollars, as micro-USD: "0.05" → 50000; "$1" → 1000000; "1,250.5" → 1250500000;
 * '' → null; anything else (more than 6 decimals, negative, text, beyond 2^53 − 1) → undefined.
 */
export function dollarsToMicroUsd(input: string): number | null | undefined {
  const text = input.trim().replace(/^\$/, '').replace(/,/g, '');
  if (text === '') return null;
  const match = /^(\d{0,10})(?:\.(\d{0,6}))?$/.exec(text);
  if (!match || (match[1] === '' && !match[2])) return undefined;
  const whole = match[1] || '0';
  const fraction = (match[2] ?? '').padEnd(MICRO, '0');
  const micro = BigInt(whole) * MILLION + BigInt(fraction);
  return micro > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(micro);
}

function digitsOf(micro: number): { negative: boolean; whole: bigint; micros: string } {
  // Math.round only guards against a non-integer slipping in; integers pass through unchanged.
  const value = BigInt(Math.round(micro));
  const negative = value < 0n;
  const abs = negative ? -value : value;
  return { negative, whole: abs / MILLION, micros: (abs % MILLION).toString().padStart(MICRO, '0') };
}

/** For form inputs: 50000 → "0.05"; 1234567 → "1.234567"; keeps at least two decimals. */
export function microUsdToDollars(micro: number): string {
  const { negative, whole, micros } = digitsOf(micro);
  const fraction = micros.replace(/0+$/, '').padEnd(2, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/**
 * "$1,234.50", "$0.05", "$0.0164", "$0.000123" — the rules of the API's formatUsd (packages/providers):
 * at least two decimals, up to six, trailing zeros beyond the cents dropped; grouped thousands.
 * null/undefined (an unknown cost — never a made-up $0) → the `empty` text.
 */
export function formatUsd(micro: number | null | undefined, empty = '—'): string {
  if (micro === null || micro === undefined || !Number.isFinite(micro)) return empty;
  const { negative, whole, micros } = digitsOf(micro);
  const trimmed = micros.replace(/0{1,4}$/, '');
  const fraction = trimmed.length >= 2 ? trimmed : micros.slice(0, 2);
  return `${negative ? '-' : ''}$${whole.toLocaleString('en-US')}.${fraction}`;
}

/** Whole cents for chart axes and compact figures: 1234567 → "$1.23" (truncated, never rounded up). */
export function formatUsdCents(micro: number): string {
  const { negative, whole, micros } = digitsOf(micro);
  return `${negative ? '-' : ''}$${whole.toLocaleString('en-US')}.${micros.slice(0, 2)}`;
}

/** A price per 1M tokens ("$2.50 / 1M"). */
export function formatPerMillion(microPerM: number): string {
  return `${formatUsd(microPerM)} / 1M`;
}

/** Integer percentage of `part` in `whole` (0 when whole is 0), computed in integers. */
export function percentOf(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Number((BigInt(Math.max(0, Math.round(part))) * 100n) / BigInt(Math.round(whole)));
}

/** `pct` % of an amount, rounded up to the micro-USD (the first amount that reaches the share), in integers. */
export function shareOf(micro: number, pct: number): number {
  return Number((BigInt(Math.round(micro)) * BigInt(Math.round(pct)) + 99n) / 100n);
}

/**
 * What a person typed in dollars, as the API's micro-USD string for amounts that may pass 2^53 (credit grants):
 * "12.34" → "12340000"; '' → null; anything else (more than 6 decimals, negative, text, zero) → undefined.
 * Digits only, through BigInt: "0.1" is exactly 100000, never 100000.00000000001.
 */
export function dollarsToMicroUsdString(input: string): string | null | undefined {
  const text = input.trim().replace(/^\$/, '').replace(/,/g, '');
  if (text === '') return null;
  const match = /^(\d{0,12})(?:\.(\d{0,6}))?$/.exec(text);
  if (!match || (match[1] === '' && !match[2])) return undefined;
  const micro = BigInt(match[1] || '0') * MILLION + BigInt((match[2] ?? '').padEnd(MICRO, '0'));
  return micro > 0n ? micro.toString() : undefined;
}

/** A micro-USD string from the API ("1250000") as the number the formatters take; null stays null. */
export function microOf(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
