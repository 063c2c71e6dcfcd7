import { randomUUID } from 'node:crypto';
import { type ProviderError, type ProviderErrorCode } from '@vaultrun/providers';
import { DomainError, type ErrorKind, workspaceSuspendedMessage } from '@vaultrun/vault-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, DATABASE_RETRY_AFTER_SECONDS } from '../../common/problem-details.js';

/**
 * Every answer of /v1/* that is not a success has OpenAI's error shape, `{"error":{"message","type","param","code"}}`,
 * and the status an OpenAI client expects (docs/gateway.md, "Errors"). `x-should-retry` tells the official SDKs not to
 * retry what a retry cannot fix (they retry 408, 409, 429 and 5xx by default).
 */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  body(): { error: { message: string; type: string; param: string | null; code: string } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  /**
   * The same error in Anthropic's shape, for `/v1/messages` (the Anthropic SDK reads `error.type` and the status):
   * `{"type":"error","error":{"type","message"}}`, with Vaultrun's `code` and `param` alongside.
   */
  anthropicBody(requestId: string): { type: 'error'; error: { type: string; message: string; code: string; param: string | null }; request_id: string } {
    return { type: 'error', error: { type: anthropicErrorType(this.status), message: this.message, code: this.code, param: this.param }, request_id: requestId };
  }
}

/** Anthropic's error type for a status (https://docs.anthropic.com/en/api/errors). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** Whether a path is Anthropic's Messages API (its answers, errors included, are in Anthropic's shape). */
export const isMessagesPath = (url: string) => /^\/v1\/messages(?:[/?]|$)/.test(url);

const noRetry = { 'x-should-retry': 'false' };

const retryAfter = (ms: number) => {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return { 'retry-after': String(seconds), 'retry-after-ms': String(Math.max(1, Math.ceil(ms))) };
};

export const gatewayErrors = {
  workspaceSuspended: (reason: string | null) => new GatewayError(403, 'permission_error', 'workspace_suspended', workspaceSuspendedMessage(reason), null, noRetry),
  invalidRequest: (message: string, param: string | null, code = 'invalid_value') => new GatewayError(400, 'invalid_request_error', code, message, param),
  missing: (param: string) => new GatewayError(400, 'invalid_request_error', 'missing_required_parameter', `Missing required parameter: '${param}'.`, param),
  modelNotFound: (model: string) =>
    new GatewayError(404, 'invalid_request_error', 'model_not_found', `The model \`${model}\` does not exist or this token may not use it. GET /v1/models lists the models this token may call.`, 'model'),
  modelNotAllowed: (model: string) => new GatewayError(403, 'permission_error', 'model_not_allowed', `This API token may not call the model \`${model}\` (its model allow-list does not name it).`, 'model', noRetry),
  accountNotAllowed: (model: string) =>
    new GatewayError(403, 'permission_error', 'account_not_allowed', `This API token may not use any provider account the route \`${model}\` runs on.`, 'model', noRetry),
  busy: (message: string, retryAfterMs: number) => new GatewayError(429, 'rate_limit_error', 'capacity_wait_timeout', message, null, retryAfter(retryAfterMs)),
  budget: (code: string, message: string) =>
    code === 'unpriced_model'
      ? new GatewayError(422, 'invalid_request_error', 'unpriced_model', message, 'model', noRetry)
      : new GatewayError(402, 'budget_exceeded', code === 'credits_exhausted' ? 'credits_exhausted' : 'budget_exceeded', message, null, noRetry),
  unknownUrl: (method: string, path: string) => new GatewayError(404, 'invalid_request_error', 'unknown_url', `Invalid URL (${method} ${path}).`),
};

/** What the app is told when its call failed at the provider (SPEC §6), with Vaultrun's words — never the provider's. */
const PROVIDER_ANSWERS: Record<ProviderErrorCode, { status: number; type: string; code: string; retry: boolean; message: (account: string) => string }> = {
  invalid_api_key: {
    status: 502,
    type: 'upstream_error',
    code: 'upstream_auth_failed',
    retry: false,
    message: (a) => `The provider refused the key stored for account "${a}" (Invalid API key — verify the full key was copied). Your Vaultrun token is fine: a workspace admin must verify or rotate the account's key.`,
  },
  insufficient_quota: {
    status: 502,
    type: 'upstream_error',
    code: 'upstream_quota_exhausted',
    retry: false,
    message: (a) => `Insufficient quota — the provider account "${a}" is out of credit or quota; check the provider's billing.`,
  },
  rate_limited: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', retry: true, message: (a) => `Rate limit exceeded — the provider asked "${a}" to slow down; retry after the time given.` },
  model_not_found: { status: 404, type: 'invalid_request_error', code: 'model_not_found', retry: false, message: (a) => `Model not found — verify model access (the provider behind "${a}" does not serve it).` },
  context_length_exceeded: { status: 400, type: 'invalid_request_error', code: 'context_length_exceeded', retry: false, message: () => 'Input too long for the model.' },
  provider_unavailable: { status: 502, type: 'upstream_error', code: 'provider_unavailable', retry: true, message: (a) => `Provider unavailable — the provider behind "${a}" failed or did not answer.` },
  invalid_output: { status: 502, type: 'upstream_error', code: 'invalid_output', retry: false, message: () => 'Output did not match the schema.' },
  content_blocked: {
    status: 400,
    type: 'invalid_request_error',
    code: 'content_filter',
    retry: false,
    message: (a) => `The safety filters of the provider behind "${a}" blocked the request or its answer — rephrase the input.`,
  },
  provider_rejected: {
    status: 400,
    type: 'invalid_request_error',
    code: 'upstream_rejected',
    retry: false,
    message: (a) => `The provider behind "${a}" refused the request as invalid. Vaultrun does not pass provider messages on; check the parameters it names, if any.`,
  },
  endpoint_refused: {
    status: 502,
    type: 'upstream_error',
    code: 'endpoint_refused',
    retry: false,
    message: () => 'Vaultrun refused to connect to the account\'s base URL (a link-local, metadata or disallowed private address).',
  },
  cancelled: { status: 499, type: 'server_error', code: 'cancelled', retry: false, message: () => 'Cancelled.' },
};

