// Recognising and naming API keys without revealing them: the vault shows a hint and a fingerprint.
import { createHmac } from 'node:crypto';

export type ApiKeyShape = 'project' | 'service_account' | 'admin' | 'legacy' | 'unknown';

const SHAPES: { prefix: string; shape: ApiKeyShape }[] = [
  { prefix: 'sk-proj-', shape: 'project' },
  { prefix: 'sk-svcacct-', shape: 'service_account' },
  { prefix: 'sk-admin-', shape: 'admin' },
  { prefix: 'sk-', shape: 'legacy' },
];

/** The key's kind prefix, '' when it has none we know. */
export function apiKeyPrefix(key: string): string {
  return SHAPES.find(({ prefix }) => key.startsWith(prefix))?.prefix ?? '';
}

/** sk-proj-, sk-svcacct-, sk-admin-, legacy sk- (anything else that starts with sk-); otherwise unknown. */
export function apiKeyShape(key: string): ApiKeyShape {
  return SHAPES.find(({ prefix }) => key.startsWith(prefix))?.shape ?? 'unknown';
}

/**
 * 'sk-proj-…a1b2': the kind prefix and the last 4 characters, nothing more. The last 4 are shown
 * only when at least 12 secret characters hide behind the prefix, so a short key is not half-revealed.
 */
export function apiKeyHint(key: string): string {
  const prefix = apiKeyPrefix(key);
  const secret = key.slice(prefix.length);
  return secret.length >= 12 ? `${prefix}…${secret.slice(-4)}` : `${prefix}…`;
}

/**
 * 'hmac-sha256:' + the first 16 hex digits of HMAC-SHA256(fingerprintKey, key): tells keys apart within an instance,
 * and — unlike a plain hash — cannot be used to check a guessed or leaked key without the instance's secret
 * fingerprint key (vault-core's KeyFingerprints holds it).
 */
export function apiKeyFingerprint(key: string, fingerprintKey: Buffer): string {
  if (fingerprintKey.length < 32) throw new TypeError('the fingerprint key must be at least 32 bytes');
  return `hmac-sha256:${createHmac('sha256', fingerprintKey).update(key, 'utf8').digest('hex').slice(0, 16)}`;
}
