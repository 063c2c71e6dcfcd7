import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { countTokens, truncateToTokens } from './tokens.js';

describe('truncateToTokens', () => {
  it('never leaves more tokens than allowed, and keeps text that already fits', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.lorem({ maxCount: 60 })), fc.integer({ min: 0, max: 80 }), (text, max) => {
        const { text: cut, truncated } = truncateToTokens(text, max);
        expect(countTokens(cut)).toBeLessThanOrEqual(max);
        expect(truncated).toBe(countTokens(text) > max);
        if (!truncated) expect(cut).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
