import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** URL-safe random secret with `bytes` of entropy. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Hash for high-entropy bearer secrets (session cookies, API tokens, invite links). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export const API_TOKEN_PREFIX = 'vr_';
/** Characters of the token kept as its visible prefix, after `vr_`. */
const VISIBLE = 8;

/** A new API token: `vr_` + 43 base64url characters (256 bits). */
export function generateApiToken(): { token: string; prefix: string; hash: string } {
  const token = `${API_TOKEN_PREFIX}${randomSecret(32)}`;
  return { token, prefix: token.slice(0, API_TOKEN_PREFIX.length + VISIBLE), hash: sha256Hex(token) };
}

/**
 * Log redaction paths shared by every process: pino replaces these with "[Redacted]".
 * Keys are also never logged on purpose; this is the net under the floor.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.apiKey',
  '*.adminKey',
  '*.secret',
  '*.key',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.ciphertext',
  '*.*.apiKey',
  '*.*.key',
  '*.*.secret',
  '*.*.password',
  '*.*.ciphertext',
];
