// The provider error taxonomy (SPEC §6): the one place that maps provider signals to a stable code,
// a message for people, whether to retry, and what it means for the provider account.
//
// Provider messages are never passed through: OpenAI's 401 echoes part of the key, and other
// providers echo the request. A ProviderError carries only the taxonomy message and a few numbers.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from 'openai';
import { outboundRefusalOf } from './outbound.js';
import { parseRetryAfterMs, readHeader, type HeaderSource } from './rate-limit-headers.js';

export const PROVIDER_ERROR_CODES = [
  'invalid_api_key',
  'insufficient_quota',
  'rate_limited',
  'model_not_found',
  'context_length_exceeded',
  'provider_unavailable',
  'invalid_output',
  'provider_rejected',
  'endpoint_refused',
  'cancelled',
  'content_blocked',
] as const;
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[number];

/** What a failure says about the provider account itself (null: nothing). */
export type AccountStatusEffect = 'invalid_key' | 'quota_exhausted' | 'rate_limited' | null;

export const PROVIDER_ERRORS: Record<ProviderErrorCode, { message: string; retryable: boolean; accountStatus: AccountStatusEffect }> = {
  invalid_api_key: { message: 'Invalid API key — verify the full key was copied', retryable: false, accountStatus: 'invalid_key' },
  insufficient_quota: { message: "Insufficient quota — check the provider's billing", retryable: false, accountStatus: 'quota_exhausted' },
  rate_limited: { message: 'Rate limit exceeded — waiting and retrying', retryable: true, accountStatus: 'rate_limited' },
  model_not_found: { message: 'Model not found — verify model access', retryable: false, accountStatus: null },
  context_length_exceeded: { message: 'Input too long for the model', retryable: false, accountStatus: null },
  provider_unavailable: { message: 'Provider unavailable', retryable: true, accountStatus: null },
  invalid_output: { message: 'Output did not match the schema', retryable: false, accountStatus: null },
  provider_rejected: { message: 'The provider refused the request', retryable: false, accountStatus: null },
  endpoint_refused: {
    message: 'Vaultrun refused to connect to the base URL: it points at a link-local or cloud metadata address, or at a private network this deployment does not allow (VAULTRUN_PROVIDER_ALLOW_PRIVATE)',
    retryable: false,
    accountStatus: null,
  },
  cancelled: { message: 'Cancelled', retryable: false, accountStatus: null },
  content_blocked: {
    message: "The provider's safety filters blocked the request or its answer — rephrase the input",
    retryable: false,
    accountStatus: null,
  },
};

export function isProviderErrorCode(value: unknown): value is ProviderErrorCode {
  return typeof value === 'string' && (PROVIDER_ERROR_CODES as readonly string[]).includes(value);
}

export interface ProviderErrorDetails {
  retryAfterMs?: number | null;
  httpStatus?: number | null;
  providerRequestId?: string | null;
  /** Default true: only say false when the request certainly never reached the provider. */
  requestSent?: boolean;
}

export class ProviderError extends Error {
  readonly code: ProviderErrorCode;
  readonly retryable: boolean;
  readonly accountStatus: AccountStatusEffect;
  /** From retry-after / retry-after-ms / x-ratelimit-reset-* headers. */
  readonly retryAfterMs: number | null;
  readonly httpStatus: number | null;
  readonly providerRequestId: string | null;
  /** false only when the request certainly never reached the provider (e.g. connection refused, abort before send). */
  readonly requestSent: boolean;

  constructor(code: ProviderErrorCode, details: ProviderErrorDetails = {}) {
    const entry = PROVIDER_ERRORS[code];
    super(entry.message);
    this.code = code;
    this.retryable = entry.retryable;
    this.accountStatus = entry.accountStatus;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.httpStatus = details.httpStatus ?? null;
    this.providerRequestId = details.providerRequestId ?? null;
    this.requestSent = details.requestSent ?? true;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      accountStatus: this.accountStatus,
      retryAfterMs: this.retryAfterMs,
      httpStatus: this.httpStatus,
      providerRequestId: this.providerRequestId,
      requestSent: this.requestSent,
    };
  }
}

