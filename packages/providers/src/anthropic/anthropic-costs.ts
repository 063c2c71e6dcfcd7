// Anthropic's Admin API cost report (GET /v1/organizations/cost_report), read with an Admin API key (sk-ant-admin…)
// through the official SDK. Cost sync compares what Anthropic billed per UTC day with what Vaultrun recorded.
// Amounts come as decimal strings in the currency's lowest unit (cents: "123.45" USD is $1.2345).
import { ProviderError } from '../errors.js';
import { newCallTrace } from '../call-trace.js';
import { usdToMicroUsd } from '../micro-usd.js';
import { PUBLIC_ONLY } from '../outbound.js';
import type { OpenAiCostsQuery, OpenAiDailyCosts } from '../openai/openai-costs.js';
import { utcDayOf, utcDayStartSeconds } from '../openai/openai-costs.js';
import { classifyAnthropicError } from './anthropic-errors.js';
import { anthropicBaseUrl, createAnthropicClient } from './anthropic-provider.js';

const DAY_SECONDS = 86_400;
/** Anthropic returns at most 31 daily buckets per page. */
const MAX_PAGE_SIZE = 31;
/** A runaway cursor (a server that always says has_more) stops here. */
const MAX_PAGES = 100;

/** A signed amount in cents (decimal text or a number) as integer micro-USD, rounded half up; null when unreadable. */
export function centsToMicroUsd(value: unknown): number | null {
  let text: string;
  if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'string') text = value.trim();
  else return null;
  const negative = text.startsWith('-');
  const unsigned = negative ? text.slice(1) : text;
  const match = /^(\d+(?:\.\d*)?)(?:e([+-]?\d+))?$/i.exec(unsigned);
  if (!match) return null;
  // cents = USD × 10^-2: the same decimal text with its exponent lowered by two, converted exactly.
  const micro = usdToMicroUsd(`${match[1]}e${Number(match[2] ?? 0) - 2}`);
  return micro === null ? null : negative ? -micro : micro;
}

interface CostReportPage {
  data?: { starting_at?: unknown; results?: { amount?: unknown; currency?: unknown }[] | null }[];
  has_more?: unknown;
  next_page?: unknown;
}

/**
 * The organization's billed cost per UTC day in [fromDay, toDay), every result of each daily bucket summed (each
 * converted to integer micro-USD on its own), following `next_page` while `has_more`. Every failure leaves as a
 * classified ProviderError (a refused admin key → invalid_api_key); an answer that is not a cost report is
 * `invalid_output`. The admin key goes only into the request's authentication; nothing of it or of Anthropic's
 * messages is kept.
 */
export async function fetchAnthropicDailyCosts(query: OpenAiCostsQuery): Promise<OpenAiDailyCosts> {
  const startTime = utcDayStartSeconds(query.fromDay);
  const endTime = utcDayStartSeconds(query.toDay);
  if (!Number.isFinite(startTime) || !Number.isFinite(endTime) || endTime <= startTime) throw new TypeError('fromDay must be a UTC day before toDay');
  const dayCount = Math.round((endTime - startTime) / DAY_SECONDS);
  const limit = Math.max(1, Math.min(MAX_PAGE_SIZE, query.pageSize ?? dayCount));
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

  const days = new Map<string, number>();
  let page: string | undefined;
  let pages = 0;
  for (;;) {
    if (pages >= MAX_PAGES) throw new ProviderError('invalid_output');
    const trace = newCallTrace();
    let answer: CostReportPage;
    try {
      const client = createAnthropicClient(
        { apiKey: query.adminKey, baseUrl: anthropicBaseUrl(query.baseUrl), timeoutMs: query.timeoutMs ?? 30_000, outbound: query.outbound ?? PUBLIC_ONLY },
        trace,
      );
      answer = await client.get<CostReportPage>('/v1/organizations/cost_report', {
        query: { starting_at: iso(startTime), ending_at: iso(endTime), bucket_width: '1d', limit, ...(page ? { page } : {}) },
        ...(query.signal ? { signal: query.signal } : {}),
      });
    } catch (err) {
      throw classifyAnthropicError(err, trace.fetchStarted ? {} : { requestSent: false });
    }
    pages++;
    if (!answer || !Array.isArray(answer.data)) throw new ProviderError('invalid_output');
    for (const bucket of answer.data) {
      const starts = typeof bucket?.starting_at === 'string' ? Date.parse(bucket.starting_at) / 1000 : Number.NaN;
      if (!Number.isFinite(starts)) throw new ProviderError('invalid_output');
      // Only whole days inside the window asked for (a server may add the current, partial day).
      if (starts < startTime || starts >= endTime) continue;
      const day = utcDayOf(starts);
      let total = days.get(day) ?? 0;
      for (const result of bucket.results ?? []) {
        const currency = result?.currency;
        if (typeof currency === 'string' && currency.toUpperCase() !== 'USD') throw new ProviderError('invalid_output');
        const micro = centsToMicroUsd(result?.amount ?? 0);
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
