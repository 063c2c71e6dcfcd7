// OpenAI's organization Costs API (GET /v1/organization/costs), read with an admin key through the official SDK.
// Cost sync compares what the provider billed per UTC day with what Vaultrun recorded.
import { OpenAI } from 'openai';
import { normalizeBaseUrl } from '../base-url.js';
import { classifyProviderError, ProviderError } from '../errors.js';
import { usdToMicroUsd } from '../micro-usd.js';
import { guardedFetch, PUBLIC_ONLY, type OutboundPolicy } from '../outbound.js';
import { OPENAI_DEFAULT_BASE_URL } from './openai-provider.js';

const DAY_SECONDS = 86_400;
/** The Costs API returns at most 180 buckets per page. */
const MAX_PAGE_SIZE = 180;
/** A runaway cursor (a provider that always says has_more) stops here. */
const MAX_PAGES = 100;

export interface OpenAiCostsQuery {
  /** The organization admin key (sk-admin-…). Only sent as the Authorization header; never kept or echoed. */
  adminKey: string;
  /** The account's base URL (default https://api.openai.com/v1). */
  baseUrl?: string | null;
  /** First UTC day, inclusive (YYYY-MM-DD). */
  fromDay: string;
  /** Last UTC day, exclusive (YYYY-MM-DD): buckets at or after it are ignored even if the provider sends them. */
  toDay: string;
  /** Buckets per page (the `limit` parameter); default: the number of days asked for. */
  pageSize?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Which addresses the base URL may reach; default: public addresses only. */
  outbound?: OutboundPolicy;
}

export interface OpenAiDailyCosts {
  /** Micro-USD per UTC day that had a bucket in the answer. A day without a bucket is absent (not published yet). */
  days: Map<string, number>;
  /** Pages requested (each one HTTP request). */
  pages: number;
}

export const utcDayStartSeconds = (day: string): number => Date.parse(`${day}T00:00:00Z`) / 1000;
export const utcDayOf = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().slice(0, 10);

/** A signed USD amount (credits can be negative) as integer micro-USD; null when it is not a number. */
function signedMicroUsd(value: unknown): number | null {
  if (typeof value === 'number' && value < 0) {
    const abs = usdToMicroUsd(-value);
    return abs === null ? null : -abs;
  }
  if (typeof value === 'string' && value.trim().startsWith('-')) {
    const abs = usdToMicroUsd(value.trim().slice(1));
    return abs === null ? null : -abs;
  }
  return usdToMicroUsd(value);
}

interface CostsPage {
  data?: { start_time?: unknown; results?: { amount?: { value?: unknown; currency?: unknown } | null }[] | null }[];
  has_more?: unknown;
  next_page?: unknown;
}

/**
 * The organization's billed cost per UTC day in [fromDay, toDay), summed over every result of each daily bucket
 * (each converted to integer micro-USD on its own: no float sums), following `next_page` until `has_more` is false.
 * Every failure leaves as a classified ProviderError (401 → invalid_api_key, 5xx/timeouts → provider_unavailable);
 * an answer that is not a cost page is `invalid_output`. Nothing of the key or the provider's messages is kept.
 */
export async function fetchOpenAiDailyCosts(query: OpenAiCostsQuery): Promise<OpenAiDailyCosts> {
  const startTime = utcDayStartSeconds(query.fromDay);
  const endTime = utcDayStartSeconds(query.toDay);
  if (!Number.isFinite(startTime) || !Number.isFinite(endTime) || endTime <= startTime) throw new TypeError('fromDay must be a UTC day before toDay');
  const dayCount = Math.round((endTime - startTime) / DAY_SECONDS);
  const limit = Math.max(1, Math.min(MAX_PAGE_SIZE, query.pageSize ?? dayCount));

  let client: OpenAI;
  try {
    client = new OpenAI({
      // Admin endpoints authenticate with the admin key alone; explicit nulls keep OPENAI_* variables out of it.
      apiKey: null,
      adminAPIKey: query.adminKey,
      baseURL: query.baseUrl ? normalizeBaseUrl(query.baseUrl) : OPENAI_DEFAULT_BASE_URL,
      organization: null,
      project: null,
      webhookSecret: null,
      timeout: query.timeoutMs ?? 30_000,
      // A read: one quick retry of a 5xx or a dropped connection is harmless; the schedule retries the rest.
      maxRetries: 1,
      logLevel: 'off',
      // The admin key goes through the same outbound guard as every provider call.
      fetch: (input, init) => guardedFetch(query.outbound ?? PUBLIC_ONLY, input, init),
    });
  } catch (err) {
    throw classifyProviderError(err, { requestSent: false });
  }

  const days = new Map<string, number>();
  let page: string | undefined;
  let pages = 0;
  for (;;) {
    if (pages >= MAX_PAGES) throw new ProviderError('invalid_output');
    let answer: CostsPage;
    try {
      answer = (await client.admin.organization.usage.costs(
        { start_time: startTime, end_time: endTime, bucket_width: '1d', limit, ...(page ? { page } : {}) },
        query.signal ? { signal: query.signal } : undefined,
      )) as CostsPage;
    } catch (err) {
      throw classifyProviderError(err);
    }
    pages++;
    if (!answer || !Array.isArray(answer.data)) throw new ProviderError('invalid_output');
    for (const bucket of answer.data) {
      if (typeof bucket?.start_time !== 'number') throw new ProviderError('invalid_output');
      // Only whole days inside the window asked for (a provider may add the current, partial day).
      if (bucket.start_time < startTime || bucket.start_time >= endTime) continue;
      const day = utcDayOf(bucket.start_time);
      let total = days.get(day) ?? 0;
      for (const result of bucket.results ?? []) {
        const currency = result?.amount?.currency;
        if (typeof currency === 'string' && currency.toLowerCase() !== 'usd') throw new ProviderError('invalid_output');
        const micro = signedMicroUsd(result?.amount?.value ?? 0);
        if (micro === null) throw new ProviderError('invalid_output');
        total += micro;
      }
      if (!Number.isSafeInteger(total)) throw new ProviderError('invalid_output');
      days.set(day, total);
    }
    const next = typeof answer.next_page === 'string' && answer.next_page !== '' ? answer.next_page : undefined;
    if (answer.has_more !== true || !next) break;
    if (next === page) throw new ProviderError('invalid_output');
    page = next;
  }
  return { days, pages };
}
