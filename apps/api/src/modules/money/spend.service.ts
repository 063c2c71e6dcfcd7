import { Inject, Injectable } from '@nestjs/common';
import { COST_LABELS, type CostLabel } from '@vaultrun/money';
import { ValidationFailed } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { READ_DB } from '../../common/read-db.js';
import type { RequestContext } from '../auth/principal.js';
import { accountViewer, positional, runVisibleSql } from '../vault/visibility.js';
import type { SpendGroupDto, SpendGrouping, SpendQueryDto, SpendReportDto, SpendSplitDto } from './spend.dto.js';

export const MAX_SPEND_DAYS = 400;
const DEFAULT_SPEND_DAYS = 30;
const DAY_MS = 86_400_000;

/** How each grouping names its rows. Fixed SQL fragments: only a validated `groupBy` picks one. */
const GROUPINGS: Record<SpendGrouping, { key: string; name: string; join: string }> = {
  day: { key: `to_char(r.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`, name: 'NULL', join: '' },
  account: {
    key: 'r.account_id::text',
    name: `CASE WHEN a.managed_source_id IS NOT NULL THEN a.name || ' (Vaultrun credits)' ELSE a.name END`,
    join: 'LEFT JOIN provider_accounts a ON a.id = r.account_id AND a.workspace_id = r.workspace_id' },
  operator: { key: 'r.operator_id::text', name: 'o.name', join: 'LEFT JOIN operators o ON o.id = r.operator_id AND o.workspace_id = r.workspace_id' },
  model: { key: 'r.model', name: 'r.model', join: '' },
  // Who pays (docs/managed.md): Vaultrun credits or the workspace's own keys (runs from before credits: own keys).
  payer: {
    key: `COALESCE(r.paid_with, 'own_key')`,
    name: `CASE WHEN r.paid_with = 'credits' THEN 'Vaultrun credits' ELSE 'Your keys' END`,
    join: '',
  },
  token: {
    key: `CASE WHEN r.started_by_type = 'token' THEN r.started_by_id::text END`,
    name: 't.name',
    join: `LEFT JOIN api_tokens t ON r.started_by_type = 'token' AND t.id = r.started_by_id AND t.workspace_id = r.workspace_id`,
  },
};

interface SpendRow {
  key: string | null;
  name: string | null;
  label: string;
  runs: number;
  cost: string | null;
}

@Injectable()
export class SpendService {
  /** Reports read the replica when DATABASE_READ_URL is set (../../common/read-db.ts). */
  constructor(@Inject(READ_DB) private readonly db: DataSource) {}

  /**
   * Cost of the runs that finished in [from, to] (UTC days), grouped and split by cost label — one GROUP BY over
   * runs_workspace_finished_idx. Runs that never reached a provider (blocked, cancelled while queued) carry no
   * label and are not counted.
   */
  async report(ctx: RequestContext, query: SpendQueryDto): Promise<SpendReportDto> {
    const groupBy = query.groupBy ?? 'day';
    const { from, to, days } = rangeOf(query);
    const g = GROUPINGS[groupBy];
    // Only the runs the caller may see count (../vault/visibility.ts): a restricted account's spend is not shown to
    // people who may not see the account, not even inside a total.
    const params: unknown[] = [ctx.workspaceId, new Date(from), new Date(Date.parse(to) + DAY_MS)];
    const rows: SpendRow[] = await this.db.query(
      `SELECT ${g.key} AS key, ${g.name} AS name, r.cost_label AS label, count(*)::int AS runs, sum(r.cost_micro_usd)::text AS cost
         FROM runs r ${g.join}
        WHERE r.workspace_id = $1 AND r.finished_at >= $2 AND r.finished_at < $3 AND r.cost_label IS NOT NULL
          AND ${runVisibleSql('r', accountViewer(ctx.principal), positional(params))}
        GROUP BY 1, 2, 3`,
      params,
    );

    const total = emptySplit();
    const groups = new Map<string | null, SpendGroupDto>();
    // Every day of the range, so a chart gets its zeros without guessing.
    if (groupBy === 'day') for (let i = 0; i < days; i++) dayGroup(groups, new Date(Date.parse(from) + i * DAY_MS).toISOString().slice(0, 10));
    for (const row of rows) {
      if (!(COST_LABELS as readonly string[]).includes(row.label)) continue;
      const group = groups.get(row.key) ?? { key: row.key, name: row.name, total: emptySplit() };
      groups.set(row.key, group);
      addToSplit(group.total, row.label as CostLabel, row.runs, row.cost);
      addToSplit(total, row.label as CostLabel, row.runs, row.cost);
    }
    const list = [...groups.values()];
    if (groupBy !== 'day') {
      list.sort((a, b) => b.total.costMicroUsd - a.total.costMicroUsd || b.total.runs - a.total.runs || String(a.name ?? a.key).localeCompare(String(b.name ?? b.key)));
    }
    return { from, to, groupBy, total, groups: list };
  }
}

function dayGroup(groups: Map<string | null, SpendGroupDto>, day: string): void {
  groups.set(day, { key: day, name: day, total: emptySplit() });
}

export function emptySplit(): SpendSplitDto {
  return {
    costMicroUsd: 0,
    runs: 0,
    byLabel: {
      verified: { costMicroUsd: 0, runs: 0 },
      estimated: { costMicroUsd: 0, runs: 0 },
      pending_sync: { costMicroUsd: 0, runs: 0 },
      unavailable: { costMicroUsd: null, runs: 0 },
    },
  };
}

export function addToSplit(split: SpendSplitDto, label: CostLabel, runs: number, cost: string | null): void {
  split.runs += runs;
  split.byLabel[label].runs += runs;
  // An unavailable cost is unknown: it is counted as runs, never as an amount.
  if (label === 'unavailable') return;
  const amount = Number(cost ?? 0);
  split.byLabel[label].costMicroUsd += amount;
  split.costMicroUsd += amount;
}

/** YYYY-MM-DD → ms at 00:00 UTC, or null when it is no calendar date (e.g. 2026-02-30). */
function parseDay(value: string): number | null {
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value ? null : ms;
}

function rangeOf(query: SpendQueryDto): { from: string; to: string; days: number } {
  const toMs = query.to === undefined ? Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`) : parseDay(query.to);
  if (toMs === null) throw ValidationFailed.field('to', 'is not a calendar date (YYYY-MM-DD)');
  const fromMs = query.from === undefined ? toMs - (DEFAULT_SPEND_DAYS - 1) * DAY_MS : parseDay(query.from);
  if (fromMs === null) throw ValidationFailed.field('from', 'is not a calendar date (YYYY-MM-DD)');
  if (fromMs > toMs) throw ValidationFailed.field('from', 'must not be after to');
  const days = Math.round((toMs - fromMs) / DAY_MS) + 1;
  if (days > MAX_SPEND_DAYS) throw ValidationFailed.field('from', `the range may span at most ${MAX_SPEND_DAYS} days`);
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: day(fromMs), to: day(toMs), days };
}
