import { PrivateAddressError, publicOnlyLookup } from '@vaultrun/vault-core';
import { Agent } from 'undici';

/**
 * The HTTP client of outgoing webhooks. Unless private networks are allowed, it connects only to public addresses,
 * checked on the address each name resolves to as the connection is made (so a name re-pointed at a private address
 * after it was saved is refused too). Literal addresses skip the lookup: check those with `privateHostReason` first.
 */
export function webhookAgent(allowPrivate: boolean): Agent {
  return new Agent(allowPrivate ? {} : { connect: { lookup: publicOnlyLookup } });
}

/** The refusal behind a failed fetch through `webhookAgent`, if that is why it failed. */
export function privateAddressRefusal(err: unknown): PrivateAddressError | null {
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause instanceof PrivateAddressError ? cause : null;
}
