import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AccountStatus, ProviderAccount, ProviderSecret } from '@vaultrun/db';
import { apiKeyHint, apiKeyShape, costSyncProviderName, inferenceKeyProblem, isCostSyncKind, keyShapeWarning } from '@vaultrun/providers';
import { AccountVerifier, connectionFor, DomainError, endpointOf, KeyFingerprints, SecretStore, ValidationFailed, verifyFailureOf } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import type { ProviderAccountDto } from './provider-accounts.dto.js';
import { ProviderAccountsService } from './provider-accounts.service.js';
import { ACCOUNT_VERIFIER, KEY_FINGERPRINTS, SECRET_STORE } from './vault.tokens.js';

/**
 * Checks a pasted inference key for an account of `kind` calling `baseUrl`: clean, not an admin key or subscription
 * token, not another provider's key (a 400 naming the field, never echoing the key). Returns the shape to store:
 * `none` for a key of no known shape where the kind has none to expect (so no warning follows).
 */
export function inferenceKeyShape(field: string, key: string, kind: string, baseUrl: string | null = null): string {
  if (/\s/.test(key)) throw ValidationFailed.field(field, 'contains spaces or line breaks — paste the key alone');
  const problem = inferenceKeyProblem(kind, key, baseUrl);
  if (problem) throw ValidationFailed.field(field, problem);
  const shape = apiKeyShape(key);
  return shape === 'unknown' && keyShapeWarning(kind, shape, baseUrl) === null ? 'none' : shape;
}

/** The admin key shape each cost-sync kind takes. */
const ADMIN_SHAPES: Record<string, { shape: string; looksLike: string }> = {
  openai: { shape: 'admin', looksLike: 'an OpenAI admin key (it starts with sk-admin-)' },
  anthropic: { shape: 'anthropic_admin', looksLike: 'an Anthropic Admin API key (it starts with sk-ant-admin)' },
};

/** A new (or no) admin key: the last attempt's outcome was about the old one. */
async function forgetCostSyncAttempt(m: EntityManager, workspaceId: string, accountId: string): Promise<void> {
  await m.getRepository(ProviderAccount).update({ id: accountId, workspaceId }, { costSyncAttemptedAt: null, costSyncErrorCode: null });
}

/** An account's keys: rotating the inference key in place, and the admin key (OpenAI, Anthropic) that enables cost sync. */
@Injectable()
export class ProviderKeysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(ACCOUNT_VERIFIER) private readonly verifier: AccountVerifier,
    @Inject(KEY_FINGERPRINTS) private readonly fingerprints: KeyFingerprints,
    private readonly accounts: ProviderAccountsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Replaces the key in place (same account id, so operators keep working). With `verify`, the new key must
   * list the provider's models first; a refused key is not saved and the old one stays.
   */
  async rotate(ctx: RequestContext, accountId: string, apiKeyInput: string, verify: boolean): Promise<ProviderAccountDto> {
    const account = await this.accounts.findChangeable(ctx, accountId);
    if (account.kind === 'mock') throw ValidationFailed.field('apiKey', 'the mock provider has no key to rotate');
    const key = apiKeyInput.trim();
    const shape = inferenceKeyShape('apiKey', key, account.kind, account.baseUrl);
    const oldKey = await this.db.getRepository(ProviderSecret).findOne({ where: { accountId, purpose: 'api_key' }, select: { hint: true } });
    let list: Awaited<ReturnType<AccountVerifier['probe']>> | null = null;
    if (verify) {
      try {
        list = await this.verifier.probe(connectionFor(account, key, this.verifier.outbound));
      } catch (err) {
        const error = verifyFailureOf(err);
        await this.audit.record({
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'vault.account.rotate',
          outcome: 'failure',
          targetType: 'provider_account',
          targetId: accountId,
          metadata: { name: account.name, code: error.code, keptKeyHint: oldKey?.hint ?? null, refusedKeyHint: apiKeyHint(key) },
        });
        throw new DomainError(error.code, 'unprocessable', `The new key was not saved: ${error.message}. The previous key is still in use.`, {
          details: { providerCode: error.code },
        });
      }
    }
    const fingerprint = await this.fingerprints.of(key);
    await this.db.transaction(async (m) => {
      await this.secrets.put(m, { workspaceId: ctx.workspaceId, accountId }, 'api_key', key, { hint: apiKeyHint(key), fingerprint, keyShape: shape }, endpointOf(account));
      const now = new Date();
      const status: AccountStatus = account.status === 'disabled' ? 'disabled' : list ? 'active' : 'unverified';
      await m.getRepository(ProviderAccount).update(
        { id: accountId },
        list
          ? { status, models: [...new Set(list.models)].sort(), providerLimits: list.rateLimits, lastVerifiedAt: now, lastCheckedAt: now, lastErrorCode: null, rateLimitedUntil: null }
          : // Nothing is known about the new key yet: forget what the old one was told.
            { status, lastErrorCode: null, rateLimitedUntil: null, models: [], providerLimits: null, lastVerifiedAt: null },
      );
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'vault.account.rotate',
          targetType: 'provider_account',
          targetId: accountId,
          metadata: { name: account.name, fromHint: oldKey?.hint ?? null, toHint: apiKeyHint(key), fingerprint, verified: !!list },
        },
        m,
      );
    });
    return this.accounts.get(ctx, accountId);
  }

  async setAdminKey(ctx: RequestContext, accountId: string, adminKeyInput: string): Promise<ProviderAccountDto> {
    const account = await this.accounts.findChangeable(ctx, accountId);
    if (!isCostSyncKind(account.kind)) {
      throw ValidationFailed.field('adminKey', 'only OpenAI and Anthropic accounts take an admin key (it enables cost sync); this provider offers no cost report Vaultrun can read');
    }
    const key = adminKeyInput.trim();
    const expected = ADMIN_SHAPES[account.kind]!;
    if (apiKeyShape(key) !== expected.shape) throw ValidationFailed.field('adminKey', `must be ${expected.looksLike} for ${costSyncProviderName(account.kind)} cost sync`);
    const fingerprint = await this.fingerprints.of(key);
    await this.db.transaction(async (m) => {
      await this.secrets.put(m, { workspaceId: ctx.workspaceId, accountId }, 'admin_key', key, { hint: apiKeyHint(key), fingerprint, keyShape: expected.shape }, endpointOf(account));
      await forgetCostSyncAttempt(m, ctx.workspaceId, accountId);
      await this.audit.record(
        { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'vault.account.admin_key_set', targetType: 'provider_account', targetId: accountId, metadata: { name: account.name, hint: apiKeyHint(key) } },
        m,
      );
    });
    return this.accounts.get(ctx, accountId);
  }

  async clearAdminKey(ctx: RequestContext, accountId: string): Promise<ProviderAccountDto> {
    const account = await this.accounts.findChangeable(ctx, accountId);
    await this.db.transaction(async (m) => {
      if (await this.secrets.remove(m, { workspaceId: ctx.workspaceId, accountId }, 'admin_key')) {
        await forgetCostSyncAttempt(m, ctx.workspaceId, accountId);
        await this.audit.record(
          { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'vault.account.admin_key_clear', targetType: 'provider_account', targetId: accountId, metadata: { name: account.name } },
          m,
        );
      }
    });
    return this.accounts.get(ctx, accountId);
  }
}
