// The gateway's translating upstreams against the local fakes, through the official SDKs they use: an OpenAI chat
// request becomes an Anthropic Messages / Gemini generateContent call (system, tools, tool history, structured output),
// the answer and its stream come back in OpenAI's chat format (tool-call deltas, finish reasons, usage with cache
// reads and writes), errors map to the taxonomy; Azure OpenAI is forwarded on the SDK's Azure client.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeAnthropic, startFakeAnthropic } from '../../../test/support/fake-anthropic.js';
import { type FakeAzureOpenAI, startFakeAzureOpenAI } from '../../../test/support/fake-azure-openai.js';
import { type FakeGemini, startFakeGemini } from '../../../test/support/fake-gemini.js';
import { createGatewayUpstream, type GatewayAnswer, type GatewayStream, GatewayStreamScanner, gatewayTranslationProblem, type ProviderError, SseSplitter } from '../src/index.js';

const LOCAL = { allowPrivate: true };
let anthropic: FakeAnthropic;
let gemini: FakeGemini;
let azure: FakeAzureOpenAI;

beforeAll(async () => {
  [anthropic, gemini, azure] = await Promise.all([startFakeAnthropic({ cacheReadTokens: 5, cacheWriteTokens: 3 }), startFakeGemini(), startFakeAzureOpenAI()]);
});
afterEach(() => {
  anthropic.reset();
  gemini.reset();
  azure.reset();
});
afterAll(() => Promise.all([anthropic.close(), gemini.close(), azure.close()]));

const ANTHROPIC_KEY = 'sk-ant-api03-gatewaytranslate000000000000000000';
const GEMINI_KEY = 'AIzaSyGatewayTranslate000000000000000000';
const AZURE_KEY = 'azure0gatewaytranslate00000000000000';
const claude = (apiKey = ANTHROPIC_KEY) => createGatewayUpstream({ kind: 'anthropic', apiKey, baseUrl: anthropic.url, timeoutMs: 5_000, outbound: LOCAL });
const gem = (apiKey = GEMINI_KEY) => createGatewayUpstream({ kind: 'gemini', apiKey, baseUrl: gemini.url, timeoutMs: 5_000, outbound: LOCAL });
const az = (apiKey = AZURE_KEY) => createGatewayUpstream({ kind: 'azure-openai', apiKey, baseUrl: azure.url, apiVersion: '2024-10-21', timeoutMs: 5_000, outbound: LOCAL });

type Upstream = ReturnType<typeof claude>;
const call = (u: Upstream, body: Record<string, unknown>) =>
  u.call({ endpoint: 'chat.completions', body: { ...body, ...(body.stream ? { stream_options: { include_usage: true } } : {}) }, stream: body.stream === true, maxOutputTokens: 64, signal: new AbortController().signal });
const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as ProviderError);

/** What a client receives from a stream (the gateway's splitter and scanner), parsed. */
async function drain(stream: GatewayStream) {
  const splitter = new SseSplitter();
  const scanner = new GatewayStreamScanner('chat.completions', { stripUsage: false, readsReportedCost: false });
  let text = '';
  for await (const chunk of stream.chunks) text += scanner.accept(splitter.push(chunk));
  text += scanner.accept(splitter.end());
  const events = text
    .split('\n\n')
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice(6)) as { id: string; choices: { delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: Record<string, unknown> });
  const deltas = events.flatMap((e) => e.choices.map((c) => c.delta));
  const content = deltas.map((d) => (typeof d.content === 'string' ? d.content : '')).join('');
  const toolCalls = deltas.flatMap((d) => (Array.isArray(d.tool_calls) ? (d.tool_calls as { index: number; id?: string; function: { name?: string; arguments?: string } }[]) : []));
  const finish = events.flatMap((e) => e.choices.map((c) => c.finish_reason)).filter((f) => f !== null);
  return { text, events, content, toolCalls, finish, usage: scanner.usage, done: text.trimEnd().endsWith('data: [DONE]') };
}

