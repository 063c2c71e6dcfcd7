import { describe, expect, it } from '@jest/globals';
import { dollarsToMicroUsdString, microOf } from './money.js';

describe('dollarsToMicroUsdString', () => {
  it('converts digit by digit, never through a float', () => {
    expect(dollarsToMicroUsdString('4.35')).toBe('4350000');
    expect(dollarsToMicroUsdString('$1,250.5')).toBe('1250500000');
    expect(dollarsToMicroUsdString('0.000001')).toBe('1');
    expect(dollarsToMicroUsdString('123456789012.123456')).toBe('123456789012123456');
  });
  it('answers null for nothing typed and undefined for what is not a positive amount', () => {
    expect(dollarsToMicroUsdString('  ')).toBeNull();
    for (const bad of ['0', '0.00', '-1', '1.0000001', 'ten', '.', '1e3']) expect(dollarsToMicroUsdString(bad)).toBeUndefined();
  });
});

describe('microOf', () => {
  it('reads the API micro-USD strings', () => {
    expect(microOf('5000000')).toBe(5_000_000);
    expect(microOf(null)).toBeNull();
  });
});
