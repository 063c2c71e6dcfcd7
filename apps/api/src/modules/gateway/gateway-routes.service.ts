import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { GatewayRoute, type GatewayRouteTarget, Workspace } from '@vaultrun/db';
import { Conflict, NotFound, ValidationFailed } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import { COST_LABELS, type CostLabel } from '@vaultrun/money';
import { addToSplit, emptySplit } from '../money/spend.service.js';
import { accountViewer, accountVisibleSql, positional, runVisibleInScanSql } from '../vault/visibility.js';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { GatewayDirectory } from './gateway-directory.js';
import { GATEWAY_ROUTES } from './gateway-http.js';
import type { CreateGatewayRouteDto, GatewayInfoDto, GatewayRouteDto, GatewayTokenUsageDto, GatewayUsageDto, GatewayUsageQueryDto, GatewayUsageTotalsDto, UpdateGatewayRouteDto } from './gateway-routes.dto.js';

const DAY_MS = 86_400_000;
const DEFAULT_USAGE_DAYS = 30;
const MAX_USAGE_DAYS = 400;

interface UsageRow {
  token_id: string;
  name: string | null;
  prefix: string | null;
  label: string | null;
  calls: number;
  succeeded: number;
  failed: number;
  blocked: number;
  input_tokens: string;
  output_tokens: string;
  cost: string | null;
}

interface AccountSeen {
  id: string;
  name: string;
  kind: string;
  visible: boolean;
}

