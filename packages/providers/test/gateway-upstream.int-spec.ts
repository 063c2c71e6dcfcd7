// The gateway's upstreams: the client's body forwarded through the real SDK to the local fake (untouched but for
// what Vaultrun sets), its answer bytes back as sent, usage read from every shape, streams split at event
// boundaries, aborts reaching the provider, errors classified; and the mock translating to OpenAI's shapes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeOpenAI, openAIError, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { sseEvent } from '../../../test/support/fake-openai-gateway.js';
import {
  createGatewayUpstream,
  estimateGatewayPromptTokens,
  type GatewayAnswer,
  type GatewayEndpoint,
  type GatewayStream,
  GatewayStreamScanner,
  ProviderError,
  SseSplitter,
} from '../src/index.js';

const KEY = 'sk-proj-gatewayupstream00000000000000000000abcd';
const LOCAL = { allowPrivate: true };
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const upstream = (apiKey = KEY) => createGatewayUpstream({ kind: 'openai', apiKey, baseUrl: fake.url, timeoutMs: 5_000, outbound: LOCAL });
const mock = (settings = {}) => createGatewayUpstream({ kind: 'mock', mock: settings });

const call = (u: ReturnType<typeof upstream>, endpoint: GatewayEndpoint, body: Record<string, unknown>, signal = new AbortController().signal) =>
  u.call({ endpoint, body, stream: body.stream === true, maxOutputTokens: 64, signal });

/** Reads a stream the way the gateway does: split, scan, forward; returns what a client would have received. */
async function drain(stream: GatewayStream, endpoint: GatewayEndpoint, stripUsage: boolean) {
  const splitter = new SseSplitter();
  const scanner = new GatewayStreamScanner(endpoint, { stripUsage, readsReportedCost: stream.readsReportedCost });
  let forwarded = '';
  for await (const chunk of stream.chunks) forwarded += scanner.accept(splitter.push(chunk));
  forwarded += scanner.accept(splitter.end());
  return { forwarded, scanner };
}

const chatBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] };

