import { Inject, Injectable } from '@nestjs/common';
import { ValidationFailed } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { READ_DB } from '../../common/read-db.js';
import type { RequestContext } from '../auth/principal.js';
import { addToSplit, emptySplit } from '../money/spend.service.js';
import { accountViewer, positional, runVisibleInScanSql } from '../vault/visibility.js';
import type { OverviewBucket, OverviewDto, OverviewPointDto, OverviewQueryDto, OverviewTopItemDto, PercentilesDto } from './analytics.dto.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const BUCKET_MS: Record<OverviewBucket, number> = { hour: HOUR_MS, day: DAY_MS };
/** The longest range each bucket may cover (744 hourly points, 400 daily ones). */
const MAX_RANGE_MS: Record<OverviewBucket, number> = { hour: 31 * DAY_MS, day: 400 * DAY_MS };
const TOP_N = 5;

interface SeriesRow {
  bucket: Date;
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  blocked: number;
  active: number;
  verified: string;
  verified_runs: number;
  estimated: string;
  estimated_runs: number;
  pending_sync: string;
  pending_sync_runs: number;
  unavailable_runs: number;
}

interface ComboRow {
  operator_id: string | null;
  account_id: string | null;
  token_id: string | null;
  runs: number;
  failed: number;
  cost: string;
}

interface HistogramRow {
  bucket: Date;
  latency_bin: number | null;
  duration_bin: number | null;
  n: number;
}


/**
 * The Overview page's figures, aggregated in PostgreSQL over the runs created in a range: the statements scan one
 * index range (`runs_workspace_created_idx`, which carries the columns they read, so the scan need not visit the
 * table). Only runs the caller may see are counted (../vault/visibility.ts). Measured at 1,000,000 runs in
 * docs/performance.md.
 */
@Injectable()
export class AnalyticsService {
  /** Reports read the replica when DATABASE_READ_URL is set (../../common/read-db.ts). */
  constructor(@Inject(READ_DB) private readonly db: DataSource) {}

