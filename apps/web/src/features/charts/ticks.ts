/**
 * Round axis ticks: 0 up to the first "nice" value (1, 2, 2.5 or 5 × 10ⁿ steps) at or above the largest stacked total,
 * in about four steps — $0.10 steps rather than $0.065, whole runs rather than 0.5.
 */
export function niceTicks(max: number, integer = false): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  if (integer) step = Math.max(1, Math.ceil(step));
  const count = Math.ceil(max / step - 1e-9);
  return Array.from({ length: count + 1 }, (_, i) => Math.round(i * step * 1e6) / 1e6);
}
