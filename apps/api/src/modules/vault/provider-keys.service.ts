import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AccountStatus, ProviderAccount, ProviderSecret } from '@vaultrun/db';
import { apiKeyHint, apiKeyShape } from '@vaultrun/providers';
import { AccountVerifier, connectionFor, DomainError, endpointOf, KeyFingerprints, SecretStore, ValidationFailed, verifyFailureOf } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import type { ProviderAccountDto } from './provider-accounts.dto.js';
import { ProviderAccountsService } from './provider-accounts.service.js';
import { ACCOUNT_VERIFIER, KEY_FINGERPRINTS, SECRET_STORE } from './vault.tokens.js';

/** Checks a pasted inference key: clean, and not an admin key. Returns its shape. */
export function inferenceKeyShape(field: string, key: string, kind: string): string {
  if (/\s/.test(key)) throw ValidationFailed.field(field, 'contains spaces or line breaks — paste the key alone');
  const shape = apiKeyShape(key);
  if (shape === 'admin') {
    throw ValidationFailed.field(
      field,
      'is an OpenAI admin key (sk-admin-…): it manages the organization and cannot run models. Paste a project or service-account key, and add the admin key separately for cost sync',
    );
  }
  return kind === 'openai' ? shape : shape === 'unknown' ? 'none' : shape;
}

/** A new (or no) admin key: the last attempt's outcome was about the old one. */
async function forgetCostSyncAttempt(m: EntityManager, workspaceId: string, accountId: string): Promise<void> {
  await m.getRepository(ProviderAccount).update({ id: accountId, workspaceId }, { costSyncAttemptedAt: null, costSyncErrorCode: null });
}

/** An account's keys: rotating the inference key in place, and the OpenAI admin key that enables cost sync. */
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
    const account = await this.accounts.findVisible(ctx, accountId);
    if (account.kind === 'mock') throw ValidationFailed.field('apiKey', 'the mock provider has no key to rotate');
    const key = apiKeyInput.trim();
    const shape = inferenceKeyShape('apiKey', key, account.kind);
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
    const account = await this.accounts.findVisible(ctx, accountId);
    if (account.kind !== 'openai') throw ValidationFailed.field('adminKey', 'only OpenAI accounts take an admin key (it enables cost sync)');
    const key = adminKeyInput.trim();
    if (apiKeyShape(key) !== 'admin') throw ValidationFailed.field('adminKey', 'must be an OpenAI admin key (it starts with sk-admin-)');
    const fingerprint = await this.fingerprints.of(key);
    await this.db.transaction(async (m) => {
      await this.secrets.put(m, { workspaceId: ctx.workspaceId, accountId }, 'admin_key', key, { hint: apiKeyHint(key), fingerprint, keyShape: 'admin' }, endpointOf(account));
      await forgetCostSyncAttempt(m, ctx.workspaceId, accountId);
      await this.audit.record(
        { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'vault.account.admin_key_set', targetType: 'provider_account', targetId: accountId, metadata: { name: account.name, hint: apiKeyHint(key) } },
        m,
      );
    });
    return this.accounts.get(ctx, accountId);
  }

  async clearAdminKey(ctx: RequestContext, accountId: string): Promise<ProviderAccountDto> {
    const account = await this.accounts.findVisible(ctx, accountId);
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
