import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AccountStatus, ProviderAccount, ProviderSecret } from '@vaultrun/db';
import {
  apiKeyHint,
  classifyProviderError,
  endpointOrigin,
  type ModelList,
  normalizeBaseUrl,
  OPENAI_DEFAULT_BASE_URL,
  ANTHROPIC_DEFAULT_BASE_URL,
  GEMINI_DEFAULT_BASE_URL,
  resolvedUrlRefusal,
} from '@vaultrun/providers';
import { AccountVerifier, Conflict, connectionFor, DomainError, endpointOf, KeyFingerprints, SecretStore, ValidationFailed } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { within } from '../../common/bounded.js';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import { ACCOUNT_VERIFIER, KEY_FINGERPRINTS, SECRET_STORE } from './vault.tokens.js';

/** How long saving a base URL waits for DNS before leaving the check to connection time. */
const SAVE_TIME_DNS_TIMEOUT_MS = 3_000;

/** A base URL change decided before the transaction: the new key (if any) already checked at the new endpoint. */
export interface EndpointChange {
  baseUrl: string | null;
  fromOrigin: string;
  toOrigin: string;
  key: { value: string; shape: string; hint: string; fingerprint: string } | null;
  models: ModelList | null;
  adminKeyRemoved: boolean;
}

/** Where accounts without a base URL call. */
const DEFAULT_BASE_URLS: Partial<Record<string, string>> = { openai: OPENAI_DEFAULT_BASE_URL, anthropic: ANTHROPIC_DEFAULT_BASE_URL, gemini: GEMINI_DEFAULT_BASE_URL };

/** The base URL calls actually go to: `openai`, `anthropic` and `gemini` without one mean the provider's own. Null for an unusable one. */
function effectiveBaseUrl(kind: string, baseUrl: string | null): string | null {
  const url = baseUrl ?? DEFAULT_BASE_URLS[kind] ?? null;
  if (url === null) return null;
  try {
    return normalizeBaseUrl(url);
  } catch {
    // Only compared with another base URL here: an unusable one compares as written (saving it is refused elsewhere).
    return url;
  }
}

/**
 * A provider key is bound to its endpoint. This service checks where a base URL may point (the outbound guard, at
 * save time, with the reason in words) and carries out base-URL changes of accounts that hold a key: only with the
 * key supplied again, checked at the new endpoint before anything is saved, re-encrypted for the new endpoint.
 */
