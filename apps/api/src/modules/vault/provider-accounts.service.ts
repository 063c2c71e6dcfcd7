import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AccountStatus, ApiToken, Membership, type MockAccountSettings, ProviderAccount, ProviderAccountAccess, ProviderSecret } from '@vaultrun/db';
import { apiKeyHint, apiKeyShape, PROVIDER_ERRORS } from '@vaultrun/providers';
import {
  accountErrorMessage,
  AccountVerifier,
  Conflict,
  connectionFor,
  DomainError,
  endpointOf,
  KeyFingerprints,
  NotFound,
  type SecretPurpose,
  SecretStore,
  ValidationFailed,
  verifyFailureOf,
} from '@vaultrun/vault-core';
import { costSyncErrorMessage } from '@vaultrun/money';
import { DEFAULT_JOB_OPTIONS } from '@vaultrun/engine';
import type { Queue } from 'bullmq';
import { type DataSource, type EntityManager, In } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import { containsPattern, sortOf } from '../../common/list-query.js';
import { accountViewer, accountVisibleSql, named } from './visibility.js';
import { ACCOUNT_SORTS } from './provider-accounts.dto.js';
import type {
  ListProviderAccountsQueryDto,
  CostSyncDayDto,
  CostSyncDaysDto,
  CostSyncRequestedDto,
  CostSyncStatusDto,
  CreateProviderAccountDto,
  KeyInfoDto,
  ProviderAccountDto,
  UpdateProviderAccountDto,
  VerifyResultDto,
  WarningDto,
} from './provider-accounts.dto.js';
import { ProviderEndpointsService } from './provider-endpoints.service.js';
import { ACCOUNT_VERIFIER, KEY_FINGERPRINTS, MAINTENANCE_QUEUE, SECRET_STORE } from './vault.tokens.js';

const DEFAULT_MOCK_MODELS = ['mock-fast', 'mock-smart'];
/** Below this many requests per minute the provider's tier is not production capacity. */
const LOW_TIER_RPM = 60;
/** Days of cost sync history shown per account. */
const COST_SYNC_HISTORY_DAYS = 31;
/** How long POST …/cost-sync waits for Redis before answering 503. */
const ENQUEUE_TIMEOUT_MS = 5_000;

interface CostSyncRow {
  account_id: string;
  day: string;
  status: 'matched' | 'drift';
  provider_micro_usd: string;
  vaultrun_micro_usd: string;
  drift_micro_usd: string;
  applied_micro_usd: string;
  checks: number;
  checked_at: Date;
}

const COST_SYNC_COLUMNS = `account_id, to_char(day, 'YYYY-MM-DD') AS day, status, provider_micro_usd, vaultrun_micro_usd, drift_micro_usd,
  applied_micro_usd, checks, checked_at`;

/** The cost sync summary of an OpenAI account (null for other kinds): its last attempt and latest checked day. */
function costSyncStatus(
  account: Pick<ProviderAccount, 'kind' | 'costSyncAttemptedAt' | 'costSyncErrorCode'>,
  enabled: boolean,
  latest: CostSyncRow | undefined,
): CostSyncStatusDto | null {
  if (account.kind !== 'openai') return null;
  const code = account.costSyncErrorCode;
  return {
    lastAttemptAt: account.costSyncAttemptedAt?.toISOString() ?? null,
    lastError: code ? { code, message: costSyncErrorMessage(code) } : null,
    enabled,
    lastSyncedDay: latest?.day ?? null,
    lastCheckedAt: latest?.checked_at.toISOString() ?? null,
    status: latest?.status ?? null,
    providerMicroUsd: latest ? Number(latest.provider_micro_usd) : null,
    vaultrunMicroUsd: latest ? Number(latest.vaultrun_micro_usd) : null,
    driftMicroUsd: latest ? Number(latest.drift_micro_usd) : null,
  };
}

/** A new (or no) admin key: the last attempt's outcome was about the old one. */
async function forgetCostSyncAttempt(m: EntityManager, workspaceId: string, accountId: string): Promise<void> {
  await m.getRepository(ProviderAccount).update({ id: accountId, workspaceId }, { costSyncAttemptedAt: null, costSyncErrorCode: null });
}

