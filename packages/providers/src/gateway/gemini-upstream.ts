// The gateway's upstream for `gemini` accounts: an OpenAI chat request translated into generateContent /
// streamGenerateContent on the official SDK (the run adapter's client: no SDK retries, no environment, the outbound
// guard), and the answer back into OpenAI's chat format. What maps (docs/gateway.md, "Translation"): system/developer
// messages → systemInstruction; `assistant` → `model`; images as base64 data URLs → inlineData; assistant tool calls →
// functionCall parts and tool results → functionResponse parts (named after the call they answer); tools →
// functionDeclarations (parametersJsonSchema), tool_choice → functionCallingConfig; response_format json_schema →
// responseMimeType + responseJsonSchema (json_object → responseMimeType); max_tokens (what the call was held for),
// temperature, top_p, stop, seed, presence and frequency penalties. Back: text (thoughts left out), tool calls,
// finish_reason, usage (thinking tokens are output tokens, cached content the cached part). Safety blocks are the
// `content_blocked` error. Gemini sends no rate-limit headers.
import type { Content, FunctionCallingConfigMode, GenerateContentConfig, GenerateContentResponse, GoogleGenAI, Part } from '@google/genai';
import { randomBytes } from 'node:crypto';
import { type CallTrace, newCallTrace } from '../call-trace.js';
import { ProviderError } from '../errors.js';
import { classifyGeminiError } from '../gemini/gemini-errors.js';
import { createGeminiClient, type GeminiClientSettings, geminiUsageOf } from '../gemini/gemini-provider.js';
import type { TokenUsage } from '../provider.js';
import { gatewayPromptOf } from './prompt.js';
import { argumentsObject, ChatChunkWriter, type ChatToolCall, chatCompletionOf, dataUrlOf, gatewayTranslationProblem, isObject, jsonBytes, type Obj, plainText, stopSequencesOf } from './translate.js';
import type { GatewayAnswer, GatewayRequest, GatewayStream, GatewayUpstream } from './types.js';

const BLOCKED_FINISH_REASONS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT']);

/** The generateContent parameters for an OpenAI chat body. */
export function geminiParamsOfChat(body: Obj, maxOutputTokens: number): { model: string; contents: Content[]; config: GenerateContentConfig } {
  const system: string[] = [];
  const contents: Content[] = [];
  // Tool results name the function they answer (Gemini matches by name): remembered from the assistant's calls.
  const callNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: Part[]) => {
    if (!parts.length) return;
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts!.push(...parts);
    else contents.push({ role, parts });
  };
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObject(m)) continue;
    if (m.role === 'system' || m.role === 'developer') {
      const text = plainText(m.content);
      if (text) system.push(text);
    } else if (m.role === 'assistant') {
      const parts: Part[] = [];
      const text = plainText(m.content);
      if (text) parts.push({ text });
      for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
        if (!isObject(call) || !isObject(call.function)) continue;
        const name = String(call.function.name ?? '');
        if (typeof call.id === 'string') callNames.set(call.id, name);
        // A thought signature Gemini gave with the call rides in its id (see THOUGHT_MARK): handed back, as Gemini wants.
        const signature = typeof call.id === 'string' && call.id.includes(THOUGHT_MARK) ? call.id.slice(call.id.indexOf(THOUGHT_MARK) + THOUGHT_MARK.length) : null;
        parts.push({ functionCall: { name, args: argumentsObject(call.function.arguments) }, ...(signature ? { thoughtSignature: signature } : {}) });
      }
      push('model', parts);
    } else if (m.role === 'tool' || m.role === 'function') {
      const name = (typeof m.tool_call_id === 'string' ? callNames.get(m.tool_call_id) : undefined) ?? (typeof m.name === 'string' ? m.name : 'tool');
      const text = plainText(m.content);
      push('user', [{ functionResponse: { name, response: resultObject(text) } }]);
    } else {
      push('user', userParts(m.content));
    }
  }
  const config: GenerateContentConfig = { maxOutputTokens };
  if (system.length) config.systemInstruction = system.join('\n\n');
  if (typeof body.temperature === 'number') config.temperature = body.temperature;
  if (typeof body.top_p === 'number') config.topP = body.top_p;
  if (typeof body.seed === 'number') config.seed = body.seed;
  if (typeof body.presence_penalty === 'number') config.presencePenalty = body.presence_penalty;
  if (typeof body.frequency_penalty === 'number') config.frequencyPenalty = body.frequency_penalty;
  const stop = stopSequencesOf(body.stop);
  if (stop) config.stopSequences = stop;
  const format = isObject(body.response_format) ? body.response_format : null;
  if (format?.type === 'json_schema') {
    const schema = gatewayPromptOf('chat.completions', body).jsonSchema;
    config.responseMimeType = 'application/json';
    if (schema) config.responseJsonSchema = schema.schema;
  } else if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : [];
  if (tools.length) {
    config.tools = [
      {
        functionDeclarations: tools.map((t) => {
          const fn = t.function as Obj;
          return { name: String(fn.name), ...(typeof fn.description === 'string' ? { description: fn.description } : {}), ...(isObject(fn.parameters) ? { parametersJsonSchema: fn.parameters } : {}) };
        }),
      },
    ];
    const choice = body.tool_choice;
    const mode = (m: string) => m as FunctionCallingConfigMode;
    if (choice === 'none') config.toolConfig = { functionCallingConfig: { mode: mode('NONE') } };
    else if (choice === 'required') config.toolConfig = { functionCallingConfig: { mode: mode('ANY') } };
    else if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') {
      config.toolConfig = { functionCallingConfig: { mode: mode('ANY'), allowedFunctionNames: [choice.function.name] } };
    }
  }
  return { model: String(body.model), contents, config };
}

