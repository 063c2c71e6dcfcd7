import { describe, expect, it } from '@jest/globals';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  OpenAIError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from 'openai';
import { inspect } from 'node:util';
import { classifyProviderError, PROVIDER_ERROR_CODES, PROVIDER_ERRORS, ProviderError, type ProviderErrorCode, providerErrorForHttp } from './errors.js';

/** What the SDK throws for an HTTP error: the subclass for the status, built the way the SDK builds it. */
function sdkError(status: number, body: { message: string; type?: string; code?: string | null }, headers: Record<string, string> = {}) {
  return APIError.generate(status, { error: { param: null, type: 'invalid_request_error', code: null, ...body } }, undefined, new Headers(headers));
}

function fetchFailure(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code }) });
}

describe('the taxonomy table', () => {
  it('has an entry for every code, with the messages from SPEC §6', () => {
    expect(Object.keys(PROVIDER_ERRORS).sort()).toEqual([...PROVIDER_ERROR_CODES].sort());
    expect(PROVIDER_ERRORS).toEqual({
      invalid_api_key: { message: 'Invalid API key — verify the full key was copied', retryable: false, accountStatus: 'invalid_key' },
      insufficient_quota: { message: "Insufficient quota — check the provider's billing", retryable: false, accountStatus: 'quota_exhausted' },
      rate_limited: { message: 'Rate limit exceeded — waiting and retrying', retryable: true, accountStatus: 'rate_limited' },
      model_not_found: { message: 'Model not found — verify model access', retryable: false, accountStatus: null },
      context_length_exceeded: { message: 'Input too long for the model', retryable: false, accountStatus: null },
      provider_unavailable: { message: 'Provider unavailable', retryable: true, accountStatus: null },
      invalid_output: { message: 'Output did not match the schema', retryable: false, accountStatus: null },
      provider_rejected: { message: 'The provider refused the request', retryable: false, accountStatus: null },
      endpoint_refused: {
        message:
          'Vaultrun refused to connect to the base URL: it points at a link-local or cloud metadata address, or at a private network this deployment does not allow (VAULTRUN_PROVIDER_ALLOW_PRIVATE)',
        retryable: false,
        accountStatus: null,
      },
      cancelled: { message: 'Cancelled', retryable: false, accountStatus: null },
      content_blocked: { message: "The provider's safety filters blocked the request or its answer — rephrase the input", retryable: false, accountStatus: null },
    });
  });

  it.each(PROVIDER_ERROR_CODES.map((code) => [code]))('a %s ProviderError carries the table row', (code: ProviderErrorCode) => {
    const error = new ProviderError(code);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ProviderError');
    expect(error.message).toBe(PROVIDER_ERRORS[code].message);
    expect(error.retryable).toBe(PROVIDER_ERRORS[code].retryable);
    expect(error.accountStatus).toBe(PROVIDER_ERRORS[code].accountStatus);
    expect(error).toMatchObject({ retryAfterMs: null, httpStatus: null, providerRequestId: null, requestSent: true });
    expect(error.stack?.startsWith(`ProviderError: ${PROVIDER_ERRORS[code].message}`)).toBe(true);
  });
});

