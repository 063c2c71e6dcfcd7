/**
 * Clients nobody here wrote, pointed at Vaultrun's `/v1` with a Vaultrun inference token, against the local fake
 * provider: the Vercel AI SDK (`ai` + `@ai-sdk/openai`) and LangChain (`@langchain/openai`). For each call: the answer,
 * and that the record (a run of kind `gateway`) and the budget show exactly the usage the provider reported, priced.
 * The fake reports 1,000 more prompt tokens than Vaultrun estimates, so an estimate could not pass for the provider's
 * figure. (The official `openai` SDK has its own suite: gateway.e2e-spec.ts.)
 */
import { createOpenAI } from '@ai-sdk/openai';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AIMessageChunk } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { generateObject, generateText, Output, streamText } from 'ai';
import { z } from 'zod';
import { as, seedWorkspace, type SeededWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { inferenceToken } from '../../../test/support/gateway.js';
import { budgetPeriod, insertBudget } from '../../../test/support/money.js';
import { eventually } from '../../../test/support/runs.js';

// The AI SDK prints its warnings (e.g. generateObject's deprecation) to the console otherwise.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const MODEL = 'Live/gpt-4o-mini';
const KEY = 'sk-proj-gateway-compat-00000000000000000000001';
const EXTRA_PROMPT_TOKENS = 1000;
const City = z.object({ city: z.string(), population: z.number().int() });

/** gpt-4o-mini: $0.15 / $0.60 per 1M tokens, rounded half up to the micro-dollar (as the gateway's own tests price it). */
const priced = (u: { input: number; output: number }) => Math.floor((u.input * 150_000 + u.output * 600_000 + 500_000) / 1_000_000);

interface Seen {
  endpoint: 'chat.completions' | 'responses';
  stream: boolean;
  /** The usage the client itself reports (the provider's, passed through by Vaultrun). */
  input: number;
  output: number;
}

describe('gateway: real clients (Vercel AI SDK, LangChain) against Vaultrun', () => {
  let api: TestApi;
  let fake: FakeOpenAI;
  let ws: SeededWorkspace;
  let owner: Session;
  const baseURL = () => `${api.url}/v1`;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ inflatePromptTokens: { extra: EXTRA_PROMPT_TOKENS } });
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    const account = await as(owner).post('/api/v1/provider-accounts', { name: 'Live', kind: 'openai', baseUrl: fake.url, apiKey: KEY, defaultModel: 'gpt-4o-mini', verify: false });
    expect(account.status).toBe(201);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  /**
   * Gives `fn` a fresh inference token under a budget of its own, then checks every call it made: one record per call
   * (kind `gateway`, succeeded, on the endpoint and stream mode the client used), with the usage the client saw and
   * that usage's price; the budget's spend is their sum, nothing left held.
   */
  async function exactly(fn: (token: string) => Promise<Seen[]>): Promise<void> {
    const token = await inferenceToken(owner);
    const budget = await insertBudget(api.db, ws.id, { capMicroUsd: 10_000_000, scope: { type: 'token', id: token.id }, name: `compat ${token.id}` });
    try {
      const seen = await fn(token.token);
      const records: any[] = await eventually(
        () => as(owner).get(`/api/v1/runs?kind=gateway&tokenId=${token.id}&limit=${seen.length + 1}`).then((r) => r.body.items),
        (items: any[]) => items.length === seen.length && items.every((r) => r.status === 'succeeded' && r.costMicroUsd !== null),
        `${seen.length} settled records`,
      );
      // Oldest first, as the calls were made.
      records.sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
      const view = (r: any) => ({ endpoint: r.gateway.endpoint, stream: r.gateway.stream, input: r.usage.inputTokens, output: r.usage.outputTokens });
      expect(records.map(view)).toEqual(seen);
      for (const r of records) {
        expect(r).toMatchObject({ kind: 'gateway', model: 'gpt-4o-mini', costLabel: 'estimated', costMicroUsd: priced({ input: r.usage.inputTokens, output: r.usage.outputTokens }), gateway: { usageSource: 'provider', requestedModel: MODEL } });
        // The provider's count, not Vaultrun's estimate.
        expect(r.usage.inputTokens).toBeGreaterThanOrEqual(EXTRA_PROMPT_TOKENS);
      }
      const period = await eventually(() => budgetPeriod(api.db, budget), (p) => p.held === 0, 'holds closed');
      expect(period.spent).toBe(records.reduce((sum, r) => sum + r.costMicroUsd, 0));
      expect(period.spent).toBeGreaterThan(0);
    } finally {
      await api.db.query(`DELETE FROM budgets WHERE id = $1`, [budget]);
    }
  }

  describe('Vercel AI SDK (ai 7, @ai-sdk/openai 4)', () => {
    const provider = (token: string) => createOpenAI({ baseURL: baseURL(), apiKey: token });

    it('generateText and streamText on /v1/responses (openai(model), the default)', async () => {
      await exactly(async (token) => {
        const openai = provider(token);
        const text = await generateText({ model: openai(MODEL), prompt: 'Hello from the AI SDK', maxRetries: 0 });
        expect(text.text).toBe('Fake reply to: Hello from the AI SDK');
        expect(text.response.headers?.['x-vaultrun-account']).toBe('Live');
        const stream = streamText({ model: openai(MODEL), prompt: 'Stream from the AI SDK', maxRetries: 0 });
        let streamed = '';
        for await (const delta of stream.textStream) streamed += delta;
        expect(streamed).toBe('Fake reply to: Stream from the AI SDK');
        const streamUsage = await stream.usage;
        expect(fake.requests.filter((r) => r.key === KEY).map((r) => r.path.split('?')[0]).slice(-2)).toEqual(['/v1/responses', '/v1/responses']);
        return [
          { endpoint: 'responses', stream: false, input: text.usage.inputTokens!, output: text.usage.outputTokens! },
          { endpoint: 'responses', stream: true, input: streamUsage.inputTokens!, output: streamUsage.outputTokens! },
        ];
      });
    });

    it('generateText and streamText on /v1/chat/completions (openai.chat(model))', async () => {
      await exactly(async (token) => {
        const openai = provider(token);
        const text = await generateText({ model: openai.chat(MODEL), prompt: 'Hello chat', maxRetries: 0 });
        expect(text.text).toContain('Hello chat');
        const stream = streamText({ model: openai.chat(MODEL), prompt: 'Stream chat', maxRetries: 0 });
        let streamed = '';
        for await (const delta of stream.textStream) streamed += delta;
        expect(streamed).toContain('Stream chat');
        const streamUsage = await stream.usage;
        expect(streamUsage.outputTokens).toBeGreaterThan(0);
        return [
          { endpoint: 'chat.completions', stream: false, input: text.usage.inputTokens!, output: text.usage.outputTokens! },
          { endpoint: 'chat.completions', stream: true, input: streamUsage.inputTokens!, output: streamUsage.outputTokens! },
        ];
      });
    });

    it('structured output: generateText with Output.object on both endpoints, and the deprecated generateObject', async () => {
      await exactly(async (token) => {
        const openai = provider(token);
        const seen: Seen[] = [];
        for (const [model, endpoint] of [
          [openai(MODEL), 'responses'],
          [openai.chat(MODEL), 'chat.completions'],
        ] as const) {
          const r = await generateText({ model, output: Output.object({ schema: City }), prompt: 'A city', maxRetries: 0 });
          expect(r.output).toEqual({ city: 'fake', population: 1 });
          seen.push({ endpoint, stream: false, input: r.usage.inputTokens!, output: r.usage.outputTokens! });
        }
        // The schema went through untouched, as strict JSON Schema.
        const sent = fake.requests.filter((r) => r.key === KEY).slice(-2).map((r) => r.body as any);
        expect(sent[0].text.format).toMatchObject({ type: 'json_schema', strict: true, schema: { type: 'object', required: ['city', 'population'] } });
        expect(sent[1].response_format).toMatchObject({ type: 'json_schema', json_schema: { strict: true, schema: { type: 'object', required: ['city', 'population'] } } });
        const old = await generateObject({ model: openai(MODEL), schema: City, prompt: 'Another city', maxRetries: 0 });
        expect(old.object).toEqual({ city: 'fake', population: 1 });
        seen.push({ endpoint: 'responses', stream: false, input: old.usage.inputTokens!, output: old.usage.outputTokens! });
        return seen;
      });
    });
  });

  describe('LangChain (@langchain/openai 1.6, @langchain/core 1)', () => {
    const chat = (token: string, options: { useResponsesApi?: boolean } = {}) => new ChatOpenAI({ model: MODEL, apiKey: token, maxRetries: 0, configuration: { baseURL: baseURL() }, ...options });

    it('invoke and stream on /v1/chat/completions, and on /v1/responses (useResponsesApi)', async () => {
      await exactly(async (token) => {
        const seen: Seen[] = [];
        for (const [model, endpoint] of [
          [chat(token), 'chat.completions'],
          [chat(token, { useResponsesApi: true }), 'responses'],
        ] as const) {
          const answer = await model.invoke('Hello from LangChain');
          expect(answer.text).toContain('Hello from LangChain');
          seen.push({ endpoint, stream: false, input: answer.usage_metadata!.input_tokens, output: answer.usage_metadata!.output_tokens });
          let all: AIMessageChunk | undefined;
          for await (const chunk of await model.stream('Stream from LangChain')) all = all ? all.concat(chunk) : chunk;
          expect(all!.text).toContain('Stream from LangChain');
          expect(all!.usage_metadata?.output_tokens).toBeGreaterThan(0);
          seen.push({ endpoint, stream: true, input: all!.usage_metadata!.input_tokens, output: all!.usage_metadata!.output_tokens });
        }
        return seen;
      });
    });

    it('withStructuredOutput (json_schema)', async () => {
      await exactly(async (token) => {
        const structured = chat(token).withStructuredOutput(City, { includeRaw: true });
        const { parsed, raw } = await structured.invoke('A city');
        expect(parsed).toEqual({ city: 'fake', population: 1 });
        const sent = fake.requests.filter((r) => r.key === KEY).at(-1)!.body as any;
        expect(sent.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: { type: 'object', required: ['city', 'population'] } } });
        const usage = (raw as AIMessageChunk).usage_metadata!;
        return [{ endpoint: 'chat.completions', stream: false, input: usage.input_tokens, output: usage.output_tokens }];
      });
    });
  });
});