/** A tool's result as functionResponse.response (an object): JSON objects as they are, anything else under `result`. */
function resultObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) return parsed;
  } catch {
    // Plain text: wrapped below.
  }
  return { result: text };
}

function userParts(content: unknown): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  const parts: Part[] = [];
  for (const part of Array.isArray(content) ? content : []) {
    if (typeof part === 'string') parts.push({ text: part });
    else if (isObject(part) && part.type === 'text' && typeof part.text === 'string') parts.push({ text: part.text });
    else if (isObject(part) && part.type === 'image_url' && isObject(part.image_url) && typeof part.image_url.url === 'string') {
      const data = dataUrlOf(part.image_url.url);
      if (data) parts.push({ inlineData: { mimeType: data.mediaType, data: data.data } });
    }
  }
  return parts;
}

function finishReasonOf(reason: string | undefined, toolCalls: boolean): string | null {
  if (reason === undefined) return null;
  if (reason === 'MAX_TOKENS') return 'length';
  if (BLOCKED_FINISH_REASONS.has(reason)) return 'content_filter';
  return toolCalls ? 'tool_calls' : 'stop';
}

const callId = () => `call_${randomBytes(12).toString('hex')}`;
/**
 * Gemini's thinking models sign their function calls (`thoughtSignature`) and refuse a later turn whose calls come back
 * without it. An OpenAI client only keeps a tool call's id, so the signature travels inside it (as LiteLLM does):
 * `call_<hex>__thought__<signature>`.
 */
const THOUGHT_MARK = '__thought__';

/** One response (or stream chunk): its text (thoughts left out) and function calls; a blocked prompt is an error. */
function partsOf(response: GenerateContentResponse): { text: string; calls: ChatToolCall[]; finishReason: string | undefined } {
  if (response.promptFeedback?.blockReason) throw new ProviderError('content_blocked', { httpStatus: 200, providerRequestId: response.responseId ?? null });
  const candidate = response.candidates?.[0];
  let text = '';
  const calls: ChatToolCall[] = [];
  for (const p of candidate?.content?.parts ?? []) {
    if (typeof p.text === 'string' && !p.thought) text += p.text;
    if (p.functionCall) {
      const id = p.functionCall.id ?? callId();
      calls.push({ id: p.thoughtSignature ? `${id}${THOUGHT_MARK}${p.thoughtSignature}` : id, name: p.functionCall.name ?? '', arguments: JSON.stringify(p.functionCall.args ?? {}) });
    }
  }
  return { text, calls, finishReason: typeof candidate?.finishReason === 'string' ? candidate.finishReason : undefined };
}

