// Reading what a provider says about its limits and when to come back: x-ratelimit-* and retry-after.
import type { RateLimitSnapshot, RateLimitWindow } from './provider.js';

/** Fetch `Headers`, or a plain object such as node:http's IncomingHttpHeaders. */
export type HeaderSource = Headers | Record<string, string | string[] | number | undefined> | null | undefined;

export function readHeader(headers: HeaderSource, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value.join(', ') : String(value);
  }
  return null;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/**
 * A reset duration as OpenAI writes it in x-ratelimit-reset-*: Go-style "1s", "6m0s", "120ms",
 * "1h2m3.5s". A bare number is read as seconds, or as an epoch time when it is that large (some
 * OpenAI-compatible gateways send one); `now` turns an epoch into a duration. Returns whole
 * milliseconds (rounded up, so a caller never comes back early), or null when unreadable.
 */
export function parseResetDurationMs(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (text === '') return null;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    if (n >= 1e12) return Math.max(0, Math.ceil(n - now)); // epoch milliseconds
    if (n >= 1e9) return Math.max(0, Math.ceil(n * 1000 - now)); // epoch seconds
    return Math.ceil(n * 1000);
  }
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(DURATION_PART)) {
    if (match.index !== consumed) return null;
    total += Number(match[1]) * UNIT_MS[match[2]];
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== text.length) return null;
  return Math.ceil(total);
}

function parseCount(value: string | null): number | null {
  if (value === null) return null;
  const n = Number(value.trim());
  return value.trim() !== '' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : null;
}

function readWindow(headers: HeaderSource, unit: 'requests' | 'tokens', now: number): RateLimitWindow | null {
  const window: RateLimitWindow = {
    limit: parseCount(readHeader(headers, `x-ratelimit-limit-${unit}`)),
    remaining: parseCount(readHeader(headers, `x-ratelimit-remaining-${unit}`)),
    resetMs: parseResetDurationMs(readHeader(headers, `x-ratelimit-reset-${unit}`), now),
  };
  return window.limit === null && window.remaining === null && window.resetMs === null ? null : window;
}

/** The x-ratelimit-{limit,remaining,reset}-{requests,tokens} headers, or null when there are none. */
export function parseRateLimitHeaders(headers: HeaderSource, observedAt: Date = new Date()): RateLimitSnapshot | null {
  const now = observedAt.getTime();
  const requests = readWindow(headers, 'requests', now);
  const tokens = readWindow(headers, 'tokens', now);
  if (!requests && !tokens) return null;
  return { requests, tokens, observedAt: observedAt.toISOString() };
}

/**
 * How long the provider asked us to wait: `retry-after-ms` (milliseconds), then `retry-after`
 * (seconds or an HTTP date). With `includeRateLimitResets` (for a 429 rate limit) and neither
 * header present, falls back to the x-ratelimit-reset-* window that is exhausted (remaining 0), or
 * the later of the two resets when the provider did not say which one ran out.
 */
export function parseRetryAfterMs(
  headers: HeaderSource,
  options: { includeRateLimitResets?: boolean; now?: number } = {},
): number | null {
  const now = options.now ?? Date.now();
  const ms = readHeader(headers, 'retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const n = Number(ms.trim());
    if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  }
  const after = readHeader(headers, 'retry-after');
  if (after !== null && after.trim() !== '') {
    const text = after.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
    const date = Date.parse(text);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  if (!options.includeRateLimitResets) return null;
  const snapshot = parseRateLimitHeaders(headers, new Date(now));
  if (!snapshot) return null;
  const windows = [snapshot.requests, snapshot.tokens].filter((w): w is RateLimitWindow => w !== null && w.resetMs !== null);
  const exhausted = windows.filter((w) => w.remaining === 0);
  const candidates = (exhausted.length > 0 ? exhausted : windows).map((w) => w.resetMs as number);
  return candidates.length > 0 ? Math.max(...candidates) : null;
}

/** A reset as Anthropic writes it (an RFC 3339 time), or any form parseResetDurationMs reads; ms from `now`. */
function parseResetTimeMs(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const at = Date.parse(text);
    return Number.isNaN(at) ? null : Math.max(0, Math.ceil(at - now));
  }
  return parseResetDurationMs(text, now);
}

function readAnthropicWindow(headers: HeaderSource, name: string, now: number): RateLimitWindow | null {
  const window: RateLimitWindow = {
    limit: parseCount(readHeader(headers, `anthropic-ratelimit-${name}-limit`)),
    remaining: parseCount(readHeader(headers, `anthropic-ratelimit-${name}-remaining`)),
    resetMs: parseResetTimeMs(readHeader(headers, `anthropic-ratelimit-${name}-reset`), now),
  };
  return window.limit === null && window.remaining === null && window.resetMs === null ? null : window;
}

/**
 * Anthropic's `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` headers (resets are RFC 3339 times), or
 * null when there are none. `tokens` is Anthropic's most restrictive token limit in effect; without it, the input
 * token limit (`anthropic-ratelimit-input-tokens-*`), which is what a configured tokens/min compares with best.
 */
export function parseAnthropicRateLimitHeaders(headers: HeaderSource, observedAt: Date = new Date()): RateLimitSnapshot | null {
  const now = observedAt.getTime();
  const requests = readAnthropicWindow(headers, 'requests', now);
  const tokens = readAnthropicWindow(headers, 'tokens', now) ?? readAnthropicWindow(headers, 'input-tokens', now);
  if (!requests && !tokens) return null;
  return { requests, tokens, observedAt: observedAt.toISOString() };
}
