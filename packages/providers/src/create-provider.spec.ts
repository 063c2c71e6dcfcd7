import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { connectionProblem, createProvider } from './create-provider.js';
import { ProviderError } from './errors.js';
import { responseFormatName } from './tokens.js';
import { OPENAI_DEFAULT_BASE_URL } from './openai/openai-provider.js';
import { endpointOrigin, hasDefaultEndpoint, normalizeBaseUrl } from './base-url.js';
import { AnthropicProvider } from './anthropic/anthropic-provider.js';
import { AzureOpenAiProvider } from './azure-openai/azure-openai-provider.js';
import { GeminiProvider } from './gemini/gemini-provider.js';
import { openAiCompatibleOptionsFor } from './openai-compatible/openai-compatible-provider.js';
import { OPENAI_COMPATIBLE_PRESETS, presetOfBaseUrl } from './openai-compatible/presets.js';

describe('createProvider', () => {
  it('builds each kind', () => {
    expect(createProvider({ kind: 'mock' }).kind).toBe('mock');
    expect(createProvider({ kind: 'openai', apiKey: 'sk-proj-x' }).kind).toBe('openai');
    expect(createProvider({ kind: 'openai-compatible', baseUrl: 'http://localhost:11434/v1' }).kind).toBe('openai-compatible');
    expect(OPENAI_DEFAULT_BASE_URL).toBe('https://api.openai.com/v1');
    expect((createProvider({ kind: 'openai', apiKey: 'sk-proj-x' }) as unknown as { baseUrl: string }).baseUrl).toBe(OPENAI_DEFAULT_BASE_URL);
    const anthropic = createProvider({ kind: 'anthropic', apiKey: 'sk-ant-api03-x' });
    expect(anthropic).toBeInstanceOf(AnthropicProvider);
    expect((anthropic as AnthropicProvider).baseUrl).toBe('https://api.anthropic.com');
    const gemini = createProvider({ kind: 'gemini', apiKey: 'AIzaX' });
    expect(gemini).toBeInstanceOf(GeminiProvider);
    expect((gemini as GeminiProvider).baseUrl).toBe('https://generativelanguage.googleapis.com');
    const azure = createProvider({ kind: 'azure-openai', apiKey: 'k', baseUrl: 'https://res.openai.azure.com/openai/v1' });
    expect(azure).toBeInstanceOf(AzureOpenAiProvider);
    expect((azure as AzureOpenAiProvider).baseUrl).toBe('https://res.openai.azure.com');
  });

  it('binds keys of the new kinds to their providers\' origins', () => {
    expect(endpointOrigin('anthropic', null)).toBe('https://api.anthropic.com');
    expect(endpointOrigin('gemini', null)).toBe('https://generativelanguage.googleapis.com');
    expect(endpointOrigin('azure-openai', 'https://RES.openai.azure.com/openai')).toBe('https://res.openai.azure.com');
    expect(() => endpointOrigin('azure-openai', null)).toThrow(TypeError);
    expect(hasDefaultEndpoint('anthropic')).toBe(true);
    expect(hasDefaultEndpoint('azure-openai')).toBe(false);
  });

  it('refuses a connection that cannot work, before sending anything', () => {
    const refusal = (connection: Parameters<typeof createProvider>[0]) => {
      try {
        createProvider(connection);
      } catch (err) {
        expect(err).toBeInstanceOf(ProviderError);
        return err as ProviderError;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal({ kind: 'openai', apiKey: null })).toMatchObject({ code: 'invalid_api_key', requestSent: false });
    expect(refusal({ kind: 'openai-compatible', apiKey: 'k' })).toMatchObject({ code: 'provider_rejected', requestSent: false });
    expect(refusal({ kind: 'openai-compatible', baseUrl: 'ftp://example.com' }).code).toBe('provider_rejected');
  });

  it('keeps the key out of inspect and JSON', () => {
    const key = 'sk-proj-SUPERSECRETKEY1234567890abcd';
    const provider = createProvider({ kind: 'openai', apiKey: key });
    expect(inspect(provider, { showHidden: true, depth: 5 })).not.toContain('SUPERSECRET');
    expect(JSON.stringify(provider)).not.toContain('SUPERSECRET');
  });
});

describe('connectionProblem', () => {
  it.each([
    [{ kind: 'mock' }, null],
    [{ kind: 'openai', apiKey: 'sk-x' }, null],
    [{ kind: 'openai', apiKey: '' }, 'An OpenAI account needs an API key'],
    [{ kind: 'openai-compatible', baseUrl: 'https://openrouter.ai/api/v1' }, null],
    [{ kind: 'openai-compatible' }, 'An OpenAI-compatible account needs a base URL'],
    [{ kind: 'openai-compatible', baseUrl: 'not a url' }, 'The base URL is not a valid URL'],
    [{ kind: 'openai-compatible', baseUrl: 'https://user:pw@host/v1' }, 'The base URL must not contain credentials; use the API key field'],
    [{ kind: 'openai-compatible', baseUrl: 'https://host/v1?api-version=1' }, 'The base URL must not contain a query or fragment'],
    [{ kind: 'openai', apiKey: 'sk-x', timeoutMs: 0 }, 'The timeout must be a positive number of milliseconds'],
    [{ kind: 'anthropic' }, 'An Anthropic account needs an API key'],
    [{ kind: 'anthropic', apiKey: 'sk-ant-api03-x' }, null],
    [{ kind: 'gemini', apiKey: 'AIzaX' }, null],
    [{ kind: 'gemini' }, 'A Gemini account needs an API key'],
    [{ kind: 'azure-openai', apiKey: 'k' }, 'An Azure OpenAI account needs its resource endpoint as the base URL'],
    [{ kind: 'azure-openai', apiKey: 'k', baseUrl: 'https://res.openai.azure.com' }, null],
    [{ kind: 'azure-openai', apiKey: 'k', baseUrl: 'https://res.openai.azure.com', apiVersion: 'latest' }, 'The Azure api-version is not valid'],
    [{ kind: 'azure-openai', apiKey: 'k', baseUrl: 'https://res.openai.azure.com', apiVersion: '2025-04-01-preview' }, null],
    [{ kind: 'claude' }, 'Unknown provider kind'],
  ])('%p → %p', (connection, problem) => {
    expect(connectionProblem(connection as Parameters<typeof connectionProblem>[0])).toBe(problem);
  });

  it('normalizes base URLs', () => {
    expect(normalizeBaseUrl(' http://localhost:11434/v1/ ')).toBe('http://localhost:11434/v1');
    expect(normalizeBaseUrl('https://api.example.com')).toBe('https://api.example.com');
  });
});

describe('responseFormatName', () => {
  it('fits OpenAI’s ^[a-zA-Z0-9_-]{1,64}$', () => {
    expect(responseFormatName('Lead score!')).toBe('Lead_score');
    expect(responseFormatName('plan-v2')).toBe('plan-v2');
    expect(responseFormatName('***')).toBe('output');
    expect(responseFormatName('x'.repeat(100))).toHaveLength(64);
  });
});

describe('OpenAI-compatible presets', () => {
  const options = (baseUrl: string) => {
    const { apiKey: _key, outbound: _outbound, ...rest } = openAiCompatibleOptionsFor({ kind: 'openai-compatible', apiKey: 'k', baseUrl });
    return rest;
  };

  it('tunes the adapter by the hosted preset its base URL calls', () => {
    expect(options('https://api.deepseek.com/v1')).toMatchObject({ structuredOutput: 'json_object', requestUsageCost: false, maxTokensField: 'max_tokens' });
    expect(options('https://openrouter.ai/api/v1')).toMatchObject({ structuredOutput: 'json_schema', requestUsageCost: true, readReportedCost: true });
    expect(options('http://localhost:11434/v1')).toMatchObject({ structuredOutput: 'json_schema', requestUsageCost: false });
  });

  it('recognises hosted presets by origin only', () => {
    expect(presetOfBaseUrl('https://api.groq.com/openai/v1')?.id).toBe('groq');
    expect(presetOfBaseUrl('https://API.Mistral.ai/v1/')?.id).toBe('mistral');
    expect(presetOfBaseUrl('https://api.together.ai/v1')?.id).toBe('together');
    expect(presetOfBaseUrl('https://openrouter.ai.evil.example/api/v1')).toBeNull();
    expect(presetOfBaseUrl('http://localhost:11434/v1')).toBeNull();
    expect(presetOfBaseUrl('not a url')).toBeNull();
    expect(OPENAI_COMPATIBLE_PRESETS.map((p) => p.id)).toEqual(['openrouter', 'groq', 'together', 'mistral', 'deepseek', 'ollama', 'vllm']);
    for (const preset of OPENAI_COMPATIBLE_PRESETS) {
      expect(connectionProblem({ kind: 'openai-compatible', baseUrl: preset.baseUrl })).toBeNull();
      if (!preset.selfHosted) expect(presetOfBaseUrl(preset.baseUrl)).toBe(preset);
    }
  });
});
