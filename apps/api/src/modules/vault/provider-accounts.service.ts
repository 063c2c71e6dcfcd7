import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ProviderAccount } from '@vaultrun/db';
import { PROVIDER_ERRORS } from '@vaultrun/providers';
import { Conflict, Forbidden, NotFound } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { containsPattern, sortOf } from '../../common/list-query.js';
import type { Principal, RequestContext } from '../auth/principal.js';
import { ProviderAccountMapper } from './provider-account.mapper.js';
import { ACCOUNT_SORTS, type ListProviderAccountsQueryDto, type ProviderAccountDto } from './provider-accounts.dto.js';
import { accountViewer, accountVisibleSql, named } from './visibility.js';

/**
 * Reading provider accounts, as the caller may see them (the rule: ./visibility.ts). Changing them is
 * ProviderAccountChangesService (create, update, delete), ProviderKeysService (rotate, admin key),
 * ProviderVerificationService and ProviderCostSyncService; ProviderEndpointsService moves a key to a new base URL.
 */
@Injectable()
export class ProviderAccountsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly mapper: ProviderAccountMapper,
  ) {}

  async list(ctx: RequestContext): Promise<ProviderAccountDto[]> {
    const accounts = await this.visibleQuery(ctx).orderBy('a.createdAt', 'ASC').getMany();
    return this.mapper.toDtos(accounts);
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
    return { items: await this.mapper.toDtos(accounts), total };
  }

  async get(ctx: RequestContext, accountId: string): Promise<ProviderAccountDto> {
    return (await this.mapper.toDtos([await this.findVisible(ctx, accountId)]))[0]!;
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

  /**
   * An account the caller may see and that the workspace may change, verify, rotate or delete: a managed connector
   * (docs/managed.md) belongs to the instance — 403 `managed_account`, whatever the caller's role.
   */
  async findChangeable(ctx: RequestContext, accountId: string, manager: EntityManager = this.db.manager): Promise<ProviderAccount> {
    const account = await this.findVisible(ctx, accountId, manager);
    if (account.managedSourceId) {
      throw new Forbidden(
        `"${account.name}" is a managed connector: the instance administrators look after its key and settings. Its usage is paid with Vaultrun credits; to use your own key, add your own account and switch to it (Credits page).`,
        'managed_account',
      );
    }
    return account;
  }

  /** The accounts the caller may see (and use), as a query to narrow further (the rule: ./visibility.ts). */
  visibleQuery(ctx: RequestContext, manager: EntityManager = this.db.manager) {
    const qb = manager.getRepository(ProviderAccount).createQueryBuilder('a').where('a.workspaceId = :ws', { ws: ctx.workspaceId });
    return qb.andWhere(accountVisibleSql('a', accountViewer(ctx.principal), named(qb)));
  }
}

/**
 * An API token pinned to Vaultrun credits may only use managed connectors, one pinned to own keys only the workspace's
 * own accounts (docs/managed.md); people and unpinned tokens may use either.
 */
export function billingAllows(principal: Principal, managed: boolean): boolean {
  if (principal.kind !== 'token' || principal.billing === 'any') return true;
  return principal.billing === 'credits' ? managed : !managed;
}

export function assertBillingAllows(principal: Principal, account: { name: string; managed: boolean }): void {
  if (billingAllows(principal, account.managed)) return;
  const pin = principal.kind === 'token' && principal.billing === 'credits' ? 'Vaultrun credits (managed connectors)' : "the workspace's own keys";
  throw new Forbidden(`This API token is pinned to ${pin}; "${account.name}" is ${account.managed ? 'a managed connector paid with Vaultrun credits' : 'one of the workspace\'s own keys'}.`, 'billing_pinned', {
    accountName: account.name,
  });
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
