import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AccountKind, type AccountStatus, type GatewayRetention, type GatewayRouteTarget, type MockAccountSettings, preparedQuery, type Visibility } from '@vaultrun/db';
import { overridesOf, type PriceOverrideRow } from '@vaultrun/money';
import type { AccountLimits } from '@vaultrun/engine';
import { MOCK_DEFAULT_MODELS, MOCK_EMBEDDING_MODELS, type ModelPrice } from '@vaultrun/providers';
import type { DataSource } from 'typeorm';
import type { TokenPrincipal } from '../auth/principal.js';
import { gatewayErrors } from './gateway-errors.js';

/** What a call needs to know of an account (no secret: the key is read by the upstream cache when it calls). */
export interface DirectoryAccount {
  id: string;
  workspaceId: string;
  name: string;
  kind: AccountKind;
  status: AccountStatus;
  baseUrl: string | null;
  /** Azure OpenAI's api-version (null: the default, or another kind). */
  apiVersion: string | null;
  defaultModel: string | null;
  models: string[];
  visibility: Visibility;
  maxConcurrency: number;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  dekVersion: number;
  mockSettings: MockAccountSettings | null;
  lastErrorCode: string | null;
  /** Tokens on a restricted account's access list. */
  tokenIds: ReadonlySet<string>;
  /** An admin key is stored: the account's estimated costs are `pending_sync` until the provider's figures arrive. */
  costSync: boolean;
  /**
   * A managed connector (docs/managed.md): called with its managed account's key, endpoint and status, priced with the
   * instance's overrides and multiplier, paid with credits. Null: the workspace's own account.
   */
  keyAccount: { id: string; workspaceId: string; limits: AccountLimits } | null;
}

export interface DirectoryRoute {
  id: string;
  name: string;
  targets: GatewayRouteTarget[];
  createdAt: Date;
}

/** One place a call may run: an account and the model to ask it for, and the route that led there (if any). */
export interface Target {
  account: DirectoryAccount;
  model: string;
  routeId: string | null;
}

/** A workspace as the gateway sees it: read in one query, kept for a moment (see GatewayDirectory). */
export class WorkspaceDirectory {
  readonly accounts = new Map<string, DirectoryAccount>();
  readonly accountsByName = new Map<string, DirectoryAccount>();
  readonly routes = new Map<string, DirectoryRoute>();

  constructor(
    readonly workspaceId: string,
    readonly defaultAccountId: string | null,
    readonly retention: GatewayRetention,
    accounts: DirectoryAccount[],
    routes: DirectoryRoute[],
    readonly overrides: Record<string, ModelPrice>,
    private readonly calibrations: Map<string, number>,
    /** Suspended by an instance administrator: calls are refused (`workspace_suspended`); null when active. */
    readonly suspension: { reason: string | null } | null = null,
    /** How managed connectors are priced: the instance's overrides and price multiplier (docs/managed.md). */
    private readonly managedPricing: { overrides: Record<string, ModelPrice>; multiplierPermille: number } = { overrides: {}, multiplierPermille: 1000 },
  ) {
    for (const a of accounts) {
      this.accounts.set(a.id, a);
      this.accountsByName.set(a.name, a);
    }
    for (const r of routes) this.routes.set(r.name, r);
  }

  /** The price overrides an account's calls are priced with: the instance's for a managed connector, the workspace's otherwise. */
  overridesFor(account: DirectoryAccount): Record<string, ModelPrice> {
    return account.keyAccount ? this.managedPricing.overrides : this.overrides;
  }

  /** The price multiplier of an account's calls: the instance's for a managed connector, null (×1) otherwise. */
  multiplierFor(account: DirectoryAccount): number | null {
    return account.keyAccount ? this.managedPricing.multiplierPermille : null;
  }

  /** The account's highest observed provider ÷ estimate prompt ratio for the model (docs/budgets.md, Calibration). */
  calibration(accountId: string, model: string): number | null {
    return this.calibrations.get(`${accountId}\u0000${model}`) ?? null;
  }

  /** Whether the token may use the account: the restricted-account rule runs and the console use (vault/visibility.ts). */
  mayUse(account: DirectoryAccount, token: TokenPrincipal): boolean {
    // A token pinned to credits or to own keys sees only those accounts (docs/managed.md).
    if (token.billing !== 'any' && (token.billing === 'credits') !== (account.keyAccount !== null)) return false;
    return token.permissions.has('vault:manage') || account.visibility === 'workspace' || account.tokenIds.has(token.tokenId);
  }

