import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type MockAccountSettings, ProviderAccount, ProviderSecret } from '@vaultrun/db';
import { apiKeyHint, hasDefaultEndpoint, openAiCompatiblePreset, type OpenAiCompatiblePreset } from '@vaultrun/providers';
import { Conflict, endpointOf, KeyFingerprints, SecretStore, ValidationFailed } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import { DEFAULT_MOCK_MODELS } from './provider-account.mapper.js';
import { currentAccess, replaceAccess } from './provider-account-access.js';
import type { CreateProviderAccountDto, ProviderAccountDto, UpdateProviderAccountDto } from './provider-accounts.dto.js';
import { ProviderAccountsService } from './provider-accounts.service.js';
import { ProviderEndpointsService } from './provider-endpoints.service.js';
import { inferenceKeyShape } from './provider-keys.service.js';
import { ProviderVerificationService } from './provider-verification.service.js';
import { KEY_FINGERPRINTS, SECRET_STORE } from './vault.tokens.js';

/** Adding, changing (settings, sharing, base URL) and deleting provider accounts. */
@Injectable()
export class ProviderAccountChangesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(KEY_FINGERPRINTS) private readonly fingerprints: KeyFingerprints,
    private readonly accounts: ProviderAccountsService,
    private readonly endpoints: ProviderEndpointsService,
    private readonly verification: ProviderVerificationService,
    private readonly audit: AuditService,
  ) {}

  async create(ctx: RequestContext, input: CreateProviderAccountDto): Promise<ProviderAccountDto> {
    const key = input.apiKey?.trim();
    const preset = input.preset ? openAiCompatiblePreset(input.preset) : null;
    // A preset's base URL unless the request names one (a self-hosted server elsewhere than its usual address).
    const baseUrl = input.baseUrl ?? preset?.baseUrl ?? null;
    const shape = this.validateKind(input, key, baseUrl, preset);
    if (input.kind !== 'mock' && baseUrl) await this.endpoints.assertBaseUrlAllowed(baseUrl);
    const fingerprint = key ? await this.fingerprints.of(key) : null;
    const account = await this.db.transaction(async (m) => {
      await this.assertNameFree(m, ctx.workspaceId, input.name);
      const saved = await m.getRepository(ProviderAccount).save({
        workspaceId: ctx.workspaceId,
        name: input.name.trim(),
        kind: input.kind,
        baseUrl,
        defaultModel: input.defaultModel ?? null,
        apiVersion: input.kind === 'azure-openai' ? (input.apiVersion ?? null) : null,
        maxConcurrency: input.limits?.maxConcurrency ?? 4,
        requestsPerMinute: input.limits?.requestsPerMinute ?? null,
        tokensPerMinute: input.limits?.tokensPerMinute ?? null,
        visibility: input.visibility ?? 'workspace',
        status: 'unverified',
        mockSettings: input.kind === 'mock' ? mockSettingsOf(input.mock) : null,
        createdById: ctx.principal.kind === 'user' ? ctx.principal.userId : null,
      });
      const place = { workspaceId: ctx.workspaceId, accountId: saved.id };
      if (key) await this.secrets.put(m, place, 'api_key', key, { hint: apiKeyHint(key), fingerprint: fingerprint!, keyShape: shape }, endpointOf(saved));
      await replaceAccess(m, ctx.workspaceId, saved.id, input.allowedUserIds ?? [], input.allowedTokenIds ?? []);
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'vault.account.create',
          targetType: 'provider_account',
          targetId: saved.id,
          metadata: { name: saved.name, kind: saved.kind, preset: preset?.id ?? null, visibility: saved.visibility, keyHint: key ? apiKeyHint(key) : null, fingerprint },
        },
        m,
      );
      return saved;
    });
    if (input.verify !== false) await this.verification.verifyAndAudit(ctx, account);
    return this.accounts.get(ctx, account.id);
  }

  /**
   * Metadata changes. A change of base URL moves where the key goes: for an account holding a key it needs the key
   * again in the same request (`apiKey`, checked at the new endpoint first), or is refused with 409
   * `key_required_for_endpoint_change` — see ProviderEndpointsService.
   */
  async update(ctx: RequestContext, accountId: string, input: UpdateProviderAccountDto): Promise<ProviderAccountDto> {
    const before = await this.accounts.findChangeable(ctx, accountId);
    if (input.baseUrl !== undefined) {
      if (before.kind === 'mock' && input.baseUrl !== null) throw ValidationFailed.field('baseUrl', 'the mock provider has no base URL');
      if (input.baseUrl === null && !hasDefaultEndpoint(before.kind)) throw ValidationFailed.field('baseUrl', `is required for ${before.kind} accounts`);
    }
    if (input.apiVersion !== undefined && before.kind !== 'azure-openai') throw ValidationFailed.field('apiVersion', 'only applies to azure-openai accounts');
    const movesEndpoint = input.baseUrl !== undefined && before.kind !== 'mock' && this.endpoints.changesBaseUrl(before, input.baseUrl);
    const suppliedKey = input.apiKey?.trim();
    if (suppliedKey !== undefined && !movesEndpoint) {
      throw ValidationFailed.field('apiKey', 'is only accepted together with a new base URL; to replace the key, rotate it');
    }
    const endpointChange = movesEndpoint
      ? await this.endpoints.plan(ctx, before, input.baseUrl ?? null, suppliedKey ? { value: suppliedKey, shape: inferenceKeyShape('apiKey', suppliedKey, before.kind, input.baseUrl ?? null) } : null)
      : null;
    await this.db.transaction(async (m) => {
      // One change of an account at a time; a base-URL change holds this lock from its check to its write.
      await m.query(`SELECT 1 FROM provider_accounts WHERE id = $1 AND workspace_id = $2 FOR UPDATE`, [accountId, ctx.workspaceId]);
      const account = await this.accounts.findChangeable(ctx, accountId, m);
      if (endpointChange && account.baseUrl !== before.baseUrl) {
        throw new Conflict('account_changed', 'The account\'s base URL changed while the new key was being checked; nothing was saved. Try again.');
      }
      const changed: string[] = [];
      // Before and after of each changed setting, for the audit trail's detail. Not the base URL: a URL may carry
      // credentials in its user-info, and the endpoint change has its own audit entry.
      const diff: Record<string, { from: unknown; to: unknown }> = {};
      const set = <K extends keyof ProviderAccount>(k: K, v: ProviderAccount[K] | undefined) => {
        if (v !== undefined && JSON.stringify(account[k]) !== JSON.stringify(v)) {
          if (k !== 'baseUrl') diff[String(k)] = { from: account[k], to: v };
          account[k] = v;
          changed.push(String(k));
        }
      };
      if (input.name !== undefined && input.name.trim() !== account.name) await this.assertNameFree(m, ctx.workspaceId, input.name);
      set('name', input.name?.trim());
      if (input.baseUrl !== undefined) set('baseUrl', input.baseUrl);
      set('defaultModel', input.defaultModel);
      set('apiVersion', input.apiVersion);
      set('maxConcurrency', input.limits?.maxConcurrency);
      set('requestsPerMinute', input.limits?.requestsPerMinute);
      set('tokensPerMinute', input.limits?.tokensPerMinute);
      if (input.mock !== undefined) {
        if (account.kind !== 'mock') throw ValidationFailed.field('mock', 'only applies to mock accounts');
        set('mockSettings', mockSettingsOf({ ...(account.mockSettings ?? {}), ...input.mock }));
      }
      if (input.enabled === false) set('status', 'disabled');
      if (input.enabled === true && account.status === 'disabled') set('status', 'unverified');
      const visibilityBefore = account.visibility;
      set('visibility', input.visibility);
      await m.getRepository(ProviderAccount).save(account);
      if (endpointChange) await this.endpoints.apply(m, ctx, account, endpointChange);
      if (input.allowedUserIds !== undefined || input.allowedTokenIds !== undefined) {
        const current = await currentAccess(m, accountId);
        await replaceAccess(m, ctx.workspaceId, accountId, input.allowedUserIds ?? current.userIds, input.allowedTokenIds ?? current.tokenIds);
        changed.push('access');
      }
      if (!changed.length) return;
      const visibilityChanged = changed.includes('visibility') || changed.includes('access');
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: visibilityChanged ? 'vault.account.sharing_change' : 'vault.account.update',
          targetType: 'provider_account',
          targetId: accountId,
          metadata: { name: account.name, changed, diff, ...(visibilityChanged ? { visibilityFrom: visibilityBefore, visibilityTo: account.visibility } : {}) },
        },
        m,
      );
    });
    return this.accounts.get(ctx, accountId);
  }

  async remove(ctx: RequestContext, accountId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const account = await this.accounts.findChangeable(ctx, accountId, m);
      const key = await m.getRepository(ProviderSecret).findOne({ where: { accountId, purpose: 'api_key' }, select: { hint: true } });
      // Secrets and access rows go with the account (ON DELETE CASCADE): the ciphertext is destroyed.
      await m.getRepository(ProviderAccount).delete({ id: accountId, workspaceId: ctx.workspaceId });
      await m.query(`UPDATE workspaces SET default_account_id = NULL WHERE id = $1 AND default_account_id = $2`, [ctx.workspaceId, accountId]);
      await this.audit.record(
        { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'vault.account.delete', targetType: 'provider_account', targetId: accountId, metadata: { name: account.name, kind: account.kind, keyHint: key?.hint ?? null } },
        m,
      );
    });
  }

  /** Kind-specific rules; returns the key's shape. */
  private validateKind(input: CreateProviderAccountDto, key: string | undefined, baseUrl: string | null, preset: OpenAiCompatiblePreset | null): string {
    if (input.preset && input.kind !== 'openai-compatible') throw ValidationFailed.field('preset', 'only applies to openai-compatible accounts');
    if (input.apiVersion && input.kind !== 'azure-openai') throw ValidationFailed.field('apiVersion', 'only applies to azure-openai accounts');
    if (input.kind === 'mock') {
      if (key) throw ValidationFailed.field('apiKey', 'the mock provider needs no key');
      if (input.baseUrl) throw ValidationFailed.field('baseUrl', 'the mock provider has no base URL');
      return 'none';
    }
    if (input.mock) throw ValidationFailed.field('mock', 'only applies to mock accounts');
    if (!baseUrl && input.kind === 'openai-compatible') {
      throw ValidationFailed.field('baseUrl', 'is required for openai-compatible accounts (e.g. https://openrouter.ai/api/v1), or choose a preset');
    }
    if (!baseUrl && input.kind === 'azure-openai') {
      throw ValidationFailed.field('baseUrl', "is required for Azure OpenAI accounts: the resource endpoint, e.g. https://my-resource.openai.azure.com (Keys and Endpoint in the Azure portal)");
    }
    const keyRequired: Partial<Record<string, string>> = {
      openai: 'is required for OpenAI accounts',
      anthropic: 'is required for Anthropic accounts (create one at console.anthropic.com › API keys)',
      'azure-openai': 'is required for Azure OpenAI accounts (KEY 1 or KEY 2 under Keys and Endpoint in the Azure portal)',
      gemini: 'is required for Gemini accounts (create one at aistudio.google.com › Get API key)',
    };
    const missing = keyRequired[input.kind] ?? (preset?.keyRequired ? `is required for ${preset.name} (create one at ${preset.keysUrl ?? 'the provider'})` : undefined);
    if (!key && missing) throw ValidationFailed.field('apiKey', missing);
    return key ? inferenceKeyShape('apiKey', key, input.kind, baseUrl) : 'none';
  }

  private async assertNameFree(m: EntityManager, workspaceId: string, name: string): Promise<void> {
    if (await m.getRepository(ProviderAccount).exists({ where: { workspaceId, name: name.trim() } })) {
      throw new Conflict('account_name_taken', `There is already a provider account named "${name.trim()}".`);
    }
  }
}

function mockSettingsOf(input: MockAccountSettings | undefined): MockAccountSettings {
  return {
    latencyMs: input?.latencyMs ?? 0,
    failWith: input?.failWith ?? null,
    reportCost: input?.reportCost ?? false,
    models: input?.models?.length ? input.models : DEFAULT_MOCK_MODELS,
  };
}
