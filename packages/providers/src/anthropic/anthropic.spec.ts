import { describe, expect, it } from '@jest/globals';
import { APIConnectionError, APIError, APIUserAbortError, CredentialsError } from '@anthropic-ai/sdk';
import { inspect } from 'node:util';
import { centsToMicroUsd } from './anthropic-costs.js';
import { classifyAnthropicError } from './anthropic-errors.js';
import { anthropicMessagesOf, anthropicUsageOf } from './anthropic-provider.js';
import { anthropicOutputToolOf, outputFromToolInput } from './anthropic-structured-output.js';

/** An SDK error as the Anthropic SDK builds it from a response. */
function anthropicError(status: number, type: string, message: string, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, { type: 'error', error: { type, message }, request_id: 'req_011' }, undefined, new Headers({ 'request-id': 'req_011', ...headers }));
}

describe('structured output through a tool', () => {
  it('sends an object schema as the tool input and reads the call back as JSON', () => {
    const schema = { type: 'object', properties: { score: { type: 'integer' } }, required: ['score'] };
    const tool = anthropicOutputToolOf({ name: 'Lead score!', schema });
    expect(tool).toEqual({ name: 'Lead_score', description: expect.any(String), input_schema: schema });
    expect(outputFromToolInput(schema, { score: 7 })).toBe('{"score":7}');
  });

  it('wraps a non-object root in { value } with its definitions at the root, and unwraps the answer', () => {
    const schema = { type: 'array', items: { $ref: '#/$defs/item' }, $defs: { item: { type: 'string' } } };
    const tool = anthropicOutputToolOf({ name: 'list', schema });
    expect(tool.input_schema).toEqual({
      type: 'object',
      properties: { value: { type: 'array', items: { $ref: '#/$defs/item' } } },
      required: ['value'],
      additionalProperties: false,
      $defs: { item: { type: 'string' } },
    });
    expect(outputFromToolInput(schema, { value: ['a', 'b'] })).toBe('["a","b"]');
    expect(outputFromToolInput(schema, {})).toBe('');
  });
});

describe('messages and usage', () => {
  it('moves system text apart and joins consecutive turns of one role', () => {
    expect(
      anthropicMessagesOf([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: 'c' },
        { role: 'system', content: 'Also kind.' },
      ]),
    ).toEqual({ system: 'Be brief.\n\nAlso kind.', messages: [{ role: 'user', content: 'a\n\nb' }, { role: 'assistant', content: 'c' }] });
  });

  it('counts cache reads and writes into the prompt', () => {
    expect(anthropicUsageOf({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 1000 })).toEqual({
      inputTokens: 1110,
      outputTokens: 5,
      cachedInputTokens: 100,
      cacheWriteInputTokens: 1000,
    });
    expect(anthropicUsageOf({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: null, cache_creation_input_tokens: null })).toMatchObject({ inputTokens: 10, cachedInputTokens: 0 });
    expect(anthropicUsageOf(null)).toBeNull();
  });
});

describe('cost report amounts (cents as decimal text)', () => {
  it.each([
    ['123.45', 1_234_500],
    ['0.00001', 0],
    ['0.00005', 1],
    ['100', 1_000_000],
    ['-250', -2_500_000],
    [12.5, 125_000],
    ['1e2', 1_000_000],
    ['abc', null],
    [null, null],
  ])('%p cents → %p micro-USD', (cents, micro) => {
    expect(centsToMicroUsd(cents)).toBe(micro);
  });
});

describe('classifyAnthropicError', () => {
  it.each([
    [401, 'authentication_error', 'invalid x-api-key', 'invalid_api_key'],
    [403, 'permission_error', 'Your API key does not have permission to use the specified resource.', 'provider_rejected'],
    [404, 'not_found_error', 'model: claude-9', 'model_not_found'],
    [400, 'invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum', 'context_length_exceeded'],
    [400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.', 'insufficient_quota'],
    [400, 'invalid_request_error', 'max_tokens: Field required', 'provider_rejected'],
    [413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.', 'context_length_exceeded'],
    [429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', 'rate_limited'],
    [500, 'api_error', 'Internal server error', 'provider_unavailable'],
    [529, 'overloaded_error', 'Overloaded', 'provider_unavailable'],
  ])('%i %s → %s', (status, type, message, code) => {
    expect(classifyAnthropicError(anthropicError(status, type, message))).toMatchObject({ code, httpStatus: status, providerRequestId: 'req_011' });
  });

  it('takes retry-after on a 429, or the exhausted anthropic-ratelimit window', () => {
    expect(classifyAnthropicError(anthropicError(429, 'rate_limit_error', 'slow down', { 'retry-after': '7' })).retryAfterMs).toBe(7000);
    const reset = new Date(Date.now() + 20_000).toISOString();
    const fallback = classifyAnthropicError(anthropicError(429, 'rate_limit_error', 'slow down', { 'anthropic-ratelimit-tokens-remaining': '0', 'anthropic-ratelimit-tokens-reset': reset }));
    expect(fallback.retryAfterMs).toBeGreaterThan(15_000);
    expect(fallback.retryAfterMs).toBeLessThanOrEqual(20_000);
  });

  it('maps an error event inside a stream (no status) by its type, as sent', () => {
    const inStream = new APIError(undefined, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, undefined, new Headers(), 'overloaded_error');
    expect(classifyAnthropicError(inStream)).toMatchObject({ code: 'provider_unavailable', requestSent: true });
  });

  it('maps connection failures, aborts and client-side errors', () => {
    const refused = new APIConnectionError({ cause: new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }) });
    expect(classifyAnthropicError(refused)).toMatchObject({ code: 'provider_unavailable', requestSent: false });
    expect(classifyAnthropicError(new APIUserAbortError()).code).toBe('cancelled');
    expect(classifyAnthropicError(new CredentialsError('no credentials'))).toMatchObject({ code: 'provider_rejected', requestSent: false });
  });

  it('keeps nothing of Anthropic\'s message or headers', () => {
    const key = 'sk-ant-api03-LEAKLEAKLEAKLEAKLEAK9z8y';
    const error = classifyAnthropicError(anthropicError(401, 'authentication_error', `invalid x-api-key ${key}`, { authorization: `Bearer ${key}` }));
    for (const view of [JSON.stringify(error), inspect(error, { showHidden: true, depth: Infinity }), String(error), error.stack ?? '']) {
      expect(view).not.toContain('LEAK');
      expect(view).not.toContain('9z8y');
    }
  });
});
