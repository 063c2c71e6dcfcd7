// Anthropic's errors on the shared taxonomy. Anthropic answers with `{ type: 'error', error: { type, message,
// details? }, request_id }`: 401 authentication_error, 403 permission_error, 404 not_found_error (an unknown model),
// 413 request_too_large, 429 rate_limit_error (with retry-after), 400 invalid_request_error (also "prompt is too
// long" and "credit balance is too low"), billing_error, 500 api_error, 529 overloaded_error. Read, never kept.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AnthropicError } from '@anthropic-ai/sdk';
import { classifyProviderError, failedBeforeSending, type ClassifyContext, ProviderError, providerErrorForHttp } from '../errors.js';
import type { HeaderSource } from '../rate-limit-headers.js';
import { parseAnthropicRateLimitHeaders } from '../rate-limit-headers.js';

/** The HTTP status each Anthropic error type is sent with (a stream's error event carries only the type). */
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** The wait an exhausted anthropic-ratelimit-* window asks for (a 429 without retry-after). */
function exhaustedWindowWaitMs(headers: HeaderSource): number | null {
  const snapshot = parseAnthropicRateLimitHeaders(headers);
  const windows = [snapshot?.requests, snapshot?.tokens].filter((w) => w && w.resetMs !== null);
  const exhausted = windows.filter((w) => w!.remaining === 0);
  const waits = (exhausted.length ? exhausted : windows).map((w) => w!.resetMs!);
  return waits.length ? Math.max(...waits) : null;
}

/**
 * Anything an Anthropic SDK call can throw → a ProviderError (the shared classifier handles socket errors, aborts
 * and the outbound guard). A gateway translator calling the same SDK client maps its errors with this too.
 */
export function classifyAnthropicError(err: unknown, context: ClassifyContext = {}): ProviderError {
  if (err instanceof ProviderError) return err;
  const sent = (fallback: boolean) => context.requestSent ?? fallback;
  if (err instanceof APIUserAbortError) return new ProviderError('cancelled', { requestSent: sent(true) });
  if (err instanceof APIConnectionTimeoutError) return new ProviderError('provider_unavailable', { requestSent: sent(true) });
  if (err instanceof APIConnectionError) {
    // The outbound guard's refusal and socket errors are on its cause chain.
    const classified = classifyProviderError(err.cause ?? err, context);
    if (classified.code === 'endpoint_refused' || classified.code === 'cancelled') return classified;
    return new ProviderError('provider_unavailable', { requestSent: sent(!failedBeforeSending(err)) });
  }
  if (err instanceof APIError && (typeof err.status === 'number' || err.type)) {
    const headers = err.headers as HeaderSource;
    // An error event inside a stream has no status of its own: its type says which one it stands for.
    const status = typeof err.status === 'number' ? err.status : (STATUS_OF_TYPE[err.type ?? ''] ?? 500);
    return providerErrorForHttp({
      status,
      type: err.type,
      code: err.errorCode,
      text: `${err.apiMessage ?? ''}`,
      headers,
      providerRequestId: err.requestID ?? null,
      retryAfterMs: status === 429 ? exhaustedWindowWaitMs(headers) : null,
      requestSent: sent(true),
    });
  }
  // A client-side SDK error without an HTTP status (missing credentials, a bad option): nothing reached Anthropic.
  if (err instanceof AnthropicError) return new ProviderError('provider_rejected', { requestSent: sent(false) });
  return classifyProviderError(err, context);
}
