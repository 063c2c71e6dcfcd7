import { describe, expect, it } from '@jest/globals';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { apiKeyFingerprint, apiKeyHint, apiKeyShape, inferenceKeyProblem, keyShapeWarning } from './api-keys.js';

describe('apiKeyShape', () => {
  it.each([
    ['sk-proj-abcdefghijklmnopqrstuvwxyz0123456789', 'project'],
    ['sk-svcacct-abcdefghijklmnopqrstuvwxyz0123456789', 'service_account'],
    ['sk-admin-abcdefghijklmnopqrstuvwxyz0123456789', 'admin'],
    ['sk-abcdefghijklmnopqrstuvwxyz0123456789', 'legacy'],
    ['sk-or-v1-abcdef0123456789', 'openrouter'],
    ['sk-ant-api03-abcdefghijklmnop', 'anthropic'],
    ['sk-ant-admin01-abcdefghijklmnop', 'anthropic_admin'],
    ['sk-ant-oat01-abcdefghijklmnop', 'anthropic_oauth'],
    ['AIzaSyabcdefghijklmnopqrstuvwxyz0123456', 'google'],
    ['gsk_abcdefghijklmnopqrstuvwxyz', 'groq'],
    ['0123456789abcdef0123456789abcdef', 'unknown'],
    ['ollama', 'unknown'],
    ['', 'unknown'],
    ['SK-PROJ-abc', 'unknown'],
  ])('%s → %s', (key, shape) => {
    expect(apiKeyShape(key)).toBe(shape);
  });
});

describe('apiKeyHint', () => {
  it('shows the kind prefix and the last 4 characters only', () => {
    expect(apiKeyHint('sk-proj-abcdefghijklmnopqrstuvwxyz01a1b2')).toBe('sk-proj-…a1b2');
    expect(apiKeyHint('sk-svcacct-abcdefghijklmnopqrstuvwxyz9z8y')).toBe('sk-svcacct-…9z8y');
    expect(apiKeyHint('sk-admin-abcdefghijklmnopqrstuvwxyzQRST')).toBe('sk-admin-…QRST');
    expect(apiKeyHint('sk-abcdefghijklmnopqrstuvwxyz12c3d4')).toBe('sk-…c3d4');
    expect(apiKeyHint('abcdefghijklmnopqrstuvwxyz-wxyz')).toBe('…wxyz');
  });

  it('shows no tail of a short key', () => {
    expect(apiKeyHint('sk-proj-short')).toBe('sk-proj-…');
    expect(apiKeyHint('ollama')).toBe('…');
    expect(apiKeyHint('')).toBe('…');
  });

  it('never reveals more than prefix + 4 characters', () => {
    const key = 'sk-proj-SECRETSECRETSECRETSECRETabcd';
    const hint = apiKeyHint(key);
    expect(hint.replace('…', '').length).toBeLessThanOrEqual('sk-proj-'.length + 4);
    expect(hint).not.toContain('SECRET');
  });
});

describe('apiKeyFingerprint', () => {
  const instanceKey = randomBytes(32);
  const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';

  it("is 'hmac-sha256:' + the first 16 hex digits of HMAC-SHA256(instance key, key) — not a plain SHA-256", () => {
    const expected = createHmac('sha256', instanceKey).update(key).digest('hex').slice(0, 16);
    expect(apiKeyFingerprint(key, instanceKey)).toBe(`hmac-sha256:${expected}`);
    expect(apiKeyFingerprint(key, instanceKey)).not.toContain(createHash('sha256').update(key).digest('hex').slice(0, 16));
  });

  it('is stable within an instance, tells keys apart, and differs between instances', () => {
    expect(apiKeyFingerprint('sk-a-1', instanceKey)).toBe(apiKeyFingerprint('sk-a-1', instanceKey));
    expect(apiKeyFingerprint('sk-a-1', instanceKey)).not.toBe(apiKeyFingerprint('sk-a-2', instanceKey));
    expect(apiKeyFingerprint('sk-a-1', instanceKey)).not.toBe(apiKeyFingerprint('sk-a-1', randomBytes(32)));
    expect(() => apiKeyFingerprint('sk-a-1', Buffer.alloc(8))).toThrow(TypeError);
  });
});

