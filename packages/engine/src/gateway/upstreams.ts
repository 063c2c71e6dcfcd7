import { createGatewayUpstream, type GatewayUpstream, type OutboundPolicy, PUBLIC_ONLY } from '@vaultrun/providers';
import type { ProviderAccount } from '@vaultrun/db';
import type { DataSource } from 'typeorm';
import { connectionFor, endpointOf, type SecretStore } from '@vaultrun/vault-core';
import { keyPlaceOf } from '../runs/key-cache.js';

export type UpstreamAccount = Pick<ProviderAccount, 'id' | 'workspaceId' | 'kind' | 'baseUrl' | 'dekVersion' | 'mockSettings'> &
  Partial<Pick<ProviderAccount, 'apiVersion'>> & { keyAccount?: { id: string; workspaceId: string } | null };

/**
 * Gateway upstreams per account, kept in this process's memory for a while: an upstream holds its SDK client (and the
 * decrypted key, in a private field) so a busy account is neither decrypted nor re-connected per call. The cache key
 * includes the data-key version, kind, base URL and mock settings, so a rotated key or a moved account is never served
 * stale. Nothing here goes to Redis or a log. (The run executor's ProviderCache does the same for `LlmProvider`s.)
 */
export class GatewayUpstreams {
  private readonly entries = new Map<string, { upstream: GatewayUpstream; expires: number }>();

  constructor(
    private readonly db: DataSource,
    private readonly secrets: SecretStore,
    private readonly options: { ttlMs?: number; timeoutMs: number; outbound?: OutboundPolicy },
  ) {}

  async get(account: UpstreamAccount): Promise<GatewayUpstream> {
    const key = `${account.id}:${account.keyAccount?.id ?? ''}:${account.dekVersion}:${account.kind}:${account.baseUrl ?? ''}:${account.apiVersion ?? ''}:${JSON.stringify(account.mockSettings ?? null)}`;
    const hit = this.entries.get(key);
    if (hit && hit.expires > Date.now()) return hit.upstream;
    // Decrypted for the endpoint the upstream will call: a key bound to another endpoint does not decrypt.
    const apiKey = account.kind === 'mock' ? null : await this.secrets.read(this.db, keyPlaceOf(account), 'api_key', endpointOf(account));
    const upstream = createGatewayUpstream({ ...connectionFor(account, apiKey, this.options.outbound ?? PUBLIC_ONLY), timeoutMs: this.options.timeoutMs });
    for (const [k, v] of this.entries) if (k.startsWith(`${account.id}:`) || v.expires <= Date.now()) this.entries.delete(k);
    this.entries.set(key, { upstream, expires: Date.now() + (this.options.ttlMs ?? 60_000) });
    return upstream;
  }

  /** Forgets an account's upstream (its key was refused: the next call reads the key again). */
  forget(accountId: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(`${accountId}:`)) this.entries.delete(k);
  }
}