describe('openai upstream', () => {
  it('forwards the body as given — tools, response_format, seed, metadata, unknown fields — and returns the answer bytes', async () => {
    const body = {
      ...chatBody,
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
      tool_choice: 'auto',
      seed: 7,
      logprobs: true,
      metadata: { app: 'x' },
      parallel_tool_calls: false,
      some_future_field: { nested: [1, 2, 3] },
    };
    const answer = (await call(upstream(), 'chat.completions', body)) as GatewayAnswer;
    expect(fake.requests[0]!.body).toEqual(body);
    expect(answer.kind).toBe('json');
    expect(JSON.parse(new TextDecoder().decode(answer.body))).toEqual(answer.json);
    expect(answer.usage).toEqual({ inputTokens: expect.any(Number), outputTokens: expect.any(Number), cachedInputTokens: 0 });
    expect(answer.providerRequestId).toBe(fake.requests[0]!.requestId);
    expect(fake.requests[0]!.key).toBe(KEY);
  });

  it('reads usage from responses and embeddings answers', async () => {
    const r = (await call(upstream(), 'responses', { model: 'gpt-4o-mini', input: 'Hi there' })) as GatewayAnswer;
    expect(r.usage).toEqual({ inputTokens: expect.any(Number), outputTokens: expect.any(Number), cachedInputTokens: 0 });
    expect(r.usage!.outputTokens).toBeGreaterThan(0);
    const e = (await call(upstream(), 'embeddings', { model: 'text-embedding-3-small', input: ['one', 'two two'] })) as GatewayAnswer;
    expect(e.usage).toEqual({ inputTokens: 1 + 2, outputTokens: 0, cachedInputTokens: 0 });
    expect((e.json as { data: unknown[] }).data).toHaveLength(2);
  });

  it('streams chat chunks as they come, reads the usage chunk, and leaves it out for a client that did not ask for it', async () => {
    const body = { ...chatBody, stream: true, stream_options: { include_usage: true } };
    const kept = await drain((await call(upstream(), 'chat.completions', body)) as GatewayStream, 'chat.completions', false);
    expect(kept.scanner.usage?.outputTokens).toBeGreaterThan(0);
    expect(kept.forwarded).toContain('"usage":{');
    expect(kept.forwarded.trim().endsWith('data: [DONE]')).toBe(true);
    expect(kept.scanner.outputText()).toBe('Fake reply to: Say hello');
    const stripped = await drain((await call(upstream(), 'chat.completions', body)) as GatewayStream, 'chat.completions', true);
    expect(stripped.scanner.usage).toEqual(kept.scanner.usage);
    expect(stripped.forwarded).not.toContain('"usage":{');
    expect(stripped.forwarded).toContain('data: [DONE]');
  });

  it('streams responses events and reads the usage of response.completed', async () => {
    const { scanner, forwarded } = await drain((await call(upstream(), 'responses', { model: 'gpt-4o-mini', input: 'Hi', stream: true })) as GatewayStream, 'responses', true);
    expect(scanner.usage?.outputTokens).toBeGreaterThan(0);
    expect(scanner.finished).toBe(true);
    expect(forwarded).toContain('event: response.completed');
    expect(scanner.outputText()).toBe('Fake reply to: Hi');
  });

  it('splits events even when the provider cuts them anywhere', () => {
    const events = [sseEvent({ a: 1 }), sseEvent({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } }), sseEvent('[DONE]')].join('');
    const bytes = new TextEncoder().encode(events.replace(/\n/g, '\r\n'));
    for (const cut of [1, 5, 17, bytes.length - 3]) {
      const splitter = new SseSplitter();
      const scanner = new GatewayStreamScanner('chat.completions', { stripUsage: true, readsReportedCost: false });
      const out = scanner.accept(splitter.push(bytes.slice(0, cut))) + scanner.accept(splitter.push(bytes.slice(cut))) + scanner.accept(splitter.end());
      expect(scanner.usage).toEqual({ inputTokens: 3, outputTokens: 4, cachedInputTokens: 0 });
      expect(out).toBe([sseEvent({ a: 1 }), sseEvent('[DONE]')].join('').replace(/\n/g, '\r\n'));
    }
  });

  it('a usage-like text inside a message is neither read as usage nor dropped', async () => {
    fake.replyWith(() => 'my "usage": {"prompt_tokens": 1} is fine');
    const { scanner, forwarded } = await drain((await call(upstream(), 'chat.completions', { ...chatBody, stream: true })) as GatewayStream, 'chat.completions', true);
    expect(scanner.usage).toBeNull();
    expect(scanner.outputText()).toBe('my "usage": {"prompt_tokens": 1} is fine');
    expect(forwarded).toContain('prompt_tok');
  });

  it('aborting the signal mid-stream stops reading and closes the provider connection', async () => {
    fake.respondWith(() => ({ status: 200, stream: { events: [sseEvent({ choices: [{ index: 0, delta: { content: 'first words' } }] })], holdOpen: true } }));
    const controller = new AbortController();
    const stream = (await call(upstream(), 'chat.completions', { ...chatBody, stream: true }, controller.signal)) as GatewayStream;
    const received: string[] = [];
    const failure = (async () => {
      for await (const chunk of stream.chunks) {
        received.push(new TextDecoder().decode(chunk));
        controller.abort();
      }
    })().then(
      () => null,
      (err: unknown) => err,
    );
    const err = await failure;
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe('cancelled');
    expect(received.join('')).toContain('first words');
    await fake.waitFor(() => fake.requests[0]!.aborted);
  });

  it('classifies provider errors without passing their text, and never retries', async () => {
    fake.enqueue(openAIError(503, null, 'overloaded'));
    const unavailable = await call(upstream(), 'chat.completions', chatBody).then(() => null, (e: unknown) => e as ProviderError);
    expect([unavailable?.code, unavailable?.httpStatus, unavailable?.message]).toEqual(['provider_unavailable', 503, 'Provider unavailable']);
    expect(fake.requests).toHaveLength(1);
    const refused = await call(upstream('sk-proj-invalid-key-0000000000000000000000'), 'responses', { model: 'x', input: 'y' }).then(() => null, (e: unknown) => e as ProviderError);
    expect(refused?.code).toBe('invalid_api_key');
    expect(JSON.stringify(refused)).not.toContain('sk-proj-inv');
    const limited = await call(upstream('sk-proj-ratelimit-000000000000000000000000'), 'chat.completions', { ...chatBody, stream: true }).then(() => null, (e: unknown) => e as ProviderError);
    expect([limited?.code, limited?.retryAfterMs]).toEqual(['rate_limited', 2000]);
  });
});

