/**
 * A random key for one user action (e.g. the Idempotency-Key of a run submission). Uses getRandomValues,
 * which, unlike crypto.randomUUID, also exists on a console served over plain HTTP on a LAN address.
 */
export function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