function costSyncDay(r: CostSyncRow): CostSyncDayDto {
  return {
    day: r.day,
    status: r.status,
    providerMicroUsd: Number(r.provider_micro_usd),
    vaultrunMicroUsd: Number(r.vaultrun_micro_usd),
    driftMicroUsd: Number(r.drift_micro_usd),
    appliedMicroUsd: Number(r.applied_micro_usd),
    checks: r.checks,
    lastCheckedAt: r.checked_at.toISOString(),
  };
}

/** Checks a pasted inference key: clean, and not an admin key. Returns its shape. */
function inferenceKeyShape(field: string, key: string, kind: string): string {
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

function keyInfo(s: Pick<ProviderSecret, 'hint' | 'fingerprint' | 'keyShape' | 'updatedAt'> | undefined): KeyInfoDto | null {
  return s ? { hint: s.hint, fingerprint: s.fingerprint, shape: s.keyShape, updatedAt: s.updatedAt.toISOString() } : null;
}

@Injectable()
export class ProviderAccountsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(ACCOUNT_VERIFIER) private readonly verifier: AccountVerifier,
    @Inject(MAINTENANCE_QUEUE) private readonly maintenance: Queue,
    @Inject(KEY_FINGERPRINTS) private readonly fingerprints: KeyFingerprints,
    private readonly endpoints: ProviderEndpointsService,
    private readonly audit: AuditService,
  ) {}

  // ---- reading ------------------------------------------------------------------------------------

  async list(ctx: RequestContext): Promise<ProviderAccountDto[]> {
    const accounts = await this.visibleQuery(ctx).orderBy('a.createdAt', 'ASC').getMany();
    return this.toDtos(accounts);
  }

  /** The accounts page: search (name, default model, base URL), status and kind filters, sort, and a page with the total. */
  async listPage(ctx: RequestContext, query: ListProviderAccountsQueryDto): Promise<{ items: ProviderAccountDto[]; total: number }> {
    const qb = this.visibleQuery(ctx);
    if (query.q?.trim()) {
      qb.andWhere(`(a.name ILIKE :q OR COALESCE(a.defaultModel, '') ILIKE :q OR COALESCE(a.baseUrl, '') ILIKE :q)`, { q: containsPattern(query.q) });
    }
    if (query.status?.length) qb.andWhere('a.status IN (:...statuses)', { statuses: query.status });
    if (query.kind) qb.andWhere('a.kind = :kind', { kind: query.kind });
    const { column, direction } = sortOf(query.sort, 'created', ACCOUNT_SORTS);
    qb.orderBy(column, direction, 'NULLS LAST').addOrderBy('a.id', direction);
    if (query.limit !== undefined) qb.skip(query.offset ?? 0).take(query.limit);
    const [accounts, total] = await qb.getManyAndCount();
    return { items: await this.toDtos(accounts), total };
  }

  async get(ctx: RequestContext, accountId: string): Promise<ProviderAccountDto> {
    return (await this.toDtos([await this.findVisible(ctx, accountId)]))[0]!;
  }

  /**
   * An account the caller may see: `workspace` accounts, restricted accounts they are listed on, and every
   * account for vault managers. Anything else is "not found" — it cannot even be detected.
   */
  async findVisible(ctx: RequestContext, accountId: string, manager: EntityManager = this.db.manager): Promise<ProviderAccount> {
    const account = await this.visibleQuery(ctx, manager).andWhere('a.id = :accountId', { accountId }).getOne();
    if (!account) throw new NotFound('Provider account');
    return account;
  }

  /** The accounts the caller may see (and use), as a query to narrow further (the rule: ./visibility.ts). */
  visibleQuery(ctx: RequestContext, manager: EntityManager = this.db.manager) {
    const qb = manager.getRepository(ProviderAccount).createQueryBuilder('a').where('a.workspaceId = :ws', { ws: ctx.workspaceId });
    return qb.andWhere(accountVisibleSql('a', accountViewer(ctx.principal), named(qb)));
  }

  // ---- changing ------------------------------------------------------------------------------------

  async create(ctx: RequestContext, input: CreateProviderAccountDto): Promise<ProviderAccountDto> {
    const key = input.apiKey?.trim();
    const shape = this.validateKind(input, key);
    if (input.kind !== 'mock' && input.baseUrl) await this.endpoints.assertBaseUrlAllowed(input.baseUrl);
    const fingerprint = key ? await this.fingerprints.of(key) : null;
    const account = await this.db.transaction(async (m) => {
      await this.assertNameFree(m, ctx.workspaceId, input.name);
      const saved = await m.getRepository(ProviderAccount).save({
        workspaceId: ctx.workspaceId,
        name: input.name.trim(),
        kind: input.kind,
        baseUrl: input.baseUrl ?? null,
        defaultModel: input.defaultModel ?? null,
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
      await this.replaceAccess(m, ctx, saved.id, input.allowedUserIds ?? [], input.allowedTokenIds ?? []);
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'vault.account.create',
          targetType: 'provider_account',
          targetId: saved.id,
          metadata: { name: saved.name, kind: saved.kind, visibility: saved.visibility, keyHint: key ? apiKeyHint(key) : null, fingerprint },
        },
        m,
      );
      return saved;
    });
    if (input.verify !== false) await this.verifyAndAudit(ctx, account);
    return this.get(ctx, account.id);
  }

  /**
   * Metadata changes. A change of base URL moves where the key goes: for an account holding a key it needs the key
   * again in the same request (`apiKey`, checked at the new endpoint first), or is refused with 409
   * `key_required_for_endpoint_change` — see ProviderEndpointsService.
   */
  async update(ctx: RequestContext, accountId: string, input: UpdateProviderAccountDto): Promise<ProviderAccountDto> {
    const before = await this.findVisible(ctx, accountId);
    if (input.baseUrl !== undefined) {
      if (before.kind === 'mock' && input.baseUrl !== null) throw ValidationFailed.field('baseUrl', 'the mock provider has no base URL');
      if (before.kind === 'openai-compatible' && input.baseUrl === null) throw ValidationFailed.field('baseUrl', 'is required for openai-compatible accounts');
    }
    const movesEndpoint = input.baseUrl !== undefined && before.kind !== 'mock' && this.endpoints.changesBaseUrl(before, input.baseUrl);
    const suppliedKey = input.apiKey?.trim();
    if (suppliedKey !== undefined && !movesEndpoint) {
      throw ValidationFailed.field('apiKey', 'is only accepted together with a new base URL; to replace the key, rotate it');
    }
    const endpointChange = movesEndpoint
      ? await this.endpoints.plan(ctx, before, input.baseUrl ?? null, suppliedKey ? { value: suppliedKey, shape: inferenceKeyShape('apiKey', suppliedKey, before.kind) } : null)
      : null;
    await this.db.transaction(async (m) => {
      // One change of an account at a time; a base-URL change holds this lock from its check to its write.
      await m.query(`SELECT 1 FROM provider_accounts WHERE id = $1 AND workspace_id = $2 FOR UPDATE`, [accountId, ctx.workspaceId]);
      const account = await this.findVisible(ctx, accountId, m);
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
        const current = await m.getRepository(ProviderAccountAccess).find({ where: { accountId } });
        await this.replaceAccess(
          m,
          ctx,
          accountId,
          input.allowedUserIds ?? current.filter((a) => a.principalType === 'user').map((a) => a.principalId),
          input.allowedTokenIds ?? current.filter((a) => a.principalType === 'token').map((a) => a.principalId),
        );
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
    return this.get(ctx, accountId);
  }

  async remove(ctx: RequestContext, accountId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const account = await this.findVisible(ctx, accountId, m);
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

  async verify(ctx: RequestContext, accountId: string): Promise<VerifyResultDto> {
    const account = await this.findVisible(ctx, accountId);
    if (account.status === 'disabled') throw new Conflict('account_disabled', 'This account is disabled; enable it before verifying.');
    const outcome = await this.verifyAndAudit(ctx, account);
    return { ok: outcome.ok, error: outcome.error, account: await this.get(ctx, accountId) };
  }

  /**
   * Replaces the key in place (same account id, so operators keep working). With `verify`, the new key must
   * list the provider's models first; a refused key is not saved and the old one stays.
   */
  async rotate(ctx: RequestContext, accountId: string, apiKeyInput: string, verify: boolean): Promise<ProviderAccountDto> {
    const account = await this.findVisible(ctx, accountId);
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
    return this.get(ctx, accountId);
  }

  async setAdminKey(ctx: RequestContext, accountId: string, adminKeyInput: string): Promise<ProviderAccountDto> {
    const account = await this.findVisible(ctx, accountId);
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
    return this.get(ctx, accountId);
  }

  async clearAdminKey(ctx: RequestContext, accountId: string): Promise<ProviderAccountDto> {
    const account = await this.findVisible(ctx, accountId);
    await this.db.transaction(async (m) => {
      if (await this.secrets.remove(m, { workspaceId: ctx.workspaceId, accountId }, 'admin_key')) {
        await forgetCostSyncAttempt(m, ctx.workspaceId, accountId);
        await this.audit.record(
          { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'vault.account.admin_key_clear', targetType: 'provider_account', targetId: accountId, metadata: { name: account.name } },
          m,
        );
      }
    });
    return this.get(ctx, accountId);
  }

  // ---- cost sync -----------------------------------------------------------------------------------

  /** The account's cost sync summary and its last checked days, newest first. */
  async costSyncDays(ctx: RequestContext, accountId: string): Promise<CostSyncDaysDto> {
    const account = await this.findVisible(ctx, accountId);
    if (account.kind !== 'openai') return { costSync: null, items: [] };
    const rows: CostSyncRow[] = await this.db.query(
      `SELECT ${COST_SYNC_COLUMNS} FROM cost_sync_days WHERE workspace_id = $1 AND account_id = $2 ORDER BY day DESC LIMIT $3`,
      [ctx.workspaceId, accountId, COST_SYNC_HISTORY_DAYS],
    );
    const enabled = await this.db.getRepository(ProviderSecret).exists({ where: { accountId, purpose: 'admin_key' } });
    return { costSync: costSyncStatus(account, enabled, rows[0]), items: rows.map(costSyncDay) };
  }

  /** Queues a cost sync of this account now (the schedule runs every VAULTRUN_COST_SYNC_EVERY_MINUTES anyway). */
  async requestCostSync(ctx: RequestContext, accountId: string): Promise<CostSyncRequestedDto> {
    const account = await this.findVisible(ctx, accountId);
    if (account.kind !== 'openai') {
      throw new DomainError('cost_sync_unsupported', 'invalid_input', 'Cost sync reads OpenAI\'s Costs API: only OpenAI accounts have it.');
    }
    if (!(await this.db.getRepository(ProviderSecret).exists({ where: { accountId, purpose: 'admin_key' } }))) {
      throw new Conflict('cost_sync_not_configured', 'This account has no admin key: add one (sk-admin-…) to enable cost sync.');
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS);
    });
    let jobId: string | undefined;
    try {
      // Ids only: the worker reads the admin key itself.
      const job = await Promise.race([this.maintenance.add('cost-sync', { accountId, requestId: ctx.requestId }, DEFAULT_JOB_OPTIONS), timeout]);
      jobId = job.id;
    } catch {
      throw new DomainError('queue_unavailable', 'unavailable', 'The job queue is unavailable; the scheduled cost sync will still run. Try again shortly.');
    } finally {
      clearTimeout(timer);
    }
    await this.audit.record({
      workspaceId: ctx.workspaceId,
      actor: actorOf(ctx),
      action: 'vault.account.cost_sync_request',
      targetType: 'provider_account',
      targetId: accountId,
      metadata: { name: account.name, jobId: jobId ?? null },
    });
    return { jobId: jobId ?? '', accountId };
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private async verifyAndAudit(ctx: RequestContext, account: ProviderAccount) {
    const outcome = await this.verifier.verify(account);
    await this.audit.record({
      workspaceId: ctx.workspaceId,
      actor: actorOf(ctx),
      action: 'vault.account.verify',
      outcome: outcome.ok ? 'success' : 'failure',
      targetType: 'provider_account',
      targetId: account.id,
      metadata: { name: account.name, status: outcome.status, code: outcome.error?.code ?? null, models: outcome.models.length },
    });
    return outcome;
  }

  /** Kind-specific rules; returns the key's shape. */
  private validateKind(input: CreateProviderAccountDto, key: string | undefined): string {
    if (input.kind === 'mock') {
      if (key) throw ValidationFailed.field('apiKey', 'the mock provider needs no key');
      if (input.baseUrl) throw ValidationFailed.field('baseUrl', 'the mock provider has no base URL');
      return 'none';
    }
    if (input.mock) throw ValidationFailed.field('mock', 'only applies to mock accounts');
    if (input.kind === 'openai-compatible' && !input.baseUrl) throw ValidationFailed.field('baseUrl', 'is required for openai-compatible accounts (e.g. https://openrouter.ai/api/v1)');
    if (input.kind === 'openai' && !key) throw ValidationFailed.field('apiKey', 'is required for OpenAI accounts');
    return key ? inferenceKeyShape('apiKey', key, input.kind) : 'none';
  }

  private async assertNameFree(m: EntityManager, workspaceId: string, name: string): Promise<void> {
    if (await m.getRepository(ProviderAccount).exists({ where: { workspaceId, name: name.trim() } })) {
      throw new Conflict('account_name_taken', `There is already a provider account named "${name.trim()}".`);
    }
  }

  /** Restricted-access lists may only name members and API tokens of this workspace. */
  private async replaceAccess(m: EntityManager, ctx: RequestContext, accountId: string, userIds: string[], tokenIds: string[]): Promise<void> {
    const members = new Set(
      (await m.getRepository(Membership).find({ where: { workspaceId: ctx.workspaceId, userId: In(userIds.length ? userIds : ['00000000-0000-0000-0000-000000000000']) } })).map((x) => x.userId),
    );
    userIds.forEach((id, i) => {
      if (!members.has(id)) throw ValidationFailed.field(`allowedUserIds.${i}`, 'is not a member of this workspace');
    });
    const tokens = new Set(
      (await m.getRepository(ApiToken).find({ where: { workspaceId: ctx.workspaceId, id: In(tokenIds.length ? tokenIds : ['00000000-0000-0000-0000-000000000000']) } })).map((x) => x.id),
    );
    tokenIds.forEach((id, i) => {
      if (!tokens.has(id)) throw ValidationFailed.field(`allowedTokenIds.${i}`, 'is not an API token of this workspace');
    });
    const repo = m.getRepository(ProviderAccountAccess);
    await repo.delete({ accountId });
    const rows = [
      ...userIds.map((principalId) => ({ workspaceId: ctx.workspaceId, accountId, principalType: 'user' as const, principalId })),
      ...tokenIds.map((principalId) => ({ workspaceId: ctx.workspaceId, accountId, principalType: 'token' as const, principalId })),
    ];
    if (rows.length) await repo.insert(rows);
  }

  private async toDtos(accounts: ProviderAccount[]): Promise<ProviderAccountDto[]> {
    if (!accounts.length) return [];
    const ids = accounts.map((a) => a.id);
    // Never select the ciphertext: only what may be shown.
    const secrets = await this.db.getRepository(ProviderSecret).find({
      where: { accountId: In(ids) },
      select: { accountId: true, purpose: true, hint: true, fingerprint: true, keyShape: true, updatedAt: true },
    });
    const access = await this.db.getRepository(ProviderAccountAccess).find({ where: { accountId: In(ids) } });
    const secretOf = (id: string, purpose: SecretPurpose) => secrets.find((s) => s.accountId === id && s.purpose === purpose);
    const openaiIds = accounts.filter((a) => a.kind === 'openai').map((a) => a.id);
    const latestSync: CostSyncRow[] = openaiIds.length
      ? await this.db.query(`SELECT DISTINCT ON (account_id) ${COST_SYNC_COLUMNS} FROM cost_sync_days WHERE account_id = ANY($1) ORDER BY account_id, day DESC`, [openaiIds])
      : [];
    return accounts.map((a) => {
      const key = secretOf(a.id, 'api_key');
      return {
        id: a.id,
        name: a.name,
        kind: a.kind,
        baseUrl: a.baseUrl,
        defaultModel: a.defaultModel,
        limits: { maxConcurrency: a.maxConcurrency, requestsPerMinute: a.requestsPerMinute, tokensPerMinute: a.tokensPerMinute },
        visibility: a.visibility,
        access: {
          userIds: access.filter((x) => x.accountId === a.id && x.principalType === 'user').map((x) => x.principalId),
          tokenIds: access.filter((x) => x.accountId === a.id && x.principalType === 'token').map((x) => x.principalId),
        },
        status: effectiveStatus(a),
        lastError: currentError(a),
        rateLimitedUntil: effectiveStatus(a) === 'rate_limited' ? (a.rateLimitedUntil?.toISOString() ?? null) : null,
        lastVerifiedAt: a.lastVerifiedAt?.toISOString() ?? null,
        lastCheckedAt: a.lastCheckedAt?.toISOString() ?? null,
        models: a.models,
        providerLimits: a.providerLimits,
        key: keyInfo(key),
        adminKey: keyInfo(secretOf(a.id, 'admin_key')),
        costSync: costSyncStatus(a, !!secretOf(a.id, 'admin_key'), latestSync.find((r) => r.account_id === a.id)),
        mock: a.kind === 'mock' ? { latencyMs: 0, failWith: null, reportCost: false, models: DEFAULT_MOCK_MODELS, ...(a.mockSettings ?? {}) } : null,
        warnings: warningsFor(a, key?.keyShape),
        createdAt: a.createdAt.toISOString(),
        updatedAt: a.updatedAt.toISOString(),
      };
    });
  }
}

/** The account's last error while the state it describes lasts: a rate limit's ends with its cooldown. */
function currentError(a: ProviderAccount): { code: string; message: string } | null {
  if (!a.lastErrorCode) return null;
  if (a.lastErrorCode === 'rate_limited' && effectiveStatus(a) !== 'rate_limited') return null;
  return { code: a.lastErrorCode, message: accountErrorMessage(a.lastErrorCode) };
}

/** A cooldown that is over shows as active (the next call or verification updates the row itself). */
function effectiveStatus(a: ProviderAccount): AccountStatus {
  return a.status === 'rate_limited' && a.rateLimitedUntil && a.rateLimitedUntil.getTime() <= Date.now() ? 'active' : a.status;
}

function mockSettingsOf(input: MockAccountSettings | undefined): MockAccountSettings {
  return {
    latencyMs: input?.latencyMs ?? 0,
    failWith: input?.failWith ?? null,
    reportCost: input?.reportCost ?? false,
    models: input?.models?.length ? input.models : DEFAULT_MOCK_MODELS,
  };
}

/** What the console should warn about: odd keys, and Vaultrun limits above what the provider grants. */
function warningsFor(a: ProviderAccount, keyShape: string | undefined): WarningDto[] {
  const out: WarningDto[] = [];
  if (a.kind === 'openai' && keyShape === 'unknown') {
    out.push({ code: 'unknown_key_shape', message: 'This key does not look like an OpenAI key (sk-proj-, sk-svcacct- or sk-). It was stored; verify it works.' });
  }
  const granted = a.providerLimits;
  const rpm = granted?.requests?.limit ?? null;
  const tpm = granted?.tokens?.limit ?? null;
  if (rpm !== null && a.requestsPerMinute !== null && a.requestsPerMinute > rpm) {
    out.push({ code: 'limits_exceed_provider', message: `Vaultrun allows ${a.requestsPerMinute} requests/min, but the provider grants ${rpm}: expect rate-limit waits.` });
  }
  if (tpm !== null && a.tokensPerMinute !== null && a.tokensPerMinute > tpm) {
    out.push({ code: 'limits_exceed_provider', message: `Vaultrun allows ${a.tokensPerMinute} tokens/min, but the provider grants ${tpm}: expect rate-limit waits.` });
  }
  if (a.defaultModel && a.models.length > 0 && !a.models.includes(a.defaultModel)) {
    out.push({
      code: 'default_model_not_listed',
      message: `The default model "${a.defaultModel}" is not among the models the provider listed at the last verification: runs on it may fail with "model not found". Choose a listed model, or check the key's model access.`,
    });
  }
  if (rpm !== null && rpm < LOW_TIER_RPM) {
    out.push({ code: 'low_provider_tier', message: `The provider grants only ${rpm} requests/min — a free or low tier is not production capacity.` });
  }
  return out;
}

/**
 * The refusals every way of starting work gives for an account that cannot run (before anything is queued):
 * disabled, or refused by its provider (key or quota). `where` names what would have run on it.
 */
export function assertRunnable(account: { name: string; status: string }, where?: string): void {
  const prefix = where ? `${where}: ` : '';
  if (account.status === 'disabled') throw new Conflict('account_disabled', `${prefix}The provider account "${account.name}" is disabled.`);
  if (account.status === 'invalid_key' || account.status === 'quota_exhausted') {
    const code = account.status === 'invalid_key' ? 'invalid_api_key' : 'insufficient_quota';
    throw new Conflict(code, `${prefix}${PROVIDER_ERRORS[code].message} (account "${account.name}"). Fix the account before starting runs on it.`);
  }
}
