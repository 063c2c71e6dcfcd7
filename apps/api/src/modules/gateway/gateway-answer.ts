import type { ServerResponse } from 'node:http';
import {
  answerText,
  classifyProviderError,
  type GatewayAnswer,
  type GatewayEndpoint,
  type GatewayStream,
  GatewayStreamScanner,
  ProviderError,
  SseSplitter,
  type TokenUsage,
} from '@vaultrun/providers';
import type { FastifyReply } from 'fastify';

/** What an answered call produced: what the record and the budgets settle to. */
export interface CallResult {
  /** succeeded: the answer was complete; cancelled: the client left; failed: the stream broke or timed out mid-way. */
  status: 'succeeded' | 'cancelled' | 'failed';
  usage: TokenUsage | null;
  /** `provider`: reported; `counted`: counted from the streamed text (no usage came); null: none known. */
  usageSource: 'provider' | 'counted' | null;
  reportedCostMicroUsd: number | null;
  /** The call's outcome cannot be known (the stream broke, or timed out): its holds are kept at the worst case. */
  unknownOutcome: boolean;
  providerRequestId: string | null;
  /** When the first byte went to the client (streams) or the provider's answer arrived (complete answers). */
  firstByteAt: Date | null;
  providerMs: number;
  /** The answer's text (tools' arguments included), for the record when bodies are kept. */
  outputText: () => string;
  clientDisconnected: boolean;
  /** Why a stream ended early (its mapped error), for the record. */
  error: ProviderError | null;
}

/** Sends a complete answer as the provider sent it; the record is written after (not awaited by the client). */
export function sendAnswer(reply: FastifyReply, answer: GatewayAnswer, headers: Record<string, string>, endpoint: GatewayEndpoint, started: { at: number; wall: number }): CallResult {
  void reply
    .status(200)
    .headers({ ...headers, 'content-type': 'application/json' })
    .send(Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength));
  return {
    status: 'succeeded',
    usage: answer.usage,
    usageSource: answer.usage ? 'provider' : null,
    reportedCostMicroUsd: answer.reportedCostMicroUsd,
    unknownOutcome: false,
    providerRequestId: answer.providerRequestId,
    firstByteAt: new Date(started.wall + answer.headersMs),
    providerMs: performance.now() - started.at,
    outputText: () => answerText(endpoint, answer.json),
    clientDisconnected: false,
    error: null,
  };
}

/** Waits until the client's socket takes more (backpressure), or it closed. */
function drained(raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.once('drain', done);
    raw.once('close', done);
  });
}

export interface StreamOptions {
  endpoint: GatewayEndpoint;
  /** The client did not ask for usage: the usage chunk Vaultrun asked for is left out. */
  stripUsage: boolean;
  headers: Record<string, string>;
  signal: AbortSignal;
  /** Why the signal fired: the client left, or the gateway's timeout. */
  abortReason: () => 'client' | 'timeout' | null;
  startedAt: number;
  /** The prompt as estimated, for usage counted from the text when the provider sent none. */
  estimatedPromptTokens: number;
  countTokens: (text: string) => number;
}

/**
 * Forwards a stream as it arrives: each complete event goes out as soon as it is in (no buffering beyond an event, one
 * write per provider chunk), the usage is read on the way. A client that leaves aborts the provider call (the signal);
 * what it had produced is then counted from the streamed text, unless the provider's usage had already come.
 */
export async function pipeStream(reply: FastifyReply, stream: GatewayStream, o: StreamOptions): Promise<CallResult> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { ...o.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
  // The headers go out at once: a client sees the answer begin even before the first token.
  raw.flushHeaders();
  const splitter = new SseSplitter();
  const scanner = new GatewayStreamScanner(o.endpoint, { stripUsage: o.stripUsage, readsReportedCost: stream.readsReportedCost });
  let firstByteAt: Date | null = null;
  let error: ProviderError | null = null;
  const write = async (text: string) => {
    if (text === '' || raw.destroyed) return;
    firstByteAt ??= new Date();
    if (!raw.write(text)) await drained(raw);
  };
  try {
    for await (const chunk of stream.chunks) await write(scanner.accept(splitter.push(chunk)));
    await write(scanner.accept(splitter.end()));
  } catch (err) {
    error = classifyProviderError(err);
  }
  const clientGone = o.abortReason() === 'client' || raw.destroyed;
  if (!clientGone) {
    if (error) {
      // Too late for an HTTP status: the stream ends with an error event in OpenAI's shape (the SDKs raise it).
      const timedOut = o.abortReason() === 'timeout';
      const message = timedOut ? "Provider unavailable — the answer did not finish within the gateway's timeout" : 'Provider unavailable — the stream broke before the answer was complete';
      const code = timedOut ? 'provider_timeout' : 'provider_unavailable';
      // Anthropic clients (/v1/messages) read an `error` event in Anthropic's shape.
      if (o.endpoint === 'messages') raw.write(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: timedOut ? 'timeout_error' : 'api_error', message, code } })}\n\n`);
      else raw.write(`data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code } })}\n\n`);
    }
    raw.end();
  }
  const providerMs = performance.now() - o.startedAt;
  // The provider's own error event ended the stream (it went to the client as it came): not a complete answer.
  if (!error && !clientGone && scanner.providerError) error = new ProviderError('provider_unavailable', { requestSent: true });
  const common = { reportedCostMicroUsd: scanner.reportedCostMicroUsd, providerRequestId: stream.providerRequestId, firstByteAt, providerMs, outputText: () => scanner.outputText() };
  if (!error && !clientGone) {
    // Complete. A provider that sends no usage on streams (some compatible servers): counted from the text.
    if (scanner.usage) return { status: 'succeeded', usage: scanner.usage, usageSource: 'provider', unknownOutcome: false, clientDisconnected: false, error: null, ...common };
    return { status: 'succeeded', usage: counted(scanner, o), usageSource: 'counted', unknownOutcome: false, clientDisconnected: false, error: null, ...common };
  }
  if (clientGone) {
    // The client left and the provider call was aborted with it: it produced what streamed (or what it reported).
    const usage = scanner.usage ?? counted(scanner, o);
    return { status: 'cancelled', usage, usageSource: scanner.usage ? 'provider' : 'counted', unknownOutcome: false, clientDisconnected: true, error: null, ...common };
  }
  // The provider's stream broke (or ran out of time): it may have produced and billed more than arrived. When its own
  // error event ended it after a usage report (Anthropic's message_start), what streamed counts as output at least.
  const usage = scanner.usage && scanner.providerError ? { ...scanner.usage, outputTokens: Math.max(scanner.usage.outputTokens, o.countTokens(scanner.outputText())) } : scanner.usage;
  return { status: 'failed', usage, usageSource: scanner.usage ? 'provider' : null, unknownOutcome: scanner.usage === null, clientDisconnected: false, error: error instanceof ProviderError ? error : null, ...common };
}

function counted(scanner: GatewayStreamScanner, o: StreamOptions): TokenUsage {
  return { inputTokens: o.estimatedPromptTokens, outputTokens: o.countTokens(scanner.outputText()), cachedInputTokens: 0 };
}
