import { randomUUID } from 'node:crypto';
import { HttpException, HttpStatus } from '@nestjs/common';
import { DomainError, type ErrorKind, type FieldError } from '@vaultrun/vault-core';

/** RFC 9457 problem details, with Vaultrun's stable `code`. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  /** Present on 500s only: quote it to an operator, who finds the stack trace in the logs. */
  errorId?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const KIND_STATUS: Record<ErrorKind, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  budget_exceeded: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

const STATUS_CODE: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  402: 'payment_required',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  503: 'unavailable',
};

const titleFor = (status: number): string =>
  (HttpStatus[status] ?? 'Error')
    .toString()
    .toLowerCase()
    .replace(/_/g, ' ')
    .replace(/^\w/, (c) => c.toUpperCase());

function problem(status: number, code: string, detail: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  // Extension members first: they can never overwrite the standard ones.
  return { ...extra, type: `urn:vaultrun:problem:${code}`, title: titleFor(status), status, detail, code };
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Fastify's own errors (body parsing, size limit, media type) are client mistakes with a status. */
function fromFastifyError(err: FastifyLikeError): ProblemDetails | null {
  const status = err.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'payload_too_large', 'The request body is larger than the server accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'unsupported_media_type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, 'invalid_json', 'The body is declared as JSON but is empty.', { errors: [{ field: 'body', message: 'is empty' }] });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem(400, 'invalid_json', 'The body is not valid JSON.', { errors: [{ field: 'body', message: 'is not valid JSON' }] });
    default:
      break;
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return problem(400, 'invalid_json', 'The body is not valid JSON.', { errors: [{ field: 'body', message: 'is not valid JSON' }] });
  }
  return problem(status, STATUS_CODE[status] ?? 'bad_request', err.message ?? titleFor(status));
}

export interface ProblemOutcome {
  problem: ProblemDetails;
  headers: Record<string, string>;
  /** Unexpected failures are logged with their error id; client mistakes are not. */
  unexpected: boolean;
  /** A dependency is down (not a bug): one warning line, no stack trace. */
  degraded?: boolean;
}

/** How long a client should wait before trying again while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * SQLSTATEs of a database that is unreachable, restarting or shutting down: class 08 (connection exception),
 * 57P01–57P03 (admin/crash shutdown, cannot connect now), 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
/** Socket errors of a connection that could not be opened or was cut. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres's own words for a lost or unobtainable connection (these errors carry no code). */
const PG_CONNECTION_TEXT =
  /^(Connection terminated|Connection ended unexpectedly|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable)/;

/**
 * Whether an error says the database cannot be reached right now — TypeORM's QueryFailedError keeps the pg error
 * as `driverError`; a pool that cannot connect rejects with the socket error itself. No other dependency of a
 * request surfaces raw socket errors (Redis clients and provider calls wrap theirs).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 8; seen++) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null) continue;
    const { code, message, driverError, cause, errors } = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || SOCKET_CODES.has(code))) return true;
    if (typeof message === 'string' && PG_CONNECTION_TEXT.test(message)) return true;
    queue.push(driverError, cause, ...(Array.isArray(errors) ? errors : []));
  }
  return false;
}

/** Maps anything thrown while serving a request to problem details. Never leaks internals on a 500. */
export function toProblem(error: unknown): ProblemOutcome {
  const headers: Record<string, string> = {};
  if (error instanceof DomainError) {
    const status = KIND_STATUS[error.kind];
    const retryAfter = error.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
    return {
      problem: problem(status, error.code, error.message, { ...(error.details ?? {}), ...(error.errors ? { errors: error.errors } : {}) }),
      headers,
      unexpected: status >= 500,
    };
  }
  if (error instanceof HttpException) {
    // Nest wraps Fastify's own errors (body parsing, size limit) and keeps the original as the cause.
    const fromCause = error.cause && typeof error.cause === 'object' ? fromFastifyError(error.cause as FastifyLikeError) : null;
    if (fromCause) return { problem: fromCause, headers, unexpected: false };
    const status = error.getStatus();
    if (status < 500) {
      const response = error.getResponse();
      const message =
        typeof response === 'object' && response && 'message' in response && typeof response.message === 'string'
          ? response.message
          : error.message;
      return { problem: problem(status, STATUS_CODE[status] ?? 'bad_request', message), headers, unexpected: false };
    }
  }
  const fromFastify = error && typeof error === 'object' ? fromFastifyError(error as FastifyLikeError) : null;
  if (fromFastify) return { problem: fromFastify, headers, unexpected: false };
  if (isDatabaseUnavailable(error)) {
    headers['retry-after'] = String(DATABASE_RETRY_AFTER_SECONDS);
    return {
      problem: problem(503, 'database_unavailable', 'The database is unavailable right now. Try again shortly.', {
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      }),
      headers,
      unexpected: false,
      degraded: true,
    };
  }

  return {
    problem: problem(500, 'internal_error', 'Something went wrong on our side. Quote the error id when reporting it.', {
      errorId: randomUUID(),
    }),
    headers,
    unexpected: true,
  };
}
