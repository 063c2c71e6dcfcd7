import type { Run } from '@vaultrun/db';
import { estimatePromptTokens, estimateRequestPromptTokens } from '@vaultrun/providers';
import { type CostLabel, promptTokensToHold } from '@vaultrun/money';
import { isFinal, messagesOf, promptRequestOf } from '@vaultrun/engine';
import { microUsd } from '../../common/money.js';
import type { ComparisonDifferencesDto, ComparisonEstimateDto, ComparisonSideDto } from './comparisons.dto.js';

/** A run as the comparison reads it, with its account's name and kind when the caller may see the account. */
export interface SideSource {
  run: Run;
  accountName: string | null;
  accountKind: ComparisonSideDto['accountKind'];
}

/** The worst case held before the call against what the call was charged (both integer micro-USD). */
export function estimateCheck(run: Run, accountKind: string | null): ComparisonEstimateDto {
  // Everything the request sends, counted as the worker counts it for that account's kind (without it: the messages).
  const promptTokensEstimated = accountKind ? estimateRequestPromptTokens(accountKind, run.model, promptRequestOf(run)).tokens : estimatePromptTokens(messagesOf(run));
  const worstCase = microUsd(run.estimateMicroUsd);
  // Unavailable costs are unknown, never 0, whatever the column holds.
  const charged = run.costLabel === 'unavailable' ? null : microUsd(run.costMicroUsd);
  const bothKnown = worstCase !== null && charged !== null;
  return {
    promptTokensEstimated,
    // What the worker held (calibrated) once it priced the call; before that, what a hold would be now uncalibrated.
    promptTokensHeld: run.promptTokensHeld ?? (accountKind ? promptTokensToHold(accountKind, promptTokensEstimated) : null),
    promptTokensReported: run.inputTokens ?? null,
    maxOutputTokens: run.maxOutputTokens,
    worstCaseMicroUsd: worstCase,
    chargedMicroUsd: charged,
    chargedLabel: (run.costLabel as CostLabel | null) ?? null,
    differenceMicroUsd: bothKnown ? charged - worstCase : null,
    chargedShareOfWorstCase: bothKnown && worstCase > 0 ? Math.round((charged / worstCase) * 10_000) / 10_000 : null,
  };
}

/**
 * Whether the output matched the operator's JSON Schema: a run with a schema that succeeded did (the worker
 * validates before it marks success); one that failed with `invalid_output` did not. Null for a text operator and
 * while there is no verdict (not finished, or ended before the provider answered).
 */
export function schemaValidity(run: Run): boolean | null {
  if (!run.outputSchema) return null;
  if (run.status === 'succeeded') return true;
  if (run.errorCode === 'invalid_output') return false;
  return null;
}

export function toComparisonSide({ run, accountName, accountKind }: SideSource): ComparisonSideDto {
  return {
    runId: run.id,
    status: run.status,
    statusReason: run.statusReason ?? null,
    nextAttemptAt: run.status === 'waiting' && run.nextAttemptAt ? new Date(run.nextAttemptAt).toISOString() : null,
    accountId: run.accountId,
    accountName,
    accountKind,
    model: run.model,
    output: run.output ?? null,
    outputJson: run.outputJson ?? null,
    schemaValid: schemaValidity(run),
    usage: run.inputTokens === null || run.inputTokens === undefined ? null : { inputTokens: run.inputTokens, outputTokens: run.outputTokens ?? 0, cachedInputTokens: run.cachedInputTokens ?? 0 },
    latencyMs: run.providerLatencyMs ?? null,
    costMicroUsd: run.costLabel === 'unavailable' ? null : microUsd(run.costMicroUsd),
    costLabel: (run.costLabel as CostLabel | null) ?? null,
    error: run.errorCode ? { code: run.errorCode, message: run.errorMessage ?? run.errorCode } : null,
    estimate: estimateCheck(run, accountKind),
  };
}

/** JSON compared as values (key order does not matter), text after trimming. */
function sameOutput(mock: ComparisonSideDto, live: ComparisonSideDto): boolean | null {
  if (mock.output === null || live.output === null) return null;
  if (mock.schemaValid && live.schemaValid) return canonical(mock.outputJson) === canonical(live.outputJson);
  return mock.output.trim() === live.output.trim();
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const delta = (live: number | null | undefined, mock: number | null | undefined) => (live === null || live === undefined || mock === null || mock === undefined ? null : live - mock);

export function compareSides(mock: ComparisonSideDto, live: ComparisonSideDto): ComparisonDifferencesDto {
  return {
    bothFinished: isFinal(mock.status) && isFinal(live.status),
    outputsEqual: sameOutput(mock, live),
    schemaValidityEqual: mock.schemaValid === null || live.schemaValid === null ? null : mock.schemaValid === live.schemaValid,
    inputTokensDelta: delta(live.usage?.inputTokens, mock.usage?.inputTokens),
    outputTokensDelta: delta(live.usage?.outputTokens, mock.usage?.outputTokens),
    costDeltaMicroUsd: delta(live.costMicroUsd, mock.costMicroUsd),
    latencyDeltaMs: delta(live.latencyMs, mock.latencyMs),
  };
}
