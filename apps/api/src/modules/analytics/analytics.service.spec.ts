import { describe, expect, it } from '@jest/globals';
import { LATENCY_BIN_RATIO, percentilesOf } from './analytics.service.js';

const binOf = (ms: number) => Math.round(Math.log(Math.max(ms, 1)) / Math.log(LATENCY_BIN_RATIO));

/** The histogram the SQL would build from these values. */
function histogram(values: number[]) {
  const bins = new Map<number, number>();
  for (const v of values) bins.set(binOf(v), (bins.get(binOf(v)) ?? 0) + 1);
  return [...bins].map(([bin, n]) => ({ bin, n }));
}

/** percentile_disc: the smallest value with at least p of the values at or below it. */
const exact = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(p * values.length)) - 1]!;

describe('percentiles from a latency histogram', () => {
  it('is null without values', () => {
    expect(percentilesOf([])).toEqual({ p50: null, p95: null });
  });

  it('stays within 2% of the exact nearest-rank percentile', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (const spread of [50, 900, 30_000]) {
      const values = Array.from({ length: 5000 }, () => Math.round(20 + random() * random() * spread));
      const { p50, p95 } = percentilesOf(histogram(values));
      for (const [got, want] of [[p50!, exact(values, 0.5)], [p95!, exact(values, 0.95)]] as const) {
        expect(Math.abs(got - want) / want).toBeLessThanOrEqual(0.021);
      }
    }
  });

  it('reads a single value back within 2%', () => {
    const { p50, p95 } = percentilesOf(histogram([1234, 1234, 1234]));
    expect(Math.abs(p50! - 1234) / 1234).toBeLessThanOrEqual(0.02);
    expect(p95).toBe(p50);
  });
});
