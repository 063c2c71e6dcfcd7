import { createProvider, type LlmProvider } from '@vaultrun/providers';
import type { ProviderAccount } from '@vaultrun/db';
import type { DataSource } from 'typeorm';
import type { SecretStore } from '../vault/secret-store.js';
import { connectionFor } from '../vault/verify.js';

/**
 * Ready-to-call providers, kept in this process's memory for a short while so a busy account is not decrypted
 * for every run. The cache key includes the data-key version, so a rotated key is never served stale; nothing
 * here ever goes to Redis or a log.
 */
export class ProviderCache {
  private readonly entries = new Map<string, { provider: LlmProvider; expires: number }>();

  constructor(
    private readonly db: DataSource,
    private readonly secrets: SecretStore,
    private readonly ttlMs = 60_000,
    private readonly factory = createProvider,
    private readonly timeoutMs = 120_000,
  ) {}

  async get(account: ProviderAccount): Promise<LlmProvider> {
    const cacheKey = `${account.id}:${account.dekVersion}:${account.kind}:${account.baseUrl ?? ''}:${JSON.stringify(account.mockSettings ?? null)}`;
    const hit = this.entries.get(cacheKey);
    if (hit && hit.expires > Date.now()) return hit.provider;
    const apiKey = account.kind === 'mock' ? null : await this.secrets.read(this.db, { workspaceId: account.workspaceId, accountId: account.id }, 'api_key');
    const provider = this.factory({ ...connectionFor(account, apiKey), timeoutMs: this.timeoutMs });
    for (const [k, v] of this.entries) if (k.startsWith(`${account.id}:`) || v.expires <= Date.now()) this.entries.delete(k);
    this.entries.set(cacheKey, { provider, expires: Date.now() + this.ttlMs });
    return provider;
  }
}
