import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { apiKeyFingerprint, apiKeyHint, apiKeyShape } from './api-keys.js';

describe('apiKeyShape', () => {
  it.each([
    ['sk-proj-abcdefghijklmnopqrstuvwxyz0123456789', 'project'],
    ['sk-svcacct-abcdefghijklmnopqrstuvwxyz0123456789', 'service_account'],
    ['sk-admin-abcdefghijklmnopqrstuvwxyz0123456789', 'admin'],
    ['sk-abcdefghijklmnopqrstuvwxyz0123456789', 'legacy'],
    ['sk-or-v1-abcdef0123456789', 'legacy'],
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
  it("is 'sha256:' + the first 16 hex digits of SHA-256(key)", () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    const expected = createHash('sha256').update(key).digest('hex').slice(0, 16);
    expect(apiKeyFingerprint(key)).toBe(`sha256:${expected}`);
    expect(apiKeyFingerprint(key)).toMatch(/^sha256:[0-9a-f]{16}$/);
  });

  it('tells keys apart and is stable', () => {
    expect(apiKeyFingerprint('sk-a-1')).not.toBe(apiKeyFingerprint('sk-a-2'));
    expect(apiKeyFingerprint('sk-a-1')).toBe(apiKeyFingerprint('sk-a-1'));
  });
});