// On the prototype, so the stack's first line (captured in the Error constructor) says ProviderError too.
Object.defineProperty(ProviderError.prototype, 'name', { value: 'ProviderError', writable: true, configurable: true });

/** Socket errors that happen before a single byte of the request left this machine. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_INVALID_URL',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** The errors along an error's cause chain, AggregateErrors included. */
function causeChain(err: unknown): { code?: unknown; message?: unknown }[] {
  const chain: { code?: unknown; message?: unknown }[] = [];
  const queue: unknown[] = [err];
  for (let seen = 0; queue.length > 0 && seen < 16; seen++) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null) continue;
    const { cause, errors } = current as { cause?: unknown; errors?: unknown };
    chain.push(current);
    if (cause !== undefined) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return chain;
}

function errorCodes(err: unknown): string[] {
  return causeChain(err)
    .map(({ code }) => code)
    .filter((code): code is string => typeof code === 'string');
}

function certainlyNotSent(err: unknown): boolean {
  // fetch refuses ports on its blocklist ("bad port") before opening any connection.
  return causeChain(err).some(({ code, message }) => (typeof code === 'string' && NOT_SENT_CODES.has(code)) || message === 'bad port');
}

function isAbort(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}

const CONTEXT_LENGTH_TEXT =
  /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|input is too long|reduce the length of the (messages|prompt)/i;
const QUOTA_TEXT = /insufficient[_ ]quota|exceeded your current quota|billing|credit balance|out of credits/i;
const MODEL_TEXT = /model/i;
const CREDIT_TEXT = /credit balance is too low|purchase credits/i;

interface HttpSignal {
  status: number;
  code: string | null;
  type: string | null;
  text: string;
}

function codeForHttpSignal({ status, code, type, text }: HttpSignal): ProviderErrorCode {
  const says = (value: string) => code === value || type === value;
  if (status === 401) return 'invalid_api_key';
  // 402: gateways' "out of credits"; billing_error: Anthropic's; a 400 "credit balance is too low": Anthropic's too.
  if (status === 402 || says('insufficient_quota') || says('billing_error')) return 'insufficient_quota';
  if (status === 400 && CREDIT_TEXT.test(text)) return 'insufficient_quota';
  if (status === 429) return QUOTA_TEXT.test(text) ? 'insufficient_quota' : 'rate_limited';
  // Azure OpenAI's content filter refuses a prompt with 400 code content_filter.
  if (says('content_filter')) return 'content_blocked';
  if (says('context_length_exceeded') || says('string_above_max_length') || status === 413) return 'context_length_exceeded';
  // Azure OpenAI names a missing deployment (its "model") DeploymentNotFound.
  if (says('DeploymentNotFound')) return 'model_not_found';
  if (status === 404) return says('model_not_found') || MODEL_TEXT.test(text) ? 'model_not_found' : 'provider_rejected';
  if (says('model_not_found')) return 'model_not_found';
  if (status === 400 && CONTEXT_LENGTH_TEXT.test(text)) return 'context_length_exceeded';
  if (status === 408 || status === 409 || status >= 500) return 'provider_unavailable';
  return 'provider_rejected';
}

/** What an HTTP error answer says, read from any provider SDK's error (or a raw response). */
export interface HttpErrorSignal {
  status: number;
  /** The provider's machine-readable code (OpenAI `code`, Azure `code`, Anthropic `error.details.error_code`). */
  code?: string | null;
  /** The provider's error category (OpenAI `type`, Anthropic `error.type`). */
  type?: string | null;
  /** The provider's message: read to recognise a few well-known causes, never kept. */
  text?: string;
  headers?: HeaderSource;
  providerRequestId?: string | null;
  requestSent?: boolean;
  /** A wait the provider asked for in its body (Gemini's RetryInfo), used when no header says one. */
  retryAfterMs?: number | null;
}

