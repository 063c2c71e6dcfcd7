import { describe, expect, it } from '@jest/globals';
import { ApiError } from '@google/genai';
import { inspect } from 'node:util';
import { classifyGeminiError } from './gemini-errors.js';
import { geminiContentsOf, geminiUsageOf } from './gemini-provider.js';

/** The error the SDK throws: its message is the JSON body Google answered with. */
function googleError(status: number, body: { code: number; message: string; status: string; details?: unknown[] }): ApiError {
  return new ApiError({ status, message: JSON.stringify({ error: body }) });
}

const INVALID_KEY = googleError(400, {
  code: 400,
  message: 'API key not valid. Please pass a valid API key.',
  status: 'INVALID_ARGUMENT',
  details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
});

describe('classifyGeminiError', () => {
  it("maps Google's invalid key (a 400 with reason API_KEY_INVALID) to invalid_api_key", () => {
    expect(classifyGeminiError(INVALID_KEY)).toMatchObject({ code: 'invalid_api_key', accountStatus: 'invalid_key' });
  });

  it('maps every 429 to a rate limit with RetryInfo\'s delay, although its message speaks of quota and billing', () => {
    const limited = googleError(429, {
      code: 429,
      message: 'You exceeded your current quota, please check your plan and billing details.',
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }],
    });
    expect(classifyGeminiError(limited)).toMatchObject({ code: 'rate_limited', retryAfterMs: 37_000, accountStatus: 'rate_limited' });
  });

  it.each([
    [404, 'NOT_FOUND', 'models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.', 'model_not_found'],
    [400, 'INVALID_ARGUMENT', 'The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).', 'context_length_exceeded'],
    [400, 'FAILED_PRECONDITION', 'Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.', 'insufficient_quota'],
    [400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.', 'provider_rejected'],
    [403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers.', 'provider_rejected'],
    [500, 'INTERNAL', 'An internal error has occurred.', 'provider_unavailable'],
    [503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.', 'provider_unavailable'],
  ])('%i %s → %s', (status, googleStatus, message, code) => {
    expect(classifyGeminiError(googleError(status, { code: status, message, status: googleStatus }))).toMatchObject({ code, httpStatus: status });
  });

  it('keeps nothing of the body', () => {
    const error = classifyGeminiError(googleError(400, { code: 400, message: 'API key not valid: AIzaSyLEAKLEAK', status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] }));
    expect(inspect(error, { showHidden: true, depth: Infinity })).not.toContain('LEAK');
    expect(JSON.stringify(error)).not.toContain('not valid');
  });
});

describe('contents and usage', () => {
  it('turns chat messages into Gemini contents', () => {
    expect(
      geminiContentsOf([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'assistant', content: 'c' },
      ]),
    ).toEqual({ system: 'Be brief.', contents: [{ role: 'user', parts: [{ text: 'a' }] }, { role: 'model', parts: [{ text: 'b\n\nc' }] }] });
  });

  it('bills thinking tokens as output and keeps the cached part of the prompt', () => {
    expect(geminiUsageOf({ promptTokenCount: 100, candidatesTokenCount: 20, thoughtsTokenCount: 30, cachedContentTokenCount: 40, totalTokenCount: 150 })).toEqual({
      inputTokens: 100,
      outputTokens: 50,
      cachedInputTokens: 40,
    });
    expect(geminiUsageOf(undefined)).toBeNull();
  });
});
