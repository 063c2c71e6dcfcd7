// Budget alerts leave through an outbox: the ledger marks a budget period in the same transaction as the charge
// that caused it — `alerted_at` when spend crossed the soft threshold, `overage_at` when a settlement cost more than
// its hold (each with its audit entry) — and the worker then delivers each alert to the workspace's webhook until it
// is accepted (`alert_delivered_at`, `overage_delivered_at`).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { type Envelope, openWebhookSecret } from '@vaultrun/vault-core';

export const BUDGET_ALERT_EVENT = 'budget.soft_threshold_crossed';
export const BUDGET_OVERAGE_EVENT = 'budget.overage';

export type BudgetAlertKind = 'soft_threshold' | 'overage';

export interface PendingAlert {
  budgetId: string;
  periodStart: string;
  /** Absent in jobs queued before overage alerts existed: a soft-threshold alert. */
  kind: BudgetAlertKind;
  /** When the alert was raised (an overage's `overage_at`: a new overage episode is a new alert). */
  raisedAt: string;
}

/** Alerts of the last day not yet delivered to a configured webhook. */
export async function pendingAlerts(db: DataSource, limit = 100): Promise<PendingAlert[]> {
  const rows: { budget_id: string; period_start: Date; kind: BudgetAlertKind; raised_at: Date }[] = await db.query(
    `SELECT * FROM (
       SELECT bp.budget_id, bp.period_start, 'soft_threshold' AS kind, bp.alerted_at AS raised_at FROM budget_periods bp
         JOIN budgets b ON b.id = bp.budget_id JOIN workspaces w ON w.id = b.workspace_id
        WHERE bp.alerted_at > now() - interval '1 day' AND bp.alert_delivered_at IS NULL AND w.alert_webhook_url IS NOT NULL
       UNION ALL
       SELECT bp.budget_id, bp.period_start, 'overage', bp.overage_at FROM budget_periods bp
         JOIN budgets b ON b.id = bp.budget_id JOIN workspaces w ON w.id = b.workspace_id
        WHERE bp.overage_at > now() - interval '1 day' AND bp.overage_delivered_at IS NULL AND w.alert_webhook_url IS NOT NULL) a
      ORDER BY a.raised_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ budgetId: r.budget_id, periodStart: new Date(r.period_start).toISOString(), kind: r.kind, raisedAt: new Date(r.raised_at).toISOString() }));
}

/**
 * The job id of an alert's delivery: re-adding it while it is pending is a no-op; a new overage episode is a new job.
 * (BullMQ accepts a custom id with a colon only as three colon-separated parts.)
 */
export function alertJobId(a: PendingAlert): string {
  return a.kind === 'overage' ? `budget-overage:${a.budgetId}:${Date.parse(a.periodStart)}-${Date.parse(a.raisedAt)}` : `budget-alert:${a.budgetId}:${Date.parse(a.periodStart)}`;
}

export interface AlertDelivery {
  url: string;
  secret: string;
  /** `budget.soft_threshold_crossed` or `budget.overage`. */
  type: string;
  /** The JSON body, exactly as signed. */
  body: string;
  deliveryId: string;
  /** When the alert delivered was raised (marks exactly that alert delivered). */
  raisedAt: string;
}

interface AlertRow {
  id: string;
  workspace_id: string;
  name: string;
  scope_type: string;
  scope_id: string | null;
  period: string;
  cap_micro_usd: string;
  soft_threshold_pct: number;
  period_start: Date;
  raised_at: Date;
  alert_webhook_url: string | null;
  alert_webhook_secret: string | null;
  alert_webhook_kek_version: number | string | null;
  /** The audit entry written with the alert: the figures at that instant (the same on every retry). */
  metadata: Record<string, string | number | null> | null;
}

/** The webhook call for one alert, or null when there is nothing (left) to deliver. */
export async function alertDelivery(db: DataSource, envelope: Envelope, budgetId: string, periodStart: string, kind: BudgetAlertKind = 'soft_threshold'): Promise<AlertDelivery | null> {
  const overage = kind === 'overage';
  const rows: AlertRow[] = await db.query(
    `SELECT b.id, b.workspace_id, b.name, b.scope_type, b.scope_id, b.period, b.cap_micro_usd, b.soft_threshold_pct,
            bp.period_start, ${overage ? 'bp.overage_at' : 'bp.alerted_at'} AS raised_at, w.alert_webhook_url, w.alert_webhook_secret, w.alert_webhook_kek_version,
            (SELECT a.metadata FROM audit_events a
              WHERE a.workspace_id = b.workspace_id AND a.action = $3 AND a.target_id = b.id::text AND a.created_at >= bp.period_start
              ORDER BY a.created_at DESC LIMIT 1) AS metadata
       FROM budget_periods bp JOIN budgets b ON b.id = bp.budget_id JOIN workspaces w ON w.id = b.workspace_id
      WHERE bp.budget_id = $1 AND bp.period_start = $2
        AND ${overage ? 'bp.overage_at IS NOT NULL AND bp.overage_delivered_at IS NULL' : 'bp.alerted_at IS NOT NULL AND bp.alert_delivered_at IS NULL'}`,
    [budgetId, periodStart, overage ? BUDGET_OVERAGE_EVENT : BUDGET_ALERT_EVENT],
  );
  const r = rows[0];
  if (!r || !r.alert_webhook_url || !r.alert_webhook_secret) return null;
  const start = new Date(r.period_start).toISOString();
  const raisedAt = new Date(r.raised_at).toISOString();
  const figure = (key: string) => (r.metadata?.[key] === undefined || r.metadata[key] === null ? null : Number(r.metadata[key]));
  const budget = {
    id: r.id,
    name: r.name,
    scope: { type: r.scope_type, id: r.scope_id },
    period: r.period,
    periodStart: start,
    capMicroUsd: Number(r.cap_micro_usd),
    softThresholdPct: r.soft_threshold_pct,
    // Spend when the alert was raised: the body is the same on every retry of the delivery.
    spentMicroUsd: figure('spentMicroUsd'),
  };
  const deliveryId = overage ? `${budgetId}:${start}:overage:${raisedAt}` : `${budgetId}:${start}`;
  const type = overage ? BUDGET_OVERAGE_EVENT : BUDGET_ALERT_EVENT;
  const body = JSON.stringify({
    id: deliveryId,
    type,
    createdAt: raisedAt,
    workspaceId: r.workspace_id,
    budget: overage
      ? { ...budget, overageMicroUsd: figure('overageMicroUsd'), inFlightMicroUsd: figure('inFlightMicroUsd'), runsOverHold: figure('runsOverHold') }
      : budget,
  });
  const secret = openWebhookSecret(envelope, r.workspace_id, {
    secret: r.alert_webhook_secret,
    kekVersion: r.alert_webhook_kek_version === null ? null : Number(r.alert_webhook_kek_version),
  });
  return { url: r.alert_webhook_url, secret, type, body, deliveryId, raisedAt };
}

/** Marks the alert raised at `raisedAt` (ms precision, as JSON carries it) delivered: a newer one raised meanwhile stays pending. */
export async function markAlertDelivered(db: DataSource, budgetId: string, periodStart: string, kind: BudgetAlertKind, raisedAt: string): Promise<void> {
  await db.query(
    kind === 'overage'
      ? `UPDATE budget_periods SET overage_delivered_at = now() WHERE budget_id = $1 AND period_start = $2 AND date_trunc('milliseconds', overage_at) = $3::timestamptz`
      : `UPDATE budget_periods SET alert_delivered_at = now() WHERE budget_id = $1 AND period_start = $2 AND date_trunc('milliseconds', alerted_at) = $3::timestamptz`,
    [budgetId, periodStart, raisedAt],
  );
}

/**
 * `Vaultrun-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the scheme Stripe popularised):
 * the receiver recomputes it with the secret shown once when the webhook was set, and rejects old timestamps.
 */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/** How old a signed call may be: older ones are refused (a replayed capture). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Checks an incoming `Vaultrun-Signature` (the scheme of signWebhook) against the raw body: well formed, at most
 * WEBHOOK_TOLERANCE_SECONDS away from now, and the HMAC equal in constant time.
 */
export function verifyWebhookSignature(secret: string, body: string, header: string, nowSeconds: number): boolean {
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > WEBHOOK_TOLERANCE_SECONDS || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
