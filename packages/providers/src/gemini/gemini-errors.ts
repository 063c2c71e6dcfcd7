// Gemini's errors on the shared taxonomy. The SDK throws ApiError { status, message } whose message is the JSON error
// body: `{ error: { code, message, status: 'INVALID_ARGUMENT' | 'PERMISSION_DENIED' | 'NOT_FOUND' |
// 'RESOURCE_EXHAUSTED' | …, details: [{ '@type': '…ErrorInfo', reason: 'API_KEY_INVALID' }, { '@type':
// '…RetryInfo', retryDelay: '37s' }] } }`. Notable shapes: an invalid key is a 400 with reason API_KEY_INVALID; every
// 429 says "You exceeded your current quota … billing", per-minute limits included, so a 429 is a rate limit (with
// RetryInfo's delay), never "quota exhausted". Read, never kept.
import { ApiError } from '@google/genai';
import { classifyProviderError, type ClassifyContext, ProviderError, providerErrorForHttp } from '../errors.js';
import type { HeaderSource } from '../rate-limit-headers.js';
import { parseResetDurationMs } from '../rate-limit-headers.js';

interface GoogleErrorBody {
  status: string | null;
  reasons: string[];
  retryDelayMs: number | null;
  text: string;
}

function parseGoogleError(message: string): GoogleErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch {
    // Not the JSON body (a proxy's text): nothing but the HTTP status to go on.
    return { status: null, reasons: [], retryDelayMs: null, text: '' };
  }
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return { status: null, reasons: [], retryDelayMs: null, text: '' };
  const { status, message: text, details } = error as { status?: unknown; message?: unknown; details?: unknown };
  const list = Array.isArray(details) ? (details as Record<string, unknown>[]) : [];
  const reasons = list.map((d) => d?.reason).filter((r): r is string => typeof r === 'string');
  const delay = list.map((d) => d?.retryDelay).find((r): r is string => typeof r === 'string');
  return {
    status: typeof status === 'string' ? status : null,
    reasons,
    retryDelayMs: delay ? parseResetDurationMs(delay) : null,
    text: typeof text === 'string' ? text : '',
  };
}

const INVALID_KEY_REASONS = new Set(['API_KEY_INVALID', 'API_KEY_EXPIRED']);
const TOKEN_LIMIT_TEXT = /exceeds the maximum number of tokens|input token count/i;
const BILLING_TEXT = /billing|prepay|credits? (are|is) (depleted|exhausted)/i;

/**
 * Anything a @google/genai call can throw → a ProviderError. `headers`: the response headers the call's fetch saw
 * (the SDK's error does not carry them).
 */
export function classifyGeminiError(err: unknown, context: ClassifyContext & { headers?: HeaderSource } = {}): ProviderError {
  if (err instanceof ProviderError) return err;
  if (!(err instanceof ApiError) || typeof err.status !== 'number') return classifyProviderError(err, context);
  const { status, reasons, retryDelayMs, text } = parseGoogleError(err.message);
  const base = { status: err.status, headers: context.headers, requestSent: context.requestSent ?? true, retryAfterMs: retryDelayMs };
  if (err.status === 401 || reasons.some((r) => INVALID_KEY_REASONS.has(r))) return providerErrorForHttp({ ...base, status: 401 });
  // RESOURCE_EXHAUSTED: a rate limit whatever its wording (see above).
  if (err.status === 429) return providerErrorForHttp({ ...base, code: 'rate_limit_exceeded' });
  if (err.status === 400 && status === 'FAILED_PRECONDITION' && BILLING_TEXT.test(text)) return providerErrorForHttp({ ...base, code: 'insufficient_quota' });
  if (err.status === 400 && TOKEN_LIMIT_TEXT.test(text)) return providerErrorForHttp({ ...base, code: 'context_length_exceeded' });
  // 404 NOT_FOUND names the model ("models/x is not found for API version v1beta").
  if (err.status === 404) return providerErrorForHttp({ ...base, code: 'model_not_found' });
  return providerErrorForHttp({ ...base, code: status });
}
