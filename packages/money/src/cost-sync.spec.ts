import { describe, expect, it } from '@jest/globals';
import { PROVIDER_ERROR_CODES } from '@vaultrun/providers';
import { closedDaysToCheck, costsMatch, costSyncErrorMessage, costSyncTolerance } from './cost-sync.js';

describe('cost sync tolerance: max($0.01, 1%)', () => {
  it('is $0.01 below $1 of provider cost, 1% (rounded up) above', () => {
    expect(costSyncTolerance(0)).toBe(10_000);
    expect(costSyncTolerance(999_999)).toBe(10_000);
    expect(costSyncTolerance(1_000_000)).toBe(10_000);
    expect(costSyncTolerance(1_000_101)).toBe(10_002);
    expect(costSyncTolerance(25_000_000)).toBe(250_000);
  });

  it('matches on the boundary and not one micro-USD past it, in both directions', () => {
    expect(costsMatch(500_000, 510_000)).toBe(true);
    expect(costsMatch(500_000, 510_001)).toBe(false);
    expect(costsMatch(500_000, 489_999)).toBe(false);
    expect(costsMatch(20_000_000, 19_800_000)).toBe(true);
    expect(costsMatch(20_000_000, 19_799_999)).toBe(false);
  });
});

describe('closedDaysToCheck', () => {
  it('is the three UTC days before today, oldest first — never today', () => {
    expect(closedDaysToCheck(new Date('2026-03-04T00:00:00Z'))).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    expect(closedDaysToCheck(new Date('2026-03-04T23:59:59.999Z'))).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    expect(closedDaysToCheck(new Date('2026-03-01T12:00:00Z'))).toEqual(['2026-02-26', '2026-02-27', '2026-02-28']);
  });

  it('leaves out days before the account existed', () => {
    expect(closedDaysToCheck(new Date('2026-03-04T10:00:00Z'), '2026-03-03')).toEqual(['2026-03-03']);
    expect(closedDaysToCheck(new Date('2026-03-04T10:00:00Z'), '2026-03-04')).toEqual([]);
  });
});

describe('cost sync failures in words', () => {
  it('says what a refused admin key and each other failure mean, never the bare code', () => {
    expect(costSyncErrorMessage('invalid_api_key')).toMatch(/^OpenAI refused the admin key/);
    expect(costSyncErrorMessage('invalid_api_key', 'anthropic')).toBe(
      'Anthropic refused the admin key — set a current Admin API key (sk-ant-admin…) of the organization this account bills to',
    );
    expect(costSyncErrorMessage('provider_unavailable', 'anthropic')).toBe("Anthropic's Admin API cost report was unavailable — the next scheduled sync tries again");
    expect(costSyncErrorMessage('admin_key_unreadable')).toMatch(/could not be decrypted/);
    for (const code of [...PROVIDER_ERROR_CODES, 'admin_key_missing', 'admin_key_unreadable', 'internal']) {
      expect({ code, message: costSyncErrorMessage(code) }).toEqual({ code, message: expect.not.stringContaining(code) });
    }
    expect(costSyncErrorMessage('something_new')).toBe('Cost sync failed');
  });
});
