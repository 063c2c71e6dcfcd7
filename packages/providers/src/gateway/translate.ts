// What translating upstreams (Anthropic, Gemini) share: which endpoints and request fields a kind can serve through
// the OpenAI-compatible gateway, reading an OpenAI chat request's parts, and writing OpenAI chat answers and stream
// chunks (ids, finish reasons, tool calls, usage with cache reads and writes) from what a provider answered.
import type { ProviderKind, TokenUsage } from '../provider.js';
import type { GatewayEndpoint } from './types.js';

export type Obj = Record<string, unknown>;
export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const encoder = new TextEncoder();

/** The gateway endpoints each kind serves: forwarding kinds all of them, translating kinds chat completions and messages. */
export function gatewayEndpointsOf(kind: ProviderKind): readonly GatewayEndpoint[] {
  if (kind === 'anthropic' || kind === 'gemini') return ['chat.completions', 'messages'];
  return ['chat.completions', 'responses', 'embeddings', 'messages'];
}

/** A request a kind cannot serve through the gateway, said the way an OpenAI 400 says it. */
export interface TranslationProblem {
  message: string;
  param: string | null;
}

const KIND_NAMES: Partial<Record<ProviderKind, string>> = { anthropic: 'Anthropic', gemini: 'Gemini' };

/**
 * Why this request cannot go to an account of `kind` (null: it can). Checked before anything is held, so the app gets
 * a clear 400 naming the endpoint or field rather than a provider's refusal.
 */
export function gatewayTranslationProblem(kind: ProviderKind, endpoint: GatewayEndpoint, body: Obj): TranslationProblem | null {
  const name = KIND_NAMES[kind];
  if (!name) return null;
  if (!gatewayEndpointsOf(kind).includes(endpoint)) {
    const path = endpoint === 'responses' ? '/v1/responses' : '/v1/embeddings';
    return { message: `${path} is not available for ${name} accounts through the gateway: they serve /v1/chat/completions (and /v1/messages) only.`, param: 'model' };
  }
  // A Messages request goes to Anthropic as it is, and to Gemini through the chat translation of what it maps.
  if (endpoint === 'messages') return null;
  const n = body.n;
  if (typeof n === 'number' && n > 1) return { message: `'n' above 1 is not supported by ${name} accounts (one choice per call).`, param: 'n' };
  if (body.logprobs === true) return { message: `'logprobs' is not supported by ${name} accounts.`, param: 'logprobs' };
  if (Array.isArray(body.functions) || body.function_call !== undefined) return { message: `Legacy 'functions' are not translated for ${name} accounts: send 'tools'.`, param: 'functions' };
  const format = isObject(body.response_format) ? body.response_format : null;
  if (format && format.type === 'json_schema' && Array.isArray(body.tools) && body.tools.length > 0 && kind === 'anthropic') {
    return { message: "'response_format' json_schema together with 'tools' is not supported by Anthropic accounts (the schema is answered through a forced tool).", param: 'response_format' };
  }
  for (const [i, tool] of (Array.isArray(body.tools) ? body.tools : []).entries()) {
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function) || typeof tool.function.name !== 'string') {
      return { message: `'tools[${i}]': only function tools are translated for ${name} accounts.`, param: `tools[${i}]` };
    }
  }
  for (const [i, m] of (Array.isArray(body.messages) ? body.messages : []).entries()) {
    if (!isObject(m) || !Array.isArray(m.content)) continue;
    for (const [j, part] of m.content.entries()) {
      if (!isObject(part)) continue;
      if (part.type === 'text') continue;
      if (part.type === 'image_url' && isObject(part.image_url) && typeof part.image_url.url === 'string') {
        const url = part.image_url.url;
        if (dataUrlOf(url) || (kind === 'anthropic' && /^https?:\/\//i.test(url))) continue;
        return { message: `'messages[${i}].content[${j}]': ${name} accounts take images as ${kind === 'anthropic' ? 'https or base64 data URLs' : 'base64 data URLs'}.`, param: `messages[${i}].content[${j}]` };
      }
      return { message: `'messages[${i}].content[${j}]': content parts of type '${String(part.type)}' are not translated for ${name} accounts (text and images are).`, param: `messages[${i}].content[${j}]` };
    }
  }
  return null;
}

/** A `data:<mime>;base64,<data>` URL's parts. */
export function dataUrlOf(url: string): { mediaType: string; data: string } | null {
  const m = /^data:([\w.+-]+\/[\w.+-]+);base64,(.*)$/s.exec(url);
  return m ? { mediaType: m[1]!, data: m[2]! } : null;
}

/** A message's content as plain text (text parts joined). */
export function plainText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (typeof p === 'string' ? p : isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

/** A tool call's arguments as an object (what Anthropic and Gemini take); unparsable text is kept under `raw`. */
export function argumentsObject(args: unknown): Obj {
  if (isObject(args)) return args;
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    return isObject(parsed) ? parsed : { value: parsed };
  } catch {
    // A model's half-written arguments sent back as history: kept as the text they are.
    return { raw: args };
  }
}

/** `stop` as a list of stop sequences. */
export function stopSequencesOf(stop: unknown): string[] | undefined {
  if (typeof stop === 'string' && stop !== '') return [stop];
  if (Array.isArray(stop)) {
    const list = stop.filter((s): s is string => typeof s === 'string' && s !== '');
    return list.length ? list : undefined;
  }
  return undefined;
}

export interface ChatToolCall {
  id: string;
  name: string;
  /** JSON text. */
  arguments: string;
}

/**
 * Chat Completions usage from the shared model. `prompt_tokens` includes cached reads and writes, as OpenAI counts a
 * prompt; the cache write count rides along as `cache_creation_input_tokens` (LiteLLM's name), which `chatUsageOf`
 * reads back, so a translated stream prices cache writes at their own price.
 */
export function chatUsageFields(u: TokenUsage): Obj {
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cachedInputTokens },
    ...(u.cacheWriteInputTokens ? { cache_creation_input_tokens: u.cacheWriteInputTokens, cache_read_input_tokens: u.cachedInputTokens } : {}),
  };
}

/** A complete `chat.completion` answer. */
export function chatCompletionOf(a: { id: string; model: string; text: string | null; toolCalls: ChatToolCall[]; finishReason: string; usage: TokenUsage | null }): Obj {
  const message: Obj = { role: 'assistant', content: a.text, refusal: null };
  if (a.toolCalls.length) message.tool_calls = a.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  return {
    id: a.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: a.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: a.finishReason }],
    ...(a.usage ? { usage: chatUsageFields(a.usage) } : {}),
  };
}

/** Writes `chat.completion.chunk` events for one stream. */
export class ChatChunkWriter {
  readonly created = Math.floor(Date.now() / 1000);
  constructor(
    public id: string,
    public model: string,
  ) {}

  #event(fields: Obj): Uint8Array {
    return encoder.encode(`data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, ...fields })}\n\n`);
  }

  delta(delta: Obj, finishReason: string | null = null): Uint8Array {
    return this.#event({ choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  }

  usage(usage: TokenUsage): Uint8Array {
    return this.#event({ choices: [], usage: chatUsageFields(usage) });
  }

  done(): Uint8Array {
    return encoder.encode('data: [DONE]\n\n');
  }
}

/** Encodes a JSON answer the way GatewayAnswer carries it. */
export const jsonBytes = (json: unknown) => encoder.encode(JSON.stringify(json));