const weatherTool = { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

describe('anthropic upstream', () => {
  it('translates system, developer, tools and tool history into the Messages API, and answers as a chat completion with cache usage', async () => {
    const body = {
      model: 'claude-haiku-4-5',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '4 degrees' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      tools: [weatherTool],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      stop: 'END',
      max_tokens: 200,
      user: 'app-user-7',
    };
    const answer = (await call(claude(), body)) as GatewayAnswer;
    const sent = anthropic.requests[0]!.body as Record<string, unknown>;
    expect(sent).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      system: 'Be brief.\n\nUse metric units.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: '4 degrees' }, { type: 'text', text: 'And tomorrow?' }] },
      ],
      tools: [{ name: 'get_weather', description: 'Weather in a city', input_schema: weatherTool.function.parameters }],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      metadata: { user_id: 'app-user-7' },
    });
    expect(anthropic.requests[0]!.key).toBe(ANTHROPIC_KEY);
    const json = answer.json as { id: string; object: string; choices: { message: { content: string }; finish_reason: string }[]; usage: Record<string, unknown> };
    expect(json.object).toBe('chat.completion');
    expect(json.id).toMatch(/^msg_/);
    expect(json.choices[0]!.message.content).toBe('Fake reply to: And tomorrow?');
    expect(json.choices[0]!.finish_reason).toBe('stop');
    // Anthropic's input_tokens leaves the cache out: the prompt is input + reads + writes, each priced at its own rate.
    expect(answer.usage!.cachedInputTokens).toBe(5);
    expect(answer.usage!.cacheWriteInputTokens).toBe(3);
    expect(json.usage).toMatchObject({ prompt_tokens: answer.usage!.inputTokens, prompt_tokens_details: { cached_tokens: 5 }, cache_creation_input_tokens: 3 });
    expect(answer.rateLimits?.requests?.limit).toBe(50);
    expect(answer.providerRequestId).toBe(anthropic.requests[0]!.requestId);
  });

  it('keeps Anthropic cache_control marks on system parts, user parts and tools (prompt caching through the gateway)', async () => {
    const mark = { type: 'ephemeral' };
    await call(claude(), {
      model: 'claude-haiku-4-5',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Long shared context', cache_control: mark }] },
        { role: 'user', content: [{ type: 'text', text: 'Question', cache_control: mark }] },
      ],
      tools: [{ ...weatherTool, cache_control: mark }],
    });
    const sent = anthropic.requests[0]!.body as { system: unknown; messages: unknown; tools: { cache_control?: unknown }[] };
    expect(sent.system).toEqual([{ type: 'text', text: 'Long shared context', cache_control: mark }]);
    expect(sent.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Question', cache_control: mark }] }]);
    expect(sent.tools[0]!.cache_control).toEqual(mark);
  });

  it('streams a tool call as OpenAI tool_call deltas, then the finish, the usage chunk (cache writes included) and [DONE]', async () => {
    const out = await drain((await call(claude(), { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], tool_choice: 'required' })) as GatewayStream);
    expect((anthropic.requests[0]!.body as { tool_choice: unknown }).tool_choice).toEqual({ type: 'any' });
    expect(out.toolCalls[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^toolu_/), function: { name: 'get_weather', arguments: '' } });
    expect(JSON.parse(out.toolCalls.map((c) => c.function.arguments ?? '').join(''))).toEqual({ city: expect.any(String) });
    expect(out.finish).toEqual(['tool_calls']);
    expect(out.usage).toMatchObject({ cachedInputTokens: 5, cacheWriteInputTokens: 3 });
    expect(out.usage!.outputTokens).toBeGreaterThan(0);
    expect(out.done).toBe(true);
  });

  it('answers a json_schema response format through the forced output tool, as content', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const body = { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }], response_format: { type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } } };
    const answer = (await call(claude(), body)) as GatewayAnswer;
    const choice = (answer.json as { choices: { message: { content: string; tool_calls?: unknown }; finish_reason: string }[] }).choices[0]!;
    expect(JSON.parse(choice.message.content)).toEqual({ answer: expect.any(String) });
    expect(choice.message.tool_calls).toBeUndefined();
    expect(choice.finish_reason).toBe('stop');
    const streamed = await drain((await call(claude(), { ...body, stream: true })) as GatewayStream);
    expect(JSON.parse(streamed.content)).toEqual({ answer: expect.any(String) });
  });

  it('maps errors to the taxonomy without passing Anthropic\'s text', async () => {
    const body = { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] };
    const overloaded = await failure(call(claude('sk-ant-overloaded-000000000000000000'), body));
    expect(overloaded).toMatchObject({ code: 'provider_unavailable', httpStatus: 529 });
    const invalid = await failure(call(claude('sk-ant-invalid-00000000000000000abcdef'), { ...body, stream: true }));
    expect(invalid).toMatchObject({ code: 'invalid_api_key' });
    expect(invalid!.message).not.toContain('abcdef');
    const limited = await failure(call(claude('sk-ant-ratelimit-0000000000000000000'), body));
    expect(limited).toMatchObject({ code: 'rate_limited', retryAfterMs: 2_000 });
    const credit = await failure(call(claude('sk-ant-credit-000000000000000000000'), body));
    expect(credit).toMatchObject({ code: 'insufficient_quota' });
    const unknownModel = await failure(call(claude(), { ...body, model: 'claude-nope' }));
    expect(unknownModel).toMatchObject({ code: 'model_not_found' });
    // Every one of these was one request: no SDK retries.
    expect(anthropic.requests).toHaveLength(5);
  });

  it('refuses what it cannot translate before anything is sent, naming the endpoint or field', async () => {
    expect(gatewayTranslationProblem('anthropic', 'responses', { model: 'm', input: 'x' })?.message).toMatch(/\/v1\/responses is not available for Anthropic.*\/v1\/chat\/completions/);
    expect(gatewayTranslationProblem('gemini', 'embeddings', { model: 'm', input: 'x' })?.message).toMatch(/\/v1\/embeddings is not available for Gemini/);
    expect(gatewayTranslationProblem('anthropic', 'chat.completions', { model: 'm', messages: [], n: 2 })?.param).toBe('n');
    expect(gatewayTranslationProblem('gemini', 'chat.completions', { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] })?.param).toBe('messages[0].content[0]');
    expect(gatewayTranslationProblem('openai', 'responses', { model: 'm', input: 'x' })).toBeNull();
    const err = await failure(claude().call({ endpoint: 'embeddings', body: { model: 'm', input: 'x' }, stream: false, maxOutputTokens: 0, signal: new AbortController().signal }));
    expect(err).toMatchObject({ code: 'provider_rejected', requestSent: false });
    expect(anthropic.requests).toHaveLength(0);
  });
});

