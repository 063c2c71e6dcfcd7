// The gateway's upstream for `mock` accounts: a fresh install demonstrates the gateway with no key. OpenAI requests
// are translated into the mock's own calls and its answers back into OpenAI's shapes — chat completions (streamed by
// chunking the answer), responses (with their stream events) and deterministic embeddings — with the mock's honest
// usage (the estimator's tokenizer, so holds on the mock are exact).
import { randomBytes } from 'node:crypto';
import { ProviderError } from '../errors.js';
import { MockProvider } from '../mock/mock-provider.js';
import type { ChatResult, MockSettings, TokenUsage } from '../provider.js';
import { embeddingInputsOf, gatewayPromptOf } from './prompt.js';
import type { GatewayAnswer, GatewayRequest, GatewayStream, GatewayUpstream } from './types.js';

type Obj = Record<string, unknown>;
const encoder = new TextEncoder();
const id = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

/** Words (with their trailing space) grouped a few at a time: what a real model's stream looks like, roughly. */
function pieces(text: string, wordsPerPiece = 3): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerPiece) out.push(words.slice(i, i + wordsPerPiece).join(''));
  return out;
}

const sse = (data: unknown, event?: string) => encoder.encode(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);

export class MockGatewayUpstream implements GatewayUpstream {
  readonly kind = 'mock' as const;
  readonly #mock: MockProvider;

  constructor(settings: MockSettings | null | undefined) {
    this.#mock = new MockProvider(settings);
  }

  async call(request: GatewayRequest): Promise<GatewayAnswer | GatewayStream> {
    const started = performance.now();
    const { body } = request;
    const model = String(body.model);
    if (request.endpoint === 'embeddings') return this.#embed(request, model, started);

    const prompt = gatewayPromptOf(request.endpoint, body);
    const result = await this.#mock.complete({
      model,
      messages: prompt.messages,
      maxOutputTokens: request.maxOutputTokens,
      temperature: typeof body.temperature === 'number' ? body.temperature : undefined,
      jsonSchema: prompt.jsonSchema,
      signal: request.signal,
    });
    const meta = { providerRequestId: result.providerRequestId, rateLimits: null, headersMs: performance.now() - started };
    const usage = result.usage ?? { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
    if (request.endpoint === 'responses') {
      const response = responseOf(result, model, usage);
      if (!request.stream) return answer(response, usage, result.reportedCostMicroUsd, meta);
      return { kind: 'stream', chunks: responseEvents(response, result.text, request.signal), readsReportedCost: false, ...meta };
    }
    const completion = completionOf(result, model, usage);
    if (!request.stream) return answer(completion, usage, result.reportedCostMicroUsd, meta);
    const options = body.stream_options as Obj | undefined;
    return { kind: 'stream', chunks: chatChunks(completion, result.text, options?.include_usage === true, request.signal), readsReportedCost: false, ...meta };
  }

  async #embed(request: GatewayRequest, model: string, started: number): Promise<GatewayAnswer> {
    const { body } = request;
    const { texts, tokenArrays } = embeddingInputsOf(body);
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : undefined;
    const result = await this.#mock.embed({ model, inputs: [...texts, ...tokenArrays], dimensions, signal: request.signal });
    const base64 = body.encoding_format === 'base64';
    const usage: TokenUsage = { inputTokens: result.promptTokens, outputTokens: 0, cachedInputTokens: 0 };
    const json = {
      object: 'list',
      data: result.vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v })),
      model,
      usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    };
    return answer(json, usage, result.reportedCostMicroUsd, { providerRequestId: result.providerRequestId, rateLimits: null, headersMs: performance.now() - started });
  }
}

function answer(json: unknown, usage: TokenUsage, reportedCostMicroUsd: number | null, meta: Pick<GatewayAnswer, 'providerRequestId' | 'rateLimits' | 'headersMs'>): GatewayAnswer {
  return { kind: 'json', body: encoder.encode(JSON.stringify(json)), json, usage, reportedCostMicroUsd, ...meta };
}

const chatUsage = (u: TokenUsage) => ({
  prompt_tokens: u.inputTokens,
  completion_tokens: u.outputTokens,
  total_tokens: u.inputTokens + u.outputTokens,
  prompt_tokens_details: { cached_tokens: u.cachedInputTokens },
  completion_tokens_details: { reasoning_tokens: 0 },
});

function completionOf(result: ChatResult, model: string, usage: TokenUsage) {
  return {
    id: id('chatcmpl-mock'),
    object: 'chat.completion' as const,
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: result.text, refusal: null }, logprobs: null, finish_reason: result.finishReason ?? 'stop' }],
    usage: chatUsage(usage),
    system_fingerprint: 'mock',
  };
}

function abortedCheck(signal: AbortSignal) {
  if (signal.aborted) throw new ProviderError('cancelled');
}

async function* chatChunks(completion: ReturnType<typeof completionOf>, text: string, includeUsage: boolean, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const base = { id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model, system_fingerprint: 'mock' };
  const usage = includeUsage ? { usage: null } : {};
  yield sse({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...usage });
  for (const piece of pieces(text)) {
    abortedCheck(signal);
    yield sse({ ...base, choices: [{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }], ...usage });
  }
  abortedCheck(signal);
  yield sse({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: completion.choices[0]!.finish_reason }], ...usage });
  if (includeUsage) yield sse({ ...base, choices: [], usage: completion.usage });
  yield sse('[DONE]');
}

function responseOf(result: ChatResult, model: string, usage: TokenUsage) {
  const incomplete = result.finishReason === 'length';
  return {
    id: id('resp_mock'),
    object: 'response' as const,
    created_at: Math.floor(Date.now() / 1000),
    status: incomplete ? 'incomplete' : 'completed',
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    error: null,
    model,
    output: [{ type: 'message', id: id('msg_mock'), status: incomplete ? 'incomplete' : 'completed', role: 'assistant', content: [{ type: 'output_text', text: result.text, annotations: [] }] }],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage: {
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: usage.cachedInputTokens },
      output_tokens: usage.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.inputTokens + usage.outputTokens,
    },
  };
}

async function* responseEvents(response: ReturnType<typeof responseOf>, text: string, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  let sequence = 0;
  const event = (type: string, fields: Obj) => sse({ type, sequence_number: sequence++, ...fields }, type);
  const item = response.output[0]!;
  const pending = { ...response, status: 'in_progress', output: [], usage: null };
  yield event('response.created', { response: pending });
  yield event('response.in_progress', { response: pending });
  yield event('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
  yield event('response.content_part.added', { item_id: item.id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
  for (const piece of pieces(text)) {
    abortedCheck(signal);
    yield event('response.output_text.delta', { item_id: item.id, output_index: 0, content_index: 0, delta: piece, logprobs: [] });
  }
  abortedCheck(signal);
  yield event('response.output_text.done', { item_id: item.id, output_index: 0, content_index: 0, text, logprobs: [] });
  yield event('response.content_part.done', { item_id: item.id, output_index: 0, content_index: 0, part: item.content[0] });
  yield event('response.output_item.done', { output_index: 0, item });
  yield event(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
}
