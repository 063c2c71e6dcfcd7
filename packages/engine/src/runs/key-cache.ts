import { createProvider, type LlmProvider, type OutboundPolicy, PUBLIC_ONLY } from '@vaultrun/providers';
import type { ProviderAccount } from '@vaultrun/db';
import type { DataSource } from 'typeorm';
import { connectionFor, endpointOf, type SecretStore } from '@vaultrun/vault-core';

/** What calling an account's provider needs to know of it. */
export type CallableAccount = Pick<ProviderAccount, 'id' | 'workspaceId' | 'dekVersion' | 'kind' | 'baseUrl' | 'mockSettings'> &
  Partial<Pick<ProviderAccount, 'apiVersion'>> & {
    /** A managed connector's managed account, whose key is read (docs/managed.md); absent: the account's own. */
    keyAccount?: { id: string; workspaceId: string } | null;
  };

/** Where an account's key is kept: its managed account's place for a connector, its own otherwise. */
export function keyPlaceOf(account: CallableAccount): { workspaceId: string; accountId: string } {
  return account.keyAccount ? { workspaceId: account.keyAccount.workspaceId, accountId: account.keyAccount.id } : { workspaceId: account.workspaceId, accountId: account.id };
}

export interface ProviderCacheOptions {
  ttlMs?: number;
  factory?: typeof createProvider;
  /** Per provider call. */
  timeoutMs?: number;
  /** Which addresses provider base URLs may reach (VAULTRUN_PROVIDER_ALLOW_PRIVATE). */
  outbound?: OutboundPolicy;
}

/**
 * Ready-to-call providers, kept in this process's memory for a short while so a busy account is not decrypted
 * for every run. The cache key includes the data-key version, so a rotated key is never served stale; nothing
 * here ever goes to Redis or a log.
 */
export class ProviderCache {
  private readonly entries = new Map<string, { provider: LlmProvider; expires: number }>();

  private readonly ttlMs: number;
  private readonly factory: typeof createProvider;
  private readonly timeoutMs: number;
  private readonly outbound: OutboundPolicy;

  constructor(
    private readonly db: DataSource,
    private readonly secrets: SecretStore,
    options: ProviderCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.factory = options.factory ?? createProvider;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.outbound = options.outbound ?? PUBLIC_ONLY;
  }

  async get(account: CallableAccount): Promise<LlmProvider> {
    const cacheKey = `${account.id}:${account.keyAccount?.id ?? ''}:${account.dekVersion}:${account.kind}:${account.baseUrl ?? ''}:${account.apiVersion ?? ''}:${JSON.stringify(account.mockSettings ?? null)}`;
    const hit = this.entries.get(cacheKey);
    if (hit && hit.expires > Date.now()) return hit.provider;
    // Decrypted for the endpoint the provider will call: a key bound to another endpoint does not decrypt.
    const apiKey = account.kind === 'mock' ? null : await this.secrets.read(this.db, keyPlaceOf(account), 'api_key', endpointOf(account));
    const provider = this.factory({ ...connectionFor(account, apiKey, this.outbound), timeoutMs: this.timeoutMs });
    for (const [k, v] of this.entries) if (k.startsWith(`${account.id}:`) || v.expires <= Date.now()) this.entries.delete(k);
    this.entries.set(cacheKey, { provider, expires: Date.now() + this.ttlMs });
    return provider;
  }
}