/**
 * The taxonomy error for an HTTP error answer of any provider: the one mapping every adapter (and a later gateway
 * translator) shares, so a 429 means the same cooldown on every kind. Nothing of the signal's text survives.
 */
export function providerErrorForHttp(signal: HttpErrorSignal): ProviderError {
  const code = codeForHttpSignal({ status: signal.status, code: signal.code ?? null, type: signal.type ?? null, text: signal.text ?? '' });
  const retryable = PROVIDER_ERRORS[code].retryable;
  const fromHeaders = retryable ? parseRetryAfterMs(signal.headers, { includeRateLimitResets: code === 'rate_limited' }) : null;
  return new ProviderError(code, {
    httpStatus: signal.status,
    providerRequestId: signal.providerRequestId ?? readHeader(signal.headers, 'x-request-id') ?? readHeader(signal.headers, 'request-id'),
    retryAfterMs: retryable ? (fromHeaders ?? signal.retryAfterMs ?? null) : null,
    requestSent: signal.requestSent ?? true,
  });
}

/** Whether a socket-level failure certainly happened before the request left (connection refused, DNS, TLS). */
export function failedBeforeSending(err: unknown): boolean {
  return certainlyNotSent(err);
}

export interface ClassifyContext {
  /** The caller knows the request never left (e.g. it was aborted before the HTTP call began). */
  requestSent?: boolean;
}

/**
 * Maps anything a provider call can throw — openai SDK errors, fetch/socket errors, aborts — to a
 * ProviderError. The original error is read, never kept: no message, body, header or cause of it
 * survives in the result. Unknown errors count as `provider_unavailable` (retried with backoff, up
 * to the caller's limit).
 */
export function classifyProviderError(err: unknown, context: ClassifyContext = {}): ProviderError {
  if (err instanceof ProviderError) return err;
  const sent = (fallback: boolean) => context.requestSent ?? fallback;
  // The outbound guard refused the address before any connection was made.
  if (outboundRefusalOf(err)) return new ProviderError('endpoint_refused', { requestSent: false });

  if (err instanceof APIUserAbortError || isAbort(err)) return new ProviderError('cancelled', { requestSent: sent(true) });
  if (err instanceof APIConnectionTimeoutError) return new ProviderError('provider_unavailable', { requestSent: sent(true) });
  if (err instanceof APIConnectionError) return new ProviderError('provider_unavailable', { requestSent: sent(!certainlyNotSent(err)) });

  if (err instanceof APIError && typeof err.status === 'number') {
    const headers = err.headers as HeaderSource;
    const body = err.error as { message?: unknown } | undefined;
    const text = `${typeof body?.message === 'string' ? body.message : ''} ${err.message}`;
    const code = codeForHttpSignal({ status: err.status, code: err.code ?? null, type: err.type ?? null, text });
    return new ProviderError(code, {
      httpStatus: err.status,
      providerRequestId: err.requestID ?? readHeader(headers, 'x-request-id'),
      retryAfterMs: PROVIDER_ERRORS[code].retryable ? parseRetryAfterMs(headers, { includeRateLimitResets: code === 'rate_limited' }) : null,
      requestSent: sent(true),
    });
  }
  // An SDK error without an HTTP status: a client-side problem such as missing credentials.
  if (err instanceof OpenAIError && !(err instanceof APIError)) return new ProviderError('provider_rejected', { requestSent: sent(false) });

  // Raw socket / fetch failures (e.g. from a custom fetch, or outside the SDK).
  if (errorCodes(err).length > 0 || (err instanceof TypeError && /fetch failed/i.test(err.message))) {
    return new ProviderError('provider_unavailable', { requestSent: sent(!certainlyNotSent(err)) });
  }
  return new ProviderError('provider_unavailable', { requestSent: sent(true) });
}