/** Model routes (docs/gateway.md): a public model name → ordered targets. Changes are audited and seen by this process's gateway at once. */
@Injectable()
export class GatewayRoutesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly directory: GatewayDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async info(ctx: RequestContext): Promise<GatewayInfoDto> {
    const workspace = await this.db.getRepository(Workspace).findOneByOrFail({ id: ctx.workspaceId });
    const g = this.config.gateway;
    return {
      baseUrl: g.publicUrl,
      retention: workspace.gatewayRetention,
      maxWaitMs: g.maxWaitMs,
      bodyLimitBytes: g.bodyLimitBytes,
      timeoutMs: g.timeoutMs,
      defaultMaxOutputTokens: g.defaultMaxOutputTokens,
      endpoints: GATEWAY_ROUTES.map((r) => `${r.method} ${r.path.replace(/^\/v1/, '')}`),
    };
  }

  /**
   * Per-token usage of the gateway (docs/gateway.md#per-token-usage): the calls (runs of kind `gateway`) created in
   * [since, until), by the token that made them — counts, tokens, and cost split by label. One GROUP BY over the
   * workspace's runs of the range (runs_workspace_created_idx); only the calls on accounts the caller may see count.
   */
  async usage(ctx: RequestContext, query: GatewayUsageQueryDto): Promise<GatewayUsageDto> {
    const until = query.until ?? new Date();
    const since = query.since ?? new Date(until.getTime() - DEFAULT_USAGE_DAYS * DAY_MS);
    if (since.getTime() >= until.getTime()) throw ValidationFailed.field('since', 'must be before until');
    if (until.getTime() - since.getTime() > MAX_USAGE_DAYS * DAY_MS) throw ValidationFailed.field('since', `the range may span at most ${MAX_USAGE_DAYS} days`);
    const params: unknown[] = [ctx.workspaceId, since, until];
    const rows: UsageRow[] = await this.db.query(
      `SELECT r.started_by_id AS token_id, t.name, t.prefix, r.cost_label AS label,
              count(*)::int AS calls,
              count(*) FILTER (WHERE r.status = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE r.status = 'failed')::int AS failed,
              count(*) FILTER (WHERE r.status = 'blocked')::int AS blocked,
              COALESCE(sum(r.input_tokens), 0)::text AS input_tokens,
              COALESCE(sum(r.output_tokens), 0)::text AS output_tokens,
              sum(r.cost_micro_usd)::text AS cost
         FROM runs r
         LEFT JOIN api_tokens t ON t.id = r.started_by_id AND t.workspace_id = r.workspace_id
        WHERE r.workspace_id = $1 AND r.created_at >= $2 AND r.created_at < $3
          AND r.kind = 'gateway' AND r.started_by_type = 'token'
          AND ${runVisibleInScanSql('r', '$1', accountViewer(ctx.principal), positional(params))}
        GROUP BY 1, 2, 3, 4`,
      params,
    );
    const emptyTotals = (): GatewayUsageTotalsDto => ({ calls: 0, succeeded: 0, failed: 0, blocked: 0, inputTokens: 0, outputTokens: 0, spend: emptySplit() });
    const add = (into: GatewayUsageTotalsDto, row: UsageRow) => {
      into.calls += row.calls;
      into.succeeded += row.succeeded;
      into.failed += row.failed;
      into.blocked += row.blocked;
      into.inputTokens += Number(row.input_tokens);
      into.outputTokens += Number(row.output_tokens);
      // A call refused before any provider (blocked) has no label: it counts as a call, not as spend.
      if (row.label && (COST_LABELS as readonly string[]).includes(row.label)) addToSplit(into.spend, row.label as CostLabel, row.calls, row.cost);
    };
    const total = emptyTotals();
    const tokens = new Map<string, GatewayTokenUsageDto>();
    for (const row of rows) {
      const entry = tokens.get(row.token_id) ?? { tokenId: row.token_id, name: row.name, prefix: row.prefix, ...emptyTotals() };
      tokens.set(row.token_id, entry);
      add(entry, row);
      add(total, row);
    }
    const list = [...tokens.values()].sort((a, b) => b.calls - a.calls || b.spend.costMicroUsd - a.spend.costMicroUsd || a.tokenId.localeCompare(b.tokenId));
    return { since: since.toISOString(), until: until.toISOString(), total, tokens: list };
  }

  async list(ctx: RequestContext): Promise<GatewayRouteDto[]> {
    const routes = await this.db.getRepository(GatewayRoute).find({ where: { workspaceId: ctx.workspaceId }, order: { name: 'ASC' } });
    const accounts = await this.accountsSeenBy(ctx, this.db.manager);
    return routes.map((r) => toDto(r, accounts, ctx));
  }

  async get(ctx: RequestContext, routeId: string): Promise<GatewayRouteDto> {
    const route = await this.db.getRepository(GatewayRoute).findOneBy({ id: routeId, workspaceId: ctx.workspaceId });
    if (!route) throw new NotFound('Gateway route');
    return toDto(route, await this.accountsSeenBy(ctx, this.db.manager), ctx);
  }

  async create(ctx: RequestContext, input: CreateGatewayRouteDto): Promise<GatewayRouteDto> {
    const route = await this.db.transaction(async (m) => {
      await this.checkTargets(m, ctx.workspaceId, input.targets);
      await this.checkNameFree(m, ctx.workspaceId, input.name, null);
      const saved = await m.getRepository(GatewayRoute).save({ workspaceId: ctx.workspaceId, name: input.name, description: input.description ?? null, targets: targetsOf(input.targets) });
      await this.audit.record(
        { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'gateway.route.create', targetType: 'gateway_route', targetId: saved.id, metadata: { name: saved.name, targets: saved.targets } },
        m,
      );
      return saved;
    });
    this.directory.invalidate(ctx.workspaceId);
    return toDto(route, await this.accountsSeenBy(ctx, this.db.manager), ctx);
  }

  async update(ctx: RequestContext, routeId: string, input: UpdateGatewayRouteDto): Promise<GatewayRouteDto> {
    const route = await this.db.transaction(async (m) => {
      const repo = m.getRepository(GatewayRoute);
      const current = await repo.findOne({ where: { id: routeId, workspaceId: ctx.workspaceId }, lock: { mode: 'pessimistic_write' } });
      if (!current) throw new NotFound('Gateway route');
      const before = { name: current.name, description: current.description, targets: current.targets };
      if (input.targets !== undefined) {
        await this.checkTargets(m, ctx.workspaceId, input.targets);
        current.targets = targetsOf(input.targets);
      }
      if (input.name !== undefined && input.name !== current.name) {
        await this.checkNameFree(m, ctx.workspaceId, input.name, current.id);
        current.name = input.name;
      }
      if (input.description !== undefined) current.description = input.description;
      const saved = await repo.save(current);
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'gateway.route.update',
          targetType: 'gateway_route',
          targetId: saved.id,
          metadata: { from: before, to: { name: saved.name, description: saved.description, targets: saved.targets } },
        },
        m,
      );
      return saved;
    });
    this.directory.invalidate(ctx.workspaceId);
    return toDto(route, await this.accountsSeenBy(ctx, this.db.manager), ctx);
  }

  async remove(ctx: RequestContext, routeId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const route = await m.getRepository(GatewayRoute).findOneBy({ id: routeId, workspaceId: ctx.workspaceId });
      if (!route) throw new NotFound('Gateway route');
      await m.getRepository(GatewayRoute).delete({ id: route.id });
      await this.audit.record(
        { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'gateway.route.delete', targetType: 'gateway_route', targetId: route.id, metadata: { name: route.name, targets: route.targets } },
        m,
      );
    });
    this.directory.invalidate(ctx.workspaceId);
  }

  /** Every target names an account of this workspace (the manager who edits routes sees them all). */
  private async checkTargets(m: EntityManager, workspaceId: string, targets: { accountId: string }[]): Promise<void> {
    const rows: { id: string }[] = await m.query(`SELECT id FROM provider_accounts WHERE workspace_id = $1 AND id = ANY($2::uuid[])`, [workspaceId, targets.map((t) => t.accountId)]);
    const known = new Set(rows.map((r) => r.id));
    targets.forEach((t, i) => {
      if (!known.has(t.accountId)) throw ValidationFailed.field(`targets.${i}.accountId`, 'is not a provider account of this workspace');
    });
  }

  private async checkNameFree(m: EntityManager, workspaceId: string, name: string, except: string | null): Promise<void> {
    const taken: { id: string }[] = await m.query(`SELECT id FROM gateway_routes WHERE workspace_id = $1 AND name = $2 AND id IS DISTINCT FROM $3::uuid`, [workspaceId, name, except]);
    if (taken.length) throw new Conflict('route_name_taken', `A route named "${name}" already exists in this workspace.`, { field: 'name' });
  }

  /** The workspace's accounts, and which of them the caller may see (vault/visibility.ts). */
  private async accountsSeenBy(ctx: RequestContext, m: EntityManager): Promise<Map<string, AccountSeen>> {
    const params: unknown[] = [ctx.workspaceId];
    const rows: AccountSeen[] = await m.query(
      `SELECT a.id, a.name, a.kind, ${accountVisibleSql('a', accountViewer(ctx.principal), positional(params))} AS visible FROM provider_accounts a WHERE a.workspace_id = $1`,
      params,
    );
    return new Map(rows.map((r) => [r.id, r]));
  }
}

const targetsOf = (targets: { accountId: string; model: string }[]): GatewayRouteTarget[] => targets.map((t) => ({ accountId: t.accountId, model: t.model }));

/**
 * Targets on accounts the caller may not see are left out and counted (a restricted account does not exist for those
 * not on its list). A target whose account was deleted shows to vault managers only, without a name.
 */
function toDto(r: GatewayRoute, accounts: Map<string, AccountSeen>, ctx: RequestContext): GatewayRouteDto {
  const managers = ctx.principal.permissions.has('vault:manage');
  const targets: GatewayRouteDto['targets'] = [];
  let hidden = 0;
  for (const t of r.targets) {
    const a = accounts.get(t.accountId);
    if (a?.visible) targets.push({ accountId: t.accountId, accountName: a.name, accountKind: a.kind, model: t.model });
    else if (!a && managers) targets.push({ accountId: t.accountId, accountName: null, accountKind: null, model: t.model });
    else hidden++;
  }
  return { id: r.id, name: r.name, description: r.description, targets, hiddenTargets: hidden, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() };
}
