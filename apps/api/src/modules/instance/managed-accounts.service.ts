import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InstanceSettings, ManagedAccount, ManagedAccountWorkspace, Workspace } from '@vaultrun/db';
import { type AuditActor, NotFound, permissionsForRole, recordAudit, ValidationFailed } from '@vaultrun/vault-core';
import { type DataSource, type EntityManager, In } from 'typeorm';
import type { RequestContext, UserPrincipal } from '../auth/principal.js';
import { ProviderAccountChangesService } from '../vault/provider-account-changes.service.js';
import { ProviderAccountsService } from '../vault/provider-accounts.service.js';
import { ProviderKeysService } from '../vault/provider-keys.service.js';
import { ProviderVerificationService } from '../vault/provider-verification.service.js';
import type { ProviderAccountDto } from '../vault/provider-accounts.dto.js';
import type { CreateManagedAccountDto, InstanceSettingsDto, ManagedAccountDto, UpdateInstanceSettingsDto, UpdateManagedAccountDto } from './managed-accounts.dto.js';

/** Who is acting, as the instance routes know it. */
export interface InstanceActor {
  user: UserPrincipal;
  ip: string;
  requestId: string;
  audit: AuditActor;
}

/**
 * Managed accounts (docs/managed.md): provider accounts the instance owns, kept in the instance workspace — a
 * workspace with no members, so the vault's own services (create, verify, rotate, delete) look after their keys
 * exactly as they do every key — and offered to workspaces through connectors (`vaultrun_sync_connectors`).
 */
