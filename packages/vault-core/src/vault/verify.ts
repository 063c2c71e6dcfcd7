import { type AccountStatus, ProviderAccount } from '@vaultrun/db';
import { classifyProviderError, createProvider, PUBLIC_ONLY, type ModelList, type OutboundPolicy, type ProviderConnection, type ProviderError } from '@vaultrun/providers';
import type { DataSource } from 'typeorm';
import { endpointOf } from './endpoint.js';
import type { SecretStore } from './secret-store.js';

export type ProviderFactory = typeof createProvider;

export interface VerifyOutcome {
  ok: boolean;
  status: AccountStatus;
  /** Set when the provider refused: the taxonomy code and the message for people. */
  error: { code: string; message: string } | null;
  models: string[];
}

/** Timeout for "list the available models" — a verification, not a run. */
const VERIFY_TIMEOUT_MS = 15_000;

/** Status an account takes after a failed verification (transient failures leave it as it was). */
export function statusAfterFailure(current: AccountStatus, error: ProviderError): AccountStatus {
  if (error.accountStatus) return error.accountStatus;
  return current === 'disabled' ? 'disabled' : current;
}

export function connectionFor(account: Pick<ProviderAccount, 'kind' | 'baseUrl' | 'mockSettings'>, apiKey: string | null, outbound: OutboundPolicy): ProviderConnection {
  return {
    kind: account.kind,
    apiKey,
    baseUrl: account.baseUrl,
    timeoutMs: VERIFY_TIMEOUT_MS,
    mock: account.kind === 'mock' ? ((account.mockSettings ?? {}) as ProviderConnection['mock']) : null,
    outbound,
  };
}

/**
 * Verify = ask the provider for its model list with the stored key. Updates status, cached models,
 * provider-reported limits and the verification times. Never throws for a provider refusal: the outcome
 * carries the mapped code and message.
 */
export class AccountVerifier {
  constructor(
    private readonly db: DataSource,
    private readonly secrets: SecretStore,
    /** Which addresses provider base URLs may reach (VAULTRUN_PROVIDER_ALLOW_PRIVATE). */
    readonly outbound: OutboundPolicy = PUBLIC_ONLY,
    private readonly providers: ProviderFactory = createProvider,
  ) {}

  /** Lists models with a key that is not stored (yet): used to check a new key before switching to it. */
  async probe(connection: ProviderConnection): Promise<ModelList> {
    return this.providers({ ...connection, timeoutMs: VERIFY_TIMEOUT_MS, outbound: this.outbound }).listModels();
  }

  async verify(account: ProviderAccount): Promise<VerifyOutcome> {
    const place = { workspaceId: account.workspaceId, accountId: account.id };
    // The key is decrypted for the endpoint it is about to be sent to: a key bound to another one does not decrypt.
    const apiKey = account.kind === 'mock' ? null : await this.secrets.read(this.db, place, 'api_key', endpointOf(account));
    const now = new Date();
    try {
      const list = await this.probe(connectionFor(account, apiKey, this.outbound));
      const models = [...new Set(list.models)].sort();
      const status: AccountStatus = account.status === 'disabled' ? 'disabled' : 'active';
      await this.db.getRepository(ProviderAccount).update(
        { id: account.id },
        { status, models, providerLimits: list.rateLimits, lastVerifiedAt: now, lastCheckedAt: now, lastErrorCode: null, rateLimitedUntil: null },
      );
      return { ok: true, status, error: null, models };
    } catch (err) {
      const error = classifyProviderError(err);
      const status = statusAfterFailure(account.status, error);
      await this.db.getRepository(ProviderAccount).update(
        { id: account.id },
        {
          status,
          lastCheckedAt: now,
          lastErrorCode: error.code,
          rateLimitedUntil: status === 'rate_limited' ? new Date(now.getTime() + (error.retryAfterMs ?? 60_000)) : account.rateLimitedUntil,
        },
      );
      return { ok: false, status, error: { code: error.code, message: error.message }, models: account.models };
    }
  }
}

/** Accounts the scheduled re-verification looks at: live, keyed accounts not checked within `olderThanMs`. */
export async function accountsDueForReverify(db: DataSource, olderThanMs: number): Promise<ProviderAccount[]> {
  return db
    .getRepository(ProviderAccount)
    .createQueryBuilder('a')
    .where(`a.kind <> 'mock'`)
    .andWhere(`a.status IN ('active', 'rate_limited')`)
    .andWhere('(a.lastCheckedAt IS NULL OR a.lastCheckedAt < :before)', { before: new Date(Date.now() - olderThanMs) })
    .orderBy('a.lastCheckedAt', 'ASC', 'NULLS FIRST')
    .getMany();
}