describe('gemini upstream', () => {
  it('translates into generateContent and answers as a chat completion', async () => {
    const body = {
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
        { role: 'assistant', content: '', tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_9', content: '{"celsius":4}' },
        { role: 'user', content: 'Thanks' },
      ],
      tools: [weatherTool],
      temperature: 0.2,
      stop: ['END'],
      seed: 3,
    };
    const answer = (await call(gem(), body)) as GatewayAnswer;
    const sent = gemini.requests[0]!;
    expect(sent.pathname).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.key).toBe(GEMINI_KEY);
    expect(sent.body).toMatchObject({
      contents: [
        { role: 'user', parts: [{ text: 'Look:' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { celsius: 4 } } }, { text: 'Thanks' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 64, temperature: 0.2, stopSequences: ['END'], seed: 3 },
      tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather in a city', parametersJsonSchema: weatherTool.function.parameters }] }],
    });
    const json = answer.json as { id: string; choices: { message: { content: string }; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number } };
    expect(json.choices[0]!.message.content).toBe('Fake reply to: Thanks');
    expect(json.choices[0]!.finish_reason).toBe('stop');
    expect(json.usage.prompt_tokens).toBe(answer.usage!.inputTokens);
    expect(answer.usage!.outputTokens).toBeGreaterThan(0);
    expect(answer.providerRequestId).toEqual(expect.any(String));
  });

  it('streams text and a tool call in OpenAI chunks with the usage chunk', async () => {
    const text = await drain((await call(gem(), { model: 'gemini-2.5-pro', stream: true, messages: [{ role: 'user', content: 'Say something long enough to stream' }] })) as GatewayStream);
    expect(gemini.requests[0]!.pathname).toBe('/v1beta/models/gemini-2.5-pro:streamGenerateContent');
    expect(text.content).toBe('Fake reply to: Say something long enough to stream');
    expect(text.finish).toEqual(['stop']);
    expect(text.usage!.outputTokens).toBeGreaterThan(0);
    const tool = await drain((await call(gem(), { model: 'gemini-2.5-pro', stream: true, messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } })) as GatewayStream);
    expect((gemini.requests[1]!.body as { toolConfig: unknown }).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    expect(tool.toolCalls).toEqual([{ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: expect.any(String) } }]);
    expect(JSON.parse(tool.toolCalls[0]!.function.arguments!)).toEqual({ city: expect.any(String) });
    expect(tool.finish).toEqual(['tool_calls']);
    expect(tool.done).toBe(true);
    // The call's thought signature rides in its id and goes back to Gemini with the call in the next turn.
    const id = tool.toolCalls[0]!.id!;
    expect(id).toMatch(/__thought__c2lnbmVk$/);
    await call(gem(), {
      model: 'gemini-2.5-pro',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: tool.toolCalls[0]!.function.arguments } }] },
        { role: 'tool', tool_call_id: id, content: 'sunny' },
      ],
    });
    expect((gemini.requests[2]!.body as { contents: unknown[] }).contents.slice(1)).toEqual([
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: expect.any(Object) }, thoughtSignature: 'c2lnbmVk' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny' } } }] },
    ]);
  });

  it('maps errors and safety blocks to the taxonomy', async () => {
    const body = { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] };
    expect(await failure(call(gem('AIza-invalid-0000000000000000'), body))).toMatchObject({ code: 'invalid_api_key' });
    expect(await failure(call(gem('AIza-ratelimit-00000000000000'), { ...body, stream: true }))).toMatchObject({ code: 'rate_limited', retryAfterMs: 2_000 });
    expect(await failure(call(gem('AIza-overloaded-0000000000000'), body))).toMatchObject({ code: 'provider_unavailable', httpStatus: 503 });
    expect(await failure(call(gem('AIza-blocked-000000000000000'), body))).toMatchObject({ code: 'content_blocked' });
  });
});

