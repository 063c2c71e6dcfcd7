// What one HTTP exchange with a provider looked like from this side — whether any request left, when the response
// headers arrived, and those headers — recorded by a fetch wrapper handed to a provider SDK. Every call goes through
// the outbound guard here. Used by the Anthropic, Azure OpenAI and Gemini adapters (and by a gateway translator that
// reuses their clients).
import { guardedFetch, type OutboundPolicy } from './outbound.js';

export interface CallTrace {
  /** performance.now() when the call began. */
  startedAt: number;
  /** The SDK handed a request to fetch: from here on it may have reached the provider. */
  fetchStarted: boolean;
  /** performance.now() when the (last) response's headers arrived. */
  headersAt: number | null;
  headersAtWallClock: Date | null;
  /** The last response's headers (an SDK that hides them on errors — Gemini's — still lets us read retry-after). */
  headers: Headers | null;
  status: number | null;
}

export function newCallTrace(): CallTrace {
  return { startedAt: performance.now(), fetchStarted: false, headersAt: null, headersAtWallClock: null, headers: null, status: null };
}

export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A fetch that connects through the outbound guard and records the exchange on `trace`. */
export function tracingFetch(outbound: OutboundPolicy, trace: CallTrace): FetchFunction {
  return async (input, init) => {
    trace.fetchStarted = true;
    const response = await guardedFetch(outbound, input, init);
    trace.headersAt = performance.now();
    trace.headersAtWallClock = new Date();
    trace.headers = response.headers;
    trace.status = response.status;
    return response;
  };
}

/** Milliseconds from the call's start to its first response byte, or null when no response came. */
export function firstByteMsOf(trace: CallTrace): number | null {
  return trace.headersAt === null ? null : Math.round(trace.headersAt - trace.startedAt);
}
