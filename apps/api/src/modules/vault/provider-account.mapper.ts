// A provider account as the API shows it: the entity with its key hints (never the ciphertext), its sharing list,
// its cost sync summary and the warnings the console shows. The cost sync rows are declared, read and mapped here.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AccountStatus, type MockAccountSettings, type ProviderAccount, ProviderAccountAccess, ProviderSecret } from '@vaultrun/db';
import { accountErrorMessage, type SecretPurpose } from '@vaultrun/vault-core';
import { costSyncErrorMessage } from '@vaultrun/money';
import { costSyncProviderName, isCostSyncKind, keyShapeWarning, presetOfAccount } from '@vaultrun/providers';
import { type DataSource, type EntityManager, In } from 'typeorm';
import type { CostReportingDto, CostSyncDayDto, CostSyncStatusDto, KeyInfoDto, MockSettingsViewDto, ProviderAccountDto, WarningDto } from './provider-accounts.dto.js';

export const DEFAULT_MOCK_MODELS = ['mock-fast', 'mock-smart'];
/** Below this many requests per minute the provider's tier is not production capacity. */
const LOW_TIER_RPM = 60;

// ---- cost sync days -------------------------------------------------------------------------------------------

export interface CostSyncRow {
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

/** The day as the provider's UTC calendar names it (a `date` column read as text: no time zone can shift it). */
const COST_SYNC_COLUMNS = `account_id, to_char(day, 'YYYY-MM-DD') AS day, status, provider_micro_usd, vaultrun_micro_usd, drift_micro_usd,
  applied_micro_usd, checks, checked_at`;

/** An account's last checked days, newest first. */
export function costSyncHistory(db: DataSource | EntityManager, workspaceId: string, accountId: string, days: number): Promise<CostSyncRow[]> {
  return db.query(`SELECT ${COST_SYNC_COLUMNS} FROM cost_sync_days WHERE workspace_id = $1 AND account_id = $2 ORDER BY day DESC LIMIT $3`, [workspaceId, accountId, days]);
}

function latestCostSync(db: DataSource | EntityManager, accountIds: string[]): Promise<CostSyncRow[]> {
  if (!accountIds.length) return Promise.resolve([]);
  return db.query(`SELECT DISTINCT ON (account_id) ${COST_SYNC_COLUMNS} FROM cost_sync_days WHERE account_id = ANY($1) ORDER BY account_id, day DESC`, [accountIds]);
}

/** The cost sync summary of an OpenAI or Anthropic account (null for other kinds): its last attempt and latest checked day. */
export function costSyncStatus(
  account: Pick<ProviderAccount, 'kind' | 'costSyncAttemptedAt' | 'costSyncErrorCode'>,
  enabled: boolean,
  latest: CostSyncRow | undefined,
): CostSyncStatusDto | null {
  if (!isCostSyncKind(account.kind)) return null;
  const code = account.costSyncErrorCode;
  return {
    lastAttemptAt: account.costSyncAttemptedAt?.toISOString() ?? null,
    lastError: code ? { code, message: costSyncErrorMessage(code, account.kind) } : null,
    enabled,
    lastSyncedDay: latest?.day ?? null,
    lastCheckedAt: latest?.checked_at.toISOString() ?? null,
    status: latest?.status ?? null,
    providerMicroUsd: latest ? Number(latest.provider_micro_usd) : null,
    vaultrunMicroUsd: latest ? Number(latest.vaultrun_micro_usd) : null,
    driftMicroUsd: latest ? Number(latest.drift_micro_usd) : null,
  };
}

export function costSyncDay(r: CostSyncRow): CostSyncDayDto {
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

// ---- accounts -------------------------------------------------------------------------------------------------

@Injectable()
export class ProviderAccountMapper {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async toDtos(accounts: ProviderAccount[]): Promise<ProviderAccountDto[]> {
    if (!accounts.length) return [];
    const ids = accounts.map((a) => a.id);
    // Never select the ciphertext: only what may be shown.
    const secrets = await this.db.getRepository(ProviderSecret).find({
      where: { accountId: In(ids) },
      select: { accountId: true, purpose: true, hint: true, fingerprint: true, keyShape: true, updatedAt: true },
    });
    const access = await this.db.getRepository(ProviderAccountAccess).find({ where: { accountId: In(ids) } });
    const secretOf = (id: string, purpose: SecretPurpose) => secrets.find((s) => s.accountId === id && s.purpose === purpose);
    const latestSync = await latestCostSync(this.db, accounts.filter((a) => isCostSyncKind(a.kind)).map((a) => a.id));
    return accounts.map((a) => {
      const key = secretOf(a.id, 'api_key');
      return {
        id: a.id,
        name: a.name,
        kind: a.kind,
        baseUrl: a.baseUrl,
        defaultModel: a.defaultModel,
        apiVersion: a.kind === 'azure-openai' ? a.apiVersion : null,
        preset: presetOfAccount(a.kind, a.baseUrl)?.id ?? null,
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
        costReporting: costReportingOf(a),
        mock: a.kind === 'mock' ? mockSettingsShown(a.mockSettings) : null,
        // A managed connector has no key of its own here; the instance looks after its managed account's.
        warnings: a.managedSourceId ? [] : warningsFor(a, key?.keyShape),
        managed: a.managedSourceId !== null,
        createdAt: a.createdAt.toISOString(),
        updatedAt: a.updatedAt.toISOString(),
      };
    });
  }
}

/** How the account's costs come to be known: the label they get and why, for the console. */
export function costReportingOf(a: Pick<ProviderAccount, 'kind' | 'baseUrl' | 'mockSettings'>): CostReportingDto {
  if (a.kind === 'mock') {
    return a.mockSettings?.reportCost
      ? { mode: 'per_call', explanation: 'The mock reports a made-up cost with every answer, so its costs show as Verified by Provider.' }
      : { mode: 'not_billed', explanation: 'The mock provider bills nothing; its costs are estimated from its own made-up prices.' };
  }
  const preset = presetOfAccount(a.kind, a.baseUrl);
  if (preset?.reportsCost) {
    return { mode: 'per_call', explanation: `${preset.name} reports what each call cost: those costs are Verified by Provider as soon as the call ends.` };
  }
  if (isCostSyncKind(a.kind)) {
    const provider = costSyncProviderName(a.kind);
    return {
      mode: 'cost_sync',
      explanation: `Costs are Estimated by Vaultrun (reported tokens × prices); with an admin key, cost sync reads ${provider}'s daily costs and turns matching days into Verified by Provider.`,
    };
  }
  const why =
    a.kind === 'azure-openai'
      ? 'Azure bills through your Azure subscription; its Cost Management API needs Azure credentials, not this resource key, so Vaultrun cannot read it'
      : a.kind === 'gemini'
        ? 'Google bills Gemini API usage through Cloud Billing, which an API key cannot read'
        : !preset
          ? 'this server offers no cost report'
          : `${preset.name} offers no cost report Vaultrun can read with this key`;
  return { mode: 'estimated_only', explanation: `Costs stay Estimated by Vaultrun (reported tokens × prices): ${why}. Check the provider's own billing for final figures.` };
}

function keyInfo(s: Pick<ProviderSecret, 'hint' | 'fingerprint' | 'keyShape' | 'updatedAt'> | undefined): KeyInfoDto | null {
  return s ? { hint: s.hint, fingerprint: s.fingerprint, shape: s.keyShape, updatedAt: s.updatedAt.toISOString() } : null;
}

function mockSettingsShown(settings: MockAccountSettings | null): MockSettingsViewDto {
  return { latencyMs: 0, failWith: null, reportCost: false, models: DEFAULT_MOCK_MODELS, ...(settings ?? {}) };
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

/** What the console should warn about: odd keys, and Vaultrun limits above what the provider grants. */
function warningsFor(a: ProviderAccount, keyShape: string | undefined): WarningDto[] {
  const out: WarningDto[] = [];
  const shapeWarning = keyShapeWarning(a.kind, keyShape, a.baseUrl);
  if (shapeWarning) out.push({ code: 'unknown_key_shape', message: shapeWarning });
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