  /**
   * Where a requested model runs, in order: a route of that name (its targets on accounts the token may use);
   * `account-name/model`; a model of the workspace's default account. An account the token may not use is, as
   * everywhere, as if it did not exist (404); a route it may not use any target of is 403.
   */
  resolve(requested: string, token: TokenPrincipal): Target[] {
    const route = this.routes.get(requested);
    if (route) {
      const targets = route.targets.flatMap((t) => {
        const account = this.accounts.get(t.accountId);
        return account && this.mayUse(account, token) ? [{ account, model: t.model, routeId: route.id }] : [];
      });
      if (!targets.length) throw gatewayErrors.accountNotAllowed(requested);
      return targets;
    }
    for (let slash = requested.indexOf('/'); slash > 0; slash = requested.indexOf('/', slash + 1)) {
      const account = this.accountsByName.get(requested.slice(0, slash));
      if (!account) continue;
      const model = requested.slice(slash + 1);
      if (!this.mayUse(account, token) || !this.serves(account, model)) throw gatewayErrors.modelNotFound(requested);
      return [{ account, model, routeId: null }];
    }
    const fallback = this.defaultAccountId ? this.accounts.get(this.defaultAccountId) : undefined;
    if (!fallback || !this.mayUse(fallback, token) || !this.serves(fallback, requested)) throw gatewayErrors.modelNotFound(requested);
    return [{ account: fallback, model: requested, routeId: null }];
  }

  /**
   * Whether the account can serve the model, as far as Vaultrun knows: a mock account's list is its whole truth; a
   * real provider's cached list may be older than its newest model, so any name goes to the provider (which answers
   * 404 itself for one it does not serve).
   */
  private serves(account: DirectoryAccount, model: string): boolean {
    if (model === '') return false;
    return account.kind !== 'mock' || modelsOf(account).includes(model);
  }

  /** The models the token may call (GET /v1/models): routes, `account/model` names, the default account's models. */
  models(token: TokenPrincipal): { id: string; created: number; ownedBy: string }[] {
    const out = new Map<string, { id: string; created: number; ownedBy: string }>();
    const add = (id: string, created: number, ownedBy: string) => {
      if (!out.has(id) && modelAllowed(token, id)) out.set(id, { id, created, ownedBy });
    };
    for (const route of this.routes.values()) {
      if (route.targets.some((t) => this.accounts.has(t.accountId) && this.mayUse(this.accounts.get(t.accountId)!, token))) {
        add(route.name, Math.floor(route.createdAt.getTime() / 1000), 'vaultrun-route');
      }
    }
    const fallback = this.defaultAccountId ? this.accounts.get(this.defaultAccountId) : undefined;
    if (fallback && this.mayUse(fallback, token)) for (const m of modelsOf(fallback)) add(m, 0, fallback.name);
    for (const a of this.accounts.values()) if (this.mayUse(a, token)) for (const m of modelsOf(a)) add(`${a.name}/${m}`, 0, a.name);
    return [...out.values()];
  }
}

/** The models an account offers: its default, its cached list (a mock's own list), and the mock's embedding model. */
function modelsOf(a: DirectoryAccount): string[] {
  const mockModels = a.kind === 'mock' ? [...(a.mockSettings?.models?.length ? a.mockSettings.models : MOCK_DEFAULT_MODELS), ...MOCK_EMBEDDING_MODELS] : [];
  return [...new Set([...(a.defaultModel ? [a.defaultModel] : []), ...a.models, ...mockModels])];
}

/** The token's model allow-list: exact names, or a prefix ending in `*`. No list: every model. */
export function modelAllowed(token: TokenPrincipal, model: string): boolean {
  if (!token.allowedModels) return true;
  return token.allowedModels.some((entry) => (entry.endsWith('*') ? model.startsWith(entry.slice(0, -1)) : entry === model));
}

interface DirectoryRow {
  default_account_id: string | null;
  gateway_retention: GatewayRetention;
  suspended_at: Date | null;
  suspended_reason: string | null;
  accounts: Record<string, unknown>[] | null;
  routes: { id: string; name: string; targets: GatewayRouteTarget[]; created_at: string }[] | null;
  overrides: PriceOverrideRow[] | null;
  instance_overrides: PriceOverrideRow[] | null;
  price_multiplier_permille: number | null;
  calibrations: { account_id: string; model: string; high: number }[] | null;
}

/** How long a workspace's directory is reused. Changes made through this process show at once (invalidate). */
export const DIRECTORY_TTL_MS = 2_000;

/**
 * The gateway's view of each workspace — accounts (limits, status, access lists), routes, price overrides,
 * calibrations, the default account and the retention setting — read in one query and reused for DIRECTORY_TTL_MS,
 * so a call's hot path reads nothing before its one write. A change made in another process (an account refused by
 * a worker, a route edited through another API process) is seen within that time.
 */
@Injectable()
export class GatewayDirectory {
  private readonly cache = new Map<string, { directory: Promise<WorkspaceDirectory>; expires: number }>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  of(workspaceId: string): Promise<WorkspaceDirectory> {
    const hit = this.cache.get(workspaceId);
    if (hit && hit.expires > Date.now()) return hit.directory;
    const directory = this.load(workspaceId);
    this.cache.set(workspaceId, { directory, expires: Date.now() + DIRECTORY_TTL_MS });
    // A failed read is not kept: the next call tries again.
    directory.catch(() => this.cache.delete(workspaceId));
    if (this.cache.size > 10_000) this.cache.clear();
    return directory;
  }