describe('inferenceKeyProblem', () => {
  const ANTHROPIC = 'sk-ant-api03-Zq8mN3vB7xK2pL9wR4tY6uI1oE5aS0dF3gH8jK2lM9nB4v';
  const OPENAI = 'sk-proj-Zq8mN3vB7xK2pL9wR4tY6uI1oE5aS0dF3gH8jK2lM9nB4v';
  const GOOGLE = 'AIzaSyZq8mN3vB7xK2pL9wR4tY6uI1oE5aS0dF3g';

  it('accepts each provider\'s own keys', () => {
    expect(inferenceKeyProblem('anthropic', ANTHROPIC)).toBeNull();
    expect(inferenceKeyProblem('openai', OPENAI)).toBeNull();
    expect(inferenceKeyProblem('gemini', GOOGLE)).toBeNull();
    expect(inferenceKeyProblem('azure-openai', '0123456789abcdef0123456789abcdef')).toBeNull();
    expect(inferenceKeyProblem('openai-compatible', 'sk-or-v1-abc', 'https://openrouter.ai/api/v1')).toBeNull();
    // A key of no known shape is stored (with a warning), not refused: providers change formats.
    expect(inferenceKeyProblem('anthropic', 'abcdefghijklmnopqrstuvwxyz')).toBeNull();
  });

  it('refuses another provider\'s key with a sentence naming both, never the key', () => {
    const problems = [
      inferenceKeyProblem('anthropic', OPENAI),
      inferenceKeyProblem('openai', ANTHROPIC),
      inferenceKeyProblem('gemini', ANTHROPIC),
      inferenceKeyProblem('anthropic', GOOGLE),
      inferenceKeyProblem('gemini', 'sk-abcdefghijklmnopqrstuvwxyz'),
      inferenceKeyProblem('openai-compatible', OPENAI, 'https://openrouter.ai/api/v1'),
    ];
    expect(problems[0]).toBe('looks like an OpenAI project key (sk-proj-…), not an Anthropic key (sk-ant-api…). Paste the key from Anthropic');
    expect(problems[1]).toMatch(/Anthropic API key .* not an OpenAI key/);
    for (const problem of problems) {
      expect(problem).not.toBeNull();
      for (const key of [ANTHROPIC, OPENAI, GOOGLE]) expect(problem).not.toContain(key.slice(-8));
    }
  });

  it('refuses admin keys and subscription tokens as inference keys, for any kind', () => {
    for (const kind of ['openai', 'anthropic', 'openai-compatible', 'azure-openai', 'gemini']) {
      expect(inferenceKeyProblem(kind, 'sk-admin-abcdefghijklmnopqrstuvwxyz')).toMatch(/^is an OpenAI admin key/);
      expect(inferenceKeyProblem(kind, 'sk-ant-admin01-abcdefghijklmnopqrstuvwxyz')).toMatch(/^is an Anthropic Admin API key/);
      expect(inferenceKeyProblem(kind, 'sk-ant-oat01-abcdefghijklmnopqrstuvwxyz')).toMatch(/^is a Claude subscription token/);
    }
  });

  it('warns about stored keys of no known shape, per kind', () => {
    expect(keyShapeWarning('openai', 'unknown')).toBe('This key does not look like an OpenAI key (sk-proj-, sk-svcacct- or sk-). It was stored; verify it works.');
    expect(keyShapeWarning('anthropic', 'unknown')).toMatch(/^This key does not look like an Anthropic key \(sk-ant-api…\)/);
    expect(keyShapeWarning('gemini', 'unknown')).toMatch(/Google Gemini key \(AIza…\)/);
    expect(keyShapeWarning('anthropic', 'anthropic')).toBeNull();
    expect(keyShapeWarning('azure-openai', 'unknown')).toBeNull();
    expect(keyShapeWarning('openai-compatible', 'none')).toBeNull();
    expect(keyShapeWarning('openai-compatible', 'unknown', 'https://api.groq.com/openai/v1')).toMatch(/Groq key \(gsk_…\)/);
  });
});
