// What a gateway request sends, read the way Vaultrun needs it: its prompt as chat messages (counted for the budget
// hold, and what the mock answers), tool definitions and structured-output formats (their JSON counts as prompt),
// images and audio (a fixed allowance each), and the output limit the client set. The request itself is forwarded
// untouched to OpenAI-speaking providers; this is only read.
import type { ChatMessage } from '../provider.js';
import { countTokens, estimateRequestPromptTokens, type PromptEstimate, promptCountingFor, utf8TokenBound } from '../tokens.js';
import type { GatewayEndpoint } from './types.js';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Prompt tokens held for one image or audio part. A provider counts images by size and detail (OpenAI: up to ~765
 * for GPT-4o at high detail, ~2,500 for GPT-4.1-mini's patch counting); the hold takes the high end and calibration
 * raises it if a provider counts more.
 */
export const MEDIA_PART_TOKENS = 2_500;

export interface GatewayPrompt {
  messages: ChatMessage[];
  /** Tool definitions and the structured-output format, as sent. */
  tools: unknown[];
  /** Image, audio and file parts. */
  media: number;
  /** A JSON Schema structured output (`response_format` / `text.format`), for translating upstreams. */
  jsonSchema: { name: string; schema: Record<string, unknown> } | null;
}

const TEXT_PARTS = new Set(['text', 'input_text', 'output_text']);
const MEDIA_PARTS = new Set(['image_url', 'input_image', 'input_audio', 'file', 'input_file', 'image']);

function contentOf(content: unknown, counter: { media: number }): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === null || content === undefined ? '' : JSON.stringify(content);
  const texts: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') texts.push(part);
    else if (isObject(part) && TEXT_PARTS.has(String(part.type)) && typeof part.text === 'string') texts.push(part.text);
    else if (isObject(part) && part.type === 'refusal' && typeof part.refusal === 'string') texts.push(part.refusal);
    else if (isObject(part) && MEDIA_PARTS.has(String(part.type))) counter.media++;
    else texts.push(JSON.stringify(part));
  }
  return texts.join('\n');
}

/** The roles Vaultrun counts with: a developer message is a system message, tool and function results are input. */
function roleOf(role: unknown): ChatMessage['role'] {
  if (role === 'system' || role === 'developer') return 'system';
  if (role === 'assistant') return 'assistant';
  return 'user';
}

function chatMessages(body: Obj, counter: { media: number }): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObject(m)) continue;
    let content = contentOf(m.content, counter);
    if (m.tool_calls !== undefined && m.tool_calls !== null) content += JSON.stringify(m.tool_calls);
    if (m.function_call !== undefined && m.function_call !== null) content += JSON.stringify(m.function_call);
    out.push({ role: roleOf(m.role), content });
  }
  return out;
}

function responsesMessages(body: Obj, counter: { media: number }): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') out.push({ role: 'system', content: body.instructions });
  const input = body.input;
  if (typeof input === 'string') {
    out.push({ role: 'user', content: input });
    return out;
  }
  for (const item of Array.isArray(input) ? input : []) {
    if (typeof item === 'string') out.push({ role: 'user', content: item });
    else if (!isObject(item)) continue;
    else if ((item.type === undefined || item.type === 'message') && 'content' in item) out.push({ role: roleOf(item.role), content: contentOf(item.content, counter) });
    else if (item.type === 'function_call') out.push({ role: 'assistant', content: JSON.stringify({ name: item.name, arguments: item.arguments }) });
    else if (item.type === 'function_call_output') out.push({ role: 'user', content: typeof item.output === 'string' ? item.output : JSON.stringify(item.output) });
    else out.push({ role: 'user', content: JSON.stringify(item) });
  }
  return out;
}

function schemaFormat(format: unknown, nested: boolean): GatewayPrompt['jsonSchema'] {
  if (!isObject(format) || format.type !== 'json_schema') return null;
  const spec = nested ? format.json_schema : format;
  if (!isObject(spec) || !isObject(spec.schema)) return null;
  return { name: typeof spec.name === 'string' ? spec.name : 'output', schema: spec.schema };
}