  invalidate(workspaceId: string): void {
    this.cache.delete(workspaceId);
  }

  private async load(workspaceId: string): Promise<WorkspaceDirectory> {
    const { rows } = await preparedQuery<DirectoryRow>(
      this.db,
      `SELECT w.default_account_id, w.gateway_retention, w.suspended_at, w.suspended_reason,
              (SELECT jsonb_agg(jsonb_build_object('id', a.id, 'workspaceId', a.workspace_id, 'name', a.name, 'kind', a.kind,
                        'status', CASE WHEN src.id IS NULL THEN a.status ELSE src.status END,
                        'baseUrl', CASE WHEN src.id IS NULL THEN a.base_url ELSE src.base_url END,
                        'apiVersion', CASE WHEN src.id IS NULL THEN a.api_version ELSE src.api_version END,
                        'defaultModel', a.default_model, 'models', a.models, 'visibility', a.visibility,
                        'maxConcurrency', a.max_concurrency, 'requestsPerMinute', a.requests_per_minute, 'tokensPerMinute', a.tokens_per_minute,
                        'dekVersion', CASE WHEN src.id IS NULL THEN a.dek_version ELSE src.dek_version END,
                        'mockSettings', CASE WHEN src.id IS NULL THEN a.mock_settings ELSE src.mock_settings END, 'lastErrorCode', a.last_error_code,
                        'tokenIds', (SELECT COALESCE(jsonb_agg(x.principal_id), '[]'::jsonb) FROM provider_account_access x WHERE x.account_id = a.id AND x.principal_type = 'token'),
                        'costSync', src.id IS NULL AND EXISTS (SELECT 1 FROM provider_secrets s WHERE s.account_id = a.id AND s.purpose = 'admin_key'),
                        'keyAccount', CASE WHEN src.id IS NULL THEN NULL ELSE jsonb_build_object('id', src.id, 'workspaceId', src.workspace_id,
                          'limits', jsonb_build_object('maxConcurrency', src.max_concurrency, 'requestsPerMinute', src.requests_per_minute, 'tokensPerMinute', src.tokens_per_minute)) END))
                 FROM provider_accounts a LEFT JOIN provider_accounts src ON src.id = a.managed_source_id WHERE a.workspace_id = w.id) AS accounts,
              (SELECT jsonb_agg(jsonb_build_object('id', r.id, 'name', r.name, 'targets', r.targets, 'created_at', r.created_at)) FROM gateway_routes r WHERE r.workspace_id = w.id) AS routes,
              (SELECT jsonb_agg(jsonb_build_object('model', o.model, 'inputMicroUsdPerM', o.input_micro_usd_per_m,
                        'cachedInputMicroUsdPerM', o.cached_input_micro_usd_per_m, 'outputMicroUsdPerM', o.output_micro_usd_per_m))
                 FROM price_overrides o WHERE o.workspace_id = w.id) AS overrides,
              (SELECT jsonb_agg(jsonb_build_object('model', o.model, 'inputMicroUsdPerM', o.input_micro_usd_per_m,
                        'cachedInputMicroUsdPerM', o.cached_input_micro_usd_per_m, 'outputMicroUsdPerM', o.output_micro_usd_per_m))
                 FROM price_overrides o JOIN workspaces iw ON iw.id = o.workspace_id AND iw.is_instance) AS instance_overrides,
              (SELECT s.price_multiplier_permille FROM instance_settings s) AS price_multiplier_permille,
              (SELECT jsonb_agg(jsonb_build_object('account_id', c.account_id, 'model', c.model, 'high', c.high_ratio_permille))
                 FROM token_calibrations c WHERE c.workspace_id = w.id) AS calibrations
         FROM workspaces w WHERE w.id = $1`,
      [workspaceId],
    );
    const row = rows[0];
    if (!row) throw gatewayErrors.modelNotFound('');
    const accounts = (row.accounts ?? []).map((a) => ({ ...(a as Omit<DirectoryAccount, 'tokenIds'>), tokenIds: new Set((a.tokenIds as string[] | null) ?? []) }));
    const routes = (row.routes ?? []).map((r) => ({ id: r.id, name: r.name, targets: r.targets, createdAt: new Date(r.created_at) }));
    const calibrations = new Map((row.calibrations ?? []).map((c) => [`${c.account_id}\u0000${c.model}`, c.high]));
    return new WorkspaceDirectory(workspaceId, row.default_account_id, row.gateway_retention, accounts, routes, overridesOf(row.overrides), calibrations,
      row.suspended_at ? { reason: row.suspended_reason } : null,
      { overrides: overridesOf(row.instance_overrides), multiplierPermille: row.price_multiplier_permille ?? 1000 },
    );
  }
}