describe('mock upstream', () => {
  it('answers chat like OpenAI, with exactly the usage Vaultrun estimates', async () => {
    const body = { model: 'mock-fast', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: [{ type: 'text', text: 'Hello there' }] }] };
    const answer = (await call(mock(), 'chat.completions', body)) as GatewayAnswer;
    const json = answer.json as { object: string; choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
    expect(json.object).toBe('chat.completion');
    expect(json.choices[0]!.message.content).toContain('Hello there');
    expect(answer.usage!.inputTokens).toBe(estimateGatewayPromptTokens('mock', 'mock-fast', 'chat.completions', body).tokens);
  });

  it('streams chat in chunks (usage only when asked) and responses with their events', async () => {
    const chat = await drain((await call(mock(), 'chat.completions', { model: 'mock-fast', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } })) as GatewayStream, 'chat.completions', false);
    expect(chat.scanner.usage?.outputTokens).toBeGreaterThan(0);
    expect(chat.forwarded.match(/chat\.completion\.chunk/g)!.length).toBeGreaterThan(3);
    const responses = await drain((await call(mock(), 'responses', { model: 'mock-smart', input: 'Hi', stream: true })) as GatewayStream, 'responses', false);
    expect(responses.scanner.usage?.inputTokens).toBe(estimateGatewayPromptTokens('mock', 'mock-smart', 'responses', { input: 'Hi' }).tokens);
    expect(responses.scanner.outputText()).toContain('Mock reply from mock-smart');
  });

  it('embeds deterministically, as floats or base64, with counted prompt tokens', async () => {
    const a = (await call(mock(), 'embeddings', { model: 'mock-embed', input: ['alpha', 'beta'], dimensions: 16 })) as GatewayAnswer;
    const b = (await call(mock(), 'embeddings', { model: 'mock-embed', input: 'alpha', dimensions: 16, encoding_format: 'base64' })) as GatewayAnswer;
    const vectors = (a.json as { data: { embedding: number[] }[] }).data.map((d) => d.embedding);
    expect(vectors[0]).toHaveLength(16);
    const fromBase64 = Array.from(new Float32Array(Uint8Array.from(Buffer.from((b.json as { data: { embedding: string }[] }).data[0]!.embedding, 'base64')).buffer));
    fromBase64.forEach((v, i) => expect(v).toBeCloseTo(vectors[0]![i]!, 5));
    expect(a.usage!.inputTokens).toBe(estimateGatewayPromptTokens('mock', 'mock-embed', 'embeddings', { input: ['alpha', 'beta'] }).tokens);
  });

  it('fails with the taxonomy like the mock provider', async () => {
    const err = await call(mock({ failWith: 'rate_limited' }), 'chat.completions', { model: 'mock-fast', messages: [{ role: 'user', content: 'x' }] }).then(() => null, (e: unknown) => e as ProviderError);
    expect(err?.code).toBe('rate_limited');
    const unknown = await call(mock(), 'embeddings', { model: 'nope', input: 'x' }).then(() => null, (e: unknown) => e as ProviderError);
    expect(unknown?.code).toBe('model_not_found');
  });
});
