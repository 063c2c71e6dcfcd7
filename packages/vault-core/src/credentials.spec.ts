import { describe, expect, it } from '@jest/globals';
import { constantTimeEqual, generateApiToken, randomSecret, sha256Hex } from './credentials.js';

describe('credentials', () => {
  it('makes vr_ tokens with 256 random bits, a visible prefix and a hash', () => {
    const { token, prefix, hash } = generateApiToken();
    expect(token).toMatch(/^vr_[A-Za-z0-9_-]{43}$/);
    expect(token.startsWith(prefix)).toBe(true);
    expect(prefix).toHaveLength(11);
    expect(hash).toBe(sha256Hex(token));
    expect(hash).not.toContain(token.slice(3));
  });

  it('never repeats a token in a large sample', () => {
    const seen = new Set(Array.from({ length: 20_000 }, () => generateApiToken().token));
    expect(seen.size).toBe(20_000);
  });

  it('compares secrets in constant time and correctly', () => {
    const s = randomSecret();
    expect(constantTimeEqual(s, s)).toBe(true);
    expect(constantTimeEqual(s, `${s}x`)).toBe(false);
    expect(constantTimeEqual(s, s.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')))).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
