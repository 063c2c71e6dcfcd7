// The alert webhook's signing secret is a key like the others: wrapped by the master key ring, bound to its
// workspace by the associated data, re-wrapped by `vault:rotate`. Money's alert delivery opens it to sign.
import type { Envelope, WrappedKey } from '../crypto/envelope.js';

const webhookSecretContext = (workspaceId: string) => `ws=${workspaceId}|purpose=alert_webhook_secret`;

/**
 * The alert webhook's signing secret as stored: wrapped by the active master key like a data key (it is itself a
 * key), bound to its workspace by the associated data, re-wrapped by `vault:rotate`.
 */
export function sealWebhookSecret(envelope: Envelope, workspaceId: string, secret: string): WrappedKey {
  const plain = Buffer.from(secret, 'utf8');
  try {
    return envelope.wrapKey(webhookSecretContext(workspaceId), plain);
  } finally {
    plain.fill(0);
  }
}

/** The signing secret for signing a delivery. A row an older version stored in clear (no version yet) is used as is. */
export function openWebhookSecret(envelope: Envelope, workspaceId: string, stored: { secret: string; kekVersion: number | null }): string {
  if (stored.kekVersion === null) return stored.secret;
  const plain = envelope.unwrapKey(webhookSecretContext(workspaceId), { kekVersion: stored.kekVersion, wrapped: stored.secret }, 'alert webhook signing secret');
  try {
    return plain.toString('utf8');
  } finally {
    plain.fill(0);
  }
}

/** Re-wraps a stored signing secret under another master key version (master-key rotation). */
export function rewrapWebhookSecret(envelope: Envelope, workspaceId: string, stored: WrappedKey): WrappedKey {
  return envelope.rewrapKey(webhookSecretContext(workspaceId), stored, 'alert webhook signing secret');
}

