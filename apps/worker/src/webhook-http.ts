import { guardedAgent, outboundRefusalOf, type OutboundRefusedError } from '@vaultrun/providers';
import type { Agent } from 'undici';

/**
 * The HTTP client of outgoing webhooks: the same outbound guard as provider calls. Link-local and cloud metadata
 * addresses are never connected to; private and loopback ones only when `allowPrivate`. Checked on the address each
 * connection is made to (a literal address before connecting, a name once resolved), so a name re-pointed at a
 * refused address after it was saved is refused too.
 */
export function webhookAgent(allowPrivate: boolean): Agent {
  return guardedAgent({ allowPrivate });
}

/** The refusal behind a failed fetch through `webhookAgent`, if that is why it failed. */
export function privateAddressRefusal(err: unknown): OutboundRefusedError | null {
  return outboundRefusalOf(err);
}