@Injectable()
export class ManagedAccountsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly accounts: ProviderAccountsService,
    private readonly changes: ProviderAccountChangesService,
    private readonly keys: ProviderKeysService,
    private readonly verification: ProviderVerificationService,
  ) {}

  async list(actor: InstanceActor): Promise<ManagedAccountDto[]> {
    const ctx = await this.contextOf(actor);
    return this.toDtos(ctx, await this.accounts.list(ctx));
  }

  async get(actor: InstanceActor, id: string): Promise<ManagedAccountDto> {
    const ctx = await this.contextOf(actor);
    const found = (await this.toDtos(ctx, [await this.accounts.get(ctx, id)]))[0];
    if (!found) throw new NotFound('Managed account');
    return found;
  }

  async create(actor: InstanceActor, input: CreateManagedAccountDto): Promise<ManagedAccountDto> {
    const ctx = await this.contextOf(actor);
    const chosen = await this.checkOffer(this.db.manager, input.offer, input.workspaceIds);
    // The vault creates (and verifies) it like any account; then it is offered.
    const { offer, workspaceIds: _ids, share, ...account } = input;
    const created = await this.changes.create(ctx, account);
    try {
      await this.db.transaction(async (m) => {
        await m.getRepository(ManagedAccount).insert({
          accountId: created.id,
          offer,
          shareMaxConcurrency: share.maxConcurrency,
          shareRequestsPerMinute: share.requestsPerMinute ?? null,
          shareTokensPerMinute: share.tokensPerMinute ?? null,
        });
        if (offer === 'chosen' && chosen.length) await m.getRepository(ManagedAccountWorkspace).insert(chosen.map((workspaceId) => ({ accountId: created.id, workspaceId })));
        const [{ n }] = await m.query(`SELECT vaultrun_sync_connectors($1) AS n`, [created.id]);
        await recordAudit(m, {
          workspaceId: null,
          actor: actor.audit,
          action: 'instance.managed_account.create',
          targetType: 'provider_account',
          targetId: created.id,
          metadata: { name: created.name, kind: created.kind, keyHint: created.key?.hint ?? null, offer, workspaces: n, share },
        });
      });
    } catch (err) {
      // Not offered: the account (and its key) must not stay behind.
      await this.changes.remove(ctx, created.id);
      throw err;
    }
    return this.get(actor, created.id);
  }

  async update(actor: InstanceActor, id: string, input: UpdateManagedAccountDto): Promise<ManagedAccountDto> {
    const ctx = await this.contextOf(actor);
    const before = await this.get(actor, id);
    const renamed = input.name !== undefined && input.name.trim() !== before.name;
    if (renamed || input.limits) await this.changes.update(ctx, id, { ...(renamed ? { name: input.name } : {}), ...(input.limits ? { limits: input.limits } : {}) });
    await this.db.transaction(async (m) => {
      const offer = input.offer ?? before.offer;
      const chosen = await this.checkOffer(m, offer, input.workspaceIds ?? (offer === 'chosen' ? before.workspaceIds : undefined));
      const share = input.share ?? before.share;
      await m.getRepository(ManagedAccount).update(
        { accountId: id },
        { offer, shareMaxConcurrency: share.maxConcurrency, shareRequestsPerMinute: share.requestsPerMinute ?? null, shareTokensPerMinute: share.tokensPerMinute ?? null },
      );
      await m.getRepository(ManagedAccountWorkspace).delete({ accountId: id });
      if (offer === 'chosen' && chosen.length) await m.getRepository(ManagedAccountWorkspace).insert(chosen.map((workspaceId) => ({ accountId: id, workspaceId })));
      const [{ n }] = await m.query(`SELECT vaultrun_sync_connectors($1) AS n`, [id]);
      await recordAudit(m, {
        workspaceId: null,
        actor: actor.audit,
        action: 'instance.managed_account.update',
        targetType: 'provider_account',
        targetId: id,
        metadata: {
          name: input.name ?? before.name,
          offer: { from: before.offer, to: offer },
          workspaces: n,
          share: { from: before.share, to: share },
          ...(input.limits ? { limits: { from: before.limits, to: { ...before.limits, ...input.limits } } } : {}),
        },
      });
    });
    return this.get(actor, id);
  }

  async rotate(actor: InstanceActor, id: string, apiKey: string): Promise<ManagedAccountDto> {
    const ctx = await this.contextOf(actor);
    const rotated = await this.keys.rotate(ctx, id, apiKey, true);
    await this.resync(id, actor, 'instance.managed_account.rotate', { name: rotated.name, keyHint: rotated.key?.hint ?? null });
    return this.get(actor, id);
  }

  async verify(actor: InstanceActor, id: string): Promise<ManagedAccountDto> {
    const ctx = await this.contextOf(actor);
    await this.verification.verify(ctx, id);
    await this.resync(id, actor, null, {});
    return this.get(actor, id);
  }

  /** Deletes it: its connectors go with it (their runs keep their records; operators on them fall back to the workspace default). */
  async remove(actor: InstanceActor, id: string): Promise<void> {
    const ctx = await this.contextOf(actor);
    const before = await this.get(actor, id);
    await this.changes.remove(ctx, id);
    await recordAudit(this.db.manager, {
      workspaceId: null,
      actor: actor.audit,
      action: 'instance.managed_account.delete',
      targetType: 'provider_account',
      targetId: id,
      metadata: { name: before.name, kind: before.kind },
    });
  }

  async settings(): Promise<InstanceSettingsDto> {
    const row = await this.db.getRepository(InstanceSettings).findOneByOrFail({ id: true });
    return { priceMultiplierPermille: row.priceMultiplierPermille, lowBalanceAlertPct: row.lowBalanceAlertPct };
  }

  async updateSettings(actor: InstanceActor, input: UpdateInstanceSettingsDto): Promise<InstanceSettingsDto> {
    const before = await this.settings();
    const after = { ...before, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) } as InstanceSettingsDto;
    await this.db.transaction(async (m) => {
      await m.getRepository(InstanceSettings).update({ id: true }, after);
      // Every workspace's low-balance alert follows the setting (the credits budgets' soft threshold).
      if (after.lowBalanceAlertPct !== before.lowBalanceAlertPct) await m.query(`UPDATE budgets SET soft_threshold_pct = $1 WHERE scope_type = 'credits'`, [after.lowBalanceAlertPct]);
      await recordAudit(m, { workspaceId: null, actor: actor.audit, action: 'instance.settings.update', targetType: 'instance', targetId: 'settings', metadata: { from: before, to: after } });
    });
    return after;
  }

  /** Connectors take the managed account's current status and models (after a verification or a rotation). */
  private async resync(id: string, actor: InstanceActor, action: string | null, metadata: Record<string, unknown>): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(`SELECT vaultrun_sync_connectors($1)`, [id]);
      if (action) await recordAudit(m, { workspaceId: null, actor: actor.audit, action, targetType: 'provider_account', targetId: id, metadata });
    });
  }

  private async checkOffer(m: EntityManager, offer: string, workspaceIds: string[] | undefined): Promise<string[]> {
    if (offer !== 'chosen') {
      if (workspaceIds?.length) throw ValidationFailed.field('workspaceIds', 'must be empty when the account is offered to all workspaces');
      return [];
    }
    const ids = workspaceIds ?? [];
    const found = new Set(ids.length ? (await m.getRepository(Workspace).find({ where: { id: In(ids), isInstance: false }, select: { id: true } })).map((w) => w.id) : []);
    ids.forEach((id, i) => {
      if (!found.has(id)) throw ValidationFailed.field(`workspaceIds.${i}`, 'is not a workspace of this instance');
    });
    return ids;
  }

  private async toDtos(_ctx: RequestContext, accounts: ProviderAccountDto[]): Promise<ManagedAccountDto[]> {
    if (!accounts.length) return [];
    const ids = accounts.map((a) => a.id);
    const managed = await this.db.getRepository(ManagedAccount).find({ where: { accountId: In(ids) } });
    const chosen = await this.db.getRepository(ManagedAccountWorkspace).find({ where: { accountId: In(ids) } });
    const counts: { id: string; n: number }[] = await this.db.query(
      `SELECT managed_source_id AS id, count(*)::int AS n FROM provider_accounts WHERE managed_source_id = ANY($1) GROUP BY managed_source_id`,
      [ids],
    );
    return accounts.flatMap((a) => {
      const m = managed.find((x) => x.accountId === a.id);
      if (!m) return [];
      return [
        {
          id: a.id,
          name: a.name,
          kind: a.kind,
          baseUrl: a.baseUrl,
          defaultModel: a.defaultModel,
          models: a.models,
          status: a.status,
          keyHint: a.key?.hint ?? null,
          offer: m.offer,
          workspaceIds: chosen.filter((c) => c.accountId === a.id).map((c) => c.workspaceId),
          workspaces: counts.find((c) => c.id === a.id)?.n ?? 0,
          share: { maxConcurrency: m.shareMaxConcurrency, requestsPerMinute: m.shareRequestsPerMinute, tokensPerMinute: m.shareTokensPerMinute },
          limits: a.limits,
          createdAt: a.createdAt,
        },
      ];
    });
  }

  /** The instance workspace (created the first time it is needed) and the administrator acting as its owner. */
  private async contextOf(actor: InstanceActor): Promise<RequestContext> {
    const workspaceId = await instanceWorkspaceId(this.db);
    return {
      workspaceId,
      principal: { ...actor.user, workspaceId, role: 'owner', permissions: permissionsForRole('owner') },
      ip: actor.ip,
      requestId: actor.requestId,
    };
  }
}

/** The instance workspace's id, creating it on first use (under a lock: there is only ever one). */
export async function instanceWorkspaceId(db: DataSource): Promise<string> {
  const found = await db.getRepository(Workspace).findOne({ where: { isInstance: true }, select: { id: true } });
  if (found) return found.id;
  return db.transaction(async (m) => {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('vaultrun:instance-workspace'))`);
    const again = await m.getRepository(Workspace).findOne({ where: { isInstance: true }, select: { id: true } });
    if (again) return again.id;
    const created = await m.getRepository(Workspace).save({ name: 'Vaultrun instance (managed accounts)', isInstance: true });
    return created.id;
  });
}


