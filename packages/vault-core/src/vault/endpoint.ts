import { endpointOrigin } from '@vaultrun/providers';
import type { SecretEndpoint } from '../crypto/envelope.js';

/**
 * The endpoint an account's key is sent to: its kind and the normalized origin of its base URL. Secrets are bound to
 * it (associated data), so whoever reads a key names where it will go. Throws a TypeError for an unusable base URL.
 */
export function endpointOf(account: { kind: string; baseUrl: string | null }): SecretEndpoint {
  return { kind: account.kind, origin: endpointOrigin(account.kind, account.baseUrl) };
}