/** A provider failure as the app's error. A timeout (no answer in time) is a 504. */
export function providerGatewayError(error: ProviderError, accountName: string, options: { timedOut?: boolean } = {}): GatewayError {
  if (options.timedOut) {
    return new GatewayError(504, 'upstream_error', 'provider_timeout', `Provider unavailable — the provider behind "${accountName}" did not finish within the gateway's timeout.`, null, noRetry);
  }
  const a = PROVIDER_ANSWERS[error.code];
  const headers: Record<string, string> = a.retry ? {} : { ...noRetry };
  if (error.code === 'rate_limited') Object.assign(headers, retryAfter(error.retryAfterMs ?? 1_000));
  // A timeout of the provider itself (no HTTP status, request sent): 504, retryable.
  const status = error.code === 'provider_unavailable' && error.httpStatus === null && error.requestSent ? 504 : a.status;
  return new GatewayError(status, a.type, a.code, a.message(accountName), null, headers);
}

const KIND_ANSWER: Record<ErrorKind, { status: number; type: string }> = {
  invalid_input: { status: 400, type: 'invalid_request_error' },
  unauthenticated: { status: 401, type: 'authentication_error' },
  budget_exceeded: { status: 402, type: 'budget_exceeded' },
  forbidden: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  conflict: { status: 409, type: 'invalid_request_error' },
  unprocessable: { status: 422, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  unavailable: { status: 503, type: 'server_error' },
  internal: { status: 500, type: 'server_error' },
};

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
  cause?: unknown;
}

/** Anything thrown while serving /v1/* as the app's error; `unexpected` ones are logged with their error id. */
export function toGatewayError(error: unknown): { error: GatewayError; unexpected: boolean } {
  if (error instanceof GatewayError) return { error, unexpected: false };
  if (error instanceof DomainError) {
    const { status, type } = KIND_ANSWER[error.kind];
    const param = error.errors?.[0]?.field ?? null;
    const headers: Record<string, string> = {};
    const retryAfterSeconds = error.details?.retryAfterSeconds;
    if (typeof retryAfterSeconds === 'number') headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
    if (status === 401 || status === 403 || status === 402) headers['x-should-retry'] = 'false';
    return { error: new GatewayError(status, type, error.code, error.message, param === 'body' ? null : param, headers), unexpected: status >= 500 };
  }
  // Fastify's own refusals (body size, media type, JSON syntax), possibly wrapped by Nest with the original as cause.
  const fastify = (error && typeof error === 'object' ? error : {}) as FastifyLikeError;
  const inner = (fastify.cause && typeof fastify.cause === 'object' ? fastify.cause : fastify) as FastifyLikeError;
  for (const e of [fastify, inner]) {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { error: new GatewayError(413, 'invalid_request_error', 'request_too_large', 'The request body is larger than this gateway accepts (VAULTRUN_GATEWAY_BODY_LIMIT_BYTES).', null, noRetry), unexpected: false };
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { error: new GatewayError(415, 'invalid_request_error', 'unsupported_media_type', 'Send the body as application/json.'), unexpected: false };
    if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' || e instanceof SyntaxError) {
      return { error: new GatewayError(400, 'invalid_request_error', 'invalid_json', 'The body is not valid JSON.'), unexpected: false };
    }
  }
  const status = typeof fastify.statusCode === 'number' ? fastify.statusCode : typeof inner.statusCode === 'number' ? inner.statusCode : 500;
  if (status >= 400 && status < 500) {
    if (status === 404) return { error: new GatewayError(404, 'invalid_request_error', 'unknown_url', 'Invalid URL.'), unexpected: false };
    return { error: new GatewayError(status, 'invalid_request_error', 'invalid_request', fastify.message ?? 'The request is invalid.'), unexpected: false };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      error: new GatewayError(503, 'server_error', 'database_unavailable', 'The database is unavailable right now. Try again shortly.', null, { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) }),
      unexpected: false,
    };
  }
  return { error: new GatewayError(500, 'server_error', 'internal_error', `Something went wrong on Vaultrun's side (error id ${randomUUID()}).`), unexpected: true };
}

/** Writes an OpenAI-shaped error (unless an answer already began: a stream is ended by its own code). */
export function sendGatewayError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: { error: (obj: object, msg: string) => void },
  extraHeaders: Record<string, string> = {},
): void {
  const { error: e, unexpected } = toGatewayError(error);
  if (unexpected) logger.error({ err: error, requestId: request.id, message: e.message }, 'gateway request failed');
  if (reply.sent || reply.raw.headersSent) return;
  const anthropic = isMessagesPath(request.url);
  void reply
    .status(e.status)
    .headers({ 'cache-control': 'no-store', 'x-vaultrun-request-id': String(request.id), ...extraHeaders, ...e.headers, 'content-type': 'application/json; charset=utf-8' })
    .send(JSON.stringify(anthropic ? e.anthropicBody(extraHeaders['x-vaultrun-request-id'] ?? String(request.id)) : e.body()));
}

/** Whether a path belongs to the gateway (answers there are OpenAI-shaped, everything else is RFC 9457). */
export const isGatewayPath = (url: string) => url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');