  async overview(ctx: RequestContext, query: OverviewQueryDto): Promise<OverviewDto> {
    const { since, until, bucket } = rangeOf(query);
    const params: unknown[] = [ctx.workspaceId, since, until];
    const bind = positional(params);
    const where = [`r.workspace_id = $1`, `r.created_at >= $2`, `r.created_at < $3`];
    if (query.accountId) where.push(`r.account_id = ${bind(query.accountId)}::uuid`);
    if (query.operatorId) where.push(`r.operator_id = ${bind(query.operatorId)}::uuid`);
    where.push(runVisibleInScanSql('r', '$1', accountViewer(ctx.principal), bind));
    const filter = where.join(' AND ');
    // UTC-aligned buckets whatever the session's time zone.
    const bucketSql = `date_bin(interval '1 ${bucket}', r.created_at, timestamptz '2000-01-03 00:00:00+00')`;

    // Three aggregates over the same index range, at once on three connections. None sorts: each is a hash
    // aggregate with few groups, which PostgreSQL can split across parallel workers. Percentiles come from a
    // log-bucketed histogram (as DDSketch does): within ±2% of the exact value, without sorting a million values.
    const [series, top, histogram] = await Promise.all([
      this.db.query(
        `SELECT ${bucketSql} AS bucket,
                count(*)::int AS runs,
                count(*) FILTER (WHERE r.status = 'succeeded')::int AS succeeded,
                count(*) FILTER (WHERE r.status = 'failed')::int AS failed,
                count(*) FILTER (WHERE r.status = 'cancelled')::int AS cancelled,
                count(*) FILTER (WHERE r.status = 'blocked')::int AS blocked,
                count(*) FILTER (WHERE r.status IN ('queued', 'waiting', 'running'))::int AS active,
                COALESCE(sum(r.cost_micro_usd) FILTER (WHERE r.cost_label = 'verified'), 0)::text AS verified,
                count(*) FILTER (WHERE r.cost_label = 'verified')::int AS verified_runs,
                COALESCE(sum(r.cost_micro_usd) FILTER (WHERE r.cost_label = 'estimated'), 0)::text AS estimated,
                count(*) FILTER (WHERE r.cost_label = 'estimated')::int AS estimated_runs,
                COALESCE(sum(r.cost_micro_usd) FILTER (WHERE r.cost_label = 'pending_sync'), 0)::text AS pending_sync,
                count(*) FILTER (WHERE r.cost_label = 'pending_sync')::int AS pending_sync_runs,
                count(*) FILTER (WHERE r.cost_label = 'unavailable')::int AS unavailable_runs
           FROM runs r
          WHERE ${filter}
          GROUP BY 1`,
        params,
      ) as Promise<SeriesRow[]>,
      // Per combination of operator, account and token (a few hundred at most); rolled up per dimension below.
      this.db.query(
        `SELECT r.operator_id, r.account_id, CASE WHEN r.started_by_type = 'token' THEN r.started_by_id END AS token_id,
                count(*)::int AS runs, count(*) FILTER (WHERE r.status = 'failed')::int AS failed,
                COALESCE(sum(r.cost_micro_usd) FILTER (WHERE r.cost_label IN ('verified', 'estimated', 'pending_sync')), 0)::text AS cost
           FROM runs r
          WHERE ${filter}
          GROUP BY 1, 2, 3`,
        params,
      ) as Promise<ComboRow[]>,
      // One group per (bucket, latency bin, duration bin): a few thousand at most, whatever the number of runs.
      this.db.query(
        `SELECT ${bucketSql} AS bucket, ${binSql('r.provider_latency_ms')} AS latency_bin,
                ${binSql('extract(epoch FROM r.finished_at - r.queued_at)::float8 * 1000')} AS duration_bin, count(*)::int AS n
           FROM runs r
          WHERE ${filter} AND r.status = 'succeeded'
          GROUP BY 1, 2, 3`,
        params,
      ) as Promise<HistogramRow[]>,
    ]);

    const totals = {
      runs: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      blocked: 0,
      active: 0,
      successRate: null as number | null,
      errorRate: null as number | null,
      latencyMs: percentilesOf(binsOf(histogram, 'latency_bin')),
      durationMs: percentilesOf(binsOf(histogram, 'duration_bin')),
      spend: emptySplit(),
    };
    for (const r of series) {
      totals.runs += r.runs;
      totals.succeeded += r.succeeded;
      totals.failed += r.failed;
      totals.cancelled += r.cancelled;
      totals.blocked += r.blocked;
      totals.active += r.active;
      addToSplit(totals.spend, 'verified', r.verified_runs, r.verified);
      addToSplit(totals.spend, 'estimated', r.estimated_runs, r.estimated);
      addToSplit(totals.spend, 'pending_sync', r.pending_sync_runs, r.pending_sync);
      addToSplit(totals.spend, 'unavailable', r.unavailable_runs, null);
    }
    const ended = totals.succeeded + totals.failed;
    if (ended > 0) {
      totals.successRate = totals.succeeded / ended;
      totals.errorRate = totals.failed / ended;
    }

    // Every bucket of the range, so a chart gets its zeros without guessing.
    const byStart = new Map(series.map((r) => [new Date(r.bucket).getTime(), r]));
    const latencyByStart = new Map<number, HistogramRow[]>();
    for (const h of histogram) {
      const t = new Date(h.bucket).getTime();
      latencyByStart.set(t, [...(latencyByStart.get(t) ?? []), h]);
    }
    const points: OverviewPointDto[] = [];
    const step = BUCKET_MS[bucket];
    for (let t = floorTo(since.getTime(), bucket); t < until.getTime(); t += step) {
      const r = byStart.get(t);
      points.push({
        start: new Date(t).toISOString(),
        runs: r?.runs ?? 0,
        succeeded: r?.succeeded ?? 0,
        failed: r?.failed ?? 0,
        other: r ? r.runs - r.succeeded - r.failed : 0,
        p95LatencyMs: percentilesOf(binsOf(latencyByStart.get(t) ?? [], 'latency_bin')).p95,
        cost: { verified: Number(r?.verified ?? 0), estimated: Number(r?.estimated ?? 0), pending_sync: Number(r?.pending_sync ?? 0), unavailableRuns: r?.unavailable_runs ?? 0 },
      });
    }

    const rollUp = (key: (c: ComboRow) => string | null): { id: string; runs: number; failed: number; costMicroUsd: number }[] => {
      const sums = new Map<string, { id: string; runs: number; failed: number; costMicroUsd: number }>();
      for (const c of top) {
        const id = key(c);
        if (!id) continue;
        const sum = sums.get(id) ?? { id, runs: 0, failed: 0, costMicroUsd: 0 };
        sum.runs += c.runs;
        sum.failed += c.failed;
        sum.costMicroUsd += Number(c.cost);
        sums.set(id, sum);
      }
      return [...sums.values()].sort((a, b) => b.runs - a.runs || b.costMicroUsd - a.costMicroUsd || a.id.localeCompare(b.id)).slice(0, TOP_N);
    };
    const operators = rollUp((c) => c.operator_id);
    const accounts = rollUp((c) => c.account_id);
    const tokens = rollUp((c) => c.token_id);
    const names = await this.namesOf(ctx.workspaceId, { operators: operators.map((o) => o.id), accounts: accounts.map((a) => a.id), tokens: tokens.map((t) => t.id) });
    const named = (table: keyof typeof names, items: typeof operators): OverviewTopItemDto[] => items.map((i) => ({ ...i, name: names[table].get(i.id) ?? null }));

    return {
      since: since.toISOString(),
      until: until.toISOString(),
      bucket,
      totals,
      series: points,
      top: { operators: named('operators', operators), accounts: named('accounts', accounts), tokens: named('tokens', tokens) },
    };
  }

