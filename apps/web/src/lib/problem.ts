import type { FieldErrorDto, ProblemDto } from '../api/generated/types.gen.js';

/**
 * An RFC 9457 problem answered by the API (or made up locally for network failures),
 * thrown by every generated SDK call and query/mutation so the UI has one error shape to show.
 */
export class ApiProblem extends Error implements ProblemDto {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errorId?: string;
  readonly errors?: FieldErrorDto[];
  /** Seconds from the Retry-After header of a 429, when given. */
  readonly retryAfterSeconds?: number;
  /** A budget refusal (402 budget_exhausted, 422 unpriced_model): the budget that refused, to link to it. */
  readonly budgetId?: string;
  readonly budgetName?: string;

  constructor(problem: ProblemDto & { retryAfterSeconds?: number }) {
    super(problem.detail);
    this.name = 'ApiProblem';
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.code = problem.code;
    this.instance = problem.instance;
    this.requestId = problem.requestId;
    this.errorId = problem.errorId;
    this.errors = problem.errors;
    this.retryAfterSeconds = problem.retryAfterSeconds;
    this.budgetId = problem.budgetId;
    this.budgetName = problem.budgetName;
  }

  /** The message for one form field, if the API named it. */
  fieldError(field: string): string | undefined {
    return this.errors?.find((e) => e.field === field)?.message;
  }
}

function isProblemBody(body: unknown): body is ProblemDto {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.status === 'number' && typeof b.code === 'string' && typeof b.detail === 'string';
}

function parseRetryAfter(response: Response | undefined): number | undefined {
  const raw = response?.headers.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Turns whatever the fetch client threw (problem JSON, text, a TypeError) into an ApiProblem. */
export function toApiProblem(error: unknown, response: Response | undefined): ApiProblem {
  if (error instanceof ApiProblem) return error;
  const retryAfterSeconds = parseRetryAfter(response);
  if (isProblemBody(error)) return new ApiProblem({ ...error, retryAfterSeconds });
  if (!response) {
    return new ApiProblem({
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      code: 'network_error',
      detail: 'Cannot reach the Vaultrun API. Check your connection and try again.',
    });
  }
  return new ApiProblem({
    type: 'about:blank',
    title: response.statusText || 'Error',
    status: response.status,
    code: `http_${response.status}`,
    detail: `The server answered ${response.status} ${response.statusText}`.trim() + '.',
    retryAfterSeconds,
    requestId: response.headers.get('x-request-id') ?? undefined,
  });
}

export function isApiProblem(error: unknown): error is ApiProblem {
  return error instanceof ApiProblem;
}

/** A sentence to show a person for any error a query or mutation produced. */
export function describeError(error: unknown): string {
  if (error instanceof ApiProblem) {
    if (error.status === 429 && error.retryAfterSeconds !== undefined && !/\d/.test(error.detail)) {
      return `${error.detail} Try again in ${error.retryAfterSeconds} seconds.`;
    }
    return error.detail;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
