import { type AccountStatus, ProviderAccount } from '@vaultrun/db';
import {
  classifyProviderError,
  createProvider,
  isProviderErrorCode,
  type ModelList,
  type OutboundPolicy,
  PROVIDER_ERRORS,
  type ProviderConnection,
  type ProviderError,
  PUBLIC_ONLY,
} from '@vaultrun/providers';
import type { DataSource } from 'typeorm';
import { SecretUnreadable } from '../crypto/envelope.js';
import { MasterKeyError } from '../crypto/keyring.js';
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

/**
 * Why a verification failed when the provider did not refuse it (beside the provider error taxonomy, whose codes
 * an account's `lastErrorCode` also takes): code → message for people.
 */
export const VERIFY_ERRORS = {
  empty_model_list: 'The provider listed no models — the key may have access to none, or the base URL points at the wrong server',
  malformed_model_list: 'The provider did not answer with a model list — check the base URL (it usually ends in /v1)',
  secret_unreadable: 'The stored key cannot be decrypted (was the master key changed?) — rotate the key in again',
  verify_failed: 'The check could not be completed on our side — the next scheduled check tries again (see the worker logs)',
} as const;
export type VerifyErrorCode = keyof typeof VERIFY_ERRORS;

/** The message for an account's `lastErrorCode`: a verification code or a provider taxonomy code. */
export function accountErrorMessage(code: string): string {
  if (Object.hasOwn(VERIFY_ERRORS, code)) return VERIFY_ERRORS[code as VerifyErrorCode];
  return isProviderErrorCode(code) ? PROVIDER_ERRORS[code].message : 'Provider error';
}

/** The provider answered "list models" with nothing usable: no evidence that the key can run anything. */
export class ModelListRefused extends Error {
  constructor(readonly code: Extract<VerifyErrorCode, 'empty_model_list' | 'malformed_model_list'>) {
    super(VERIFY_ERRORS[code]);
    this.name = 'ModelListRefused';
  }
}

/** What a failed "list models" means for people: a verification code, or the provider taxonomy's. */
export function verifyFailureOf(err: unknown): { code: string; message: string } {
  if (err instanceof ModelListRefused) return { code: err.code, message: err.message };
  const error = classifyProviderError(err);
  return { code: error.code, message: error.message };
}

/** Status an account takes after a failed verification (transient failures leave it as it was). */
export function statusAfterFailure(current: AccountStatus, error: ProviderError): AccountStatus {
  if (error.accountStatus) return error.accountStatus;
  return current === 'disabled' ? 'disabled' : current;
}

export function connectionFor(
  account: Pick<ProviderAccount, 'kind' | 'baseUrl' | 'mockSettings'> & Partial<Pick<ProviderAccount, 'apiVersion'>>,
  apiKey: string | null,
  outbound: OutboundPolicy,
): ProviderConnection {
  return {
    kind: account.kind,
    apiKey,
    baseUrl: account.baseUrl,
    apiVersion: account.kind === 'azure-openai' ? (account.apiVersion ?? null) : null,
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

  /**
   * Lists models with a key that is not stored (yet): used to check a new key before switching to it. A list that
   * is empty or not a list of models is no success: it rejects with ModelListRefused.
   */
  async probe(connection: ProviderConnection): Promise<ModelList> {
    const list = await this.providers({ ...connection, timeoutMs: VERIFY_TIMEOUT_MS, outbound: this.outbound }).listModels();
    if (list.malformed) throw new ModelListRefused('malformed_model_list');
    if (list.models.length === 0) throw new ModelListRefused('empty_model_list');
    return list;
  }

  /**
   * Writes a verification's outcome; a managed account's connectors (docs/managed.md) take its status and models, so
   * the workspaces using it see what the instance's key can do.
   */
  private async record(where: { id: string }, changes: Partial<ProviderAccount>): Promise<void> {
    await this.db.getRepository(ProviderAccount).update(where, changes);
    const mirrored = { ...(changes.status ? { status: changes.status } : {}), ...(changes.models ? { models: changes.models } : {}) };
    if (Object.keys(mirrored).length) await this.db.getRepository(ProviderAccount).update({ managedSourceId: where.id }, mirrored);
  }

  async verify(account: ProviderAccount): Promise<VerifyOutcome> {
    const place = { workspaceId: account.workspaceId, accountId: account.id };
    const now = new Date();
    let apiKey: string | null;
    try {
      // The key is decrypted for the endpoint it is about to be sent to: a key bound to another one does not decrypt.
      apiKey = account.kind === 'mock' ? null : await this.secrets.read(this.db, place, 'api_key', endpointOf(account));
    } catch (err) {
      if (!(err instanceof SecretUnreadable || err instanceof MasterKeyError)) throw err;
      // Nobody can vouch for the account until its key is stored again: unverified (scheduled checks skip it).
      const status: AccountStatus = account.status === 'disabled' ? 'disabled' : 'unverified';
      await this.record({ id: account.id }, { status, lastCheckedAt: now, lastErrorCode: 'secret_unreadable' });
      return { ok: false, status, error: { code: 'secret_unreadable', message: VERIFY_ERRORS.secret_unreadable }, models: account.models };
    }
    try {
      const list = await this.probe(connectionFor(account, apiKey, this.outbound));
      const models = [...new Set(list.models)].sort();
      const status: AccountStatus = account.status === 'disabled' ? 'disabled' : 'active';
      await this.record(
        { id: account.id },
        { status, models, providerLimits: list.rateLimits, lastVerifiedAt: now, lastCheckedAt: now, lastErrorCode: null, rateLimitedUntil: null },
      );
      return { ok: true, status, error: null, models };
    } catch (err) {
      if (err instanceof ModelListRefused) {
        // The provider answered, so its status (and any cooldown) stands; the account is just not verified by it.
        await this.record({ id: account.id }, { lastCheckedAt: now, lastErrorCode: err.code });
        return { ok: false, status: account.status, error: { code: err.code, message: err.message }, models: account.models };
      }
      const error = classifyProviderError(err);
      const status = statusAfterFailure(account.status, error);
      await this.record(
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
    // A managed connector has no key of its own: its managed account is checked (and its connectors follow it).
    .andWhere('a.managedSourceId IS NULL')
    .andWhere(`a.status IN ('active', 'rate_limited')`)
    .andWhere('(a.lastCheckedAt IS NULL OR a.lastCheckedAt < :before)', { before: new Date(Date.now() - olderThanMs) })
    .orderBy('a.lastCheckedAt', 'ASC', 'NULLS FIRST')
    .getMany();
}