  /** The current names of the top items (a deleted one has none). */
  private async namesOf(workspaceId: string, ids: { operators: string[]; accounts: string[]; tokens: string[] }) {
    const lookup = async (table: string, list: string[]) => {
      if (!list.length) return new Map<string, string>();
      const rows: { id: string; name: string }[] = await this.db.query(`SELECT id, name FROM ${table} WHERE workspace_id = $1 AND id = ANY($2::uuid[])`, [workspaceId, list]);
      return new Map(rows.map((r) => [r.id, r.name]));
    };
    const [operators, accounts, tokens] = await Promise.all([lookup('operators', ids.operators), lookup('provider_accounts', ids.accounts), lookup('api_tokens', ids.tokens)]);
    return { operators, accounts, tokens };
  }
}

/**
 * Histogram bins grow by this ratio: a percentile read from them is within ±2% of the exact one. The ConsoleAnalytics
 * migration keeps planner statistics on these exact bin expressions: change one, change both.
 */
export const LATENCY_BIN_RATIO = 1.04;

/**
 * SQL: the histogram bin of a duration in ms (null stays null; under 1 ms counts as 1 ms). In double precision:
 * `extract` answers numeric, whose logarithm costs about ten times as much per run.
 */
function binSql(ms: string): string {
  return `round(ln(greatest((${ms})::float8, 1)) / ln(${LATENCY_BIN_RATIO}::float8))::int`;
}

/** One histogram (latency or duration) out of the combined rows, bins merged. */
function binsOf(rows: readonly HistogramRow[], column: 'latency_bin' | 'duration_bin'): { bin: number; n: number }[] {
  const bins = new Map<number, number>();
  for (const r of rows) {
    const bin = r[column];
    if (bin !== null) bins.set(bin, (bins.get(bin) ?? 0) + r.n);
  }
  return [...bins].map(([bin, n]) => ({ bin, n }));
}

/** p50 and p95 of a histogram of bins (the nearest-rank rule, as percentile_disc), each read as its bin's value. */
export function percentilesOf(bins: readonly { bin: number; n: number }[]): PercentilesDto {
  const sorted = [...bins].sort((a, b) => a.bin - b.bin);
  const total = sorted.reduce((n, b) => n + b.n, 0);
  if (total === 0) return { p50: null, p95: null };
  const at = (p: number) => {
    const rank = Math.max(1, Math.ceil(p * total));
    let seen = 0;
    for (const b of sorted) {
      seen += b.n;
      if (seen >= rank) return Math.round(LATENCY_BIN_RATIO ** b.bin);
    }
    return Math.round(LATENCY_BIN_RATIO ** sorted[sorted.length - 1]!.bin);
  };
  return { p50: at(0.5), p95: at(0.95) };
}

/** The start of the UTC hour or day containing `ms` (the SQL's date_bin origin is a UTC midnight). */
function floorTo(ms: number, bucket: OverviewBucket): number {
  return Math.floor(ms / BUCKET_MS[bucket]) * BUCKET_MS[bucket];
}

function rangeOf(query: OverviewQueryDto): { since: Date; until: Date; bucket: OverviewBucket } {
  const until = query.until ?? new Date();
  const since = query.since ?? new Date(until.getTime() - DAY_MS);
  if (since.getTime() >= until.getTime()) throw ValidationFailed.field('since', 'must be before until');
  const span = until.getTime() - since.getTime();
  const bucket = query.bucket ?? (span <= 7 * DAY_MS ? 'hour' : 'day');
  if (span > MAX_RANGE_MS[bucket]) {
    if (bucket === 'hour') throw ValidationFailed.field('bucket', 'hourly buckets cover at most 31 days: choose bucket=day or a shorter range');
    throw ValidationFailed.field('since', 'the range may span at most 400 days');
  }
  return { since, until, bucket };
}
