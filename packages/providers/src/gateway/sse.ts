// Server-sent events as the gateway forwards them: split at event boundaries (so an event is never cut in two on its
// way to the client, and never held back longer than it takes to arrive), with usage read on the way. The bytes go out
// as they came; only the one event a client did not ask for (the usage chunk of a chat stream whose client did not
// set `stream_options.include_usage`) is left out.
import { anthropicUsageOf } from '../anthropic/anthropic-provider.js';
import type { TokenUsage } from '../provider.js';
import type { GatewayEndpoint } from './types.js';
import { chatUsageOf, reportedCostOf, responsesUsageOf } from './usage.js';

export interface SseEvent {
  /** The event as received, its terminating blank line included. */
  raw: string;
  /** Its `data:` lines joined by newlines, or null when it has none. */
  data: string | null;
}

const BOUNDARY = /\r?\n\r?\n/g;

/** Splits a byte stream into complete server-sent events. */
export class SseSplitter {
  readonly #decoder = new TextDecoder();
  #buffer = '';

  /** The events completed by this chunk (a partial event waits for the next one). */
  push(chunk: Uint8Array): SseEvent[] {
    this.#buffer += this.#decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    let start = 0;
    BOUNDARY.lastIndex = 0;
    for (let m = BOUNDARY.exec(this.#buffer); m; m = BOUNDARY.exec(this.#buffer)) {
      const end = m.index + m[0].length;
      events.push(eventOf(this.#buffer.slice(start, end)));
      start = end;
    }
    if (start > 0) this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /** What is left when the stream ends (an event without its blank line), if anything. */
  end(): SseEvent[] {
    const rest = this.#buffer + this.#decoder.decode();
    this.#buffer = '';
    return rest.trim() === '' ? [] : [eventOf(rest)];
  }
}

function eventOf(raw: string): SseEvent {
  let data: string | null = null;
  for (const line of raw.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return { raw, data };
}

/**
 * Only a `"usage": {` outside a string can start a usage object: inside a JSON string its quotes would be escaped
 * (`\"usage\"`). So events without it are forwarded without being parsed at all.
 */
const HAS_USAGE = /"usage"\s*:\s*\{/;
/** An Anthropic stream's error event (`{"type":"error",…}`); same escaping argument as above. */
const ERROR_EVENT = /^\s*\{\s*"type"\s*:\s*"error"/;
/** A chat stream's error chunk has an `error` key (only a key can be an unescaped `"error":`). */
const HAS_ERROR = /"error"\s*:\s*\{/;
/** An Anthropic Messages stream's last event. */
const MESSAGE_STOP = /"type"\s*:\s*"message_stop"/;
/** A Responses stream's last event carries the whole response, usage included (same escaping argument as above). */
const RESPONSE_FINAL = /"type"\s*:\s*"response\.(?:completed|incomplete|failed)"/;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

export interface StreamScanOptions {
  /** The client did not ask for usage (chat): the usage-only chunk Vaultrun asked for is not forwarded. */
  stripUsage: boolean;
  /** Read `usage.cost` (USD) as the provider's own figure. */
  readsReportedCost: boolean;
}

/**
 * Reads usage from a stream's events as they pass, decides what to forward, and keeps the events' payloads so the
 * output text can be counted afterwards (a client that disconnected: no usage came) or stored (retention).
 */
export class GatewayStreamScanner {
  usage: TokenUsage | null = null;
  reportedCostMicroUsd: number | null = null;
  /** The provider said the answer is complete (`[DONE]`, or a final `response.*` event). */
  finished = false;
  /**
   * The provider ended the stream with an error event of its own (Anthropic's `event: error`, a chat chunk that is an
   * `error` object): forwarded to the client as it came, but the answer is not complete.
   */
  providerError = false;
  readonly #payloads: string[] = [];
  /** A Messages stream's usage so far: message_start's, updated by message_delta's cumulative counts. */
  #anthropicUsage: Obj = {};

  constructor(
    private readonly endpoint: GatewayEndpoint,
    private readonly options: StreamScanOptions,
  ) {}

  /** The text to forward for these events, in order (possibly empty). */
  accept(events: readonly SseEvent[]): string {
    let out = '';
    for (const event of events) if (this.#keep(event)) out += event.raw;
    return out;
  }

  #keep(event: SseEvent): boolean {
    const data = event.data;
    if (data === null) return true;
    if (data === '[DONE]') {
      this.finished = true;
      return true;
    }
    this.#payloads.push(data);
    if (this.endpoint === 'messages') {
      if (MESSAGE_STOP.test(data)) this.finished = true;
      if (ERROR_EVENT.test(data)) this.providerError = true;
      if (!HAS_USAGE.test(data)) return true;
      const value = parse(data);
      if (!isObject(value)) return true;
      const usage = value.type === 'message_start' && isObject(value.message) ? value.message.usage : value.type === 'message_delta' ? value.usage : null;
      if (isObject(usage)) {
        for (const [k, v] of Object.entries(usage)) if (v !== null && v !== undefined) this.#anthropicUsage[k] = v;
        this.usage = anthropicUsageOf(this.#anthropicUsage) ?? this.usage;
      }
      return true;
    }
    if (this.endpoint === 'responses') {
      if (RESPONSE_FINAL.test(data)) {
        const value = parse(data);
        if (isObject(value)) {
          this.finished = true;
          const response = value.response;
          if (isObject(response)) {
            this.usage = responsesUsageOf(response.usage) ?? this.usage;
            if (this.options.readsReportedCost) this.reportedCostMicroUsd = reportedCostOf(response) ?? this.reportedCostMicroUsd;
          }
        }
      }
      return true;
    }
    if (HAS_ERROR.test(data)) {
      const value = parse(data);
      if (isObject(value) && isObject(value.error) && !Array.isArray(value.choices)) this.providerError = true;
    }
    if (!HAS_USAGE.test(data)) return true;
    const value = parse(data);
    if (!isObject(value) || !isObject(value.usage)) return true;
    this.usage = chatUsageOf(value.usage) ?? this.usage;
    if (this.options.readsReportedCost) this.reportedCostMicroUsd = reportedCostOf(value) ?? this.reportedCostMicroUsd;
    // The usage-only chunk (no choices) exists because Vaultrun asked for it: a client that did not gets none.
    return !(this.options.stripUsage && Array.isArray(value.choices) && value.choices.length === 0);
  }

  /** Everything the model produced in the events seen so far: text, refusals, tool-call arguments. */
  outputText(): string {
    let text = '';
    for (const data of this.#payloads) text += streamedTextOf(this.endpoint, parse(data));
    return text;
  }
}

function streamedTextOf(endpoint: GatewayEndpoint, event: unknown): string {
  if (!isObject(event)) return '';
  if (endpoint === 'messages') {
    const delta = event.type === 'content_block_delta' && isObject(event.delta) ? event.delta : null;
    return delta && typeof delta.text === 'string' ? delta.text : delta && typeof delta.partial_json === 'string' ? delta.partial_json : '';
  }
  if (endpoint === 'responses') {
    const type = event.type;
    return typeof type === 'string' && type.endsWith('.delta') && typeof event.delta === 'string' ? event.delta : '';
  }
  let text = '';
  for (const choice of Array.isArray(event.choices) ? event.choices : []) {
    const delta = isObject(choice) ? choice.delta : null;
    if (!isObject(delta)) continue;
    for (const key of ['content', 'refusal', 'reasoning_content']) if (typeof delta[key] === 'string') text += delta[key];
    for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
      const fn = isObject(call) ? call.function : null;
      if (isObject(fn)) text += `${typeof fn.name === 'string' ? fn.name : ''}${typeof fn.arguments === 'string' ? fn.arguments : ''}`;
    }
  }
  return text;
}

/** What a complete answer produced, as text (for retention): messages, refusals, tool calls; nothing for embeddings. */
export function answerText(endpoint: GatewayEndpoint, answer: unknown): string {
  if (!isObject(answer) || endpoint === 'embeddings') return '';
  const parts: string[] = [];
  if (endpoint === 'messages') {
    for (const b of Array.isArray(answer.content) ? answer.content : []) {
      if (isObject(b) && b.type === 'text' && typeof b.text === 'string') parts.push(b.text);
      else if (isObject(b) && b.type === 'tool_use') parts.push(JSON.stringify({ name: b.name, input: b.input }));
    }
    return parts.join('\n');
  }
  if (endpoint === 'responses') {
    for (const item of Array.isArray(answer.output) ? answer.output : []) {
      if (!isObject(item)) continue;
      if (item.type === 'function_call') parts.push(JSON.stringify({ name: item.name, arguments: item.arguments }));
      for (const c of Array.isArray(item.content) ? item.content : []) {
        if (isObject(c) && typeof c.text === 'string') parts.push(c.text);
        else if (isObject(c) && typeof c.refusal === 'string') parts.push(c.refusal);
      }
    }
    return parts.join('\n');
  }
  for (const choice of Array.isArray(answer.choices) ? answer.choices : []) {
    const message = isObject(choice) ? choice.message : null;
    if (!isObject(message)) continue;
    if (typeof message.content === 'string') parts.push(message.content);
    if (typeof message.refusal === 'string') parts.push(message.refusal);
    if (Array.isArray(message.tool_calls)) parts.push(JSON.stringify(message.tool_calls));
  }
  return parts.join('\n');
}
