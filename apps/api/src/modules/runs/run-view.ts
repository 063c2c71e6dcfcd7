import type { Run } from '@vaultrun/db';
import { type RunRow, runFromRow } from '@vaultrun/engine';
import type { CostLabel } from '@vaultrun/money';
import { microUsd } from '../../common/money.js';
import type { RunDto } from './runs.dto.js';

/*
 * How the API shows a run: the one query shape that reads runs with the names people need next to them, its row
 * type, and the one mapping from the entity to the response DTO. The run's own columns map through the engine's
 * run store (`runFromRow`).
 */

/** A run with the names people need next to it (operator, who started it, the budget that blocked it). */
export const RUN_SELECT = `SELECT r.*, o.name AS operator_name, COALESCE(u.email, t.name) AS started_by_label, bb.name AS blocked_budget_name, pa.name AS account_name
  FROM runs r
  LEFT JOIN operators o ON o.id = r.operator_id
  LEFT JOIN provider_accounts pa ON pa.id = r.account_id AND pa.workspace_id = r.workspace_id
  LEFT JOIN budgets bb ON bb.id = r.blocked_budget_id
  LEFT JOIN users u ON r.started_by_type = 'user' AND u.id = r.started_by_id
  LEFT JOIN api_tokens t ON r.started_by_type = 'token' AND t.id = r.started_by_id`;

/** A row of `RUN_SELECT`. */
export type RunViewRow = RunRow & { operator_name: string | null; started_by_label: string | null; blocked_budget_name: string | null; account_name?: string | null };

export type RunView = Run & { operatorName: string | null; startedByLabel: string | null; blockedBudgetName?: string | null; accountName?: string | null };

export function runViewFromRow(row: RunViewRow): RunView {
  return {
    ...runFromRow(row),
    operatorName: row.operator_name,
    startedByLabel: row.started_by_label,
    blockedBudgetName: row.blocked_budget_name,
    accountName: row.account_name ?? null,
  };
}

/** Who pays (docs/managed.md): runs from before credits existed have no mark and were paid with the workspace's key. */
export function paidWithOf(r: Pick<RunView, 'paidWith' | 'accountId' | 'accountName'>): Pick<RunDto, 'paidWith' | 'paidWithLabel'> {
  const paidWith = r.paidWith ?? (r.accountId ? 'own_key' : null);
  if (paidWith === null) return { paidWith: null, paidWithLabel: null };
  return { paidWith, paidWithLabel: paidWith === 'credits' ? 'Vaultrun credits' : r.accountName ? `Your key (${r.accountName})` : 'Your key' };
}

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** The one mapping of a run to its response. */
export function toDto(r: RunView): RunDto {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    statusReason: r.statusReason,
    nextAttemptAt: r.status === 'waiting' ? iso(r.nextAttemptAt) : null,
    operatorId: r.operatorId,
    operatorName: r.operatorName ?? null,
    parentRunId: r.parentRunId,
    startedBy: { type: r.startedByType, id: r.startedById, label: r.startedByLabel ?? null },
    accountId: r.accountId,
    ...paidWithOf(r),
    model: r.model,
    missionId: r.missionId,
    planStep: r.planStep,
    input: r.input,
    output: r.output,
    outputJson: r.outputJson ?? null,
    attempts: r.attempts,
    maxAttempts: r.maxAttempts,
    providerCalls: r.providerCalls,
    usage: r.inputTokens === null ? null : { inputTokens: r.inputTokens, outputTokens: r.outputTokens ?? 0, cachedInputTokens: r.cachedInputTokens ?? 0 },
    providerRequestId: r.providerRequestId,
    error: r.errorCode ? { code: r.errorCode, message: r.errorMessage ?? r.errorCode } : null,
    costMicroUsd: microUsd(r.costMicroUsd),
    costLabel: (r.costLabel as CostLabel | null) ?? null,
    estimateMicroUsd: microUsd(r.estimateMicroUsd),
    costCapMicroUsd: microUsd(r.costCapMicroUsd),
    promptTokensHeld: r.promptTokensHeld ?? null,
    overageMicroUsd: microUsd(r.overageMicroUsd),
    maxOutputTokens: r.maxOutputTokens,
    requestedMaxOutputTokens: r.requestedMaxOutputTokens ?? null,
    blockedBy: r.blockedBudgetId ? { budgetId: r.blockedBudgetId, budgetName: r.blockedBudgetName ?? null } : null,
    timings: {
      queuedAt: iso(r.queuedAt)!,
      startedAt: iso(r.startedAt),
      providerStartedAt: iso(r.providerStartedAt),
      firstByteAt: iso(r.firstByteAt),
      finishedAt: iso(r.finishedAt),
      providerLatencyMs: r.providerLatencyMs,
    },
    gateway: gatewayOf(r),
    createdAt: iso(r.createdAt)!,
  };
}

/** A gateway call's details, with its time to first byte and total time measured from the app's request. */
function gatewayOf(r: RunView): RunDto['gateway'] {
  const g = r.gateway;
  if (r.kind !== 'gateway' || !g) return null;
  const from = new Date(r.queuedAt).getTime();
  return {
    endpoint: g.endpoint,
    stream: g.stream,
    requestedModel: g.requestedModel,
    routeId: g.routeId,
    attempts: g.attempts,
    usageSource: g.usageSource ?? null,
    clientDisconnected: g.clientDisconnected ?? false,
    ttfbMs: r.firstByteAt ? Math.max(0, new Date(r.firstByteAt).getTime() - from) : null,
    totalMs: r.finishedAt ? Math.max(0, new Date(r.finishedAt).getTime() - from) : null,
  };
}
