// Money is integer micro-USD everywhere (SPEC §5). Providers report USD as JSON numbers, so the
// conversion works on the decimal text, not on float arithmetic (0.0000025 * 1e6 is 2.4999999999999996).

const DECIMAL = /^(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * A non-negative USD amount (number or numeric string) as integer micro-USD, rounded half up.
 * null for anything else: negative, NaN, infinite, non-numeric, or beyond Number.MAX_SAFE_INTEGER.
 */
export function usdToMicroUsd(usd: unknown): number | null {
  let text: string;
  if (typeof usd === 'number') {
    if (!Number.isFinite(usd) || usd < 0) return null;
    text = String(usd);
  } else if (typeof usd === 'string') {
    text = usd.trim();
  } else {
    return null;
  }
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const fraction = match[2] ?? '';
  const digits = `${match[1]}${fraction}`;
  // value = digits × 10^shift micro-USD
  const shift = Number(match[3] ?? 0) - fraction.length + 6;
  let micro: bigint;
  if (shift >= 0) {
    micro = BigInt(digits) * 10n ** BigInt(shift);
  } else {
    const keep = digits.length + shift;
    const whole = keep > 0 ? BigInt(digits.slice(0, keep)) : 0n;
    const firstDropped = keep >= 0 ? digits.charAt(keep) : '0';
    micro = whole + (firstDropped >= '5' ? 1n : 0n);
  }
  return micro <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(micro) : null;
}
