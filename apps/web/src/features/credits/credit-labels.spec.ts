import { describe, expect, it } from '@jest/globals';
import { formatMultiplier, parseMultiplier } from './credit-labels.js';

describe('the price multiplier', () => {
  it('reads as ×1.00, ×1.25, ×1.255 from permille', () => {
    expect([1000, 1250, 1255, 1200, 500, 12000].map(formatMultiplier)).toEqual(['×1.00', '×1.25', '×1.255', '×1.20', '×0.50', '×12.00']);
  });
  it('parses what a person types back to permille', () => {
    expect(['1', '1.25', '×1.2', '0.999', ' 2.5 '].map(parseMultiplier)).toEqual([1000, 1250, 1200, 999, 2500]);
    expect(['', 'x', '1.2345', '-1'].map(parseMultiplier)).toEqual([undefined, undefined, undefined, undefined]);
  });
});