/** An Anthropic Messages request's prompt: system, text, tool calls and results, images (counted as media). */
function anthropicMessages(body: Obj, counter: { media: number }): ChatMessage[] {
  const out: ChatMessage[] = [];
  const blocks = (content: unknown): string => {
    if (typeof content === 'string') return content;
    const texts: string[] = [];
    for (const b of Array.isArray(content) ? content : []) {
      if (!isObject(b)) continue;
      if (b.type === 'text' && typeof b.text === 'string') texts.push(b.text);
      else if (b.type === 'image' || b.type === 'document') counter.media++;
      else if (b.type === 'tool_result') texts.push(blocks(b.content));
      else texts.push(JSON.stringify(b));
    }
    return texts.join('\n');
  };
  const system = blocks(body.system);
  if (system) out.push({ role: 'system', content: system });
  for (const m of Array.isArray(body.messages) ? body.messages : []) if (isObject(m)) out.push({ role: roleOf(m.role), content: blocks(m.content) });
  return out;
}

/** The prompt of a chat, responses or messages request (embeddings: see `embeddingInputsOf`). */
export function gatewayPromptOf(endpoint: GatewayEndpoint, body: Obj): GatewayPrompt {
  const counter = { media: 0 };
  const tools: unknown[] = [];
  if (Array.isArray(body.tools)) tools.push(...body.tools);
  if (endpoint === 'messages') return { messages: anthropicMessages(body, counter), tools, media: counter.media, jsonSchema: null };
  if (endpoint === 'chat.completions') {
    if (Array.isArray(body.functions)) tools.push(...body.functions);
    const messages = chatMessages(body, counter);
    const format = isObject(body.response_format) && body.response_format.type !== 'text' ? body.response_format : null;
    if (format) tools.push(format);
    return { messages, tools, media: counter.media, jsonSchema: schemaFormat(format, true) };
  }
  const messages = responsesMessages(body, counter);
  const text = isObject(body.text) ? body.text : null;
  const format = text && isObject(text.format) && text.format.type !== 'text' ? text.format : null;
  if (format) tools.push(format);
  return { messages, tools, media: counter.media, jsonSchema: schemaFormat(format, false) };
}

/** An embeddings request's input: strings, and token arrays (which count as their length). */
export function embeddingInputsOf(body: Obj): { texts: string[]; tokenArrays: number[][] } {
  const input = body.input;
  if (typeof input === 'string') return { texts: [input], tokenArrays: [] };
  if (!Array.isArray(input)) return { texts: [], tokenArrays: [] };
  if (input.every((x) => typeof x === 'number')) return { texts: [], tokenArrays: [input as number[]] };
  const texts: string[] = [];
  const tokenArrays: number[][] = [];
  for (const x of input) {
    if (typeof x === 'string') texts.push(x);
    else if (Array.isArray(x)) tokenArrays.push(x.filter((t): t is number => typeof t === 'number'));
  }
  return { texts, tokenArrays };
}

/**
 * The prompt tokens a provider of `kind` may count for this request, the way runs are held (docs/budgets.md): exact
 * for the mock (it counts the same messages with the same tokenizer), o200k_base for OpenAI's current families, an
 * upper bound for every other model; plus the allowance for media and the JSON of tools and formats.
 */
export function estimateGatewayPromptTokens(kind: string, model: string, endpoint: GatewayEndpoint, body: Obj): PromptEstimate {
  const counting = promptCountingFor(kind, model);
  if (endpoint === 'embeddings') {
    const { texts, tokenArrays } = embeddingInputsOf(body);
    const count = counting === 'utf8_bound' ? utf8TokenBound : countTokens;
    return { counting, tokens: texts.reduce((n, t) => n + count(t), 0) + tokenArrays.reduce((n, a) => n + a.length, 0) };
  }
  const prompt = gatewayPromptOf(endpoint, body);
  const estimate = estimateRequestPromptTokens(kind, model, { messages: prompt.messages, tools: counting === 'mock' ? null : prompt.tools });
  return counting === 'mock' ? estimate : { counting, tokens: estimate.tokens + prompt.media * MEDIA_PART_TOKENS };
}

const positiveInt = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : null);

/** The output limit the client set (chat: per choice, times `n`), or null when it set none. Embeddings: 0. */
export function requestedMaxOutputTokens(endpoint: GatewayEndpoint, body: Obj): number | null {
  if (endpoint === 'embeddings') return 0;
  if (endpoint === 'responses') return positiveInt(body.max_output_tokens);
  if (endpoint === 'messages') return positiveInt(body.max_tokens);
  const perChoice = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens);
  return perChoice === null ? null : perChoice * (positiveInt(body.n) ?? 1);
}

/** Choices a chat request asks for (`n`), 1 otherwise: the output allowance is per choice. */
export const choicesOf = (endpoint: GatewayEndpoint, body: Obj): number => (endpoint === 'chat.completions' ? (positiveInt(body.n) ?? 1) : 1);