@Injectable()
export class ProviderEndpointsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(ACCOUNT_VERIFIER) private readonly verifier: AccountVerifier,
    @Inject(KEY_FINGERPRINTS) private readonly fingerprints: KeyFingerprints,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  /**
   * 400 on `baseUrl` when the outbound guard would refuse it: link-local and cloud metadata always; loopback and
   * private networks unless VAULTRUN_PROVIDER_ALLOW_PRIVATE. A name is resolved now (and checked again at every
   * connection, so re-pointing it later does not help).
   */
  async assertBaseUrlAllowed(baseUrl: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(normalizeBaseUrl(baseUrl));
    } catch (err) {
      throw ValidationFailed.field('baseUrl', err instanceof Error ? `is unusable: ${err.message}` : 'is not a valid URL');
    }
    const policy = this.config.providerOutbound;
    const refusal = await withTimeout(resolvedUrlRefusal(url, policy));
    if (!refusal) return;
    const allowable = !policy.allowPrivate && (await withTimeout(resolvedUrlRefusal(url, { allowPrivate: true }))) === null;
    throw ValidationFailed.field(
      'baseUrl',
      allowable
        ? `points at a private network or this machine: ${refusal}. Self-hosted models on your network are allowed when the operator sets VAULTRUN_PROVIDER_ALLOW_PRIVATE=true`
        : `is never called: ${refusal}`,
    );
  }

  /** Whether `next` moves the account to another base URL (trailing slashes, host case and the default are not changes). */
  changesBaseUrl(account: Pick<ProviderAccount, 'kind' | 'baseUrl'>, next: string | null): boolean {
    return effectiveBaseUrl(account.kind, account.baseUrl) !== effectiveBaseUrl(account.kind, next);
  }

  /**
   * Decides a base-URL change before anything is written. An account holding a key needs the key again (409
   * `key_required_for_endpoint_change` otherwise); a supplied key must list the models at the new endpoint (422 with
   * the provider's mapped error otherwise). Refusals are audited; the key never is.
   */
  async plan(ctx: RequestContext, account: ProviderAccount, baseUrl: string | null, apiKey: { value: string; shape: string } | null): Promise<EndpointChange> {
    if (baseUrl !== null) await this.assertBaseUrlAllowed(baseUrl);
    const fromOrigin = safeOrigin(account.kind, account.baseUrl);
    const toOrigin = endpointOrigin(account.kind, baseUrl);
    const stored = await this.db.getRepository(ProviderSecret).find({ where: { accountId: account.id }, select: { purpose: true, hint: true } });
    const heldKey = stored.find((s) => s.purpose === 'api_key');
    const refuse = async (code: string, extra: Record<string, unknown> = {}) =>
      this.audit.record({
        workspaceId: ctx.workspaceId,
        actor: actorOf(ctx),
        action: 'vault.account.endpoint_change',
        outcome: 'failure',
        targetType: 'provider_account',
        targetId: account.id,
        metadata: { name: account.name, fromOrigin, toOrigin, code, keptKeyHint: heldKey?.hint ?? null, ...extra },
      });

    if (heldKey && !apiKey) {
      await refuse('key_required_for_endpoint_change');
      throw new Conflict(
        'key_required_for_endpoint_change',
        `This account's API key is bound to ${fromOrigin} and is never sent anywhere else. To point the account at ${toOrigin}, ` +
          'send the key for the new endpoint again in the same request (apiKey): it is checked there before anything is saved.',
        { fromOrigin, toOrigin },
      );
    }
    let models: ModelList | null = null;
    if (apiKey) {
      try {
        models = await this.verifier.probe(connectionFor({ ...account, baseUrl }, apiKey.value, this.verifier.outbound));
      } catch (err) {
        const error = classifyProviderError(err);
        await refuse(error.code, { refusedKeyHint: apiKeyHint(apiKey.value) });
        throw new DomainError(error.code, 'unprocessable', `Nothing was saved: the key was not accepted at ${toOrigin} (${error.message}). The account still points at ${fromOrigin}.`, {
          details: { providerCode: error.code, fromOrigin, toOrigin },
        });
      }
    }
    return {
      baseUrl,
      fromOrigin,
      toOrigin,
      key: apiKey ? { ...apiKey, hint: apiKeyHint(apiKey.value), fingerprint: await this.fingerprints.of(apiKey.value) } : null,
      models,
      adminKeyRemoved: stored.some((s) => s.purpose === 'admin_key'),
    };
  }

  /**
   * Inside the update's transaction, after the row took the new base URL: the admin key (cost sync) is removed — it
   * was bound to the old endpoint and is not sent to a new one unasked; add it again — and the checked key is stored
   * for the new endpoint (a new data key; the old ciphertext is gone). Audited with both origins.
   */
  async apply(m: EntityManager, ctx: RequestContext, account: ProviderAccount, change: EndpointChange): Promise<void> {
    const place = { workspaceId: ctx.workspaceId, accountId: account.id };
    if (change.adminKeyRemoved) {
      await this.secrets.remove(m, place, 'admin_key');
      await m.getRepository(ProviderAccount).update({ id: account.id }, { costSyncAttemptedAt: null, costSyncErrorCode: null });
    }
    if (change.key) {
      await this.secrets.put(m, place, 'api_key', change.key.value, { hint: change.key.hint, fingerprint: change.key.fingerprint, keyShape: change.key.shape }, endpointOf(account));
    }
    const now = new Date();
    const status: AccountStatus = account.status === 'disabled' ? 'disabled' : change.models ? 'active' : 'unverified';
    await m.getRepository(ProviderAccount).update(
      { id: account.id },
      change.models
        ? { status, models: [...new Set(change.models.models)].sort(), providerLimits: change.models.rateLimits, lastVerifiedAt: now, lastCheckedAt: now, lastErrorCode: null, rateLimitedUntil: null }
        : // Nothing is known about the new endpoint yet.
          { status, models: [], providerLimits: null, lastVerifiedAt: null, lastErrorCode: null, rateLimitedUntil: null },
    );
    await this.audit.record(
      {
        workspaceId: ctx.workspaceId,
        actor: actorOf(ctx),
        action: 'vault.account.endpoint_change',
        targetType: 'provider_account',
        targetId: account.id,
        metadata: {
          name: account.name,
          fromOrigin: change.fromOrigin,
          toOrigin: change.toOrigin,
          keyHint: change.key?.hint ?? null,
          fingerprint: change.key?.fingerprint ?? null,
          verified: !!change.models,
          adminKeyRemoved: change.adminKeyRemoved,
        },
      },
      m,
    );
  }
}

function safeOrigin(kind: string, baseUrl: string | null): string {
  try {
    return endpointOrigin(kind, baseUrl);
  } catch {
    // A label for the audit trail and messages: an unusable stored URL is named as such rather than failing the change.
    return '(unusable base URL)';
  }
}

/** A DNS answer that takes too long counts as "not refused now": every connection is checked anyway. */
async function withTimeout(check: Promise<string | null>): Promise<string | null> {
  const checked = await within(SAVE_TIME_DNS_TIMEOUT_MS, check);
  if (checked.outcome === 'failed') throw checked.error;
  return checked.outcome === 'done' ? checked.value : null;
}
