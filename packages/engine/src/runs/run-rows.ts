import { preparedQuery, type ProviderAccount, type Run, type RunKind, type RunStatus } from '@vaultrun/db';
import type { AccountLimits } from './limits.js';
import type { PriceOverrideRow } from '@vaultrun/money';
import type { DataSource } from 'typeorm';

/*
 * The run store's rows: every raw `runs` row is declared here, once, and mapped to the `Run` entity in one place
 * (docs/adr/0002-data-access.md). Hot-path statements read runs with SQL (prepared, one round trip); the rows they
 * return are typed as pg gives them — snake_case, bigint as string, timestamptz as Date — and become a `Run` only
 * through `runFromRow`. A column added to the entity fails to compile here until it is mapped.
 */

/** A `runs` row as pg returns it for `SELECT r.*` or `RETURNING *`. */
export type RunRow = {
  id: string;
  workspace_id: string;
  kind: RunKind;
  operator_id: string | null;
  parent_run_id: string | null;
  started_by_type: Run['startedByType'];
  started_by_id: string | null;
  account_id: string | null;
  model: string;
  paid_with: Run['paidWith'];
  price_multiplier_permille: number | null;
  instructions: string;
  input: string;
  temperature: number | null;
  max_output_tokens: number;
  output_schema: Record<string, unknown> | null;
  output: string | null;
  output_json: unknown;
  status: RunStatus;
  status_reason: string | null;
  next_attempt_at: Date | null;
  attempts: number;
  max_attempts: number;
  input_tokens: number | null;
  output_tokens: number | null;
  cached_input_tokens: number | null;
  provider_calls: number;
  provider_request_id: string | null;
  error_code: string | null;
  error_message: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  request_id: string | null;
  queued_at: Date;
  started_at: Date | null;
  provider_started_at: Date | null;
  first_byte_at: Date | null;
  finished_at: Date | null;
  cost_micro_usd: string | null;
  cost_label: string | null;
  estimate_micro_usd: string | null;
  cost_cap_micro_usd: string | null;
  prompt_tokens_held: number | null;
  overage_micro_usd: string | null;
  requested_max_output_tokens: number | null;
  blocked_budget_id: string | null;
  mission_id: string | null;
  plan_step: string | null;
  history: Run['history'];
  gateway: Run['gateway'];
  provider_latency_ms: number | null;
  created_at: Date;
  updated_at: Date;
};

