import { describe, expect, it } from '@jest/globals';
import { niceTicks } from './ticks.js';

describe('chart axis ticks', () => {
  it('steps by 1, 2, 2.5 or 5 × 10ⁿ up to the first tick at or above the maximum', () => {
    expect(niceTicks(260_000)).toEqual([0, 100_000, 200_000, 300_000]);
    expect(niceTicks(4)).toEqual([0, 1, 2, 3, 4]);
    expect(niceTicks(1_000_000)).toEqual([0, 250_000, 500_000, 750_000, 1_000_000]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
  });

  it('keeps counts whole and has an axis without data', () => {
    expect(niceTicks(3, true)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });
});
