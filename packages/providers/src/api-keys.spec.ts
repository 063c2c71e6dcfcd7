import { describe, expect, it } from '@jest/globals';
import { createHash, createHmac, randomBytes } from 'node:crypto';
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