describe('azure-openai upstream', () => {
  it('forwards the chat body to the deployment with the api-version, and reads the answer as sent', async () => {
    const body = { model: 'prod-chat', messages: [{ role: 'user', content: 'Hi' }], temperature: 0.5 };
    const answer = (await call(az(), body)) as GatewayAnswer;
    const sent = azure.requests[0]!;
    expect(sent.pathname).toBe('/openai/deployments/prod-chat/chat/completions');
    expect(sent.query['api-version']).toBe('2024-10-21');
    expect(sent.key).toBe(AZURE_KEY);
    expect(sent.body).toEqual(body);
    expect((answer.json as { model: string }).model).toBe('gpt-4o-2024-07-18');
    expect(answer.usage!.inputTokens).toBeGreaterThan(0);
    expect(answer.providerRequestId).toBe(sent.requestId);
    expect(answer.rateLimits?.requests?.limit).toBe(60);
    expect(await failure(call(az('azure-ratelimit-0000000000000000'), body))).toMatchObject({ code: 'rate_limited' });
    expect(azure.requests).toHaveLength(2);
  });

  it('forwards a stream as Azure sends it, usage chunk included', async () => {
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Stream to me' }], stream: true };
    const stream = (await call(az(), body)) as GatewayStream;
    expect(stream.kind).toBe('stream');
    const got = await drain(stream);
    const sent = azure.requests[0]!;
    expect(sent.pathname).toBe('/openai/deployments/gpt-4o-mini/chat/completions');
    expect(sent.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(got.content).toBe('Fake reply to: Stream to me');
    expect(got.finish).toEqual(['stop']);
    expect(got.done).toBe(true);
    expect(got.usage?.inputTokens).toBeGreaterThan(0);
    expect(got.usage?.outputTokens).toBeGreaterThan(0);
    expect(stream.providerRequestId).toBe(sent.requestId);
  });
});
