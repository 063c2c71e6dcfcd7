import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Membership, ProviderAccount, type Role, Workspace } from '@vaultrun/db';
import { creditState } from '@vaultrun/money';
import { createMockAccount, Envelope, NotFound, sealWebhookSecret, ValidationFailed } from '@vaultrun/vault-core';
import { urlRefusal } from '@vaultrun/providers';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type AuditActor, type RequestContext, type UserPrincipal } from '../auth/principal.js';
import { SessionService } from '../auth/session.service.js';
import type { WorkspaceSummaryDto } from '../auth/dto/auth.dto.js';
import { ENVELOPE } from '../vault/vault.tokens.js';
import type { AlertWebhookDto, AlertWebhookSecretDto, UpdateWorkspaceDto, WorkspaceDto } from './workspaces.dto.js';

@Injectable()
export class WorkspacesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ENVELOPE) private readonly envelope: Envelope,
    private readonly sessions: SessionService,
  ) {}

  async listForUser(userId: string): Promise<WorkspaceSummaryDto[]> {
    const rows: (Omit<WorkspaceSummaryDto, 'credits'> & { cap: string | null; spent: string | null; granted: string | null; pct: number | null })[] = await this.db.query(
      `SELECT w.id, w.name, m.role, w.suspended_at IS NOT NULL AS suspended, w.suspended_reason AS "suspendedReason", c.cap, c.spent, c.granted, c.pct
         FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
         LEFT JOIN LATERAL (
           SELECT b.cap_micro_usd AS cap, COALESCE(bb.spent_micro_usd, 0) AS spent, b.soft_threshold_pct AS pct,
                  (SELECT sum(g.amount_micro_usd) FROM credit_grants g WHERE g.workspace_id = w.id) AS granted
             FROM budgets b LEFT JOIN budget_balances bb ON bb.budget_id = b.id AND bb.period_start = vaultrun_period_start('lifetime', now())
            WHERE b.workspace_id = w.id AND b.scope_type = 'credits') c ON true
        WHERE m.user_id = $1 ORDER BY w.name, w.id`,
      [userId],
    );
    // Credits (docs/managed.md): null until the workspace is given some.
    return rows.map(({ cap, spent, granted, pct, ...w }) => ({
      ...w,
      credits:
        cap !== null && granted !== null
          ? { balanceMicroUsd: (BigInt(cap) - BigInt(spent ?? 0)).toString(), ...creditState(BigInt(cap), BigInt(spent ?? 0), BigInt(granted), pct ?? 80) }
          : null,
    }));
  }

  /** The caller's role in a workspace; a workspace they are not in does not exist for them. */
  async roleOf(userId: string, workspaceId: string): Promise<Role> {
    const m = await this.db.getRepository(Membership).findOne({ where: { userId, workspaceId } });
    if (!m) throw new NotFound('Workspace');
    return m.role;
  }

  /** Creates a workspace with `ownerId` as its owner and the embedded mock provider account. */
  async create(manager: EntityManager, input: { name: string; ownerId: string; actor: AuditActor }): Promise<Workspace> {
    const workspace = await manager.getRepository(Workspace).save({ name: input.name.trim() });
    await manager.getRepository(Membership).insert({ workspaceId: workspace.id, userId: input.ownerId, role: 'owner' });
    const mock = await createMockAccount(manager, workspace.id);
    await manager.getRepository(Workspace).update({ id: workspace.id }, { defaultAccountId: mock.id, defaultModel: 'mock-fast' });
    await this.audit.record(
      { workspaceId: workspace.id, actor: input.actor, action: 'workspace.create', targetType: 'workspace', targetId: workspace.id, metadata: { name: workspace.name } },
      manager,
    );
    return workspace;
  }

  /** A signed-in user's new workspace: they own it, and their session switches to it (one transaction). */
  async createAndSwitch(user: UserPrincipal, name: string, ip: string): Promise<WorkspaceDto> {
    const workspace = await this.db.transaction(async (m) => {
      const w = await this.create(m, { name, ownerId: user.userId, actor: { actorType: 'user', actorId: user.userId, actorLabel: user.email, ip } });
      await this.sessions.switchWorkspace(user.sessionId, w.id, m);
      return w;
    });
    return toDto(await this.db.getRepository(Workspace).findOneByOrFail({ id: workspace.id }));
  }

  async get(ctx: RequestContext): Promise<WorkspaceDto> {
    const w = await this.db.getRepository(Workspace).findOneBy({ id: ctx.workspaceId });
    if (!w) throw new NotFound('Workspace');
    return toDto(w, ctx.principal.permissions.has('budgets:manage'));
  }

  /**
   * Sets where budget alerts go and issues a new signing secret (the previous one stops working): the answer is
   * the only place the secret ever appears. The worker signs each alert with it (HMAC-SHA256 of "<t>.<body>").
   */
  async setAlertWebhook(ctx: RequestContext, urlInput: string): Promise<AlertWebhookSecretDto> {
    const url = parseWebhookUrl(urlInput);
    const refusal = urlRefusal(url, { allowPrivate: this.config.webhookAllowPrivate });
    if (refusal) {
      const allowable = !this.config.webhookAllowPrivate && urlRefusal(url, { allowPrivate: true }) === null;
      throw ValidationFailed.field(
        'url',
        allowable
          ? `must be reachable on the public internet: ${refusal} (an operator can allow private networks with VAULTRUN_WEBHOOK_ALLOW_PRIVATE=true)`
          : `must be reachable on the public internet: ${refusal}`,
      );
    }
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    // Stored wrapped by the master key (bound to this workspace); this answer is the only place it appears in clear.
    const sealed = sealWebhookSecret(this.envelope, ctx.workspaceId, secret);
    return this.db.transaction(async (m) => {
      const w = await m.getRepository(Workspace).findOneOrFail({ where: { id: ctx.workspaceId }, lock: { mode: 'pessimistic_write' } });
      const replaced = w.alertWebhookUrl !== null;
      await m.getRepository(Workspace).update(
        { id: w.id },
        { alertWebhookUrl: url.href, alertWebhookSecret: sealed.wrapped, alertWebhookKekVersion: sealed.kekVersion, alertWebhookSecretHint: secretHint(secret) },
      );
      await this.audit.record(
        {
          workspaceId: w.id,
          actor: actorOf(ctx),
          action: 'workspace.alert_webhook_set',
          targetType: 'workspace',
          targetId: w.id,
          // The origin only: a webhook URL's path or query often is a credential itself.
          metadata: { origin: url.origin, secretHint: secretHint(secret), replaced },
        },
        m,
      );
      return { url: url.href, secret, secretHint: secretHint(secret) };
    });
  }

  async clearAlertWebhook(ctx: RequestContext): Promise<void> {
    await this.db.transaction(async (m) => {
      const w = await m.getRepository(Workspace).findOneOrFail({ where: { id: ctx.workspaceId }, lock: { mode: 'pessimistic_write' } });
      if (w.alertWebhookUrl === null) return;
      await m.getRepository(Workspace).update({ id: w.id }, { alertWebhookUrl: null, alertWebhookSecret: null, alertWebhookKekVersion: null, alertWebhookSecretHint: null });
      await this.audit.record(
        {
          workspaceId: w.id,
          actor: actorOf(ctx),
          action: 'workspace.alert_webhook_clear',
          targetType: 'workspace',
          targetId: w.id,
          metadata: { origin: originOf(w.alertWebhookUrl), secretHint: w.alertWebhookSecretHint },
        },
        m,
      );
    });
  }

  /** Name and the defaults operators and runs fall back to. The default account must exist in this workspace. */
  async update(ctx: RequestContext, input: UpdateWorkspaceDto): Promise<WorkspaceDto> {
    return this.db.transaction(async (m) => {
      const w = await m.getRepository(Workspace).findOneByOrFail({ id: ctx.workspaceId });
      const before = {
        name: w.name,
        defaultAccountId: w.defaultAccountId,
        defaultModel: w.defaultModel,
        copilotAccountId: w.copilotAccountId,
        copilotModel: w.copilotModel,
        gatewayRetention: w.gatewayRetention,
      };
      for (const field of ['defaultAccountId', 'copilotAccountId'] as const) {
        const id = input[field];
        if (id && !(await m.getRepository(ProviderAccount).exists({ where: { id, workspaceId: ctx.workspaceId } }))) {
          throw ValidationFailed.field(field, 'is not a provider account of this workspace');
        }
      }
      if (input.name !== undefined) w.name = input.name.trim();
      if (input.defaultAccountId !== undefined) w.defaultAccountId = input.defaultAccountId;
      if (input.defaultModel !== undefined) w.defaultModel = input.defaultModel;
      if (input.copilotAccountId !== undefined) w.copilotAccountId = input.copilotAccountId;
      if (input.copilotModel !== undefined) w.copilotModel = input.copilotModel;
      if (input.gatewayRetention !== undefined) w.gatewayRetention = input.gatewayRetention;
      await m.getRepository(Workspace).save(w);
      const changed = (Object.keys(before) as (keyof typeof before)[]).filter((k) => before[k] !== w[k]);
      if (changed.length) {
        await this.audit.record(
          {
            workspaceId: w.id,
            actor: actorOf(ctx),
            action: changed.includes('name') && changed.length === 1 ? 'workspace.rename' : 'workspace.update',
            targetType: 'workspace',
            targetId: w.id,
            metadata: Object.fromEntries(changed.map((k) => [k, { from: before[k], to: w[k] }])),
          },
          m,
        );
      }
      return toDto(w);
    });
  }
}

