import { describe, expect, it } from '@jest/globals';
import { PROVIDER_ERROR_CODES, ProviderError } from '@vaultrun/providers';
import { DomainError, ValidationFailed } from '@vaultrun/vault-core';
import { GatewayError, providerGatewayError, toGatewayError } from './gateway-errors.js';
import { checkGatewayBody } from './gateway-request.js';

describe('gateway errors', () => {
  it('maps every provider error to an OpenAI-shaped answer in Vaultrun\'s words', () => {
    for (const code of PROVIDER_ERROR_CODES) {
      const e = providerGatewayError(new ProviderError(code, { httpStatus: 500 }), 'Team');
      expect(e.body()).toEqual({ error: { message: expect.any(String), type: expect.any(String), param: null, code: expect.any(String) } });
    }
    const auth = providerGatewayError(new ProviderError('invalid_api_key', { httpStatus: 401 }), 'Team');
    expect([auth.status, auth.code, auth.headers['x-should-retry']]).toEqual([502, 'upstream_auth_failed', 'false']);
    const limited = providerGatewayError(new ProviderError('rate_limited', { httpStatus: 429, retryAfterMs: 2500 }), 'Team');
    expect([limited.status, limited.headers['retry-after'], limited.headers['retry-after-ms']]).toEqual([429, '3', '2500']);
    const down = providerGatewayError(new ProviderError('provider_unavailable', { httpStatus: 503 }), 'Team');
    expect([down.status, down.headers['x-should-retry']]).toEqual([502, undefined]);
    const noAnswer = providerGatewayError(new ProviderError('provider_unavailable', { httpStatus: null, requestSent: true }), 'Team');
    expect(noAnswer.status).toBe(504);
    expect(providerGatewayError(new ProviderError('provider_unavailable'), 'Team', { timedOut: true }).code).toBe('provider_timeout');
  });

  it('maps domain errors and Fastify\'s refusals, never leaking internals on a 500', () => {
    const bad = toGatewayError(ValidationFailed.field('messages[0]', 'is wrong')).error;
    expect([bad.status, bad.type, bad.param]).toEqual([400, 'invalid_request_error', 'messages[0]']);
    const money = toGatewayError(new DomainError('budget_exhausted', 'budget_exceeded', 'no headroom')).error;
    expect([money.status, money.headers['x-should-retry']]).toEqual([402, 'false']);
    expect(toGatewayError(Object.assign(new Error('too big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).error.status).toBe(413);
    const crash = toGatewayError(new Error('SELECT secret FROM somewhere'));
    expect([crash.error.status, crash.unexpected, crash.error.message.includes('SELECT')]).toEqual([500, true, false]);
    expect(toGatewayError(new GatewayError(418, 't', 'c', 'm')).error.status).toBe(418);
  });

  it('checks what Vaultrun needs of a body, naming the parameter, and lets everything else through', () => {
    const param = (endpoint: Parameters<typeof checkGatewayBody>[0], body: unknown) => {
      try {
        checkGatewayBody(endpoint, body);
        return 'ok';
      } catch (err) {
        return (err as GatewayError).param;
      }
    };
    expect(param('chat.completions', { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: 'whatever the provider says', future: 1 })).toBe('ok');
    expect(param('chat.completions', { messages: [] })).toBe('model');
    expect(param('chat.completions', { model: 'm' })).toBe('messages');
    expect(param('chat.completions', { model: 'm', messages: ['x'] })).toBe('messages[0]');
    expect(param('chat.completions', { model: 'm', messages: [{ role: 'user' }], n: 0 })).toBe('n');
    expect(param('chat.completions', { model: 'm', messages: [{ role: 'user' }], stream: 'yes' })).toBe('stream');
    expect(param('responses', { model: 'm', input: 3 })).toBe('input');
    expect(param('responses', { model: 'm', previous_response_id: 'resp_1' })).toBe('ok');
    expect(param('responses', { model: 'm', input: 'x', max_output_tokens: 1.5 })).toBe('max_output_tokens');
    expect(param('embeddings', { model: 'm', input: [[1, 2], [3]] })).toBe('ok');
    expect(param('embeddings', { model: 'm', input: ['a', 2] })).toBe('input');
    expect(param('embeddings', { model: 'm', input: 'x', stream: true })).toBe('stream');
    expect(param('embeddings', { model: 'm', input: 'x', dimensions: 0 })).toBe('dimensions');
    expect(param('chat.completions', [])).toBeNull();
  });
});