/** A failed call as a ProviderError (the SDK aborts its own signal for its timeout too: the caller's signal tells). */
function failureOf(err: unknown, trace: CallTrace, signal: AbortSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal.aborted) return new ProviderError('cancelled', { requestSent: trace.fetchStarted });
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) return new ProviderError('provider_unavailable', { requestSent: trace.fetchStarted });
  return classifyGeminiError(err, { headers: trace.headers, ...(trace.fetchStarted ? {} : { requestSent: false }) });
}

export class GeminiGatewayUpstream implements GatewayUpstream {
  readonly kind = 'gemini' as const;
  readonly #settings: GeminiClientSettings;

  constructor(settings: GeminiClientSettings) {
    this.#settings = settings;
  }

  async call(request: GatewayRequest): Promise<GatewayAnswer | GatewayStream> {
    if (gatewayTranslationProblem('gemini', request.endpoint, request.body)) throw new ProviderError('provider_rejected', { requestSent: false });
    const params = geminiParamsOfChat(request.body, request.maxOutputTokens);
    params.config.abortSignal = request.signal;
    const trace = newCallTrace();
    const client: GoogleGenAI = createGeminiClient(this.#settings, trace);
    if (!request.stream) {
      let response: GenerateContentResponse;
      try {
        response = await client.models.generateContent(params);
      } catch (err) {
        throw failureOf(err, trace, request.signal);
      }
      const { text, calls, finishReason } = partsOf(response);
      const usage = geminiUsageOf(response.usageMetadata);
      const id = `chatcmpl-${response.responseId ?? randomBytes(12).toString('hex')}`;
      const json = chatCompletionOf({ id, model: response.modelVersion || params.model, text: text === '' && calls.length ? null : text, toolCalls: calls, finishReason: finishReasonOf(finishReason, calls.length > 0) ?? 'stop', usage });
      return { kind: 'json', body: jsonBytes(json), json, usage, reportedCostMicroUsd: null, ...meta(trace, response.responseId ?? null) };
    }
    let chunks: AsyncGenerator<GenerateContentResponse>;
    try {
      chunks = await client.models.generateContentStream(params);
    } catch (err) {
      throw failureOf(err, trace, request.signal);
    }
    return { kind: 'stream', chunks: chatChunksOf(chunks, params.model, trace, request.signal), readsReportedCost: false, ...meta(trace, null) };
  }
}

function meta(trace: CallTrace, id: string | null) {
  return { providerRequestId: id, rateLimits: null, headersMs: (trace.headersAt ?? performance.now()) - trace.startedAt };
}

/** Gemini's chunks as OpenAI chat chunks: text deltas, each function call whole (Gemini sends them whole), the finish, usage, [DONE]. */
async function* chatChunksOf(chunks: AsyncGenerator<GenerateContentResponse>, model: string, trace: CallTrace, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const out = new ChatChunkWriter(`chatcmpl-${randomBytes(12).toString('hex')}`, model);
  let usage: TokenUsage | null = null;
  let finish: string | null = null;
  let tools = 0;
  let started = false;
  try {
    for await (const chunk of chunks) {
      if (!started) {
        if (chunk.responseId) out.id = `chatcmpl-${chunk.responseId}`;
        if (chunk.modelVersion) out.model = chunk.modelVersion;
        started = true;
        yield out.delta({ role: 'assistant', content: '' });
      }
      const { text, calls, finishReason } = partsOf(chunk);
      if (text) yield out.delta({ content: text });
      for (const c of calls) yield out.delta({ tool_calls: [{ index: tools++, id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }] });
      if (finishReason) finish = finishReasonOf(finishReason, tools > 0);
      usage = geminiUsageOf(chunk.usageMetadata) ?? usage;
    }
  } catch (err) {
    throw failureOf(err, trace, signal);
  }
  if (!started) throw new ProviderError('provider_unavailable', { requestSent: true });
  yield out.delta({}, finish ?? (tools > 0 ? 'tool_calls' : 'stop'));
  if (usage) yield out.usage(usage);
  yield out.done();
}