/** `showWebhookUrl`: the caller may manage budgets; others see the webhook's origin only. */
export function toDto(w: Workspace, showWebhookUrl = true): WorkspaceDto {
  return {
    id: w.id,
    name: w.name,
    defaultAccountId: w.defaultAccountId,
    defaultModel: w.defaultModel,
    copilotAccountId: w.copilotAccountId,
    copilotModel: w.copilotModel,
    alertWebhook: alertWebhookOf(w, showWebhookUrl),
    gatewayRetention: w.gatewayRetention,
    createdAt: w.createdAt.toISOString(),
  };
}

function alertWebhookOf(w: Workspace, showUrl: boolean): AlertWebhookDto | null {
  if (!w.alertWebhookUrl) return null;
  return { url: showUrl ? w.alertWebhookUrl : `${originOf(w.alertWebhookUrl)}/…`, secretHint: w.alertWebhookSecretHint ?? '' };
}

export const secretHint = (secret: string) => `whsec_…${secret.slice(-4)}`;

const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    // Stored URLs were parsed when set; an unparsable one is shown (and audited) without an origin rather than failing.
    return '';
  }
};

function parseWebhookUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw ValidationFailed.field('url', 'must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw ValidationFailed.field('url', 'must be an http or https URL');
  if (url.username || url.password) throw ValidationFailed.field('url', 'must not contain a user name or password');
  return url;
}