describe('classifyProviderError', () => {
  it('maps a 401 to invalid_api_key', () => {
    const err = sdkError(401, { message: 'Incorrect API key provided', code: 'invalid_api_key' }, { 'x-request-id': 'req_1' });
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(classifyProviderError(err)).toMatchObject({ code: 'invalid_api_key', accountStatus: 'invalid_key', httpStatus: 401, providerRequestId: 'req_1', retryAfterMs: null });
  });

  it('tells insufficient_quota from rate_limit_exceeded on a 429', () => {
    const quota = sdkError(429, { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' });
    const rate = sdkError(429, { message: 'Rate limit reached for gpt-4o on requests per min (RPM): Limit 500', type: 'requests', code: 'rate_limit_exceeded' }, { 'retry-after': '3' });
    expect(quota).toBeInstanceOf(RateLimitError);
    expect(classifyProviderError(quota)).toMatchObject({ code: 'insufficient_quota', retryable: false, accountStatus: 'quota_exhausted', retryAfterMs: null });
    expect(classifyProviderError(rate)).toMatchObject({ code: 'rate_limited', retryable: true, accountStatus: 'rate_limited', retryAfterMs: 3000, httpStatus: 429 });
  });

  it('reads a quota 429 without a code from its message, and a 402 as insufficient_quota', () => {
    expect(classifyProviderError(sdkError(429, { message: 'You exceeded your current quota', code: null })).code).toBe('insufficient_quota');
    expect(classifyProviderError(sdkError(402, { message: 'Insufficient credits', code: null })).code).toBe('insufficient_quota');
  });

  it('a 429 with no retry-after falls back to the exhausted rate-limit window', () => {
    const err = sdkError(429, { message: 'Rate limit reached', code: 'rate_limit_exceeded' }, {
      'x-ratelimit-remaining-requests': '10',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(classifyProviderError(err).retryAfterMs).toBe(360_000);
  });

  it('maps a 404 model_not_found, and a 404 that names a model, to model_not_found', () => {
    const err = sdkError(404, { message: 'The model `gpt-9` does not exist or you do not have access to it.', code: 'model_not_found' });
    expect(err).toBeInstanceOf(NotFoundError);
    expect(classifyProviderError(err)).toMatchObject({ code: 'model_not_found', retryable: false, accountStatus: null });
    expect(classifyProviderError(sdkError(404, { message: 'model "llama9" not found, try pulling it first', code: null })).code).toBe('model_not_found');
    expect(classifyProviderError(sdkError(404, { message: 'Not Found', code: null })).code).toBe('provider_rejected');
  });

  it('maps a 400 context length by code and by message', () => {
    const byCode = sdkError(400, { message: 'too long', code: 'context_length_exceeded' });
    expect(byCode).toBeInstanceOf(BadRequestError);
    expect(classifyProviderError(byCode).code).toBe('context_length_exceeded');
    for (const message of [
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
      'prompt is too long: 210000 tokens > 200000 maximum',
      'Input is too long for requested model.',
    ]) {
      expect(classifyProviderError(sdkError(400, { message, code: null })).code).toBe('context_length_exceeded');
    }
    expect(classifyProviderError(sdkError(413, { message: 'Request Entity Too Large', code: null })).code).toBe('context_length_exceeded');
  });

  it('maps other 4xx to provider_rejected, not retryable', () => {
    const cases = [
      sdkError(400, { message: "Invalid schema for response_format 'x'", code: 'invalid_json_schema' }),
      sdkError(403, { message: 'Country, region, or territory not supported', code: 'unsupported_country_region_territory' }),
      sdkError(422, { message: 'Unprocessable', code: null }),
    ];
    expect(cases[1]).toBeInstanceOf(PermissionDeniedError);
    expect(cases[2]).toBeInstanceOf(UnprocessableEntityError);
    for (const err of cases) expect(classifyProviderError(err)).toMatchObject({ code: 'provider_rejected', retryable: false });
  });

  it('maps 5xx, 408 and 409 to provider_unavailable with a retry-after when given', () => {
    const err = sdkError(503, { message: 'The engine is currently overloaded', type: 'server_error' }, { 'retry-after-ms': '1500' });
    expect(err).toBeInstanceOf(InternalServerError);
    expect(classifyProviderError(err)).toMatchObject({ code: 'provider_unavailable', retryable: true, retryAfterMs: 1500, httpStatus: 503 });
    expect(classifyProviderError(sdkError(500, { message: 'boom' })).retryAfterMs).toBeNull();
    // x-ratelimit resets say nothing about when a 5xx clears.
    expect(classifyProviderError(sdkError(500, { message: 'boom' }, { 'x-ratelimit-reset-requests': '1s' })).retryAfterMs).toBeNull();
    expect(classifyProviderError(sdkError(408, { message: 'timeout' })).code).toBe('provider_unavailable');
    expect(classifyProviderError(sdkError(409, { message: 'lock timeout' })).code).toBe('provider_unavailable');
  });

  it('maps connection errors by whether the request could have left', () => {
    const refused = new APIConnectionError({ cause: fetchFailure('ECONNREFUSED') });
    expect(classifyProviderError(refused)).toMatchObject({ code: 'provider_unavailable', retryable: true, requestSent: false, httpStatus: null });
    expect(classifyProviderError(new APIConnectionError({ cause: fetchFailure('ENOTFOUND') })).requestSent).toBe(false);
    // A reset mid-exchange may have delivered the request.
    expect(classifyProviderError(new APIConnectionError({ cause: fetchFailure('ECONNRESET') })).requestSent).toBe(true);
    expect(classifyProviderError(new APIConnectionError({}))).toMatchObject({ code: 'provider_unavailable', requestSent: true });
    const aggregate = new TypeError('fetch failed', { cause: Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), { code: 'ECONNREFUSED' }) });
    expect(classifyProviderError(aggregate)).toMatchObject({ code: 'provider_unavailable', requestSent: false });
    // fetch refuses blocklisted ports before connecting.
    const badPort = new APIConnectionError({ cause: new TypeError('fetch failed', { cause: new Error('bad port') }) });
    expect(classifyProviderError(badPort).requestSent).toBe(false);
    expect(classifyProviderError(fetchFailure('ECONNREFUSED'))).toMatchObject({ code: 'provider_unavailable', requestSent: false });
  });

  it('maps a timeout to provider_unavailable (sent)', () => {
    expect(classifyProviderError(new APIConnectionTimeoutError())).toMatchObject({ code: 'provider_unavailable', retryable: true, requestSent: true });
  });

  it('maps aborts to cancelled', () => {
    expect(classifyProviderError(new APIUserAbortError())).toMatchObject({ code: 'cancelled', retryable: false, accountStatus: null });
    expect(classifyProviderError(new DOMException('This operation was aborted', 'AbortError')).code).toBe('cancelled');
    expect(classifyProviderError(new APIUserAbortError(), { requestSent: false }).requestSent).toBe(false);
  });

  it('returns a ProviderError unchanged, and maps the unknown to provider_unavailable', () => {
    const original = new ProviderError('invalid_output');
    expect(classifyProviderError(original)).toBe(original);
    expect(classifyProviderError(new Error('something odd')).code).toBe('provider_unavailable');
    expect(classifyProviderError('a string').code).toBe('provider_unavailable');
    expect(classifyProviderError(new OpenAIError('Missing credentials'))).toMatchObject({ code: 'provider_rejected', requestSent: false });
  });
});

describe('Azure OpenAI and Anthropic signals through the shared mapping', () => {
  it('maps Azure\'s DeploymentNotFound to model_not_found and its content filter to content_blocked', () => {
    const missing = sdkError(404, { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' });
    expect(classifyProviderError(missing).code).toBe('model_not_found');
    const filtered = sdkError(400, { code: 'content_filter', message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy." });
    expect(classifyProviderError(filtered)).toMatchObject({ code: 'content_blocked', retryable: false, accountStatus: null });
  });

  it("reads Azure's throttling: a 429 with retry-after-ms", () => {
    const throttled = sdkError(429, { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded token rate limit of your current OpenAI S0 pricing tier.' }, {
      'retry-after-ms': '6500',
      'retry-after': '7',
    });
    expect(classifyProviderError(throttled)).toMatchObject({ code: 'rate_limited', retryAfterMs: 6500 });
  });

  it('maps a billing error and a 400 "credit balance is too low" to insufficient_quota', () => {
    expect(providerErrorForHttp({ status: 400, type: 'invalid_request_error', text: 'Your credit balance is too low to access the Anthropic API.' }).code).toBe('insufficient_quota');
    expect(providerErrorForHttp({ status: 402, type: 'billing_error' }).code).toBe('insufficient_quota');
    expect(providerErrorForHttp({ status: 400, type: 'billing_error' }).code).toBe('insufficient_quota');
    expect(providerErrorForHttp({ status: 529, type: 'overloaded_error' })).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(providerErrorForHttp({ status: 403, type: 'permission_error' })).toMatchObject({ code: 'provider_rejected', retryable: false });
  });

  it('takes a body-given wait (Gemini RetryInfo) when no header says one', () => {
    expect(providerErrorForHttp({ status: 429, retryAfterMs: 37_000 }).retryAfterMs).toBe(37_000);
    expect(providerErrorForHttp({ status: 429, retryAfterMs: 37_000, headers: { 'retry-after': '2' } }).retryAfterMs).toBe(2000);
    expect(providerErrorForHttp({ status: 400, retryAfterMs: 37_000 }).retryAfterMs).toBeNull();
  });
});

describe('provider messages are never passed through', () => {
  const key = 'sk-proj-Zq8mN3vB7xK2pL9wR4tY6uI1oE5aS0dF3gH8jK2lM9nB4vC7xZ1qW6eR3tY8uI0oP5';
  const echo = `Incorrect API key provided: ${key.slice(0, 10)}****${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`;

  it('an SDK 401 echoing the key yields an error with no piece of the key anywhere', () => {
    const sdk = sdkError(401, { message: echo, code: 'invalid_api_key' }, { 'x-request-id': 'req_abc', authorization: `Bearer ${key}` });
    expect(sdk.message).toContain(key.slice(0, 10)); // the SDK's own error does carry it
    const error = classifyProviderError(sdk);
    expect(error.code).toBe('invalid_api_key');
    const views = [
      JSON.stringify(error),
      inspect(error, { showHidden: true, depth: Infinity }),
      String(error),
      error.stack ?? '',
      error.message,
      JSON.stringify(Object.getOwnPropertyDescriptors(error)),
    ];
    const pieces = [key, key.slice(0, 10), key.slice(-4), `${key.slice(0, 10)}****${key.slice(-4)}`, 'Incorrect API key', 'Bearer'];
    for (const view of views) for (const piece of pieces) expect(view).not.toContain(piece);
    expect('cause' in error).toBe(false);
  });

  it('keeps nothing of the original error for any status', () => {
    for (const status of [400, 403, 404, 429, 500]) {
      const error = classifyProviderError(sdkError(status, { message: `leak ${key}`, code: null }));
      expect(inspect(error, { showHidden: true, depth: Infinity })).not.toContain(key.slice(-4));
      expect(JSON.stringify(error)).not.toContain('leak');
    }
  });
});
