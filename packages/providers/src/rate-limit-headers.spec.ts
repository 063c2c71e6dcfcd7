import { describe, expect, it } from '@jest/globals';
import { parseAnthropicRateLimitHeaders, parseRateLimitHeaders, parseResetDurationMs, parseRetryAfterMs, readHeader } from './rate-limit-headers.js';

describe('parseResetDurationMs', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['120ms', 120],
    ['0s', 0],
    ['1h2m3.5s', 3_723_500],
    ['2.5s', 2500],
    ['17.123ms', 18],
    ['500us', 1],
    ['7', 7000],
    ['0.25', 250],
  ])('%s → %d ms', (value, ms) => {
    expect(parseResetDurationMs(value)).toBe(ms);
  });

  it('reads large bare numbers as epoch times', () => {
    const now = 1_800_000_000_000;
    expect(parseResetDurationMs(String(now + 5000), now)).toBe(5000);
    expect(parseResetDurationMs(String(now / 1000 + 30), now)).toBe(30_000);
    expect(parseResetDurationMs(String(now - 5000), now)).toBe(0);
  });

  it.each([[''], ['soon'], ['1x'], ['s'], ['1s garbage'], ['-1s'], [null], [undefined]])('rejects %p', (value) => {
    expect(parseResetDurationMs(value)).toBeNull();
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.UTC(2026, 10, 23, 12, 0, 0);

  it('prefers retry-after-ms, then retry-after seconds', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), { now })).toBe(250);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '2' }), { now })).toBe(2000);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '0.5' }), { now })).toBe(500);
  });

  it('reads an HTTP date', () => {
    const in20s = new Date(now + 20_000).toUTCString();
    expect(parseRetryAfterMs(new Headers({ 'retry-after': in20s }), { now })).toBe(20_000);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': new Date(now - 60_000).toUTCString() }), { now })).toBe(0);
  });

  it('uses x-ratelimit-reset-* only when asked, preferring the exhausted window', () => {
    const headers = new Headers({
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '2s',
      'x-ratelimit-remaining-tokens': '5000',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(parseRetryAfterMs(headers, { now })).toBeNull();
    expect(parseRetryAfterMs(headers, { now, includeRateLimitResets: true })).toBe(2000);
    const neitherExhausted = new Headers({ 'x-ratelimit-reset-requests': '2s', 'x-ratelimit-reset-tokens': '150ms' });
    expect(parseRetryAfterMs(neitherExhausted, { now, includeRateLimitResets: true })).toBe(2000);
  });

  it('ignores unreadable values and missing headers', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after': 'later' }), { now })).toBeNull();
    expect(parseRetryAfterMs(new Headers({ 'retry-after-ms': '-5' }), { now })).toBeNull();
    expect(parseRetryAfterMs(null)).toBeNull();
  });

  it('accepts plain header objects (node:http)', () => {
    expect(parseRetryAfterMs({ 'Retry-After': '4' }, { now })).toBe(4000);
    expect(readHeader({ 'x-a': ['1', '2'] }, 'X-A')).toBe('1, 2');
  });
});

describe('parseRateLimitHeaders', () => {
  it('reads both windows', () => {
    const at = new Date('2026-11-23T12:00:00.000Z');
    const snapshot = parseRateLimitHeaders(
      new Headers({
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '499',
        'x-ratelimit-reset-requests': '120ms',
        'x-ratelimit-limit-tokens': '30000',
        'x-ratelimit-remaining-tokens': '29950',
        'x-ratelimit-reset-tokens': '6m0s',
      }),
      at,
    );
    expect(snapshot).toEqual({
      requests: { limit: 500, remaining: 499, resetMs: 120 },
      tokens: { limit: 30_000, remaining: 29_950, resetMs: 360_000 },
      observedAt: '2026-11-23T12:00:00.000Z',
    });
  });

  it('keeps a window partly known and drops an absent one', () => {
    const snapshot = parseRateLimitHeaders(new Headers({ 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': 'n/a' }));
    expect(snapshot?.requests).toEqual({ limit: 60, remaining: null, resetMs: null });
    expect(snapshot?.tokens).toBeNull();
  });

  it('is null without any rate-limit header', () => {
    expect(parseRateLimitHeaders(new Headers({ 'content-type': 'application/json' }))).toBeNull();
  });
});

describe('parseAnthropicRateLimitHeaders', () => {
  const observedAt = new Date('2026-12-01T10:00:00.000Z');

  it('reads the requests and tokens windows, resets as RFC 3339 times', () => {
    const snapshot = parseAnthropicRateLimitHeaders(
      {
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': '2026-12-01T10:00:01Z',
        'anthropic-ratelimit-tokens-limit': '30000',
        'anthropic-ratelimit-tokens-remaining': '29000',
        'anthropic-ratelimit-tokens-reset': '2026-12-01T10:00:12.5Z',
        'anthropic-ratelimit-input-tokens-limit': '20000',
      },
      observedAt,
    );
    expect(snapshot).toEqual({
      requests: { limit: 50, remaining: 49, resetMs: 1000 },
      tokens: { limit: 30000, remaining: 29000, resetMs: 12_500 },
      observedAt: observedAt.toISOString(),
    });
  });

  it('falls back to the input-token window, and is null without any header', () => {
    const snapshot = parseAnthropicRateLimitHeaders({ 'anthropic-ratelimit-input-tokens-limit': '20000', 'anthropic-ratelimit-input-tokens-remaining': '0' }, observedAt);
    expect(snapshot?.tokens).toEqual({ limit: 20000, remaining: 0, resetMs: null });
    expect(snapshot?.requests).toBeNull();
    expect(parseAnthropicRateLimitHeaders({ 'x-ratelimit-limit-requests': '5' }, observedAt)).toBeNull();
  });
});
