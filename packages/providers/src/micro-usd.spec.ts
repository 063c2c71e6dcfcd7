import { describe, expect, it } from '@jest/globals';
import { usdToMicroUsd } from './micro-usd.js';

describe('usdToMicroUsd', () => {
  it.each([
    [0, 0],
    [1, 1_000_000],
    [0.000001, 1],
    [0.0000025, 3], // 2.5 micro-USD rounds half up (float math would say 2.4999…)
    [0.0000024, 2],
    [0.0000125, 13],
    [0.00000049, 0],
    [0.0000005, 1],
    [1.23456789, 1_234_568],
    [12.5, 12_500_000],
    [2.5e-7, 0],
    [5e-7, 1],
    ['0.0042', 4200],
    [' 3 ', 3_000_000],
    ['1e-6', 1],
  ])('%p USD → %d micro-USD', (usd, micro) => {
    expect(usdToMicroUsd(usd)).toBe(micro);
  });

  it.each([[-0.01], [Number.NaN], [Number.POSITIVE_INFINITY], ['abc'], ['-1'], [null], [undefined], [{}], [1e12]])('%p → null', (value) => {
    expect(usdToMicroUsd(value)).toBeNull();
  });

  it('always returns an integer', () => {
    for (let i = 0; i < 200; i++) {
      const value = usdToMicroUsd(Math.random() / 100);
      expect(Number.isInteger(value)).toBe(true);
    }
  });
});
