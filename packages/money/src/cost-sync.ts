// Cost sync (SPEC §5): what the provider's cost report billed per closed UTC day — OpenAI's Costs API, Anthropic's Admin
// API cost report — against what Vaultrun recorded for the account that day. A match within max($0.01, 1%) verifies the day's estimated costs; either way budget spend is
// corrected to the provider's figure. See docs/budgets.md and docs/operations.md ("Cost sync").
import { ProviderAccount } from '@vaultrun/db';
import {
  classifyProviderError,
  COST_SYNC_KINDS,
  type CostSyncKind,
  costSyncProviderName,
  type DailyCosts,
  type DailyCostsQuery,
  fetchProviderDailyCosts,
  isCostSyncKind,
  isProviderErrorCode,
  type OutboundPolicy,
  PROVIDER_ERRORS,
  PUBLIC_ONLY,
} from '@vaultrun/providers';
import type { DataSource, EntityManager } from 'typeorm';
import { endpointOf, type SecretStore } from '@vaultrun/vault-core';

/** How many closed days each check looks back: a day is checked the day after, then re-checked on the next two. */
export const COST_SYNC_LOOKBACK_DAYS = 3;
/** Absolute tolerance of a match: $0.01. */
export const COST_SYNC_MIN_TOLERANCE_MICRO_USD = 10_000;

/** What each provider's cost report and admin key are called, for messages. */
const COST_REPORT: Record<CostSyncKind, { report: string; adminKey: string }> = {
  openai: { report: 'Costs API', adminKey: 'admin key (sk-admin-…)' },
  anthropic: { report: 'Admin API cost report', adminKey: 'Admin API key (sk-ant-admin…)' },
};

/**
 * What a failed cost-sync attempt means, for people. The code is a provider taxonomy code, `admin_key_missing`,
 * `admin_key_unreadable` or `internal` (the figures were read but could not be recorded). `kind`: whose cost report
 * it was (default OpenAI's).
 */
export function costSyncErrorMessage(code: string, kind: string = 'openai'): string {
  const provider = costSyncProviderName(kind);
  const { report, adminKey } = COST_REPORT[isCostSyncKind(kind) ? kind : 'openai'];
  switch (code) {
    case 'invalid_api_key':
      return `${provider} refused the admin key — set a current ${adminKey} of the organization this account bills to`;
    case 'provider_rejected':
      return `${provider} refused the ${report} request — the admin key may lack permission to read the organization's usage`;
    case 'rate_limited':
      return `${provider} rate-limited the ${report} — the next scheduled sync tries again`;
    case 'provider_unavailable':
      return `${provider}'s ${report} was unavailable — the next scheduled sync tries again`;
    case 'admin_key_missing':
      return 'No admin key is stored for this account';
    case 'admin_key_unreadable':
      return 'The stored admin key could not be decrypted (was the master key changed?) — set the admin key again';
    case 'internal':
      return `Vaultrun read ${provider}'s costs but could not record them — the next scheduled sync tries again (see the worker logs)`;
    default:
      return isProviderErrorCode(code) ? PROVIDER_ERRORS[code].message : 'Cost sync failed';
  }
}

/** Reads an organization's daily costs with its admin key; `kind` says whose cost report (OpenAI's, Anthropic's). */
export type CostSyncFetcher = (query: DailyCostsQuery & { kind: CostSyncKind }) => Promise<DailyCosts>;

const fetchDailyCosts: CostSyncFetcher = ({ kind, ...query }) => fetchProviderDailyCosts(kind, query);

/** max($0.01, 1% of the provider's figure), in micro-USD, rounded up. */
export function costSyncTolerance(providerMicroUsd: number): number {
  return Math.max(COST_SYNC_MIN_TOLERANCE_MICRO_USD, Math.ceil(Math.abs(providerMicroUsd) / 100));
}

export function costsMatch(providerMicroUsd: number, vaultrunMicroUsd: number): boolean {
  return Math.abs(providerMicroUsd - vaultrunMicroUsd) <= costSyncTolerance(providerMicroUsd);
}

