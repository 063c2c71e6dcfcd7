// The outbound address guard lives in @vaultrun/providers (provider calls need it and sit below vault-core);
// webhooks use the very same implementation through these re-exports.
export {
  classifyAddress,
  guardedAgent,
  guardedLookup,
  hostRefusal,
  isPrivateAddress,
  outboundAgent,
  outboundRefusalOf,
  OutboundRefusedError,
  resolvedUrlRefusal,
  urlRefusal,
  type AddressClass,
  type OutboundPolicy,
  type Resolver,
} from '@vaultrun/providers';
