/**
 * Domain errors carry a stable `code` (part of the public API: clients switch on it) and a `kind`
 * that the API maps to an HTTP status. Nothing here knows about HTTP or Nest.
 */
export type ErrorKind =
  | 'invalid_input'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'budget_exceeded'
  | 'unavailable'
  | 'internal';

export interface FieldError {
  /** Dotted path of the offending field, e.g. `limits.maxConcurrency`. */
  field: string;
  message: string;
}

export interface DomainErrorOptions {
  /** Field-level problems (for `invalid_input`). */
  errors?: FieldError[];
  /** Extra, non-secret facts for the client (e.g. `retryAfterSeconds`, `budgetId`). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class DomainError extends Error {
  readonly errors?: FieldError[];
  readonly details?: Record<string, unknown>;

  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.errors = options.errors;
    this.details = options.details;
  }
}

export class ValidationFailed extends DomainError {
  constructor(errors: FieldError[], message = 'The request is invalid.') {
    super('validation_failed', 'invalid_input', message, { errors });
  }

  static field(field: string, message: string): ValidationFailed {
    return new ValidationFailed([{ field, message }], `${field}: ${message}`);
  }
}

export class Unauthenticated extends DomainError {
  constructor(message = 'Sign in or send a valid API token.', code = 'unauthenticated') {
    super(code, 'unauthenticated', message);
  }
}

export class Forbidden extends DomainError {
  constructor(message = 'Your role does not allow this action.', code = 'forbidden', details?: Record<string, unknown>) {
    super(code, 'forbidden', message, { details });
  }
}

export class NotFound extends DomainError {
  constructor(resource: string) {
    super('not_found', 'not_found', `${resource} not found.`, { details: { resource } });
  }
}

export class Conflict extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, 'conflict', message, { details });
  }
}

export class TooManyRequests extends DomainError {
  constructor(message: string, readonly retryAfterSeconds: number, code = 'too_many_requests') {
    super(code, 'rate_limited', message, { details: { retryAfterSeconds } });
  }
}

/** The workspace was suspended by an instance administrator: new runs and gateway calls are refused (reading still works). */
export class WorkspaceSuspended extends Forbidden {
  constructor(reason: string | null) {
    super(workspaceSuspendedMessage(reason), 'workspace_suspended', { reason });
  }
}

export function workspaceSuspendedMessage(reason: string | null): string {
  return `This workspace is suspended by an instance administrator${reason ? ` (reason: ${reason})` : ''}: new runs and gateway calls are refused until it is resumed. Members can still sign in and read.`;
}