const DAY_MS = 86_400_000;
const dayString = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The closed UTC days a check at `now` looks at, oldest first: the COST_SYNC_LOOKBACK_DAYS days before today.
 * Today is never among them (the provider's figure for it is partial). Days before `notBefore` are left out.
 */
export function closedDaysToCheck(now: Date, notBefore?: string): string[] {
  const today = Date.parse(`${dayString(now.getTime())}T00:00:00Z`);
  const days: string[] = [];
  for (let back = COST_SYNC_LOOKBACK_DAYS; back >= 1; back--) {
    const day = dayString(today - back * DAY_MS);
    if (!notBefore || day >= notBefore) days.push(day);
  }
  return days;
}

export interface CostSyncDayResult {
  day: string;
  status: 'matched' | 'drift';
  providerMicroUsd: number;
  /** Σ cost of the account's runs that finished that day (known costs only). */
  vaultrunMicroUsd: number;
  /** provider − Vaultrun: positive = the provider billed more (key used outside Vaultrun, or prices differ). */
  driftMicroUsd: number;
  /** Worst cases kept as spend for calls whose outcome was unknown (already in budget spend). */
  keptMicroUsd: number;
  /** The total correction of budget spend for this account-day (provider − Vaultrun − kept). */
  appliedMicroUsd: number;
  /** Runs whose label changed. */
  relabelled: number;
  checks: number;
}

export type CostSyncAccountResult =
  | { accountId: string; ok: true; days: CostSyncDayResult[]; notPublished: string[]; pages: number }
  /** `code`: the provider error taxonomy code, or `admin_key_missing` / `admin_key_unreadable`. Never a message. */
  | { accountId: string; ok: false; code: string };

type SyncAccount = Pick<ProviderAccount, 'id' | 'workspaceId' | 'kind' | 'baseUrl' | 'createdAt'>;

/**
 * Reads the provider's daily costs for an account with its admin key and records each published closed day.
 * The admin key is decrypted for the call only: it is never returned, logged or put in an error.
 */
export class CostSync {
  constructor(
    private readonly db: DataSource,
    private readonly secrets: SecretStore,
    private readonly fetchCosts: CostSyncFetcher = fetchDailyCosts,
    /** Which addresses the account's base URL may reach (VAULTRUN_PROVIDER_ALLOW_PRIVATE). */
    private readonly outbound: OutboundPolicy = PUBLIC_ONLY,
  ) {}

  /** Accounts of a kind with a cost report (OpenAI, Anthropic) that hold an admin key (all of them, or the one asked for). */
  accountsToSync(accountId?: string): Promise<ProviderAccount[]> {
    const qb = this.db
      .getRepository(ProviderAccount)
      .createQueryBuilder('a')
      .where('a.kind IN (:...kinds)', { kinds: [...COST_SYNC_KINDS] })
      .andWhere(`EXISTS (SELECT 1 FROM provider_secrets s WHERE s.account_id = a.id AND s.purpose = 'admin_key')`)
      .orderBy('a.createdAt', 'ASC');
    if (accountId) qb.andWhere('a.id = :accountId', { accountId });
    return qb.getMany();
  }

  /**
   * Syncs one account and records the attempt on it (when, and the failure code if the provider's costs could not
   * be read or recorded), so the console can say at once that an admin key was refused.
   */
  async syncAccount(account: SyncAccount, now: Date = new Date()): Promise<CostSyncAccountResult> {
    let result: CostSyncAccountResult;
    try {
      result = await this.readAndRecord(account, now);
    } catch (err) {
      try {
        await this.recordAttempt(account.id, 'internal');
      } catch (recordErr) {
        // Usually the same cause (the database is unreachable). The caller logs and counts the sync's failure: it gets
        // both, so neither is lost.
        throw new AggregateError([err, recordErr], 'cost sync failed, and so did recording the failed attempt', { cause: recordErr });
      }
      throw err;
    }
    await this.recordAttempt(account.id, result.ok ? null : result.code);
    return result;
  }

  private async recordAttempt(accountId: string, errorCode: string | null): Promise<void> {
    await this.db.query(`UPDATE provider_accounts SET cost_sync_attempted_at = now(), cost_sync_error_code = $2 WHERE id = $1`, [accountId, errorCode]);
  }

  private async readAndRecord(account: SyncAccount, now: Date): Promise<CostSyncAccountResult> {
    // Nothing before the day the account was added: Vaultrun has no figure of its own to compare.
    const days = closedDaysToCheck(now, dayString(account.createdAt.getTime()));
    if (!days.length) return { accountId: account.id, ok: true, days: [], notPublished: [], pages: 0 };

    // The key lives in this block only; what leaves it is a map of amounts or an error code.
    if (!isCostSyncKind(account.kind)) return { accountId: account.id, ok: false, code: 'provider_rejected' };
    let costs: DailyCosts;
    {
      let adminKey: string | null;
      try {
        adminKey = await this.secrets.read(this.db, { workspaceId: account.workspaceId, accountId: account.id }, 'admin_key', endpointOf(account));
      } catch {
        return { accountId: account.id, ok: false, code: 'admin_key_unreadable' };
      }
      if (!adminKey) return { accountId: account.id, ok: false, code: 'admin_key_missing' };
      try {
        const toDay = dayString(Date.parse(`${days[days.length - 1]}T00:00:00Z`) + DAY_MS);
        costs = await this.fetchCosts({ kind: account.kind, adminKey, baseUrl: account.baseUrl, fromDay: days[0]!, toDay, outbound: this.outbound });
      } catch (err) {
        return { accountId: account.id, ok: false, code: classifyProviderError(err).code };
      }
    }

    const recorded: CostSyncDayResult[] = [];
    const notPublished: string[] = [];
    for (const day of days) {
      const provider = costs.days.get(day);
      if (provider === undefined) notPublished.push(day);
      else recorded.push(await this.recordDay(account, day, provider));
    }
    return { accountId: account.id, ok: true, days: recorded, notPublished, pages: costs.pages };
  }

  /**
   * One account-day, in one transaction: Vaultrun's figure, the labels of that day's runs, the budget correction
   * (vaultrun_adjust applies only the change since the previous check) and the cost_sync_days row.
   */
  recordDay(account: Pick<SyncAccount, 'id' | 'workspaceId'>, day: string, providerMicroUsd: number): Promise<CostSyncDayResult> {
    return this.db.transaction(async (m: EntityManager) => {
      // Two checks of the same account-day (the schedule and a manual trigger) take turns.
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('vaultrun:cost-sync'), hashtext($1 || ':' || $2))`, [account.id, day]);
      const previous: { status: string }[] = await m.query(`SELECT status FROM cost_sync_days WHERE account_id = $1 AND day = $2`, [account.id, day]);
      const wasMatched = previous[0]?.status === 'matched';

      // V: known costs of the runs that finished that UTC day. K: per provider call whose outcome was unknown, the
      // worst case kept as spend (the same amount is held in every budget, so the largest of its holds).
      const [figures] = (await m.query(
        `WITH day_runs AS (
           SELECT r.id, r.cost_micro_usd FROM runs r
            WHERE r.account_id = $1
              AND r.finished_at >= ($2::date)::timestamp AT TIME ZONE 'UTC'
              AND r.finished_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'),
         kept AS (
           SELECT max(h.charged_micro_usd) AS worst FROM budget_holds h JOIN day_runs d ON d.id = h.run_id
            WHERE h.status IN ('kept', 'expired') GROUP BY h.run_id, h.attempt)
         SELECT (SELECT COALESCE(sum(cost_micro_usd), 0) FROM day_runs)::text AS vaultrun,
                (SELECT COALESCE(sum(worst), 0) FROM kept)::text AS kept`,
        [account.id, day],
      )) as { vaultrun: string; kept: string }[];
      const vaultrun = Number(figures!.vaultrun);
      const kept = Number(figures!.kept);
      const drift = providerMicroUsd - vaultrun;
      const status = costsMatch(providerMicroUsd, vaultrun) ? 'matched' : 'drift';

      // Matched: the provider confirmed the day, so its estimates are verified. Drift: the provider published and
      // did not confirm, so nothing is pending any more — and a day this sync verified before goes back to estimated
      // (OpenAI and Anthropic report no per-request cost, so on these accounts only cost sync ever says "verified").
      const relabel: unknown[] = await m.query(
        `UPDATE runs SET cost_label = $3, updated_at = now()
          WHERE account_id = $1
            AND finished_at >= ($2::date)::timestamp AT TIME ZONE 'UTC'
            AND finished_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'
            AND cost_micro_usd IS NOT NULL
            AND cost_label = ANY($4::text[])
          RETURNING id`,
        [account.id, day, status === 'matched' ? 'verified' : 'estimated', status === 'matched' ? ['estimated', 'pending_sync'] : wasMatched ? ['pending_sync', 'verified'] : ['pending_sync']],
      );
      const relabelled = Array.isArray(relabel[0]) ? (relabel[0] as unknown[]).length : relabel.length;

      // Budget spend for this account-day becomes the provider's figure: it already holds V (settled) and K (kept).
      const applied = providerMicroUsd - vaultrun - kept;
      await m.query(`SELECT vaultrun_adjust($1, $2::date, $3::bigint)`, [account.id, day, applied]);

      const [row] = (await m.query(
        `INSERT INTO cost_sync_days (account_id, day, workspace_id, provider_micro_usd, vaultrun_micro_usd, drift_micro_usd, applied_micro_usd, status, checks, checked_at)
         VALUES ($1, $2::date, $3, $4, $5, $6, $7, $8, 1, now())
         ON CONFLICT (account_id, day) DO UPDATE SET
           provider_micro_usd = EXCLUDED.provider_micro_usd, vaultrun_micro_usd = EXCLUDED.vaultrun_micro_usd,
           drift_micro_usd = EXCLUDED.drift_micro_usd, applied_micro_usd = EXCLUDED.applied_micro_usd,
           status = EXCLUDED.status, checks = cost_sync_days.checks + 1, checked_at = EXCLUDED.checked_at
         RETURNING checks`,
        [account.id, day, account.workspaceId, providerMicroUsd, vaultrun, drift, applied, status],
      )) as { checks: number }[];

      return {
        day,
        status,
        providerMicroUsd,
        vaultrunMicroUsd: vaultrun,
        driftMicroUsd: drift,
        keptMicroUsd: kept,
        appliedMicroUsd: applied,
        relabelled,
        checks: Number(row!.checks),
      };
    });
  }
}