/** The one mapping of a `runs` row to the entity. */
export function runFromRow(row: RunRow): Run {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    kind: row.kind,
    operatorId: row.operator_id,
    parentRunId: row.parent_run_id,
    startedByType: row.started_by_type,
    startedById: row.started_by_id,
    accountId: row.account_id,
    model: row.model,
    paidWith: row.paid_with,
    priceMultiplierPermille: row.price_multiplier_permille,
    instructions: row.instructions,
    input: row.input,
    temperature: row.temperature,
    maxOutputTokens: row.max_output_tokens,
    outputSchema: row.output_schema,
    output: row.output,
    outputJson: row.output_json,
    status: row.status,
    statusReason: row.status_reason,
    nextAttemptAt: row.next_attempt_at,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cachedInputTokens: row.cached_input_tokens,
    providerCalls: row.provider_calls,
    providerRequestId: row.provider_request_id,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    requestId: row.request_id,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    providerStartedAt: row.provider_started_at,
    firstByteAt: row.first_byte_at,
    finishedAt: row.finished_at,
    costMicroUsd: row.cost_micro_usd,
    costLabel: row.cost_label,
    estimateMicroUsd: row.estimate_micro_usd,
    costCapMicroUsd: row.cost_cap_micro_usd,
    promptTokensHeld: row.prompt_tokens_held,
    overageMicroUsd: row.overage_micro_usd,
    requestedMaxOutputTokens: row.requested_max_output_tokens,
    blockedBudgetId: row.blocked_budget_id,
    missionId: row.mission_id,
    planStep: row.plan_step,
    history: row.history,
    gateway: row.gateway,
    providerLatencyMs: row.provider_latency_ms,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

type NullableTimestamp = 'next_attempt_at' | 'lease_expires_at' | 'started_at' | 'provider_started_at' | 'first_byte_at' | 'finished_at';
type Timestamp = 'queued_at' | 'created_at' | 'updated_at';
type Bigint = 'cost_micro_usd' | 'estimate_micro_usd' | 'cost_cap_micro_usd' | 'overage_micro_usd';

/** A `runs` row as `to_jsonb(r)` gives it: timestamps as ISO text, bigint as a JSON number, the rest as in `RunRow`. */
export type RunJson = Omit<RunRow, NullableTimestamp | Timestamp | Bigint> & Record<NullableTimestamp, string | null> & Record<Timestamp, string> & Record<Bigint, number | null>;

const date = (iso: string | null) => (iso === null ? null : new Date(iso));
const bigint = (n: number | null) => (n === null ? null : String(n));

/** A run read as JSON (a query that returns several runs per row): the same entity as `runFromRow`, the same column types. */
export function runFromJson(json: RunJson): Run {
  return runFromRow({
    ...json,
    next_attempt_at: date(json.next_attempt_at),
    lease_expires_at: date(json.lease_expires_at),
    started_at: date(json.started_at),
    provider_started_at: date(json.provider_started_at),
    first_byte_at: date(json.first_byte_at),
    finished_at: date(json.finished_at),
    queued_at: new Date(json.queued_at),
    created_at: new Date(json.created_at),
    updated_at: new Date(json.updated_at),
    cost_micro_usd: bigint(json.cost_micro_usd),
    estimate_micro_usd: bigint(json.estimate_micro_usd),
    cost_cap_micro_usd: bigint(json.cost_cap_micro_usd),
    overage_micro_usd: bigint(json.overage_micro_usd),
  });
}

/**
 * The account fields a run's execution reads (limits, provider connection, status, the name its messages use). For a
 * managed connector (docs/managed.md) the connection fields — kind, endpoint, key version, status — are its managed
 * account's, and `keyAccount` names that account, whose key is read; the limits are the connector's own (the
 * workspace's share).
 */
export type RunAccount = Pick<
  ProviderAccount,
  'id' | 'workspaceId' | 'name' | 'kind' | 'status' | 'lastErrorCode' | 'providerLimits' | 'maxConcurrency' | 'requestsPerMinute' | 'tokensPerMinute' | 'dekVersion' | 'baseUrl' | 'mockSettings'
> &
  Partial<Pick<ProviderAccount, 'apiVersion'>> & { keyAccount?: KeyAccount | null };

/**
 * The account whose key a call reads: a managed connector's managed account (null: the account itself). Its own
 * limits cap every workspace's calls on it together; the connector's limits are one workspace's share.
 */
export interface KeyAccount {
  id: string;
  workspaceId: string;
  name?: string;
  limits?: AccountLimits;
}

/** What the executor loads for one run: the run, its account (null once deleted) and what pricing it needs. */
export interface RunForExecution {
  run: Run;
  account: RunAccount | null;
  priceOverrides: PriceOverrideRow[] | null;
  /** The account has an admin key, so cost sync will verify the run's estimated cost. */
  costSync: boolean;
  /** The account's calibrated prompt ratio for the run's model (token_calibrations), if any. */
  calibration: number | null;
  /** The workspace is suspended by an instance administrator: the run must not start (null when active). */
  suspension: { reason: string | null } | null;
}

/** `LOAD_FOR_EXECUTION`'s row: the run's columns and its account's, prefixed. */
export type RunForExecutionRow = RunRow & {
  /** Null when the account was deleted (the join found nothing). */
  account_row_id: string | null;
  account_name: string | null;
  account_kind: ProviderAccount['kind'] | null;
  account_status: ProviderAccount['status'] | null;
  account_last_error_code: string | null;
  account_provider_limits: ProviderAccount['providerLimits'];
  account_max_concurrency: number | null;
  account_requests_per_minute: number | null;
  account_tokens_per_minute: number | null;
  account_dek_version: number | null;
  account_base_url: string | null;
  account_mock_settings: ProviderAccount['mockSettings'];
  account_api_version: string | null;
  account_key_id: string | null;
  account_key_workspace_id: string | null;
  account_key_name: string | null;
  account_key_max_concurrency: number | null;
  account_key_requests_per_minute: number | null;
  account_key_tokens_per_minute: number | null;
  price_overrides: PriceOverrideRow[] | null;
  cost_sync: boolean;
  calibration: number | null;
  workspace_suspended: boolean;
  workspace_suspended_reason: string | null;
};

/**
 * The run, its account, the price overrides, whether cost sync is set up and the account's calibration: one prepared
 * statement, the first of every run's execution. A managed connector is called with its managed account's key,
 * endpoint and status, and priced with the instance's overrides (a workspace cannot price the instance's key).
 */
const LOAD_FOR_EXECUTION = `SELECT r.*,
       a.id AS account_row_id, a.name AS account_name, a.kind AS account_kind,
       CASE WHEN src.id IS NULL THEN a.status ELSE src.status END AS account_status, a.last_error_code AS account_last_error_code,
       a.provider_limits AS account_provider_limits, a.max_concurrency AS account_max_concurrency, a.requests_per_minute AS account_requests_per_minute,
       a.tokens_per_minute AS account_tokens_per_minute,
       CASE WHEN src.id IS NULL THEN a.dek_version ELSE src.dek_version END AS account_dek_version,
       CASE WHEN src.id IS NULL THEN a.base_url ELSE src.base_url END AS account_base_url,
       CASE WHEN src.id IS NULL THEN a.mock_settings ELSE src.mock_settings END AS account_mock_settings,
       CASE WHEN src.id IS NULL THEN a.api_version ELSE src.api_version END AS account_api_version,
       src.id AS account_key_id, src.workspace_id AS account_key_workspace_id, src.name AS account_key_name, src.max_concurrency AS account_key_max_concurrency,
       src.requests_per_minute AS account_key_requests_per_minute, src.tokens_per_minute AS account_key_tokens_per_minute,
       (SELECT jsonb_agg(jsonb_build_object('model', o.model, 'inputMicroUsdPerM', o.input_micro_usd_per_m,
                  'cachedInputMicroUsdPerM', o.cached_input_micro_usd_per_m, 'outputMicroUsdPerM', o.output_micro_usd_per_m))
          FROM price_overrides o WHERE o.workspace_id = COALESCE(src.workspace_id, r.workspace_id)) AS price_overrides,
       src.id IS NULL AND EXISTS (SELECT 1 FROM provider_secrets s WHERE s.account_id = a.id AND s.purpose = 'admin_key') AS cost_sync,
       (SELECT c.high_ratio_permille FROM token_calibrations c WHERE c.account_id = r.account_id AND c.model = r.model) AS calibration,
       w.suspended_at IS NOT NULL AS workspace_suspended, w.suspended_reason AS workspace_suspended_reason
  FROM runs r JOIN workspaces w ON w.id = r.workspace_id LEFT JOIN provider_accounts a ON a.id = r.account_id AND a.workspace_id = r.workspace_id
  LEFT JOIN provider_accounts src ON src.id = a.managed_source_id WHERE r.id = $1`;

/** The one mapping of `LOAD_FOR_EXECUTION`'s row. */
export function runForExecutionFromRow(row: RunForExecutionRow): RunForExecution {
  const {
    account_row_id: accountId,
    account_name: name,
    account_kind: kind,
    account_status: status,
    account_last_error_code: lastErrorCode,
    account_provider_limits: providerLimits,
    account_max_concurrency: maxConcurrency,
    account_requests_per_minute: requestsPerMinute,
    account_tokens_per_minute: tokensPerMinute,
    account_dek_version: dekVersion,
    account_base_url: baseUrl,
    account_mock_settings: mockSettings,
    account_api_version: apiVersion,
    account_key_id: keyId,
    account_key_workspace_id: keyWorkspaceId,
    account_key_name: keyName,
    account_key_max_concurrency: keyMaxConcurrency,
    account_key_requests_per_minute: keyRequestsPerMinute,
    account_key_tokens_per_minute: keyTokensPerMinute,
    price_overrides: priceOverrides,
    cost_sync: costSync,
    calibration,
    workspace_suspended: suspended,
    workspace_suspended_reason: suspendedReason,
    ...run
  } = row;
  // The account's NOT NULL columns are null only together, when the join found no account.
  const account: RunAccount | null =
    accountId !== null && name !== null && kind !== null && status !== null && maxConcurrency !== null && dekVersion !== null
      ? { id: accountId, workspaceId: run.workspace_id, name, kind, status, lastErrorCode, providerLimits, maxConcurrency, requestsPerMinute, tokensPerMinute, dekVersion, baseUrl, mockSettings, apiVersion,
          keyAccount:
            keyId && keyWorkspaceId
              ? {
                  id: keyId,
                  workspaceId: keyWorkspaceId,
                  name: keyName ?? undefined,
                  limits: { maxConcurrency: keyMaxConcurrency ?? 1, requestsPerMinute: keyRequestsPerMinute, tokensPerMinute: keyTokensPerMinute },
                }
              : null }
      : null;
  return { run: runFromRow(run), account, priceOverrides, costSync, calibration, suspension: suspended ? { reason: suspendedReason } : null };
}

/** Loads a run for execution (null when there is no such run). */
export async function loadRunForExecution(db: DataSource, runId: string): Promise<RunForExecution | null> {
  const { rows } = await preparedQuery<RunForExecutionRow>(db, LOAD_FOR_EXECUTION, [runId]);
  return rows[0] ? runForExecutionFromRow(rows[0]) : null;
}
