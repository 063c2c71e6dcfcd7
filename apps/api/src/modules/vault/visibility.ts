import { principalKey, type Principal } from '../auth/principal.js';

/**
 * Who may see a provider account, and therefore everything made with it (docs/security.md, "Restricted accounts").
 *
 * The rule, in one place: an account is visible to vault managers (owners, admins, admin-scoped tokens), and
 * otherwise when it is a `workspace` account or the caller is on its access list. A run is visible when it has no
 * account (a mission run: the plan's umbrella) or its account is visible; so are its events, its comparison (only
 * when both of its runs are), the steps of a mission and every figure counted from runs. What is not visible does
 * not exist for the caller: absent from lists, filters, counts and the live stream, and 404 by id — the same answer
 * as an id that exists nowhere. Being visible is also what "may use" means for starting runs.
 *
 * Every query that reads accounts or runs builds its condition here, so the rule cannot drift between copies.
 */
export interface AccountViewer {
  /** Vault managers see (and use) every account of the workspace. */
  seesAll: boolean;
  principalType: 'user' | 'token';
  principalId: string;
}

export function accountViewer(principal: Principal): AccountViewer {
  const [principalType, principalId] = principalKey(principal);
  return { seesAll: principal.permissions.has('vault:manage'), principalType, principalId };
}

/** The same principal judged by the access list alone (for "may use" checks whose manager override is in code). */
export function listedViewer(principal: Principal): AccountViewer {
  return { ...accountViewer(principal), seesAll: false };
}

/** Adds a value to a query's parameters and returns its placeholder. */
export type Bind = (value: unknown) => string;

/** Placeholders `$n` for a query whose parameters are the array `params` (values are appended). */
export function positional(params: unknown[]): Bind {
  return (value) => {
    params.push(value);
    return `$${params.length}`;
  };
}

/** Placeholders `:name` for a TypeORM query builder. */
export function named(qb: { setParameter(key: string, value: unknown): unknown }, prefix = 'viewer'): Bind {
  let n = 0;
  return (value) => {
    const key = `${prefix}${n++}`;
    qb.setParameter(key, value);
    return `:${key}`;
  };
}

/** SQL that is true when the `provider_accounts` row aliased `account` is visible to the viewer. */
export function accountVisibleSql(account: string, viewer: AccountViewer, bind: Bind): string {
  if (viewer.seesAll) return 'TRUE';
  return `(${account}.visibility = 'workspace' OR EXISTS (SELECT 1 FROM provider_account_access vx
            WHERE vx.account_id = ${account}.id AND vx.principal_type = ${bind(viewer.principalType)} AND vx.principal_id = ${bind(viewer.principalId)}::uuid))`;
}

/**
 * SQL that is true when the `runs` row aliased `run` is visible to the viewer. A run whose account was deleted is
 * visible to vault managers only: with the account gone, so is the list of who may see what was made with it.
 */
export function runVisibleSql(run: string, viewer: AccountViewer, bind: Bind): string {
  if (viewer.seesAll) return 'TRUE';
  return `(${run}.account_id IS NULL OR EXISTS (SELECT 1 FROM provider_accounts va
            WHERE va.id = ${run}.account_id AND va.workspace_id = ${run}.workspace_id AND ${accountVisibleSql('va', viewer, bind)}))`;
}

/**
 * The same rule as `runVisibleSql`, written for scans over many runs (analytics): the visible accounts are an
 * uncorrelated set the planner computes once and hashes, instead of a subquery per run. `workspace` is the
 * placeholder of the workspace id already bound by the caller.
 */
export function runVisibleInScanSql(run: string, workspace: string, viewer: AccountViewer, bind: Bind): string {
  if (viewer.seesAll) return 'TRUE';
  return `(${run}.account_id IS NULL OR ${run}.account_id IN (SELECT va.id FROM provider_accounts va
            WHERE va.workspace_id = ${workspace} AND ${accountVisibleSql('va', viewer, bind)}))`;
}
