// The organization Costs API client through the real SDK, against the local fake server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai.js';
import { fetchOpenAiDailyCosts, ProviderError } from '../src/index.js';

const ADMIN = 'sk-admin-costs0000000000000000000000000000abcd';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
});

const costs = (extra: Partial<Parameters<typeof fetchOpenAiDailyCosts>[0]> = {}) =>
  fetchOpenAiDailyCosts({ adminKey: ADMIN, baseUrl: fake.url, outbound: { allowPrivate: true }, fromDay: '2026-03-01', toDay: '2026-03-04', ...extra });

describe('fetchOpenAiDailyCosts', () => {
  it('sums every result of a daily bucket exactly, in integer micro-USD', async () => {
    // 0.1 + 0.2 is 0.30000000000000004 in floats; per-result conversion keeps it 300000.
    fake.setCosts({ days: { '2026-03-01': [0.1, 0.2], '2026-03-02': ['1.000001', '0.0000005'], '2026-03-03': 0 } });
    const { days, pages } = await costs();
    expect(Object.fromEntries(days)).toEqual({ '2026-03-01': 300_000, '2026-03-02': 1_000_002, '2026-03-03': 0 });
    expect(pages).toBe(1);
    const [request] = fake.costRequests();
    expect(request!.key).toBe(ADMIN);
    expect(request!.query).toEqual({
      start_time: String(Date.parse('2026-03-01T00:00:00Z') / 1000),
      end_time: String(Date.parse('2026-03-04T00:00:00Z') / 1000),
      bucket_width: '1d',
      limit: '3',
    });
  });

  it('follows next_page until has_more is false', async () => {
    fake.setCosts({ days: { '2026-03-01': 1, '2026-03-02': 2, '2026-03-03': [3, '0.5'] }, maxPageSize: 1 });
    const { days, pages } = await costs();
    expect(Object.fromEntries(days)).toEqual({ '2026-03-01': 1_000_000, '2026-03-02': 2_000_000, '2026-03-03': 3_500_000 });
    expect(pages).toBe(3);
    const requests = fake.costRequests();
    expect(requests.map((r) => r.query.page ?? null)).toEqual([null, expect.any(String), expect.any(String)]);
    expect(new Set(requests.map((r) => r.query.page)).size).toBe(3);
  });

  it('leaves out days without a bucket (not published) and buckets outside the window (today)', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    fake.setCosts({ days: { [today]: 5, [yesterday]: 1 }, ignoreEndTime: true });
    const { days } = await costs({ fromDay: new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10), toDay: today });
    expect(Object.fromEntries(days)).toEqual({ [yesterday]: 1_000_000 });
  });

  it('keeps credits (negative amounts) signed', async () => {
    fake.setCosts({ days: { '2026-03-02': [1.5, -0.25, '-0.25'] } });
    expect(Object.fromEntries((await costs()).days)).toEqual({ '2026-03-02': 1_000_000 });
  });

  it('maps a refused admin key to invalid_api_key without keeping the key or the provider message', async () => {
    fake.setCosts({ adminKey: 'sk-admin-someone-else', days: { '2026-03-01': 1 } });
    const err = await costs().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe('invalid_api_key');
    const shown = `${inspect(err, { depth: 10 })} ${JSON.stringify(err)} ${String((err as Error).stack)}`;
    expect(shown).not.toContain(ADMIN.slice(9, 30));
    expect(shown).not.toContain('insufficient permissions');
  });

  it('maps an outage to provider_unavailable', async () => {
    const err = (await costs({ adminKey: 'sk-admin-broken00000000000000000' }).catch((e: unknown) => e)) as ProviderError;
    expect(err.code).toBe('provider_unavailable');
  });

  it('refuses an answer that is not a cost page, or is not in USD', async () => {
    fake.respondWith(() => ({ status: 200, body: { object: 'page', data: [{ start_time: 1772323200, results: [{ amount: { value: 1, currency: 'eur' } }] }], has_more: false } }));
    expect(((await costs().catch((e: unknown) => e)) as ProviderError).code).toBe('invalid_output');
    fake.respondWith(() => ({ status: 200, body: { hello: 'world' } }));
    expect(((await costs().catch((e: unknown) => e)) as ProviderError).code).toBe('invalid_output');
  });

  it('stops a cursor that never moves', async () => {
    fake.respondWith(() => ({ status: 200, body: { object: 'page', data: [], has_more: true, next_page: 'same' } }));
    expect(((await costs().catch((e: unknown) => e)) as ProviderError).code).toBe('invalid_output');
    expect(fake.costRequests().length).toBe(2);
  });
});
